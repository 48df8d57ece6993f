//! The core's one way in, end to end against the real oidc-provider and the sandbox:
//! discovery that reads both metadata documents (oidc-provider with a split metadata set, as
//! django-oauth-toolkit serves it), HS256 ID tokens verified with the client secret in the
//! flow, and every secret a grant used masked in every export (`--json`, the human report
//! with its curl lines, the exchange views, HAR).

use crate::common;

use std::time::Duration;

use common::cli::Grantscope;
use common::sandbox::Sandbox;
use common::{Provider, TestClient, TestProvider, deliver_redirect, query_param};
use grantscope_core::connect::connect;
use grantscope_core::http::Exchange;
use grantscope_core::oauth::grants::authorization_code::RedirectSource;
use grantscope_core::oauth::{self, FlowEvent, GrantInputs, GrantKind};
use grantscope_core::profile::Profile;
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

fn machine_token(p: &dyn TestProvider, c: &TestClient) -> String {
    let mut a = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        p.issuer(),
        "--json".into(),
    ];
    a.extend(c.cli_args());
    let out = Grantscope::new(a).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// introspection_endpoint and revocation_endpoint only in the RFC 8414 document: `discover`
/// names which document supplied each endpoint, and introspect / revoke / watch
/// --revoke-after work with --issuer alone.
#[test]
fn split_metadata_is_merged_from_both_documents() {
    let p = Provider::start_with(&[("SPLIT_METADATA", "1")]);
    let issuer = p.issuer().to_string();
    // The provider really is split: its OpenID configuration lacks the two endpoints.
    let (status, openid) =
        common::get_json(&format!("{issuer}/.well-known/openid-configuration"), None).unwrap();
    assert_eq!(status, 200);
    assert!(openid.get("introspection_endpoint").is_none(), "{openid:#}");

    let out = Grantscope::new(["discover", &issuer, "--json"])
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    let rfc8414 = format!("{issuer}/.well-known/oauth-authorization-server");
    assert_eq!(
        doc["endpoint_sources"]["introspection_endpoint"],
        rfc8414.as_str(),
        "{doc:#}"
    );
    assert_eq!(
        doc["endpoint_sources"]["revocation_endpoint"],
        rfc8414.as_str()
    );
    assert_eq!(
        doc["endpoint_sources"]["token_endpoint"],
        format!("{issuer}/.well-known/openid-configuration").as_str()
    );
    assert_eq!(doc["documents"].as_array().unwrap().len(), 2);
    let human = Grantscope::new(["discover", &issuer]).run(T).unwrap();
    assert!(
        human.stdout.contains(&format!("(from {rfc8414})")),
        "{}",
        human.stdout
    );

    let c = p.machine_client();
    let token = machine_token(&p, &c);
    let call = |cmd: &str, extra: &[&str]| {
        let mut a = vec![
            cmd.to_string(),
            token.clone(),
            "--issuer".into(),
            issuer.clone(),
        ];
        a.extend(c.cli_args());
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("--json".into());
        Grantscope::new(a).run(T).unwrap()
    };
    let out = call("introspect", &[]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["active"], true);
    let steps: Vec<&str> = doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap())
        .collect();
    assert!(
        steps
            .iter()
            .any(|u| u.ends_with("/.well-known/oauth-authorization-server")),
        "both documents are recorded: {steps:?}"
    );
    assert!(
        out.stderr.is_empty(),
        "--json keeps stderr quiet: {}",
        out.stderr
    );

    let out = call("watch", &["--interval", "0.1", "--revoke-after", "0.3"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.json().unwrap()["report"]["first_rejected_ms"].is_u64());

    let token2 = machine_token(&p, &c);
    let mut a = vec![
        "revoke".to_string(),
        token2.clone(),
        "--issuer".into(),
        issuer.clone(),
    ];
    a.extend(c.cli_args());
    let out = Grantscope::new(a).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
}

/// Without discovery an endpoint that is needed is named by its flag, and the JSON error has
/// the one shape.
#[test]
fn a_missing_endpoint_is_named_by_its_flag_in_one_json_shape() {
    let out = Grantscope::new([
        "introspect",
        "some-token",
        "--client-id",
        "x",
        "--client-secret",
        "y",
        "--json",
    ])
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 2);
    let doc = out.json().unwrap();
    let e = &doc["error"];
    for key in ["message", "code", "description", "hint", "status", "kind"] {
        assert!(e.get(key).is_some(), "{key} in {e:#}");
    }
    assert_eq!(e["kind"], "config");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("--introspection-endpoint"),
        "{e:#}"
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

/// oidc-provider signs this client's ID tokens with HS256 and its secret: the flow verifies
/// them with the client secret (OpenID Connect Core §3.1.3.7 step 8, §10.1).
#[test]
fn hs256_id_token_is_verified_with_the_client_secret_in_the_flow() {
    let p = Provider::start();
    let c = p.hs256_client().expect("oidc-provider has an HS256 client");
    let args = common::code_flow_args(p.issuer(), &c, &[]);
    let mut run = Grantscope::new(args).spawn().unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    let (status, page) = deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let id = &doc["id_token"];
    assert_eq!(id["header"]["alg"], "HS256", "{id:#}");
    assert_eq!(id["signature"]["status"], "verified", "{id:#}");
    assert_eq!(id["valid"], true, "{id:#}");
    let secret = c.secret();
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
}

/// The values a request carried or a response delivered that are secret, read from the
/// revealed exchange: form fields, Authorization credentials, tokens in a JSON body.
fn secret_values(ex: &Exchange) -> Vec<String> {
    let mut out = Vec::new();
    let req = ex.request_view(true);
    if let Some(body) = &req.body {
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            if matches!(
                &*k,
                "client_secret"
                    | "code"
                    | "code_verifier"
                    | "refresh_token"
                    | "device_code"
                    | "password"
                    | "token"
            ) {
                out.push(v.into_owned());
            }
        }
    }
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("authorization")
            && let Some((_, cred)) = v.split_once(' ')
        {
            out.push(cred.to_string());
        }
    }
    if let Some(resp) = ex.response_view(true)
        && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&resp.body)
    {
        for k in ["access_token", "refresh_token", "id_token", "device_code"] {
            if let Some(Value::String(v)) = m.get(k) {
                out.push(v.clone());
            }
        }
    }
    out.retain(|v| v.len() >= 4);
    out
}

/// Every masked view of these exchanges, as one text.
fn every_masked_view(exchanges: &[Exchange]) -> String {
    let mut all = String::new();
    for ex in exchanges {
        all.push_str(&ex.to_json(false).to_string());
        all.push_str(&ex.to_curl(false));
        all.push_str(&format!("{ex:?}"));
        all.push_str(&ex.summary());
    }
    #[cfg(feature = "gui")]
    all.push_str(&grantscope_gui::history::to_har(exchanges, false).to_string());
    all
}

fn profile_for(p: &dyn TestProvider, c: &TestClient, scope: Option<&str>) -> Profile {
    let mut profile = Profile::new("secrets-test");
    profile.issuer = Some(p.issuer());
    profile.client_id = c.id.clone();
    profile.client_secret = c.secret.clone().map(Into::into);
    profile.auth_method = c.auth_method.parse().ok();
    profile.scope = scope.map(String::from);
    profile.redirect_uri = c.redirect_uri.clone();
    profile
}

/// Runs one grant through the core's one way in; returns every exchange of the run.
fn run_grant(
    p: &dyn TestProvider,
    profile: &Profile,
    grant: GrantKind,
    mut inputs: GrantInputs,
) -> (
    Vec<Exchange>,
    Option<grantscope_core::oauth::grants::TokenSuccess>,
) {
    let (url_tx, url_rx) = std::sync::mpsc::channel::<(String, String)>();
    let observed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Exchange>::new()));
    let seen = observed.clone();
    let observer: oauth::session::Observer = std::sync::Arc::new(move |e: FlowEvent| match e {
        // What a live view (the desktop app, History) gets must be masked as well.
        FlowEvent::Exchange(ex) => seen.lock().unwrap().push(*ex),
        FlowEvent::Authorize { url, .. } => {
            let _ = url_tx.send(("authorize".into(), url));
        }
        FlowEvent::DeviceCode {
            verification_uri,
            user_code,
            ..
        } => {
            let _ = url_tx.send((verification_uri, user_code));
        }
        _ => {}
    });
    let profile = profile.clone();
    let (paste_tx, paste_rx) = tokio::sync::oneshot::channel::<String>();
    if grant == GrantKind::AuthorizationCode {
        inputs.redirect = Some(RedirectSource::Paste(paste_rx));
    }
    inputs.wait = Some(Duration::from_secs(60));
    let flow = std::thread::spawn(move || {
        common::block_on(async move {
            let keys = grantscope_core::keys::KeyStore::new("no-stored-keys");
            let mut conn = connect(&profile, &keys, grant.endpoints(), Some(observer))
                .await
                .unwrap();
            let mut all = conn.session.exchanges().to_vec();
            let outcome = oauth::grants::run(grant, &mut conn, inputs).await;
            all.extend(outcome.exchanges);
            if let Err(e) = &outcome.result {
                eprintln!("{grant}: {e}");
            }
            (all, outcome.result.ok())
        })
    });
    match grant {
        GrantKind::AuthorizationCode => {
            let (_, url) = url_rx.recv_timeout(T).unwrap();
            let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
            assert!(query_param(&redirect, "code").is_some(), "{redirect}");
            paste_tx.send(redirect).unwrap();
        }
        GrantKind::DeviceCode => {
            let (verification_uri, user_code) = url_rx.recv_timeout(T).unwrap();
            p.complete_device(&verification_uri, &user_code).unwrap();
        }
        _ => drop(paste_tx),
    }
    let (mut all, ok) = flow.join().unwrap();
    // The observer's copies too: every exchange it was handed must mask like the record.
    let observed = observed.lock().unwrap().clone();
    assert!(!observed.is_empty());
    all.extend(observed);
    (all, ok)
}

fn assert_all_masked(label: &str, exchanges: &[Exchange]) {
    let secrets: Vec<String> = exchanges.iter().flat_map(secret_values).collect();
    assert!(!secrets.is_empty(), "{label}: the run carried secrets");
    let shown = every_masked_view(exchanges);
    for s in &secrets {
        assert!(
            !shown.contains(s.as_str()),
            "{label}: a secret value ({} chars) shows in a masked view",
            s.len()
        );
    }
}

fn every_grant_masks_every_secret(p: &dyn TestProvider) {
    let name = p.name().to_string();
    for c in [p.machine_client(), p.machine_post_client()] {
        let (ex, ok) = run_grant(
            p,
            &profile_for(p, &c, None),
            GrantKind::ClientCredentials,
            GrantInputs::default(),
        );
        assert!(
            ok.is_some(),
            "{name}: client credentials with {}",
            c.auth_method
        );
        assert_all_masked(
            &format!("{name} client credentials ({})", c.auth_method),
            &ex,
        );
    }
    let native = p.native_client();
    let profile = profile_for(p, &native, Some("openid offline_access"));
    let (ex, ok) = run_grant(
        p,
        &profile,
        GrantKind::AuthorizationCode,
        GrantInputs::default(),
    );
    let ok = ok.unwrap_or_else(|| panic!("{name}: authorization code"));
    assert_all_masked(&format!("{name} authorization code"), &ex);
    let refresh = ok.tokens.refresh_token.clone().expect("a refresh token");
    // No scope on the refresh: the original grant's scope is kept (RFC 6749 §6).
    let (ex, ok) = run_grant(
        p,
        &profile_for(p, &native, None),
        GrantKind::RefreshToken,
        GrantInputs {
            refresh_token: Some(refresh),
            ..GrantInputs::default()
        },
    );
    assert!(ok.is_some(), "{name}: refresh");
    assert_all_masked(&format!("{name} refresh"), &ex);
    let (ex, ok) = run_grant(
        p,
        &profile_for(p, &native, Some("openid")),
        GrantKind::DeviceCode,
        GrantInputs::default(),
    );
    assert!(ok.is_some(), "{name}: device");
    assert_all_masked(&format!("{name} device"), &ex);
}

#[test]
fn every_grant_masks_every_secret_at_oidc_provider() {
    every_grant_masks_every_secret(&Provider::start());
}

#[test]
fn every_grant_masks_every_secret_at_the_sandbox() {
    every_grant_masks_every_secret(&Sandbox::start());
}

/// The command line's exports: `--json` and the human report with its exchanges and curl
/// lines never carry the client secret or the code and verifier of the run.
#[test]
fn cli_exports_carry_no_secret() {
    let p = Provider::start();
    let c = p.machine_client();
    for json in [true, false] {
        let mut a = vec![
            "token".to_string(),
            "client-credentials".into(),
            "--issuer".into(),
            p.issuer().to_string(),
            "--show-exchanges".into(),
        ];
        if json {
            a.push("--json".into());
        }
        a.extend(c.cli_args());
        let out = Grantscope::new(a).run(T).unwrap();
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains(c.secret()), "json={json}");
        let basic = common::basic_auth_header(&c.id, c.secret());
        let credentials = basic.trim_start_matches("Basic ");
        assert!(!all.contains(credentials), "json={json}");
        if !json {
            assert!(out.stderr.contains("curl: "), "{}", out.stderr);
        }
    }
}
