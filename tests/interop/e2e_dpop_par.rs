//! DPoP (RFC 9449), PAR (RFC 9126), JAR (RFC 9101), RAR (RFC 9396), response modes (form_post,
//! JARM) and calling an API, end to end against oidc-provider: proofs on token
//! requests bind the token to the key (`token_type: DPoP`, `cnf.jkt`); a server that requires
//! nonces gets one retry with its nonce; a replayed proof is refused; `grantscope call` sends
//! the bound token as DPoP with `ath` to the userinfo endpoint, and the same token sent as
//! Bearer is refused with a challenge that `call` reads out.

use crate::common;

use std::time::Duration;

use common::check;
use common::cli::Grantscope;
use common::{Provider, TestClient, TestProvider, deliver_redirect};
use grantscope_core::http::{HttpClient, HttpRequest};
use grantscope_core::oauth::Session;
use grantscope_core::oauth::dpop::DpopKey;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

fn cc_args(p: &Provider, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        p.issuer().to_string(),
        "--resource".into(),
        "urn:grantscope:api".into(),
        "--json".into(),
    ];
    a.extend(p.machine_client().cli_args());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn a_dpop_proof_binds_the_token_to_the_key() {
    let p = Provider::start();
    let out = Grantscope::new(cc_args(&p, &["--dpop"])).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["response"]["token_type"], "DPoP", "{doc:#}");
    let at = &doc["access_token"];
    assert_eq!(check(at, "token_type")["status"], "pass");
    assert_eq!(check(at, "cnf.jkt")["status"], "pass", "{at:#}");
    let token_request = common::last_exchange(&doc, "token request");
    assert!(token_request["request"]["headers"]["DPoP"].is_string());

    // Without --dpop the same client gets a bearer token and no DPoP checks.
    let out = Grantscope::new(cc_args(&p, &[])).run(T).unwrap();
    let doc = out.json().unwrap();
    assert_eq!(doc["response"]["token_type"], "Bearer");
}

#[test]
fn a_required_nonce_is_fetched_with_one_retry() {
    let p = Provider::start_with(&[("DPOP_NONCE", "1")]);
    let out = Grantscope::new(cc_args(&p, &["--dpop"])).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let tries = common::exchanges(&doc, "token request");
    assert_eq!(
        tries.len(),
        2,
        "one refused without a nonce, one accepted: {doc:#}"
    );
    assert_eq!(tries[0]["response"]["status"], 400);
    assert!(
        tries[0]["response"]["body"]
            .as_str()
            .unwrap()
            .contains("use_dpop_nonce")
    );
    assert_eq!(tries[1]["response"]["status"], 200);
    assert_eq!(doc["response"]["token_type"], "DPoP");
}

#[test]
fn a_replayed_proof_is_refused() {
    let p = Provider::start();
    let token_endpoint = url::Url::parse(&p.token_endpoint()).unwrap();
    let key = DpopKey::generate().unwrap();
    let proof = key
        .proof(
            "POST",
            &token_endpoint,
            None,
            None,
            grantscope_core::timefmt::now_unix(),
        )
        .unwrap();
    let c = p.machine_client();
    let statuses = common::block_on(async move {
        let mut s = Session::new(HttpClient::new(&Default::default()).unwrap());
        let mut out = Vec::new();
        for _ in 0..2 {
            let req = HttpRequest::post_form(
                token_endpoint.clone(),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", "urn:grantscope:api"),
                ],
            )
            .header(
                "Authorization",
                common::basic_auth_header(&c.id, c.secret()),
            )
            .header("DPoP", proof.clone());
            let resp = s.send("token request", req).await.unwrap();
            out.push((resp.status, resp.text()));
        }
        out
    });
    assert_eq!(statuses[0].0, 200, "{}", statuses[0].1);
    assert_eq!(
        statuses[1].0, 400,
        "the same proof twice: {}",
        statuses[1].1
    );
    // oidc-provider 9.13 answers a replayed proof at the token endpoint with `invalid_grant`
    // ("DPoP proof JWT Replay detected", its description hidden), not RFC 9449's
    // `invalid_dpop_proof`: measured, and asserted as it is.
    assert!(
        statuses[1].1.contains("invalid_grant") || statuses[1].1.contains("invalid_dpop_proof"),
        "{}",
        statuses[1].1
    );
}

/// Authorization code with a stored DPoP key, then `call` on userinfo: DPoP works, Bearer
/// is refused and its challenge read out.
#[test]
fn call_sends_the_bound_token_as_dpop_and_bearer_is_refused() {
    let p = Provider::start();
    let config = common::config_with_dpop_key();

    let c = p.native_client();
    let args = common::code_flow_args(p.issuer(), &c, &["--dpop-key", "dpop-key"]);
    let mut run = Grantscope::new(args)
        .config_dir(config.path())
        .spawn()
        .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    let (status, page) = deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["response"]["token_type"], "DPoP", "{doc:#}");
    let token = common::access_token_of(&doc);
    let userinfo = format!("{}/me", p.issuer());

    let doc = common::call_with_stored_dpop_key(config.path(), &userinfo, &token);
    assert_eq!(doc["scheme"], "DPoP");
    assert_eq!(doc["response"]["sub"], common::TEST_USER, "{doc:#}");
    let sent = &doc["exchanges"][0]["request"]["headers"];
    assert!(
        sent["Authorization"].as_str().unwrap().starts_with("DPoP "),
        "{sent:#}"
    );
    assert!(!doc.to_string().contains(&token), "the token is masked");
    let proof = sent["DPoP"].as_str().unwrap();
    let claims = common::jwt_claims(proof).unwrap();
    assert_eq!(
        claims["ath"],
        grantscope_core::oauth::dpop::ath(&token).as_str(),
        "ath binds the proof to the token"
    );

    // The bound token as a plain Bearer token: refused, and the challenge read out.
    let out = Grantscope::new(["call", &userinfo, "--token", &token, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["status"], 401, "{doc:#}");
    let challenges = doc["challenges"].as_array().unwrap();
    assert!(
        challenges.iter().any(|c| c["params"]["error"].is_string()),
        "{doc:#}"
    );

    // A different key's proof does not fit the token either.
    let out = Grantscope::new(["call", &userinfo, "--token", &token, "--dpop", "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
}

/// Runs authorization code at `p` as `client` with `extra` flags, plays the user, and
/// delivers the answer (a fragment answer as the relay page would: posted back). Returns the
/// authorize URL the browser was given and the JSON document.
fn run_code_flow(p: &Provider, client: &TestClient, extra: &[&str]) -> (String, Value) {
    let args = common::code_flow_args(p.issuer(), client, extra);
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    // A browser keeps the fragment to itself: the listener's relay page posts it back.
    let redirect = match redirect.split_once('#') {
        Some((before, fragment)) => format!("{} {before}?{fragment}", common::browser::FORM_POST),
        None => redirect,
    };
    let (status, page) = deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    (url, out.json().unwrap())
}

fn code_flow(p: &Provider, extra: &[&str]) -> (String, Value) {
    run_code_flow(p, &p.native_client(), extra)
}

fn pushed(doc: &Value) -> Option<&Value> {
    common::exchanges(doc, "pushed authorization request")
        .first()
        .copied()
}

#[test]
fn par_sends_only_a_request_uri_through_the_browser() {
    let p = Provider::start();
    let (url, doc) = code_flow(&p, &["--par", "--dpop"]);
    let params: Vec<(String, String)> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["client_id", "request_uri"], "{url}");
    let ex = pushed(&doc).expect("the pushed request is recorded");
    assert_eq!(ex["response"]["status"], 201, "{ex:#}");
    let body = ex["request"]["body"].as_str().unwrap();
    assert!(
        body.contains("code_challenge=") && body.contains("state="),
        "{body}"
    );
    assert!(
        body.contains("dpop_jkt="),
        "DPoP binds the code to the key: {body}"
    );
    assert!(
        ex["request"]["headers"]["DPoP"].is_string(),
        "the push carries a proof (RFC 9449 §10.1): {ex:#}"
    );
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");
    assert_eq!(doc["response"]["token_type"], "DPoP");

    // A provider that demands nonces: the push is retried once with the nonce it names.
    let p = Provider::start_with(&[("DPOP_NONCE", "1")]);
    let (_, doc) = code_flow(&p, &["--par", "--dpop"]);
    let pushes = common::exchanges(&doc, "pushed authorization request");
    assert_eq!(pushes.len(), 2, "{doc:#}");
    assert_eq!(pushes[0]["response"]["status"], 400);
    assert_eq!(pushes[1]["response"]["status"], 201);
    assert_eq!(doc["response"]["token_type"], "DPoP");
}

#[test]
fn a_server_that_requires_par_gets_it_without_asking() {
    let p = Provider::start_with(&[("REQUIRE_PAR", "1")]);
    let (url, doc) = code_flow(&p, &[]);
    assert!(url.contains("request_uri="), "{url}");
    assert!(pushed(&doc).is_some());
}

/// Authorization code for the HS256 client (its secret signs the request object), with flags.
fn hs_code_flow(p: &Provider, extra: &[&str]) -> (String, Value) {
    run_code_flow(p, &p.hs256_client().unwrap(), extra)
}

#[test]
fn a_signed_request_object_carries_the_request_by_value_and_inside_par() {
    let p = Provider::start();
    let (url, doc) = hs_code_flow(&p, &["--request-object"]);
    let q: std::collections::HashMap<String, String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let request = q.get("request").expect("a request object by value");
    assert!(
        !q.contains_key("state") && !q.contains_key("code_challenge"),
        "{url}"
    );
    let header = common::jwt_header(request).unwrap();
    assert_eq!(header["alg"], "HS256");
    let claims = common::jwt_claims(request).unwrap();
    assert_eq!(claims["aud"], p.issuer());
    assert!(claims["code_challenge"].is_string() && claims["state"].is_string());
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");

    let (url, doc) = hs_code_flow(&p, &["--request-object", "--par"]);
    assert!(url.contains("request_uri="), "{url}");
    let pushed = pushed(&doc).unwrap();
    let body = pushed["request"]["body"].as_str().unwrap();
    assert!(
        body.contains("request=") && !body.contains("state="),
        "{body}"
    );
    assert_eq!(doc["id_token"]["valid"], true);
}

#[test]
fn an_unsigned_request_object_is_only_sent_when_asked_and_is_flagged() {
    let p = Provider::start();
    let c = p.hs256_client().unwrap();
    let mut args = vec![
        "token".to_string(),
        "authorization-code".into(),
        "--issuer".into(),
        p.issuer().to_string(),
        "--scope".into(),
        "openid".into(),
        "--no-browser".into(),
        "--request-object-none".into(),
        "--wait".into(),
        "5".into(),
    ];
    args.extend(c.cli_args());
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let request = common::query_param(&url, "request").unwrap();
    assert_eq!(common::jwt_header(&request).unwrap()["alg"], "none");
    // The provider refuses it: its answer is an error, never a login page that leads to a code.
    let refused = p.complete_login(&url, common::TEST_USER);
    if let Ok(redirect) = refused {
        assert!(
            redirect.contains("error="),
            "an unsigned request object was accepted: {redirect}"
        );
    }
    let out = run.wait(T).unwrap();
    assert_ne!(out.code(), 0);
    assert!(
        out.stderr.contains("UNSIGNED request object"),
        "{}",
        out.stderr
    );
}

const PAYMENT: &str = r#"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A"}]"#;

#[test]
fn rar_details_go_out_and_the_granted_ones_come_back_beside_them() {
    let p = Provider::start();
    // oidc-provider wants a resource indicator with RAR.
    let (url, doc) = code_flow(
        &p,
        &[
            "--authorization-details",
            PAYMENT,
            "--resource",
            "urn:grantscope:api",
        ],
    );
    let sent = common::query_param(&url, "authorization_details")
        .expect("authorization_details on the authorization request");
    let sent: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(sent[0]["type"], "payment_initiation");
    let rar = &doc["authorization_details"];
    assert_eq!(rar["requested"][0]["creditorName"], "Merchant A", "{doc:#}");
    assert_eq!(rar["granted"][0]["type"], "payment_initiation", "{doc:#}");
    assert_eq!(rar["granted"][0]["instructedAmount"]["amount"], "123.50");

    // A detail the server's type refuses, and a value that is not RFC 9396 at all.
    let c = p.native_client();
    let mut args = vec![
        "token".to_string(),
        "authorization-code".into(),
        "--issuer".into(),
        p.issuer().to_string(),
        "--authorization-details".into(),
        r#"{"type":"payment_initiation"}"#.into(),
        "--json".into(),
    ];
    args.extend(c.cli_args());
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 2, "not an array: a usage error");
    assert!(
        out.json().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("array")
    );
}

#[test]
fn form_post_and_jarm_responses_are_received_and_jarm_is_verified_first() {
    let p = Provider::start();
    // form_post: the answer comes as a POST to the loopback listener.
    let (url, doc) = code_flow(&p, &["--response-mode", "form_post"]);
    assert!(url.contains("response_mode=form_post"), "{url}");
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");
    // JARM over the query and over form_post: a signed response JWT, verified, then used.
    for mode in ["query.jwt", "form_post.jwt"] {
        let (_, doc) = code_flow(&p, &["--response-mode", mode]);
        assert_eq!(doc["ok"], true, "{mode}: {doc:#}");
        let jwks = doc["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["step"].as_str().unwrap_or("").starts_with("JWKS"));
        assert!(jwks, "{mode}: the keys were fetched to verify the response");
    }
}

#[test]
fn a_jarm_response_with_a_bad_signature_is_refused() {
    let p = Provider::start();
    let c = p.native_client();
    let args = common::code_flow_args(p.issuer(), &c, &["--response-mode", "query.jwt"]);
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    // One character of the signature of the `response` JWT changed.
    let forged = common::forge_jwt_param(&redirect, "response");
    let (status, page) = deliver_redirect(&forged).unwrap();
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("does not verify"), "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1);
    let doc = out.json().unwrap();
    assert!(
        doc["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["step"] != "token request"),
        "no parameter of a forged response is used: {doc:#}"
    );
}

/// The legacy client (a native app: its loopback redirect may use any port).
fn legacy_flow(response_type: &str) -> Value {
    let p = Provider::start();
    let legacy = TestClient::public("legacy", "http://127.0.0.1/callback");
    let (_, doc) = run_code_flow(&p, &legacy, &["--response-type", response_type]);
    assert!(
        doc["deprecated"]
            .as_str()
            .unwrap()
            .contains("front channel"),
        "{doc:#}"
    );
    // The browser's part is not an exchange of the client's: grantscope did not send it.
    let exchanges = doc["exchanges"].as_array().unwrap();
    assert!(
        exchanges
            .iter()
            .all(|e| e["step"] != "authorization response (browser)"),
        "{doc:#}"
    );
    doc
}

#[test]
fn hybrid_code_id_token_checks_the_front_channel_id_token_c_hash() {
    let doc = legacy_flow("code id_token");
    let front = &doc["front_channel_id_token"];
    assert_eq!(check(front, "c_hash")["status"], "pass", "{front:#}");
    assert_eq!(front["valid"], true, "{front:#}");
    assert_eq!(doc["id_token"]["valid"], true);
}

#[test]
fn implicit_id_token_token_delivers_tokens_through_the_browser_flagged() {
    let doc = legacy_flow("id_token token");
    assert!(doc["response"]["access_token"].is_string(), "{doc:#}");
    let exchanges = doc["exchanges"].as_array().unwrap();
    assert!(
        exchanges.iter().all(|e| e["step"] != "token request"),
        "no token endpoint in the implicit flow"
    );
    assert_eq!(
        check(&doc["id_token"], "at_hash")["status"],
        "pass",
        "{doc:#}"
    );
}
