//! End-to-end: every grant run by the real `grantscope` binary against a real authorization
//! server, and the failures a user meets. One suite, run against each provider: panva's
//! oidc-provider (an independent, certified OpenID Provider) and grantscope's own sandbox.

use crate::common;

use std::time::Duration;

use common::cli::Grantscope;
use common::{TestClient, TestProvider, deliver_redirect, query_param};
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

fn issuer_args(p: &dyn TestProvider) -> Vec<String> {
    vec!["--issuer".into(), p.issuer()]
}

fn token_cmd(
    grant: &str,
    p: &dyn TestProvider,
    client: &TestClient,
    extra: &[&str],
) -> Vec<String> {
    let mut a = vec!["token".to_string(), grant.to_string()];
    a.extend(issuer_args(p));
    a.extend(client.cli_args());
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push("--json".into());
    a
}

fn check_status<'a>(inspection: &'a Value, id: &str) -> Option<&'a str> {
    inspection["checks"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
}

fn token_exchange(doc: &Value) -> &Value {
    doc["exchanges"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .rev()
                .find(|e| e["step"] == "token request" || e["step"] == "refresh request")
        })
        .unwrap_or(&Value::Null)
}

pub fn client_credentials_basic(p: &dyn TestProvider) {
    let c = p.machine_client();
    let out = Grantscope::new(token_cmd("client-credentials", p, &c, &[]))
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["grant"], "client_credentials");
    assert_eq!(doc["ok"], true);
    assert!(doc["response"]["access_token"].is_string());
    let ex = token_exchange(&doc);
    assert_eq!(ex["request"]["method"], "POST");
    assert_eq!(ex["request"]["headers"]["Authorization"], "Basic ••••••");
    assert_eq!(ex["response"]["status"], 200);
    assert!(
        !out.stdout.contains(c.secret()),
        "the secret leaked into the output"
    );
    // --reveal-secrets shows the real Basic credentials.
    let mut args = token_cmd("client-credentials", p, &c, &["--reveal-secrets"]);
    args.retain(|a| a != "--json");
    args.push("--json".into());
    let out = Grantscope::new(args).run(T).unwrap();
    let doc = out.json().unwrap();
    let auth = token_exchange(&doc)["request"]["headers"]["Authorization"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(auth, common::basic_auth_header(&c.id, c.secret()));
}

pub fn client_credentials_post(p: &dyn TestProvider) {
    let c = p.machine_post_client();
    let out = Grantscope::new(token_cmd("client-credentials", p, &c, &[]))
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    let ex = token_exchange(&doc);
    let body = ex["request"]["body"].as_str().unwrap();
    assert!(body.contains("client_secret=••••••"), "{body}");
    assert!(ex["request"]["headers"].get("Authorization").is_none());
}

pub fn client_credentials_reserved_characters(p: &dyn TestProvider) {
    let c = p.reserved_chars_client();
    assert!(c.id.contains(':') && c.secret().contains(['@', ':', '/', '+', '%', '&', '=']));
    let out = Grantscope::new(token_cmd("client-credentials", p, &c, &[]))
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let ex = token_exchange(&doc);
    assert_eq!(ex["request"]["headers"]["Authorization"], "Basic ••••••");
    assert!(doc["response"]["access_token"].is_string(), "{doc:#}");
}

pub fn jwt_access_token_verifies(p: &dyn TestProvider) {
    let Some(resource) = p.jwt_resource() else {
        return;
    };
    let c = p.machine_client();
    let out = Grantscope::new(token_cmd(
        "client-credentials",
        p,
        &c,
        &["--resource", &resource],
    ))
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    let at = &doc["access_token"];
    assert_eq!(at["format"], "jwt");
    assert_eq!(at["signature"]["status"], "verified", "{at:#}");
    assert_eq!(at["valid"], true, "{at:#}");
    assert_eq!(check_status(at, "aud"), Some("pass"));
    assert_eq!(check_status(at, "typ"), Some("pass"));
    assert!(
        doc["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |e| e["request"]["url"].as_str().unwrap_or("").contains("jwks")
                    || e["step"].as_str().unwrap_or("").contains("jwks")
            ),
        "the JWKS fetch is among the exchanges"
    );
}

pub fn wrong_secret_is_invalid_client(p: &dyn TestProvider) {
    let mut c = p.machine_client();
    c.secret = Some("not-the-secret".into());
    let out = Grantscope::new(token_cmd("client-credentials", p, &c, &[]))
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 1, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["code"], "invalid_client");
    assert!(
        doc["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("wrong client id or secret")
    );
}

/// Runs authorization code + PKCE through the CLI; returns the JSON document.
fn authorization_code(p: &dyn TestProvider, scope: &str) -> Value {
    let c = p.native_client();
    let mut run = Grantscope::new(token_cmd(
        "authorization-code",
        p,
        &c,
        &["--scope", scope, "--no-browser"],
    ))
    .spawn()
    .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&url, "state").is_some());
    let redirect_uri = query_param(&url, "redirect_uri").unwrap();
    assert!(
        redirect_uri.starts_with("http://127.0.0.1:"),
        "{redirect_uri}"
    );
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    let (status, page) = deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    out.json().unwrap()
}

pub fn authorization_code_pkce_and_refresh_rotation(p: &dyn TestProvider) {
    let doc = authorization_code(p, "openid offline_access");
    assert_eq!(doc["grant"], "authorization_code");
    // The exchanges are what the client sent: the browser's redirect is not one of them.
    let steps: Vec<&str> = doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["step"].as_str())
        .collect();
    assert!(
        steps.iter().all(|s| !s.contains("browser")) && steps.contains(&"token request"),
        "{steps:?}"
    );
    let id = &doc["id_token"];
    assert_eq!(id["valid"], true, "{id:#}");
    assert_eq!(check_status(id, "nonce"), Some("pass"), "{id:#}");
    let ex = token_exchange(&doc);
    let body = ex["request"]["body"].as_str().unwrap();
    assert!(body.contains("code_verifier="), "{body}");
    assert!(
        !body.contains("client_secret"),
        "a public client sends no secret"
    );
    assert!(ex["request"]["headers"].get("Authorization").is_none());

    let refresh = doc["response"]["refresh_token"]
        .as_str()
        .expect("a refresh token for offline_access")
        .to_string();
    let c = p.native_client();
    let out = Grantscope::new(token_cmd(
        "refresh-token",
        p,
        &c,
        &["--refresh-token", &refresh],
    ))
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["grant"], "refresh_token");
    assert_eq!(doc["refresh_token_rotated"], true, "{doc:#}");
    let rotated = doc["response"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let access = doc["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // userinfo with the new access token names the user who signed in.
    let mut args = vec!["userinfo".to_string(), access];
    args.extend(issuer_args(p));
    args.push("--json".into());
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.json().unwrap()["response"]["sub"].is_string());

    // keep: one more refresh through the keeper, which reports the rotation.
    let mut args = vec!["keep".to_string()];
    args.extend(issuer_args(p));
    args.extend(c.cli_args());
    args.extend([
        "--refresh-token".to_string(),
        rotated.clone(),
        "--rounds".into(),
        "1".into(),
        "--json".into(),
    ]);
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let kept = out.json().unwrap();
    assert_eq!(kept["rotations"], 1, "{kept:#}");
    assert_ne!(
        kept["response"]["refresh_token"].as_str(),
        Some(rotated.as_str())
    );
    // The old refresh token was rotated away: using it again fails.
    let out = Grantscope::new(token_cmd(
        "refresh-token",
        p,
        &c,
        &["--refresh-token", &refresh],
    ))
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 1, "{}", out.stdout);
    assert_eq!(out.json().unwrap()["error"]["code"], "invalid_grant");
}

pub fn device_flow(p: &dyn TestProvider) {
    let c = p.native_client();
    let mut run = Grantscope::new(token_cmd("device-code", p, &c, &["--scope", "openid"]))
        .spawn()
        .unwrap();
    let verify = run.wait_for_stderr("verify: ", T).unwrap();
    let user_code = run.wait_for_stderr("user_code: ", T).unwrap();
    p.complete_device(&verify, &user_code).unwrap();
    let out = run.wait(Duration::from_secs(120)).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["grant"], "device_code");
    assert!(doc["response"]["access_token"].is_string());
    let polls = common::exchanges(&doc, "token poll").len();
    assert!(polls >= 1, "{doc:#}");
}

pub fn wrong_state_is_rejected(p: &dyn TestProvider) {
    let c = p.native_client();
    let mut run = Grantscope::new(token_cmd(
        "authorization-code",
        p,
        &c,
        &["--scope", "openid", "--no-browser"],
    ))
    .spawn()
    .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect_uri = query_param(&url, "redirect_uri").unwrap();
    let (status, page) =
        deliver_redirect(&format!("{redirect_uri}?code=forged&state=not-ours")).unwrap();
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("state"), "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1);
    let doc = out.json().unwrap();
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("state"),
        "{doc:#}"
    );
    assert!(
        doc["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["step"] != "token request"),
        "a forged code must never reach the token endpoint"
    );
}

pub fn denied_login_is_reported(p: &dyn TestProvider) {
    let c = p.native_client();
    let mut run = Grantscope::new(token_cmd(
        "authorization-code",
        p,
        &c,
        &["--scope", "openid", "--no-browser"],
    ))
    .spawn()
    .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = p.deny_login(&url).unwrap();
    let _ = deliver_redirect(&redirect).unwrap();
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 1, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["code"], "access_denied", "{doc:#}");
}

/// The library path: a code exchanged with the wrong PKCE verifier is refused.
pub fn wrong_verifier_is_invalid_grant(p: &dyn TestProvider) {
    use grantscope_core::http::{HttpClient, HttpOptions};
    use grantscope_core::oauth::grants::authorization_code::{build_request, exchange_code};
    use grantscope_core::oauth::{ClientConfig, Session, discovery, pkce};
    let issuer = p.issuer();
    let c = p.native_client();
    // Any loopback port is accepted for a native client; nothing needs to listen here.
    let redirect_uri = url::Url::parse("http://127.0.0.1:45678/callback").unwrap();
    let (cfg, req) = common::block_on({
        let redirect_uri = redirect_uri.clone();
        async move {
            let mut session = Session::new(HttpClient::new(&HttpOptions::default()).unwrap());
            let d = discovery::discover(&mut session, &url::Url::parse(&issuer).unwrap())
                .await
                .unwrap();
            let cfg = ClientConfig {
                endpoints: d.endpoints,
                client_id: c.id.clone(),
                scope: Some("openid".into()),
                ..Default::default()
            };
            let req = build_request(&cfg, &redirect_uri).unwrap();
            (cfg, req)
        }
    });
    let redirect = p
        .complete_login(req.url.as_str(), common::TEST_USER)
        .unwrap();
    let code = common::code_from_redirect(&redirect).unwrap();
    let wrong = grantscope_core::secret::PkceVerifier::new(pkce::new_verifier(64));
    assert_ne!(Some(&wrong), req.code_verifier.as_ref());
    let err = common::block_on(async move {
        let mut session = Session::new(HttpClient::new(&HttpOptions::default()).unwrap());
        exchange_code(
            &mut session,
            &cfg,
            &code.into(),
            &redirect_uri,
            Some(&wrong),
        )
        .await
        .unwrap_err()
    });
    assert_eq!(err.oauth_code(), Some("invalid_grant"), "{err}");
    assert_eq!(err.exit_code(), 1);
}

/// Introspection says active, revocation (made by `watch`) makes it inactive, and `watch`
/// measures when the server stopped accepting the token.
pub fn introspect_revoke_watch(p: &dyn TestProvider) {
    let c = p.machine_client();
    let out = Grantscope::new(token_cmd("client-credentials", p, &c, &[]))
        .run(T)
        .unwrap();
    let token = out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let call = |cmd: &str, extra: &[&str]| {
        let mut a = vec![cmd.to_string(), token.clone()];
        a.extend(issuer_args(p));
        a.extend(c.cli_args());
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("--json".into());
        Grantscope::new(a).run(T).unwrap()
    };
    let out = call("introspect", &["--hint", "access_token"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["active"], true);

    let out = call("watch", &["--interval", "0.1", "--revoke-after", "0.3"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let report = &doc["report"];
    assert!(report["revoked_at_ms"].is_u64(), "{doc:#}");
    assert!(report["first_rejected_ms"].is_u64(), "{doc:#}");
    assert!(report["rejected_after_revocation_ms"].as_i64().unwrap() >= 0);
    let samples = report["samples"].as_array().unwrap();
    assert!(
        samples[0]["accepted"] == true,
        "accepted before the revocation: {doc:#}"
    );
    assert!(doc["summary"].as_str().unwrap().starts_with("revoked at "));

    let out = call("introspect", &[]);
    assert_eq!(out.code(), 1, "an inactive token exits 1");
    assert_eq!(out.json().unwrap()["active"], false);
}

/// The manual path: the user pastes the redirect URL instead of a loopback listener.
pub fn pasted_redirect(p: &dyn TestProvider) {
    use grantscope_core::http::{HttpClient, HttpOptions};
    use grantscope_core::oauth::grants::authorization_code::{RedirectSource, run};
    use grantscope_core::oauth::{ClientConfig, FlowEvent, Session, discovery};
    let issuer = p.issuer();
    let c = p.native_client();
    let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
    let (paste_tx, paste_rx) = tokio::sync::oneshot::channel::<String>();
    let flow = std::thread::spawn(move || {
        common::block_on(async move {
            let observer = std::sync::Arc::new(move |e: FlowEvent| {
                if let FlowEvent::Authorize { url, opened } = e {
                    assert!(!opened, "the paste path never opens a browser");
                    let _ = url_tx.send(url);
                }
            });
            let mut session = Session::new(HttpClient::new(&HttpOptions::default()).unwrap())
                .with_observer(observer);
            let d = discovery::discover(&mut session, &url::Url::parse(&issuer).unwrap())
                .await
                .unwrap();
            let cfg = ClientConfig {
                endpoints: d.endpoints,
                client_id: c.id.clone(),
                scope: Some("openid".into()),
                redirect_uri: Some(url::Url::parse("http://127.0.0.1:45679/callback").unwrap()),
                ..Default::default()
            };
            run(
                &mut session,
                &cfg,
                RedirectSource::Paste(paste_rx),
                d.iss_parameter_supported,
            )
            .await
        })
    });
    let url = url_rx.recv_timeout(T).unwrap();
    let redirect = p.complete_login(&url, common::TEST_USER).unwrap();
    paste_tx.send(format!("  {redirect}\n")).unwrap();
    let success = flow.join().unwrap().unwrap();
    assert!(!success.tokens.access_token.is_empty());
    assert!(success.tokens.id_token.is_some());
}

pub fn profile_round_trip(p: &dyn TestProvider) {
    let dir = tempfile::tempdir().unwrap();
    let c = p.machine_client();
    let mut save = vec!["profile".to_string(), "save".into(), "e2e".into()];
    save.extend(issuer_args(p));
    save.extend(c.cli_args());
    let out = Grantscope::new(save).config_dir(dir.path()).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let out = Grantscope::new(["profile", "show", "e2e", "--json"])
        .config_dir(dir.path())
        .run(T)
        .unwrap();
    let shown = out.json().unwrap();
    assert_eq!(shown["client_secret"], "••••••");
    let out = Grantscope::new(["token", "client-credentials", "--profile", "e2e", "--json"])
        .config_dir(dir.path())
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    // A flag overrides the profile: a wrong secret now fails.
    let out = Grantscope::new([
        "token",
        "client-credentials",
        "--profile",
        "e2e",
        "--client-secret",
        "wrong",
        "--json",
    ])
    .config_dir(dir.path())
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 1);
}

macro_rules! suite {
    ($provider:ident, $make:expr) => {
        mod $provider {
            use super::*;
            #[allow(unused_imports)]
            use common::*;

            fn provider() -> impl TestProvider {
                $make
            }

            #[test]
            fn client_credentials_basic() {
                super::client_credentials_basic(&provider());
            }
            #[test]
            fn client_credentials_post() {
                super::client_credentials_post(&provider());
            }
            #[test]
            fn client_credentials_reserved_characters() {
                super::client_credentials_reserved_characters(&provider());
            }
            #[test]
            fn jwt_access_token_verifies() {
                super::jwt_access_token_verifies(&provider());
            }
            #[test]
            fn wrong_secret_is_invalid_client() {
                super::wrong_secret_is_invalid_client(&provider());
            }
            #[test]
            fn authorization_code_pkce_and_refresh_rotation() {
                super::authorization_code_pkce_and_refresh_rotation(&provider());
            }
            #[test]
            fn device_flow() {
                super::device_flow(&provider());
            }
            #[test]
            fn wrong_state_is_rejected() {
                super::wrong_state_is_rejected(&provider());
            }
            #[test]
            fn denied_login_is_reported() {
                super::denied_login_is_reported(&provider());
            }
            #[test]
            fn wrong_verifier_is_invalid_grant() {
                super::wrong_verifier_is_invalid_grant(&provider());
            }
            #[test]
            fn introspect_revoke_watch() {
                super::introspect_revoke_watch(&provider());
            }
            #[test]
            fn pasted_redirect() {
                super::pasted_redirect(&provider());
            }
            #[test]
            fn profile_round_trip() {
                super::profile_round_trip(&provider());
            }
        }
    };
}

suite!(oidc_provider, Provider::start());

/// A server that accepts the connection and never answers: a timeout, not a hang.
#[test]
fn silent_server_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let out = Grantscope::new([
        "token",
        "client-credentials",
        "--token-endpoint",
        &format!("http://127.0.0.1:{port}/token"),
        "--client-id",
        "a",
        "--client-secret",
        "b",
        "--timeout",
        "1",
        "--json",
    ])
    .run(Duration::from_secs(20))
    .unwrap();
    assert_eq!(out.code(), 1, "{}", out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["error"]["kind"], "transport");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{doc:#}"
    );
}

/// Usage errors exit 2 with a message naming what is missing.
#[test]
fn missing_settings_exit_2() {
    let out = Grantscope::new([
        "token",
        "client-credentials",
        "--client-id",
        "x",
        "--client-secret",
        "y",
    ])
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 2);
    assert!(out.stderr.contains("token endpoint"), "{}", out.stderr);
    let out = Grantscope::new([
        "token",
        "refresh-token",
        "--token-endpoint",
        "http://127.0.0.1:9/t",
        "--client-id",
        "x",
    ])
    .run(T)
    .unwrap();
    assert_eq!(out.code(), 2);
    assert!(out.stderr.contains("--refresh-token"), "{}", out.stderr);
}

/// grantscope's own sandbox, run as the real `grantscope sandbox` process.
struct SandboxProcess {
    child: std::process::Child,
    issuer: String,
    _keys: tempfile::TempDir,
}

impl SandboxProcess {
    fn start() -> Self {
        let (child, doc, keys) = common::spawn_sandbox_process(&["--device-interval", "1"]);
        SandboxProcess {
            child,
            issuer: doc["issuer"].as_str().unwrap().to_string(),
            _keys: keys,
        }
    }

    /// Submits the sandbox's login/consent form for an authorization request.
    fn decide(&self, authorize_url: &str, user: &str, decision: &str) -> anyhow::Result<String> {
        let issuer = self.issuer.clone();
        let url = authorize_url.to_string();
        let user = grantscope_sandbox::seeded_users()
            .iter()
            .find(|u| u.username == user)
            .unwrap();
        let (name, password) = (user.username.to_string(), user.password.to_string());
        let decision = decision.to_string();
        common::block_on(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let page = http.get(&url).send().await?.text().await?;
            let request_id = page
                .split("name=\"request_id\" value=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .ok_or_else(|| anyhow::anyhow!("no request_id on the login page: {page}"))?
                .to_string();
            let resp = http
                .post(format!("{issuer}/authorize"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("request_id", request_id.as_str()),
                    ("username", name.as_str()),
                    ("password", password.as_str()),
                    ("decision", decision.as_str()),
                ]))
                .send()
                .await?;
            resp.headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(String::from)
                .ok_or_else(|| {
                    anyhow::anyhow!("no redirect after the login form: {}", resp.status())
                })
        })
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestProvider for SandboxProcess {
    fn name(&self) -> &str {
        "sandbox"
    }
    fn issuer(&self) -> String {
        self.issuer.clone()
    }
    fn machine_client(&self) -> TestClient {
        TestClient::confidential(
            "sandbox-machine",
            "sandbox-machine-secret",
            "client_secret_basic",
        )
    }
    fn machine_post_client(&self) -> TestClient {
        TestClient::confidential(
            "sandbox-machine",
            "sandbox-machine-secret",
            "client_secret_post",
        )
    }
    fn reserved_chars_client(&self) -> TestClient {
        TestClient::confidential("weird:client", "p@ss:w/rd+%&=", "client_secret_basic")
    }
    fn native_client(&self) -> TestClient {
        TestClient::public("sandbox-native", "http://127.0.0.1/callback")
    }
    fn web_client(&self) -> Option<TestClient> {
        Some(
            TestClient::confidential("sandbox-web", "sandbox-web-secret", "client_secret_basic")
                .with_redirect("http://127.0.0.1/callback"),
        )
    }
    fn jwt_resource(&self) -> Option<String> {
        Some("https://api.sandbox.test".into())
    }
    fn complete_login(&self, authorize_url: &str, user: &str) -> anyhow::Result<String> {
        self.decide(authorize_url, user, "approve")
    }
    fn deny_login(&self, authorize_url: &str) -> anyhow::Result<String> {
        self.decide(authorize_url, common::TEST_USER, "deny")
    }
    fn complete_device(&self, _verification_uri: &str, user_code: &str) -> anyhow::Result<()> {
        let issuer = self.issuer.clone();
        let code = user_code.to_string();
        common::block_on(async move {
            let resp = reqwest::Client::new()
                .post(format!("{issuer}/device"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("user_code", code.as_str()),
                    ("username", "alice"),
                    ("password", "alice-password"),
                    ("decision", "approve"),
                ]))
                .send()
                .await?;
            anyhow::ensure!(
                resp.status().is_success(),
                "device approval: {}",
                resp.status()
            );
            Ok(())
        })
    }
}

suite!(sandbox, SandboxProcess::start());

/// base64url tokens may start with '-': they are values, not flags.
#[test]
fn tokens_may_start_with_a_hyphen() {
    let out = Grantscope::new(["inspect", "-Fz9opaque-token", "--json"])
        .run(T)
        .unwrap();
    assert_ne!(out.code(), 2, "{}", out.stderr);
    assert_eq!(out.json().unwrap()["format"], "opaque");
    let out = Grantscope::new([
        "introspect",
        "-Fz9opaque-token",
        "--introspection-endpoint",
        "http://127.0.0.1:9/introspect",
        "--client-id",
        "x",
        "--timeout",
        "2",
        "--json",
    ])
    .run(T)
    .unwrap();
    assert_eq!(
        out.code(),
        1,
        "a transport error, not a usage error: {}",
        out.stdout
    );
}
