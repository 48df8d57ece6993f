//! Shared harness of the integration tests (`mod common;`): the real external provider
//! ([`Provider`], panva's oidc-provider), a scripted browser that completes its login, consent
//! and device pages ([`complete_login`], [`complete_device`], [`deny_login`]), PKCE and HTTP
//! helpers, and a runner for the built `grantscope` binary ([`cli`]).
//!
//! Tests written against the [`TestProvider`] trait can run against any provider that
//! implements it (this external one, and later the app's built-in sandbox).

// Each integration test uses a different part of the harness.
#![allow(dead_code, unused_imports)]

pub mod api_peer;
pub mod browser;
pub mod cli;
pub mod jmondi;
pub mod node_peer;
pub mod provider;
pub mod sandbox;

pub use browser::{Decision, Login};
pub use provider::{Keys, Provider};
pub use sandbox::Sandbox;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::path::PathBuf;
use url::Url;

/// The default end user the scripted browser signs in as (it becomes the `sub` at
/// oidc-provider, whose development login accepts any password).
pub const TEST_USER: &str = "alice";
/// The password typed at oidc-provider's development login (any value is accepted).
pub const TEST_PASSWORD: &str = "test-password";

fn dev_login(user: &str) -> Login<'_> {
    Login {
        user,
        password: TEST_PASSWORD,
    }
}

/// One client registered at a test provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestClient {
    pub id: String,
    /// `None` for a public client.
    pub secret: Option<String>,
    /// `client_secret_basic`, `client_secret_post` or `none`.
    pub auth_method: String,
    /// The registered redirect URI; for a native client the port is free (RFC 8252 §7.3).
    pub redirect_uri: Option<String>,
}

impl TestClient {
    pub fn confidential(id: &str, secret: &str, auth_method: &str) -> Self {
        Self {
            id: id.into(),
            secret: Some(secret.into()),
            auth_method: auth_method.into(),
            redirect_uri: None,
        }
    }

    pub fn public(id: &str, redirect_uri: &str) -> Self {
        Self {
            id: id.into(),
            secret: None,
            auth_method: "none".into(),
            redirect_uri: Some(redirect_uri.into()),
        }
    }

    pub fn with_redirect(mut self, redirect_uri: &str) -> Self {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }

    /// [`TestClient::with_redirect`] when there is one.
    pub fn with_redirect_opt(self, redirect_uri: Option<&str>) -> Self {
        match redirect_uri {
            Some(r) => self.with_redirect(r),
            None => self,
        }
    }

    /// The secret, panicking for a public client (test code only).
    pub fn secret(&self) -> &str {
        match &self.secret {
            Some(s) => s,
            None => panic!("client {} is public and has no secret", self.id),
        }
    }

    /// `grantscope` connection flags for this client: `--client-id`, `--client-secret`,
    /// `--auth-method`.
    pub fn cli_args(&self) -> Vec<String> {
        let mut args = vec![
            "--client-id".to_string(),
            self.id.clone(),
            "--auth-method".into(),
            self.auth_method.clone(),
        ];
        if let Some(secret) = &self.secret {
            args.push("--client-secret".into());
            args.push(secret.clone());
        }
        args
    }
}

/// What an end-to-end test needs to know about, and do with, an authorization server, so the
/// same test can run against several providers.
pub trait TestProvider {
    /// A short name for test messages.
    fn name(&self) -> &str;
    /// The issuer identifier (discovery works from it).
    fn issuer(&self) -> String;
    /// A confidential client_credentials client using `client_secret_basic`.
    fn machine_client(&self) -> TestClient;
    /// A confidential client_credentials client using `client_secret_post`.
    fn machine_post_client(&self) -> TestClient;
    /// A client_credentials client whose id and secret hold reserved characters (RFC 6749 §2.3.1).
    fn reserved_chars_client(&self) -> TestClient;
    /// A public native client: PKCE, loopback redirect on any port, refresh and device grants.
    fn native_client(&self) -> TestClient;
    /// A confidential web client (authorization code + refresh), exact redirect URI.
    fn web_client(&self) -> Option<TestClient> {
        None
    }
    /// A client whose ID tokens are HS256-signed with its secret.
    fn hs256_client(&self) -> Option<TestClient> {
        None
    }
    /// A resource indicator (RFC 8707) for which access tokens are JWTs (RFC 9068).
    fn jwt_resource(&self) -> Option<String> {
        None
    }
    /// Signs in as `user` and approves; returns the redirect URL the provider sends the
    /// browser to (`…/callback?code=…&state=…`, or an error redirect).
    fn complete_login(&self, authorize_url: &str, user: &str) -> Result<String>;
    /// Cancels at the login page; returns the (error) redirect URL.
    fn deny_login(&self, authorize_url: &str) -> Result<String>;
    /// Completes the device verification page for `user_code` (signs in and approves).
    fn complete_device(&self, verification_uri: &str, user_code: &str) -> Result<()>;
}

/// Runs a future to completion on a fresh runtime in its own thread, so it works from plain
/// `#[test]`s and from inside `#[tokio::test]`s alike.
pub fn block_on<F, T>(fut: F) -> T
where
    F: Future<Output = T> + Send,
    T: Send,
{
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => panic!("cannot build a tokio runtime: {e}"),
            };
            rt.block_on(fut)
        });
        match handle.join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Drives the oidc-provider development login and consent forms for `authorize_url` as
/// [`TEST_USER`] and returns the final redirect URL (not delivered anywhere).
pub fn complete_login(authorize_url: &str) -> Result<String> {
    complete_login_as(&origin_of(authorize_url)?, authorize_url, TEST_USER)
}

/// [`complete_login`] as `user`, for the provider at `issuer`.
pub fn complete_login_as(issuer: &str, authorize_url: &str, user: &str) -> Result<String> {
    block_on(async {
        let mut browser = browser::Browser::new(issuer)?;
        browser
            .authorize(authorize_url, dev_login(user), Decision::Approve)
            .await
    })
}

/// Cancels the login for `authorize_url`; returns the error redirect
/// (`…?error=access_denied&…`).
pub fn deny_login(authorize_url: &str) -> Result<String> {
    deny_login_at(&origin_of(authorize_url)?, authorize_url)
}

/// [`deny_login`] for the provider at `issuer`.
pub fn deny_login_at(issuer: &str, authorize_url: &str) -> Result<String> {
    block_on(async {
        let mut browser = browser::Browser::new(issuer)?;
        browser
            .authorize(authorize_url, dev_login(TEST_USER), Decision::Deny)
            .await
    })
}

/// Completes the device verification page (`verification_uri`, or `verification_uri_complete`
/// with an empty `user_code`) as [`TEST_USER`]; returns the final page's text.
pub fn complete_device(verification_uri: &str, user_code: &str) -> Result<String> {
    complete_device_at(&origin_of(verification_uri)?, verification_uri, user_code)
}

/// [`complete_device`] for the provider at `issuer`.
pub fn complete_device_at(issuer: &str, verification_uri: &str, user_code: &str) -> Result<String> {
    block_on(async {
        let mut browser = browser::Browser::new(issuer)?;
        browser
            .verify_device(
                verification_uri,
                user_code,
                dev_login(TEST_USER),
                Decision::Approve,
            )
            .await
    })
}

/// Aborts the device verification for `user_code` at its confirmation page.
pub fn deny_device(verification_uri: &str, user_code: &str) -> Result<String> {
    let issuer = origin_of(verification_uri)?;
    block_on(async {
        let mut browser = browser::Browser::new(&issuer)?;
        browser
            .verify_device(
                verification_uri,
                user_code,
                dev_login(TEST_USER),
                Decision::Deny,
            )
            .await
    })
}

/// Delivers a redirect (as a browser would) to the app's loopback listener with a GET, and
/// returns the listener's status and page.
pub fn deliver_redirect(redirect_url: &str) -> Result<(u16, String)> {
    block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .no_proxy()
            .build()?;
        // A form_post answer (see browser::FORM_POST): POST the fields, as the browser would.
        let resp = match redirect_url.strip_prefix(browser::FORM_POST) {
            Some(posted) => {
                let mut url = url::Url::parse(posted.trim())?;
                let body = url.query().unwrap_or("").to_string();
                url.set_query(None);
                client
                    .post(url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
            }
            None => client.get(redirect_url).send().await,
        }
        .with_context(|| format!("delivering the redirect to {redirect_url}"))?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await.unwrap_or_default()))
    })
}

/// The arguments of `grantscope token authorization-code` against `issuer` as `client`, with
/// `openid` scope, no browser (the test reads `authorize: URL` on stderr) and JSON output,
/// then `extra`.
pub fn code_flow_args(issuer: &str, client: &TestClient, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "token".to_string(),
        "authorization-code".into(),
        "--issuer".into(),
        issuer.to_string(),
        "--scope".into(),
        "openid".into(),
        "--no-browser".into(),
        "--json".into(),
    ];
    args.extend(client.cli_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The access token of a `grantscope token … --json` document.
pub fn access_token_of(doc: &serde_json::Value) -> String {
    doc["response"]["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token in {doc:#}"))
        .to_string()
}

/// A fresh config directory holding an EC P-256 key named `dpop-key` (made by `grantscope key
/// generate`), for `--dpop-key dpop-key` and [`call_with_stored_dpop_key`].
pub fn config_with_dpop_key() -> tempfile::TempDir {
    let config = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
    let out = cli::Grantscope::new(["key", "generate", "dpop-key", "--type", "ec-p256"])
        .config_dir(config.path())
        .run(std::time::Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("grantscope key generate: {e:#}"));
    assert_eq!(out.code(), 0, "{}", out.stderr);
    config
}

/// `grantscope call URL --token T --dpop-key dpop-key --json` with the DPoP key stored under
/// `config_dir`; the call must succeed (exit 0). Returns its JSON document.
pub fn call_with_stored_dpop_key(
    config_dir: &std::path::Path,
    url: &str,
    token: &str,
) -> serde_json::Value {
    let out = cli::Grantscope::new([
        "call",
        url,
        "--token",
        token,
        "--dpop-key",
        "dpop-key",
        "--json",
    ])
    .config_dir(config_dir)
    .run(std::time::Duration::from_secs(60))
    .unwrap_or_else(|e| panic!("grantscope call: {e:#}"));
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    out.json().unwrap_or_else(|e| panic!("{e:#}"))
}

/// `redirect_url` with one character of the signature of its JWT-valued query parameter
/// `name` changed (a forged JARM `response`, say). Panics when the parameter is missing.
pub fn forge_jwt_param(redirect_url: &str, name: &str) -> String {
    let mut u = Url::parse(redirect_url).expect("a redirect URL");
    let mut found = false;
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == name {
                found = true;
                let mut chars: Vec<char> = v.chars().collect();
                let i = chars.len().saturating_sub(2);
                chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
                (k, chars.into_iter().collect())
            } else {
                (k, v)
            }
        })
        .collect();
    assert!(found, "no {name} parameter in {redirect_url}");
    u.query_pairs_mut().clear().extend_pairs(&pairs);
    u.into()
}

/// `scheme://host:port` of a URL.
pub fn origin_of(url: &str) -> Result<String> {
    let parsed = Url::parse(url).with_context(|| format!("bad URL {url}"))?;
    Ok(parsed.origin().ascii_serialization())
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A PKCE pair (RFC 7636): a 43-character verifier from the OS CSPRNG and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = pkce_s256(&verifier);
    (verifier, challenge)
}

/// The S256 code challenge of `verifier`.
pub fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random URL-safe value for `state` / `nonce`.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// Builds an authorization request URL from `authorization_endpoint` and the given parameters.
pub fn authorize_url(authorization_endpoint: &str, params: &[(&str, &str)]) -> Result<String> {
    let mut url = Url::parse(authorization_endpoint)?;
    url.query_pairs_mut().extend_pairs(params.iter());
    Ok(url.to_string())
}

/// POSTs a form to `url` (with optional Basic credentials, form-urlencoded before base64 as
/// RFC 6749 §2.3.1 requires) and returns the status and the JSON body (`Null` when empty).
pub fn post_form(
    url: &str,
    basic: Option<(&str, &str)>,
    pairs: &[(&str, &str)],
) -> Result<(u16, serde_json::Value)> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish();
    let auth = basic.map(|(id, secret)| basic_auth_header(id, secret));
    block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .no_proxy()
            .build()?;
        let mut req = client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let resp = req.send().await.with_context(|| format!("POST {url}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        if text.is_empty() {
            return Ok((status, serde_json::Value::Null));
        }
        let json = serde_json::from_str(&text)
            .map_err(|e| anyhow!("POST {url}: HTTP {status}, body is not JSON ({e}): {text}"))?;
        Ok((status, json))
    })
}

/// GETs `url` (optionally with a Bearer token) and returns the status and the JSON body.
pub fn get_json(url: &str, bearer: Option<&str>) -> Result<(u16, serde_json::Value)> {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .no_proxy()
            .build()?;
        let mut req = client.get(url).header("accept", "application/json");
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let resp = req.send().await.with_context(|| format!("GET {url}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        if text.is_empty() {
            return Ok((status, serde_json::Value::Null));
        }
        let json = serde_json::from_str(&text)
            .map_err(|e| anyhow!("GET {url}: HTTP {status}, body is not JSON ({e}): {text}"))?;
        Ok((status, json))
    })
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic_auth_header(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(id), enc(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The exchanges of a `--json` document (`doc.exchanges`) whose step is `step`, in order.
pub fn exchanges<'a>(doc: &'a serde_json::Value, step: &str) -> Vec<&'a serde_json::Value> {
    doc["exchanges"]
        .as_array()
        .map(|all| all.iter().filter(|e| e["step"] == step).collect())
        .unwrap_or_default()
}

/// The last exchange of `step` in a `--json` document; panics (showing it) when there is none.
pub fn last_exchange<'a>(doc: &'a serde_json::Value, step: &str) -> &'a serde_json::Value {
    exchanges(doc, step)
        .last()
        .copied()
        .unwrap_or_else(|| panic!("no {step:?} exchange in {doc:#}"))
}

/// The value of parameter `name` in a form-urlencoded body.
pub fn form_param(body: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The check `id` of an inspection document (`grantscope inspect --json`, or the `inspection`
/// of a token document), if there is one.
pub fn find_check<'a>(
    inspection: &'a serde_json::Value,
    id: &str,
) -> Option<&'a serde_json::Value> {
    inspection["checks"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == id)
}

/// The check `id` of an inspection document; panics (showing the document) when it is missing.
pub fn check<'a>(inspection: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    find_check(inspection, id).unwrap_or_else(|| panic!("no {id} check in {inspection:#}"))
}

/// The left half of the SHA-256 of `value`, base64url (`at_hash`, `c_hash`, `s_hash` of an
/// RS256/ES256 token: OIDC Core §3.1.3.6).
pub fn half_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(value.as_bytes())[..16])
}

/// Decodes a JWT's payload (no verification) for assertions.
pub fn jwt_claims(token: &str) -> Result<serde_json::Value> {
    jwt_part(token, 1)
}

/// Decodes a JWT's protected header (no verification) for assertions.
pub fn jwt_header(token: &str) -> Result<serde_json::Value> {
    jwt_part(token, 0)
}

fn jwt_part(token: &str, index: usize) -> Result<serde_json::Value> {
    let part = token
        .split('.')
        .nth(index)
        .ok_or_else(|| anyhow!("not a JWT: fewer than {} parts", index + 1))?;
    let bytes = URL_SAFE_NO_PAD.decode(part)?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// Path of the `grantscope` binary Cargo built for these tests.
pub fn grantscope_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_grantscope"))
}

/// Fails with a readable message when `url` is an error redirect rather than a code redirect.
pub fn code_from_redirect(redirect_url: &str) -> Result<String> {
    if let Some(err) = query_param(redirect_url, "error") {
        bail!(
            "the provider redirected with error={err} ({})",
            query_param(redirect_url, "error_description").unwrap_or_default()
        );
    }
    query_param(redirect_url, "code").ok_or_else(|| anyhow!("no code in {redirect_url}"))
}

/// Starts the real `grantscope sandbox` process on a free port with `extra` arguments and its
/// keys in a fresh temporary directory; returns the child, its JSON start-up line and the
/// directory (keep it alive as long as the child).
pub fn spawn_sandbox_process(
    extra: &[&str],
) -> (std::process::Child, serde_json::Value, tempfile::TempDir) {
    use std::io::BufRead;
    let keys = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(grantscope_bin())
        .args(["sandbox", "--port", "0", "--json"])
        .args(extra)
        .arg("--key-dir")
        .arg(keys.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("sandbox start line is not JSON ({e}): {line:?}"));
    (child, doc, keys)
}
