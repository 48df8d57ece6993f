//! The sandbox's side of DPoP (RFC 9449) and its protected resource, `/api/resource`: proofs
//! checked at the token endpoint (typ, alg, public jwk, signature, htm/htu, iat, jti replay),
//! `token_type: DPoP` with `cnf.jkt`, the resource's RFC 6750 / RFC 9449 / RFC 9470
//! challenges, the nonce and step-up teaching switches. The first tests drive the router
//! in-process (no port); the last ones run the real `grantscope` binary against a sandbox.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::cli::Grantscope;
use common::sandbox::{seeded_basic, send};
use common::{Sandbox, TestProvider};
use common::{check, half_hash};
use grantscope_core::keys::{GenerateType, JwsAlg, PrivateKey, Signer, sign_compact};
use grantscope_core::oauth::dpop::{DpopKey, ath};
use grantscope_sandbox::{self as sandbox, SandboxConfig, TeachingSwitches};
use serde_json::{Map, Value, json};

// An issuer no socket listens on: the router answers without any network.
use common::sandbox::ROUTER_ISSUER as ISSUER;
const T: Duration = Duration::from_secs(60);

async fn router(keys: &tempfile::TempDir, teaching: TeachingSwitches) -> axum::Router {
    let config = SandboxConfig {
        teaching_switches: teaching,
        ..SandboxConfig::default()
    };
    common::sandbox::router(keys, config).await
}

fn url(path: &str) -> url::Url {
    url::Url::parse(&format!("{ISSUER}{path}")).unwrap()
}

fn now() -> i64 {
    grantscope_core::timefmt::now_unix()
}

fn token_request(proof: Option<&str>) -> Request<Body> {
    let mut r = Request::post("/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, seeded_basic("sandbox-machine"));
    if let Some(proof) = proof {
        r = r.header("DPoP", proof);
    }
    r.body(Body::from("grant_type=client_credentials")).unwrap()
}

fn resource_request(scheme: &str, token: &str, proof: Option<&str>) -> Request<Body> {
    let mut r =
        Request::get("/api/resource").header(header::AUTHORIZATION, format!("{scheme} {token}"));
    if let Some(proof) = proof {
        r = r.header("DPoP", proof);
    }
    r.body(Body::empty()).unwrap()
}

fn challenge(headers: &HeaderMap) -> String {
    headers
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// A hand-made proof: `header` members over the usual ones, `claims` members over the usual.
fn crafted(key: &PrivateKey, alg: JwsAlg, header: Value, claims: Value) -> String {
    let mut h = Map::new();
    h.insert("typ".into(), json!("dpop+jwt"));
    h.insert("jwk".into(), key.public_jwk());
    for (k, v) in header.as_object().unwrap() {
        h.insert(k.clone(), v.clone());
    }
    let mut c = json!({
        "jti": common::random_token(),
        "htm": "POST",
        "htu": format!("{ISSUER}/token"),
        "iat": now(),
    });
    for (k, v) in claims.as_object().unwrap() {
        c[k] = v.clone();
    }
    sign_compact(&h, &c, Signer::Key(key), alg).unwrap()
}

#[tokio::test]
async fn a_proof_at_the_token_endpoint_binds_the_token_and_the_resource_checks_it() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys, TeachingSwitches::default()).await;
    let key = DpopKey::generate().unwrap();
    let proof = key
        .proof("POST", &url("/token"), None, None, now())
        .unwrap();
    let (status, _, body) = send(&router, token_request(Some(&proof))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        common::jwt_claims(&token).unwrap()["cnf"]["jkt"],
        key.jkt().as_str()
    );

    // The same proof again: a replay.
    let (status, _, body) = send(&router, token_request(Some(&proof))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_dpop_proof");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used")
    );

    // At the resource, with a proof of the key and ath of the token.
    let resource = url("/api/resource");
    let proof = key
        .proof("GET", &resource, Some(&token), None, now())
        .unwrap();
    let (status, _, body) = send(&router, resource_request("DPoP", &token, Some(&proof))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["cnf"]["jkt"], key.jkt().as_str());
    assert_eq!(body["client_id"], "sandbox-machine");
    // Replayed at the resource.
    let (status, headers, _) = send(&router, resource_request("DPoP", &token, Some(&proof))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&headers).contains("invalid_dpop_proof"));

    // The bound token as Bearer: RFC 9449 §7.1 invalid_token under the DPoP scheme.
    let (status, headers, _) = send(&router, resource_request("Bearer", &token, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let c = challenge(&headers);
    assert!(
        c.starts_with("DPoP ") && c.contains("error=\"invalid_token\""),
        "{c}"
    );

    // A proof whose ath hashes another token.
    let wrong = key
        .proof("GET", &resource, Some("another"), None, now())
        .unwrap();
    let (status, headers, _) = send(&router, resource_request("DPoP", &token, Some(&wrong))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&headers).contains("invalid_dpop_proof"),
        "{}",
        challenge(&headers)
    );

    // A proof for another URL, and one of another key.
    let elsewhere = key
        .proof("GET", &url("/userinfo"), Some(&token), None, now())
        .unwrap();
    let (status, _, body) = send(&router, resource_request("DPoP", &token, Some(&elsewhere))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error_description"].as_str().unwrap().contains("htu"),
        "{body}"
    );
    let other = DpopKey::generate().unwrap();
    let proof = other
        .proof("GET", &resource, Some(&token), None, now())
        .unwrap();
    let (status, headers, _) = send(&router, resource_request("DPoP", &token, Some(&proof))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&headers).contains("invalid_token"));

    // Introspection says DPoP and names the key.
    let request = Request::post("/introspect")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, seeded_basic("sandbox-machine"))
        .body(Body::from(format!("token={token}")))
        .unwrap();
    let (_, _, body) = send(&router, request).await;
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["cnf"]["jkt"], key.jkt().as_str());
}

#[tokio::test]
async fn bearer_tokens_get_rfc_6750_challenges() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys, TeachingSwitches::default()).await;
    let (status, _, body) = send(&router, token_request(None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap().to_string();
    assert!(common::jwt_claims(&token).unwrap().get("cnf").is_none());

    let (status, _, body) = send(&router, resource_request("Bearer", &token, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");

    // An unbound token under the DPoP scheme is refused.
    let key = DpopKey::generate().unwrap();
    let proof = key
        .proof("GET", &url("/api/resource"), Some(&token), None, now())
        .unwrap();
    let (status, _, _) = send(&router, resource_request("DPoP", &token, Some(&proof))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, headers, _) = send(&router, resource_request("Bearer", "not-a-token", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let c = challenge(&headers);
    assert!(
        c.starts_with("Bearer ") && c.contains("error=\"invalid_token\""),
        "{c}"
    );

    // No token: both schemes offered, no error code (RFC 6750 §3.1).
    let request = Request::get("/api/resource").body(Body::empty()).unwrap();
    let (status, headers, _) = send(&router, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let c = challenge(&headers);
    assert!(
        c.starts_with("Bearer realm=") && c.contains("DPoP algs="),
        "{c}"
    );
    assert!(!c.contains("error="), "{c}");
}

#[tokio::test]
async fn malformed_proofs_are_refused_at_the_token_endpoint() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys, TeachingSwitches::default()).await;
    let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let es = JwsAlg::Es256;
    let cases: Vec<(&str, String)> = vec![
        ("typ", crafted(&key, es, json!({"typ": "JWT"}), json!({}))),
        ("htm", crafted(&key, es, json!({}), json!({"htm": "GET"}))),
        (
            "htu",
            crafted(
                &key,
                es,
                json!({}),
                json!({"htu": "http://elsewhere.invalid/token"}),
            ),
        ),
        (
            "iat",
            crafted(&key, es, json!({}), json!({"iat": now() - 3600})),
        ),
        ("jti", crafted(&key, es, json!({}), json!({"jti": ""}))),
        (
            "private key material",
            crafted(
                &key,
                es,
                json!({"jwk": serde_json::from_str::<Value>(&key_with_d(&key)).unwrap()}),
                json!({}),
            ),
        ),
        (
            "signature",
            crafted(
                &key,
                es,
                json!({"jwk": PrivateKey::generate(GenerateType::EcP256).unwrap().public_jwk()}),
                json!({}),
            ),
        ),
    ];
    for (what, proof) in cases {
        let (status, _, body) = send(&router, token_request(Some(&proof))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["error"], "invalid_dpop_proof", "{what}: {body}");
        assert!(
            body["error_description"].as_str().unwrap().contains(what),
            "{what}: {body}"
        );
    }
    // A symmetric alg is refused whatever the key.
    let secret_signed = {
        let mut h = Map::new();
        h.insert("typ".into(), json!("dpop+jwt"));
        h.insert("jwk".into(), key.public_jwk());
        let c = json!({"jti": "x", "htm": "POST", "htu": format!("{ISSUER}/token"), "iat": now()});
        sign_compact(&h, &c, Signer::Secret(b"secret"), JwsAlg::Hs256).unwrap()
    };
    let (status, _, body) = send(&router, token_request(Some(&secret_signed))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("asymmetric"),
        "{body}"
    );
    // A well-made one passes.
    let good = crafted(&key, es, json!({}), json!({}));
    let (status, _, body) = send(&router, token_request(Some(&good))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The key's public JWK with a (fake) private member added.
fn key_with_d(key: &PrivateKey) -> String {
    let mut jwk = key.public_jwk();
    jwk["d"] = json!("AAAA");
    jwk.to_string()
}

#[tokio::test]
async fn the_nonce_switch_demands_the_servers_nonce() {
    let keys = tempfile::tempdir().unwrap();
    let teaching = TeachingSwitches {
        require_dpop_nonce: true,
        ..TeachingSwitches::default()
    };
    let router = router(&keys, teaching).await;
    let key = DpopKey::generate().unwrap();
    let proof = key
        .proof("POST", &url("/token"), None, None, now())
        .unwrap();
    let (status, headers, body) = send(&router, token_request(Some(&proof))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "use_dpop_nonce");
    let nonce = headers["dpop-nonce"].to_str().unwrap().to_string();
    let wrong = key
        .proof("POST", &url("/token"), None, Some("made-up"), now())
        .unwrap();
    let (_, _, body) = send(&router, token_request(Some(&wrong))).await;
    assert_eq!(body["error"], "use_dpop_nonce");
    let proof = key
        .proof("POST", &url("/token"), None, Some(&nonce), now())
        .unwrap();
    let (status, _, body) = send(&router, token_request(Some(&proof))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();

    let resource = url("/api/resource");
    let proof = key
        .proof("GET", &resource, Some(&token), None, now())
        .unwrap();
    let (status, headers, _) = send(&router, resource_request("DPoP", &token, Some(&proof))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&headers).contains("error=\"use_dpop_nonce\""));
    let nonce = headers["dpop-nonce"].to_str().unwrap().to_string();
    let proof = key
        .proof("GET", &resource, Some(&token), Some(&nonce), now())
        .unwrap();
    let (status, _, body) = send(&router, resource_request("DPoP", &token, Some(&proof))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, _, doc) = send(
        &router,
        Request::get("/.well-known/openid-configuration")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        doc["grantscope_sandbox"]["teaching_switches"],
        json!(["require-dpop-nonce"])
    );
    assert!(
        doc["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
}

#[tokio::test]
async fn the_step_up_switch_answers_insufficient_user_authentication() {
    let keys = tempfile::tempdir().unwrap();
    let teaching = TeachingSwitches {
        require_step_up: true,
        ..TeachingSwitches::default()
    };
    let router = router(&keys, teaching).await;
    let (_, _, body) = send(&router, token_request(None)).await;
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, headers, body) = send(&router, resource_request("Bearer", &token, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "insufficient_user_authentication");
    let c = challenge(&headers);
    assert!(
        c.contains(&format!("acr_values=\"{}\"", sandbox::STEP_UP_ACR)),
        "{c}"
    );
    assert!(
        c.contains(&format!("max_age=\"{}\"", sandbox::STEP_UP_MAX_AGE)),
        "{c}"
    );

    let (_, _, meta) = send(
        &router,
        Request::get("/.well-known/oauth-protected-resource")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(meta["resource"], format!("{ISSUER}/api/resource"));
    assert_eq!(meta["authorization_servers"], json!([ISSUER]));
}

fn cc_args(sb: &Sandbox, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        sb.issuer().to_string(),
        "--json".into(),
    ];
    a.extend(sb.machine_client().cli_args());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn the_cli_gets_a_dpop_token_from_the_sandbox_and_calls_its_resource() {
    let sb = Sandbox::start();
    let config = common::config_with_dpop_key();
    let out = Grantscope::new(cc_args(&sb, &["--dpop-key", "dpop-key"]))
        .config_dir(config.path())
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["response"]["token_type"], "DPoP", "{doc:#}");
    assert_eq!(check(&doc["access_token"], "token_type")["status"], "pass");
    assert_eq!(check(&doc["access_token"], "cnf.jkt")["status"], "pass");
    let token = common::access_token_of(&doc);
    let resource = format!("{}/api/resource", sb.issuer());

    let doc = common::call_with_stored_dpop_key(config.path(), &resource, &token);
    assert_eq!(doc["scheme"], "DPoP");
    assert_eq!(doc["response"]["token_type"], "DPoP", "{doc:#}");
    let proof = doc["exchanges"][0]["request"]["headers"]["DPoP"]
        .as_str()
        .unwrap();
    assert_eq!(
        common::jwt_claims(proof).unwrap()["ath"],
        ath(&token).as_str()
    );

    // As Bearer: refused with the DPoP scheme's invalid_token, read out by `call`.
    let out = Grantscope::new(["call", &resource, "--token", &token, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["status"], 401);
    let c = &doc["challenges"][0];
    assert_eq!(c["scheme"], "DPoP", "{doc:#}");
    assert_eq!(c["params"]["error"], "invalid_token", "{doc:#}");

    // A plain Bearer token works as Bearer.
    let out = Grantscope::new(cc_args(&sb, &[])).run(T).unwrap();
    let doc = out.json().unwrap();
    assert_eq!(doc["response"]["token_type"], "Bearer");
    let bearer = doc["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let out = Grantscope::new(["call", &resource, "--token", &bearer, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["response"]["token_type"], "Bearer");
}

#[test]
fn the_cli_retries_once_with_the_sandboxs_nonce() {
    let sb = Sandbox::start_with(SandboxConfig {
        teaching_switches: TeachingSwitches {
            require_dpop_nonce: true,
            ..TeachingSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let config = common::config_with_dpop_key();
    let out = Grantscope::new(cc_args(&sb, &["--dpop-key", "dpop-key"]))
        .config_dir(config.path())
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let tries = common::exchanges(&doc, "token request");
    assert_eq!(tries.len(), 2, "{doc:#}");
    assert_eq!(tries[0]["response"]["status"], 400);
    assert_eq!(tries[1]["response"]["status"], 200);
    let token = common::access_token_of(&doc);

    let resource = format!("{}/api/resource", sb.issuer());
    let doc = common::call_with_stored_dpop_key(config.path(), &resource, &token);
    let calls = doc["exchanges"].as_array().unwrap();
    assert_eq!(
        calls.len(),
        2,
        "one challenged, one retried with the nonce: {doc:#}"
    );
    assert_eq!(calls[0]["response"]["status"], 401);
    assert_eq!(calls[1]["response"]["status"], 200);
}

#[test]
fn the_cli_reads_the_sandboxs_step_up_challenge() {
    let sb = Sandbox::start_with(SandboxConfig {
        teaching_switches: TeachingSwitches {
            require_step_up: true,
            ..TeachingSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let out = Grantscope::new(cc_args(&sb, &[])).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let token = out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let resource = format!("{}/api/resource", sb.issuer());
    let out = Grantscope::new(["call", &resource, "--token", &token, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let up = &doc["challenges"][0]["step_up"];
    assert_eq!(up["acr_values"], sandbox::STEP_UP_ACR, "{doc:#}");
    assert_eq!(up["max_age"], sandbox::STEP_UP_MAX_AGE, "{doc:#}");
}

fn par_request(authorization: &str, body: &str) -> Request<Body> {
    Request::post("/par")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, authorization)
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn authorize(router: &axum::Router, query: &str) -> (StatusCode, HeaderMap) {
    let request = Request::get(format!("/authorize?{query}"))
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(router, request).await;
    (status, headers)
}

#[tokio::test]
async fn a_pushed_request_is_single_use_and_the_switch_requires_it() {
    let keys = tempfile::tempdir().unwrap();
    let teaching = TeachingSwitches {
        require_par: true,
        ..TeachingSwitches::default()
    };
    let router = router(&keys, teaching).await;
    let web = sandbox::find_client("sandbox-web").unwrap();
    let redirect = web.redirect_uris[0];
    let (_, challenge) = common::pkce_pair();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let body = format!(
        "response_type=code&redirect_uri={}&scope=openid&state=s1&code_challenge={challenge}\
         &code_challenge_method=S256",
        enc(redirect)
    );

    // Without client authentication: refused.
    let (status, _, _) = send(&router, par_request("Basic eDp5", &body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A bad parameter is refused at the push, not at the browser.
    let (status, _, bad) = send(
        &router,
        par_request(&seeded_basic("sandbox-web"), &body.replace("S256", "plain")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["error"], "invalid_request");

    let (status, _, pushed) = send(&router, par_request(&seeded_basic("sandbox-web"), &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{pushed}");
    let request_uri = pushed["request_uri"].as_str().unwrap().to_string();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert!(pushed["expires_in"].as_u64().unwrap() <= 600);

    // Another client cannot use it (and its attempt does not spend it for its owner).
    let query = format!("client_id=sandbox-web&request_uri={}", enc(&request_uri));
    let (status, _) = authorize(
        &router,
        &format!("client_id=sandbox-native&request_uri={}", enc(&request_uri)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Single use is spent when its login is answered (RFC 9126 §4); a reload of the login page
    // before that works (a browser's second load; the probes' look before the login). That the
    // request_uri is refused once the login is answered is probed by par.request-uri.
    let (status, _) = authorize(&router, &query).await;
    assert_eq!(status, StatusCode::OK, "the login page");
    let (status, _) = authorize(&router, &query).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the login page again, before it is answered"
    );

    // The same parameters sent directly: refused back to the client under require-par.
    let direct = format!("client_id=sandbox-web&{body}");
    let (status, headers) = authorize(&router, &direct).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers[header::LOCATION].to_str().unwrap();
    assert!(
        location.starts_with(redirect) && location.contains("error=invalid_request"),
        "{location}"
    );

    let (_, _, doc) = send(
        &router,
        Request::get("/.well-known/openid-configuration")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        doc["pushed_authorization_request_endpoint"],
        format!("{ISSUER}/par")
    );
    assert_eq!(doc["require_pushed_authorization_requests"], true);
}

#[tokio::test]
async fn a_proof_on_the_pushed_request_is_checked_and_must_match_dpop_jkt() {
    let keys = tempfile::tempdir().unwrap();
    let teaching = TeachingSwitches {
        require_dpop_nonce: true,
        ..TeachingSwitches::default()
    };
    let router = router(&keys, teaching).await;
    let web = sandbox::find_client("sandbox-web").unwrap();
    let (_, challenge) = common::pkce_pair();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let body = format!(
        "response_type=code&redirect_uri={}&scope=openid&state=s1&code_challenge={challenge}\
         &code_challenge_method=S256",
        enc(web.redirect_uris[0])
    );
    let with_proof = |body: &str, proof: &str| {
        let mut r = par_request(&seeded_basic("sandbox-web"), body);
        r.headers_mut().insert("dpop", proof.parse().unwrap());
        r
    };
    let key = DpopKey::generate().unwrap();
    // Without the server's nonce: use_dpop_nonce, and the nonce comes in the header.
    let proof = key.proof("POST", &url("/par"), None, None, now()).unwrap();
    let (status, headers, answer) = send(&router, with_proof(&body, &proof)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "use_dpop_nonce");
    let nonce = headers["dpop-nonce"].to_str().unwrap().to_string();
    // A proof for another URL is not a proof for /par.
    let wrong = key
        .proof("POST", &url("/token"), None, Some(&nonce), now())
        .unwrap();
    let (status, _, answer) = send(&router, with_proof(&body, &wrong)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "invalid_dpop_proof", "{answer}");
    // dpop_jkt naming another key than the proof's: refused.
    let other = DpopKey::generate().unwrap();
    let proof = key
        .proof("POST", &url("/par"), None, Some(&nonce), now())
        .unwrap();
    let mismatched = format!("{body}&dpop_jkt={}", other.jkt());
    let (status, _, answer) = send(&router, with_proof(&mismatched, &proof)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "invalid_request");
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("dpop_jkt"),
        "{answer}"
    );
    // With the nonce and no dpop_jkt: accepted (the code is bound to the proof's key).
    let proof = key
        .proof("POST", &url("/par"), None, Some(&nonce), now())
        .unwrap();
    let (status, _, answer) = send(&router, with_proof(&body, &proof)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

/// Authorization code against the sandbox with the native client and `extra` flags; returns
/// the URL the browser was given and the JSON document.
fn sandbox_code_flow(sb: &Sandbox, extra: &[&str]) -> (String, Value) {
    code_flow_with(sb, sb.native_client(), extra)
}

fn code_flow_with(sb: &Sandbox, c: common::TestClient, extra: &[&str]) -> (String, Value) {
    let (url, out) = code_flow_output(sb, c, extra, true);
    (url, out.json().unwrap())
}

/// A code flow through the binary, the test as the browser; `json`: with `--json`.
fn code_flow_output(
    sb: &Sandbox,
    c: common::TestClient,
    extra: &[&str],
    json: bool,
) -> (String, common::cli::Output) {
    let mut args = common::code_flow_args(sb.issuer(), &c, extra);
    if !json {
        args.retain(|a| a != "--json");
    }
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = sb.complete_login(&url, common::TEST_USER).unwrap();
    let (status, page) = common::deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    (url, out)
}

#[test]
fn the_cli_pushes_its_request_to_the_sandbox() {
    let sb = Sandbox::start();
    let (url, doc) = sandbox_code_flow(&sb, &["--par", "--dpop"]);
    let names: Vec<String> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(names, ["client_id", "request_uri"], "{url}");
    let pushed = common::exchanges(&doc, "pushed authorization request");
    assert_eq!(pushed.len(), 1, "{doc:#}");
    assert_eq!(pushed[0]["response"]["status"], 201);
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");
    assert_eq!(doc["response"]["token_type"], "DPoP");
    assert_eq!(check(&doc["access_token"], "cnf.jkt")["status"], "pass");

    // A sandbox that requires PAR gets it without --par.
    let sb = Sandbox::start_with(SandboxConfig {
        teaching_switches: TeachingSwitches {
            require_par: true,
            ..TeachingSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let (url, doc) = sandbox_code_flow(&sb, &[]);
    assert!(url.contains("request_uri="), "{url}");
    assert_eq!(
        common::exchanges(&doc, "pushed authorization request").len(),
        1
    );

    // PAR and DPoP with required nonces: the push carries a proof, is asked for the nonce,
    // retries once with it, and the code is bound to the key.
    let sb = Sandbox::start_with(SandboxConfig {
        teaching_switches: TeachingSwitches {
            require_par: true,
            require_dpop_nonce: true,
            ..TeachingSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let (_, doc) = sandbox_code_flow(&sb, &["--dpop"]);
    let pushed = common::exchanges(&doc, "pushed authorization request");
    assert_eq!(pushed.len(), 2, "one nonce retry: {doc:#}");
    assert_eq!(pushed[0]["response"]["status"], 400);
    assert!(
        pushed[0]["response"]["body"]
            .to_string()
            .contains("use_dpop_nonce"),
        "{:#}",
        pushed[0]
    );
    assert_eq!(pushed[1]["response"]["status"], 201);
    assert!(
        pushed[1]["request"]["headers"]["DPoP"].is_string(),
        "the push carries a proof: {:#}",
        pushed[1]
    );
    assert_eq!(doc["response"]["token_type"], "DPoP");
}

const PAYMENT: &str = r#"[{"type":"payment_initiation","instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A"}]"#;

/// POSTs a token request to the running sandbox with an optional DPoP proof.
fn post_token(token_endpoint: &str, pairs: &[(&str, &str)], proof: Option<String>) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish();
    let token_endpoint = token_endpoint.to_string();
    common::block_on(async move {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut req = client
            .post(&token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(proof) = proof {
            req = req.header("DPoP", proof);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_str(&resp.text().await.unwrap()).unwrap(),
        )
    })
}

/// Logs in at the sandbox with a code request bound to `jkt` and asking for `PAYMENT`;
/// returns the code and the PKCE verifier.
fn bound_code(sb: &Sandbox, jkt: &str) -> (String, String) {
    let (verifier, challenge) = common::pkce_pair();
    let url = common::authorize_url(
        &format!("{}/authorize", sb.issuer()),
        &[
            ("response_type", "code"),
            ("client_id", "sandbox-native"),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("scope", "openid"),
            ("state", "s1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("dpop_jkt", jkt),
            ("authorization_details", PAYMENT),
        ],
    )
    .unwrap();
    let redirect = sb.complete_login(&url, common::TEST_USER).unwrap();
    (common::code_from_redirect(&redirect).unwrap(), verifier)
}

#[test]
fn a_code_bound_by_dpop_jkt_needs_that_keys_proof_and_rar_details_come_back() {
    let sb = Sandbox::start();
    let token_endpoint = format!("{}/token", sb.issuer());
    let token_url = url::Url::parse(&token_endpoint).unwrap();
    let key = DpopKey::generate().unwrap();
    let other = DpopKey::generate().unwrap();
    let form = |code: &str, verifier: &str| {
        vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".into(), code.to_string()),
            ("redirect_uri".into(), "http://127.0.0.1:9/callback".into()),
            ("client_id".into(), "sandbox-native".into()),
            ("code_verifier".into(), verifier.to_string()),
        ]
    };
    let send_form = |pairs: Vec<(String, String)>, proof: Option<String>| {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        post_token(&token_endpoint, &refs, proof)
    };

    // Another key's proof, and no proof at all: refused.
    let (code, verifier) = bound_code(&sb, &key.jkt());
    let proof = other.proof("POST", &token_url, None, None, now()).unwrap();
    let (status, body) = send_form(form(&code, &verifier), Some(proof));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("dpop_jkt"),
        "{body}"
    );
    let (code, verifier) = bound_code(&sb, &key.jkt());
    let (status, _) = send_form(form(&code, &verifier), None);
    assert_eq!(status, 400);

    // The key's proof: a DPoP token with the granted details.
    let (code, verifier) = bound_code(&sb, &key.jkt());
    let proof = key.proof("POST", &token_url, None, None, now()).unwrap();
    let (status, body) = send_form(form(&code, &verifier), Some(proof));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(
        body["authorization_details"][0]["creditorName"], "Merchant A",
        "{body}"
    );
    let access = common::jwt_claims(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(
        access["authorization_details"][0]["type"],
        "payment_initiation"
    );

    // A refresh of a public client's bound refresh token needs the same key.
    let refresh = body["refresh_token"]
        .as_str()
        .expect("the native client gets a refresh token");
    {
        let pairs = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", "sandbox-native"),
        ];
        let proof = other.proof("POST", &token_url, None, None, now()).unwrap();
        let (status, body) = post_token(&token_endpoint, &pairs, Some(proof));
        assert_eq!(status, 400, "{body}");
        let proof = key.proof("POST", &token_url, None, None, now()).unwrap();
        let (status, body) = post_token(&token_endpoint, &pairs, Some(proof));
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["authorization_details"][0]["type"],
            "payment_initiation"
        );
    }
}

#[test]
fn the_cli_sends_rar_details_to_the_sandbox_and_shows_the_granted_ones() {
    let sb = Sandbox::start();
    let (url, doc) = sandbox_code_flow(&sb, &["--authorization-details", PAYMENT]);
    assert!(url.contains("authorization_details="), "{url}");
    let rar = &doc["authorization_details"];
    assert_eq!(rar["requested"][0]["creditorName"], "Merchant A", "{doc:#}");
    assert_eq!(
        rar["granted"][0]["instructedAmount"]["amount"], "123.50",
        "{doc:#}"
    );

    // A type the sandbox does not know is refused back to the client.
    let c = sb.native_client();
    let mut args = vec![
        "token".to_string(),
        "authorization-code".into(),
        "--issuer".into(),
        sb.issuer().to_string(),
        "--no-browser".into(),
        "--authorization-details".into(),
        r#"[{"type":"crypto_swap"}]"#.into(),
        "--json".into(),
    ];
    args.extend(c.cli_args());
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    // The sandbox refuses before the login page: it redirects with the error at once.
    let redirect = common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(&url).send().await.unwrap();
        resp.headers()["location"].to_str().unwrap().to_string()
    });
    assert!(
        redirect.contains("error=invalid_authorization_details"),
        "{redirect}"
    );
    let _ = common::deliver_redirect(&redirect);
    let out = run.wait(T).unwrap();
    assert_ne!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("invalid_authorization_details"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}

/// The human report shows the requested and the granted authorization details too.
#[test]
fn the_human_report_shows_rar_details_requested_and_granted() {
    let sb = Sandbox::start();
    let (_, out) = code_flow_output(
        &sb,
        sb.native_client(),
        &["--authorization-details", PAYMENT],
        false,
    );
    let line = |prefix: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} line:\n{}", out.stdout))
            .to_owned()
    };
    assert!(line("authorization_details requested:").contains("Merchant A"));
    assert!(line("authorization_details granted:").contains("123.50"));
}

#[test]
fn the_cli_sends_signed_request_objects_to_the_sandbox() {
    let sb = Sandbox::start();
    let web = sb.web_client().unwrap();
    let (url, doc) = code_flow_with(&sb, web.clone(), &["--request-object"]);
    let request = common::query_param(&url, "request").expect("the request object by value");
    let header = common::jwt_header(&request).unwrap();
    assert_eq!(header["alg"], "HS256", "signed with the client secret");
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");

    // Inside a pushed request.
    let (url, doc) = code_flow_with(&sb, web.clone(), &["--request-object", "--par"]);
    assert!(url.contains("request_uri="), "{url}");
    let pushed = common::exchanges(&doc, "pushed authorization request");
    assert_eq!(pushed[0]["response"]["status"], 201, "{doc:#}");
    assert!(
        pushed[0]["request"]["body"]
            .as_str()
            .unwrap()
            .contains("request=")
    );
}

/// The sandbox's answer to `/authorize?query` without following redirects: status and body.
fn get_authorize(sb: &Sandbox, query: &str) -> (u16, String) {
    let url = format!("{}/authorize?{query}", sb.issuer());
    common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(&url).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

fn request_object(secret: &[u8], alg: JwsAlg, claims: Value) -> String {
    let header = Map::new();
    sign_compact(&header, &claims, Signer::Secret(secret), alg).unwrap()
}

#[test]
fn request_objects_are_checked_and_unsigned_ones_need_the_unsafe_switch() {
    let strict = Sandbox::start();
    let web = sandbox::find_client("sandbox-web").unwrap();
    let secret = web.secret.unwrap().as_bytes();
    let (_, challenge) = common::pkce_pair();
    let claims = |aud: &str, exp: i64| {
        json!({
            "iss": "sandbox-web", "aud": aud, "exp": exp, "response_type": "code",
            "client_id": "sandbox-web", "redirect_uri": "http://127.0.0.1:9/callback",
            "scope": "openid", "state": "s1", "code_challenge": challenge,
            "code_challenge_method": "S256",
        })
    };
    let query = |object: &str| {
        format!(
            "client_id=sandbox-web&request={}",
            url::form_urlencoded::byte_serialize(object.as_bytes()).collect::<String>()
        )
    };
    let good = request_object(secret, JwsAlg::Hs256, claims(strict.issuer(), now() + 300));
    let (status, page) = get_authorize(&strict, &query(&good));
    assert_eq!(status, 200, "the login page: {page}");
    for (what, object) in [
        (
            "signature",
            request_object(
                b"not-the-secret",
                JwsAlg::Hs256,
                claims(strict.issuer(), now() + 300),
            ),
        ),
        (
            "aud",
            request_object(
                secret,
                JwsAlg::Hs256,
                claims("https://elsewhere.invalid", now() + 300),
            ),
        ),
        (
            "expired",
            request_object(secret, JwsAlg::Hs256, claims(strict.issuer(), now() - 10)),
        ),
    ] {
        let (status, page) = get_authorize(&strict, &query(&object));
        assert_eq!(status, 400, "{what}: {page}");
        assert!(
            page.contains("invalid_request_object") && page.contains(what),
            "{what}: {page}"
        );
    }
    // Unsigned: refused unless the teaching switch is on.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = |issuer: &str| {
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none"})),
            b64(&claims(issuer, now() + 300))
        )
    };
    let (status, page) = get_authorize(&strict, &query(&unsigned(strict.issuer())));
    assert_eq!(status, 400);
    assert!(page.contains("unsigned"), "{page}");
    let relaxed = Sandbox::start_with(SandboxConfig {
        unsafe_switches: sandbox::UnsafeSwitches {
            accept_unsigned_request_object: true,
            ..sandbox::UnsafeSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let (status, page) = get_authorize(&relaxed, &query(&unsigned(relaxed.issuer())));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("unsafe-accept-unsigned-request-object"),
        "the banner says so"
    );
}

/// A certificate-bound token (RFC 8705 §3) at the resource: refused without its certificate,
/// accepted over mutual TLS with it.
#[tokio::test]
async fn a_certificate_bound_token_needs_its_certificate_at_the_resource() {
    use grantscope_core::http::{CaCerts, ClientIdentity, HttpClient, HttpOptions, HttpRequest};
    let (handle, _dir) = common::sandbox::start_handle(SandboxConfig::default()).await;
    let files = handle.client_files();
    let certs = grantscope_core::keys::Certificate::all_from_pem(
        &std::fs::read_to_string(&files.mtls_cert).unwrap(),
    )
    .unwrap();
    let key = grantscope_core::keys::read_key_file(&files.mtls_key)
        .unwrap()
        .key;
    let options = |identity: Option<ClientIdentity>| HttpOptions {
        ca_certs: vec![CaCerts::from_file(&files.ca_cert).unwrap()],
        client_identity: identity,
        timeout: Duration::from_secs(20),
        ..HttpOptions::default()
    };
    let identity = ClientIdentity::new("mtls", &certs, &key).unwrap();
    let mtls = HttpClient::new(&options(Some(identity))).unwrap();
    let plain = HttpClient::new(&options(None)).unwrap();
    let base = handle.tls_base();
    let req = HttpRequest::post_form(
        url::Url::parse(&format!("{base}/token")).unwrap(),
        &[
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("client_id".into(), "sandbox-mtls".into()),
        ],
    );
    let (_, resp) = mtls.send("token", req).await.map_err(|(_, e)| e).unwrap();
    let body = resp.json_value().unwrap();
    assert_eq!(resp.status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        common::jwt_claims(&token).unwrap()["cnf"]["x5t#S256"],
        files.mtls_x5t.as_str()
    );

    let call = |http: HttpClient, url: String| {
        let token = token.clone();
        async move {
            let req = HttpRequest::get(url::Url::parse(&url).unwrap())
                .header("Authorization", format!("Bearer {token}"));
            let (_, resp) = http.send("call", req).await.map_err(|(_, e)| e).unwrap();
            (
                resp.status,
                resp.header("www-authenticate").map(str::to_string),
            )
        }
    };
    let (status, _) = call(mtls.clone(), format!("{base}/api/resource")).await;
    assert_eq!(status, 200);
    let (status, challenge) = call(plain.clone(), format!("{base}/api/resource")).await;
    assert_eq!(status, 401);
    assert!(challenge.unwrap().contains("invalid_token"));
    let (status, _) = call(plain, format!("{}/api/resource", handle.issuer_str())).await;
    assert_eq!(status, 401);
    handle.shutdown().await.unwrap();
}

/// Signs in at the sandbox's login page for `authorize_url` with `otp` as the second factor;
/// returns the status and the `Location` of the answer.
fn login_with_otp(sb: &Sandbox, authorize_url: &str, otp: &str) -> (u16, Option<String>) {
    let (status, location, _) = login_raw(sb, authorize_url, Some(otp));
    (status, location)
}

/// Signs in as alice at the login page for `authorize_url` (with `otp` as the second factor
/// when given); returns the status, the `Location`, and the answer's CSP and body (one line
/// of CSP, then the body).
fn login_raw(
    sb: &Sandbox,
    authorize_url: &str,
    otp: Option<&str>,
) -> (u16, Option<String>, String) {
    let issuer = sb.issuer().to_string();
    let authorize_url = authorize_url.to_string();
    let otp = otp.map(str::to_string);
    common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let page = client.get(&authorize_url).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.unwrap();
        if otp.is_some() {
            assert!(
                html.contains(sandbox::STEP_UP_CODE),
                "the page shows the demo code"
            );
        }
        let form = common::browser::forms(&html)
            .into_iter()
            .find(|f| f.input("request_id").is_some())
            .expect("the login form");
        let request_id = form
            .input("request_id")
            .unwrap()
            .attr("value")
            .unwrap()
            .to_string();
        let mut pairs = vec![
            ("request_id", request_id.as_str()),
            ("username", "alice"),
            ("password", sandbox::find_user("alice").unwrap().password),
            ("decision", "approve"),
        ];
        if let Some(otp) = otp.as_deref() {
            pairs.push(("otp", otp));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let resp = client
            .post(format!("{issuer}/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let csp = resp
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = resp.text().await.unwrap();
        (status, location, format!("{csp}\n{body}"))
    })
}

#[test]
fn a_step_up_login_satisfies_the_resource() {
    let sb = Sandbox::start_with(SandboxConfig {
        teaching_switches: TeachingSwitches {
            require_step_up: true,
            ..TeachingSwitches::default()
        },
        ..SandboxConfig::default()
    });
    let token_endpoint = format!("{}/token", sb.issuer());
    let resource = format!("{}/api/resource", sb.issuer());
    let (verifier, challenge) = common::pkce_pair();
    let url = common::authorize_url(
        &format!("{}/authorize", sb.issuer()),
        &[
            ("response_type", "code"),
            ("client_id", "sandbox-native"),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("scope", "openid"),
            ("state", "s1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("acr_values", sandbox::STEP_UP_ACR),
            ("max_age", "300"),
        ],
    )
    .unwrap();
    // A wrong second factor: the login page again, no code.
    let (status, location) = login_with_otp(&sb, &url, "000000");
    assert_eq!(status, 401);
    assert!(location.is_none());

    let (status, location) = login_with_otp(&sb, &url, sandbox::STEP_UP_CODE);
    assert_eq!(status, 303);
    let code = common::code_from_redirect(&location.unwrap()).unwrap();
    let (status, body) = post_token(
        &token_endpoint,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("client_id", "sandbox-native"),
            ("code_verifier", &verifier),
        ],
        None,
    );
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        common::jwt_claims(&access).unwrap()["acr"],
        sandbox::STEP_UP_ACR
    );
    assert_eq!(
        common::jwt_claims(body["id_token"].as_str().unwrap()).unwrap()["acr"],
        sandbox::STEP_UP_ACR
    );
    let out = Grantscope::new(["call", &resource, "--token", &access, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["response"]["acr"], sandbox::STEP_UP_ACR);

    // The refreshed token carries no acr: the resource asks again.
    let (status, body) = post_token(
        &token_endpoint,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
            ("client_id", "sandbox-native"),
        ],
        None,
    );
    assert_eq!(status, 200, "{body}");
    let refreshed = body["access_token"].as_str().unwrap();
    let out = Grantscope::new(["call", &resource, "--token", refreshed, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 1);
    assert!(out.json().unwrap()["challenges"][0]["step_up"].is_object());
}

fn code_request_url(sb: &Sandbox, extra: &[(&str, &str)]) -> String {
    let (_, challenge) = common::pkce_pair();
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", "sandbox-native"),
        ("redirect_uri", "http://127.0.0.1:9/callback"),
        ("scope", "openid"),
        ("state", "s1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    common::authorize_url(&format!("{}/authorize", sb.issuer()), &params).unwrap()
}

/// Verifies a JARM response JWT with the CLI's inspector against the sandbox's JWKS.
fn inspect_jarm(sb: &Sandbox, jwt: &str) -> Value {
    let out = Grantscope::new([
        "inspect",
        jwt,
        "--issuer",
        sb.issuer(),
        "--audience",
        "sandbox-native",
        "--json",
    ])
    .run(T)
    .unwrap();
    out.json().unwrap()
}

fn posting_form(page: &str) -> common::browser::Form {
    common::browser::forms(page)
        .into_iter()
        .find(|f| f.method.eq_ignore_ascii_case("post"))
        .expect("a form that posts")
}

#[test]
fn the_sandbox_answers_in_form_post_and_jarm_modes() {
    let sb = Sandbox::start();
    // form_post: a page that posts code, state and iss to the redirect URI.
    let url = code_request_url(&sb, &[("response_mode", "form_post")]);
    let (status, location, page) = login_raw(&sb, &url, None);
    assert_eq!(status, 200, "{page}");
    assert!(location.is_none());
    let form = posting_form(&page);
    assert_eq!(form.action.as_deref(), Some("http://127.0.0.1:9/callback"));
    assert!(form.input("code").is_some());
    assert_eq!(form.input("state").unwrap().attr("value"), Some("s1"));
    assert!(
        page.starts_with("default-src 'none'; script-src 'sha256-"),
        "{page}"
    );

    // query.jwt (and its alias jwt): one `response` parameter, a JWT signed by the sandbox.
    for mode in ["query.jwt", "jwt"] {
        let url = code_request_url(&sb, &[("response_mode", mode)]);
        let (status, location, _) = login_raw(&sb, &url, None);
        assert_eq!(status, 303);
        let location = location.unwrap();
        assert!(
            common::query_param(&location, "code").is_none(),
            "{location}"
        );
        let jwt = common::query_param(&location, "response").unwrap();
        let doc = inspect_jarm(&sb, &jwt);
        assert_eq!(doc["valid"], true, "{doc:#}");
        let c = common::jwt_claims(&jwt).unwrap();
        assert_eq!(c["iss"], sb.issuer());
        assert_eq!(c["aud"], "sandbox-native");
        assert_eq!(c["state"], "s1");
        assert!(c["code"].is_string() && c["exp"].is_u64(), "{c}");
    }

    // fragment.jwt: the JWT in the fragment.
    let url = code_request_url(&sb, &[("response_mode", "fragment.jwt")]);
    let (_, location, _) = login_raw(&sb, &url, None);
    let location = url::Url::parse(&location.unwrap()).unwrap();
    assert!(location.query().is_none());
    assert!(location.fragment().unwrap().starts_with("response="));

    // form_post.jwt: the page posts the one JWT.
    let url = code_request_url(&sb, &[("response_mode", "form_post.jwt")]);
    let (status, _, page) = login_raw(&sb, &url, None);
    assert_eq!(status, 200);
    let form = posting_form(&page);
    assert!(form.input("code").is_none());
    let jwt = form
        .input("response")
        .unwrap()
        .attr("value")
        .unwrap()
        .to_string();
    assert_eq!(common::jwt_claims(&jwt).unwrap()["aud"], "sandbox-native");

    // An error goes back inside the JWT too; an unknown mode is refused (in query mode).
    let url = code_request_url(&sb, &[("response_mode", "jwt"), ("prompt", "none")]);
    let (status, location) = common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(&url).send().await.unwrap();
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        (resp.status().as_u16(), location)
    });
    assert_eq!(status, 302);
    let jwt = common::query_param(&location, "response").unwrap();
    assert_eq!(common::jwt_claims(&jwt).unwrap()["error"], "login_required");
    let url = code_request_url(&sb, &[("response_mode", "carrier_pigeon")]);
    let (status, location) = common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(&url).send().await.unwrap();
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        (resp.status().as_u16(), location)
    });
    assert_eq!(status, 302);
    assert!(
        location.contains("error=invalid_request") && location.contains("carrier_pigeon"),
        "{location}"
    );
}

/// The parameters of a redirect's fragment.
fn fragment_params(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url::form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn implicit_and_hybrid_answer_only_behind_the_unsafe_switch() {
    let auto = |allow_implicit: bool| {
        Sandbox::start_with(SandboxConfig {
            auto_approve: Some("alice".into()),
            unsafe_switches: sandbox::UnsafeSwitches {
                allow_implicit,
                ..sandbox::UnsafeSwitches::default()
            },
            ..SandboxConfig::default()
        })
    };
    let location = |sb: &Sandbox, extra: &[(&str, &str)]| {
        let mut params = vec![
            ("client_id", "sandbox-native"),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("scope", "openid"),
            ("state", "s1"),
            ("nonce", "n-0S6_WzA2Mj"),
        ];
        params.extend_from_slice(extra);
        let url = common::authorize_url(&format!("{}/authorize", sb.issuer()), &params).unwrap();
        common::block_on(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .unwrap();
            let resp = client.get(&url).send().await.unwrap();
            resp.headers()["location"].to_str().unwrap().to_string()
        })
    };

    let strict = auto(false);
    let refused = location(&strict, &[("response_type", "token")]);
    assert!(
        refused.contains("error=unsupported_response_type"),
        "{refused}"
    );

    let sb = auto(true);
    // Implicit: the access token in the fragment, and it works at the resource.
    let answer = fragment_params(&location(&sb, &[("response_type", "token")]));
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["state"], "s1");
    assert!(!answer.contains_key("code") && !answer.contains_key("refresh_token"));
    let resource = format!("{}/api/resource", sb.issuer());
    let out = Grantscope::new([
        "call",
        &resource,
        "--token",
        &answer["access_token"],
        "--json",
    ])
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);

    // id_token token: at_hash ties the ID token to the access token.
    let answer = fragment_params(&location(&sb, &[("response_type", "id_token token")]));
    let id = common::jwt_claims(&answer["id_token"]).unwrap();
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["at_hash"], half_hash(&answer["access_token"]).as_str());

    // Hybrid code id_token: c_hash ties it to the code, no at_hash, and the code redeems.
    let (verifier, challenge) = common::pkce_pair();
    let answer = fragment_params(&location(
        &sb,
        &[
            ("response_type", "code id_token"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    ));
    assert!(!answer.contains_key("access_token"));
    let id = common::jwt_claims(&answer["id_token"]).unwrap();
    assert_eq!(id["c_hash"], half_hash(&answer["code"]).as_str());
    assert!(id.get("at_hash").is_none(), "{id}");
    let (status, body) = post_token(
        &format!("{}/token", sb.issuer()),
        &[
            ("grant_type", "authorization_code"),
            ("code", &answer["code"]),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("client_id", "sandbox-native"),
            ("code_verifier", &verifier),
        ],
        None,
    );
    assert_eq!(status, 200, "{body}");

    // The ID token in the front channel needs a nonce; tokens never go in the query.
    let no_nonce = common::authorize_url(
        &format!("{}/authorize", sb.issuer()),
        &[
            ("client_id", "sandbox-native"),
            ("redirect_uri", "http://127.0.0.1:9/callback"),
            ("scope", "openid"),
            ("response_type", "id_token"),
        ],
    )
    .unwrap();
    let refused = common::block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let resp = client.get(&no_nonce).send().await.unwrap();
        resp.headers()["location"].to_str().unwrap().to_string()
    });
    assert!(
        refused.contains("error=invalid_request") && !refused.contains("id_token="),
        "{refused}"
    );
    let query = location(
        &sb,
        &[("response_type", "token"), ("response_mode", "query")],
    );
    assert!(query.contains("error=invalid_request"), "{query}");
    assert!(!query.contains("access_token"), "{query}");
}
