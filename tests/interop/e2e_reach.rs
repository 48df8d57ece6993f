//! Issue 21 against oidc-provider (its `registration` and `registrationManagement` features,
//! tests/provider/server.js), through the real binary: register a client then log in with
//! the new profile; a key-based client registers its public JWKS and authenticates with
//! private_key_jwt; the registration read, updated (rotated token stored) and deleted.

use std::time::Duration;

use serde_json::Value;

use crate::common::cli::Grantscope;
use crate::common::provider::Provider;
use crate::common::{TEST_USER, TestProvider as _, deliver_redirect};

const T: Duration = Duration::from_secs(60);
const MASK: &str = grantscope_core::http::MASK;

fn run_in(dir: &std::path::Path, args: &[&str]) -> crate::common::cli::Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

#[test]
fn register_a_native_client_log_in_then_update_and_delete_it() {
    let p = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "register",
            "--issuer",
            p.issuer(),
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--auth-method",
            "none",
            "--client-name",
            "grantscope test",
            "--scope",
            "openid profile",
            "--save",
            "dyn",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["client"]["application_type"], "native", "{doc:#}");
    assert_eq!(doc["client"]["registration_access_token"], MASK);
    let client_id = doc["client"]["client_id"].as_str().unwrap().to_string();

    let mut run = Grantscope::new([
        "token",
        "authorization-code",
        "--profile",
        "dyn",
        "--scope",
        "openid",
        "--no-browser",
        "--json",
    ])
    .config_dir(dir.path())
    .spawn()
    .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    assert!(url.contains(&client_id), "{url}");
    let redirect = p.complete_login(&url, TEST_USER).unwrap();
    let (status, page) = deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    assert_eq!(doc["id_token"]["valid"], true, "{:#}", doc["id_token"]);
    assert_eq!(doc["id_token"]["claims"]["aud"], client_id.as_str());

    let token_of = |dir: &std::path::Path| -> (String, String) {
        let p = run_in(
            dir,
            &["profile", "show", "dyn", "--json", "--reveal-secrets"],
        )
        .json()
        .unwrap();
        (
            p["registration_access_token"].as_str().unwrap().to_string(),
            p["registration_client_uri"].as_str().unwrap().to_string(),
        )
    };
    let (first, uri) = token_of(dir.path());
    let out = run_in(
        dir.path(),
        &[
            "register",
            "update",
            "--profile",
            "dyn",
            "--client-name",
            "renamed",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json().unwrap()["client"]["client_name"], "renamed");
    let (second, _) = token_of(dir.path());
    assert_ne!(
        first, second,
        "oidc-provider rotates the registration access token"
    );
    let (status, _) = crate::common::get_json(&uri, Some(&first)).unwrap();
    assert_eq!(status, 401);
    let out = run_in(
        dir.path(),
        &["register", "show", "--profile", "dyn", "--json"],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let shown: Value = out.json().unwrap();
    assert_eq!(shown["client"]["client_name"], "renamed");
    assert_eq!(
        shown["client"]["redirect_uris"][0],
        "http://127.0.0.1/callback"
    );

    let out = run_in(dir.path(), &["register", "delete", "--profile", "dyn"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let (status, _) = crate::common::get_json(&uri, Some(&second)).unwrap();
    assert_eq!(status, 401);
}

/// A key-based client: its public JWK goes into the registration's `jwks`, and the new
/// profile authenticates with private_key_jwt signed by the stored key.
#[test]
fn a_key_based_client_registers_its_public_jwks() {
    let p = Provider::start();
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &["key", "generate", "dyn-key", "--type", "ec-p256"],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let out = run_in(
        dir.path(),
        &[
            "register",
            "--issuer",
            p.issuer(),
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--signing-key",
            "dyn-key",
            "--save",
            "keyed",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let keys = doc["request"]["jwks"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "EC");
    assert!(
        keys[0].get("d").is_none(),
        "only the public key: {:#}",
        keys[0]
    );
    assert_eq!(doc["request"]["response_types"], serde_json::json!([]));
    assert_eq!(
        doc["client"]["token_endpoint_auth_method"],
        "private_key_jwt"
    );

    let out = run_in(
        dir.path(),
        &[
            "token",
            "client-credentials",
            "--profile",
            "keyed",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let sent = crate::common::last_exchange(&doc, "token request");
    let body = sent["request"]["body"].as_str().unwrap();
    assert!(body.contains("client_assertion="), "{body}");
}

/// A free loopback port (oidc-provider matches post-logout redirect URIs exactly, port too).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// RP-initiated logout at oidc-provider ends its session (its confirmation form submitted by
/// the browser that logged in), the browser comes back with the state, and the provider's
/// back-channel logout token reaches `logout listen` and verifies against its JWKS.
#[test]
fn logout_at_oidc_provider_ends_the_session_and_its_logout_token_verifies() {
    use crate::common::browser::{Browser, Decision, Login, Outcome, forms};
    let p = Provider::start_with(&[("DEBUG_PROVIDER", "1")]);
    let dir = tempfile::tempdir().unwrap();
    let back = format!("http://127.0.0.1:{}/logged-out", free_port());
    let out = run_in(
        dir.path(),
        &[
            "register",
            "--issuer",
            p.issuer(),
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--post-logout-redirect-uri",
            &back,
            "--auth-method",
            "none",
            "--scope",
            "openid",
            "--save",
            "dyn",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let client_id = out.json().unwrap()["client"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut listener = Grantscope::new([
        "logout",
        "listen",
        "--issuer",
        p.issuer(),
        "--client-id",
        &client_id,
        "--count",
        "1",
        "--json",
    ])
    .spawn()
    .unwrap();
    let endpoint = listener.wait_for_stderr("listening: ", T).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "register",
            "update",
            "--profile",
            "dyn",
            "--backchannel-logout-uri",
            endpoint.trim(),
        ],
    );
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);

    let mut browser = Browser::new(p.issuer()).unwrap();
    let mut run = Grantscope::new([
        "token",
        "authorization-code",
        "--profile",
        "dyn",
        "--no-browser",
        "--json",
    ])
    .config_dir(dir.path())
    .spawn()
    .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = crate::common::block_on(browser.authorize(
        &url,
        Login {
            user: TEST_USER,
            password: crate::common::TEST_PASSWORD,
        },
        Decision::Approve,
    ))
    .unwrap();
    let (status, page) = deliver_redirect(&redirect).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let doc = out.json().unwrap();
    let id_token = doc["response"]["id_token"].as_str().unwrap().to_string();

    let mut logout = Grantscope::new([
        "logout",
        "--profile",
        "dyn",
        "--id-token-hint",
        &id_token,
        "--post-logout-redirect-uri",
        &back,
        "--no-browser",
    ])
    .config_dir(dir.path())
    .spawn()
    .unwrap();
    let url = logout.wait_for_stderr("logout: ", T).unwrap();
    let back_to = crate::common::block_on(async {
        let outcome = browser.navigate(url.trim(), None).await.unwrap();
        let Outcome::Page {
            url: page_url,
            body,
            ..
        } = outcome
        else {
            panic!("expected the logout confirmation page");
        };
        let form = forms(&body)
            .into_iter()
            .find(|f| f.method.eq_ignore_ascii_case("post"))
            .unwrap_or_else(|| panic!("no form on {body}"));
        let action = page_url.join(form.action.as_deref().unwrap_or("")).unwrap();
        let mut fields = form.fields();
        fields.push(("logout".into(), "yes".into()));
        match browser
            .navigate(action.as_str(), Some(fields))
            .await
            .unwrap()
        {
            Outcome::Redirect(to) => to,
            Outcome::Page { body, .. } => panic!("no redirect after logout: {body}"),
        }
    });
    assert!(back_to.starts_with(&back), "{back_to}");
    let (status, page) = deliver_redirect(&back_to).unwrap();
    assert_eq!(status, 200, "{page}");
    let out = logout.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);

    let heard = listener
        .wait(T)
        .unwrap_or_else(|e| panic!("{e}\nprovider: {}", p.stderr()));
    assert_eq!(heard.code(), 0, "{}\n{}", heard.stdout, heard.stderr);
    let line: Value = serde_json::from_str(heard.stdout.trim()).unwrap();
    assert_eq!(line["valid"], true, "{line:#}");
    assert_eq!(line["sub"], doc["id_token"]["claims"]["sub"]);
    assert_eq!(line["inspection"]["signature"]["status"], "verified");
}
