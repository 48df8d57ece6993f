//! End-to-end tests of the built-in sandbox authorization server: a real server on 127.0.0.1
//! driven over HTTP with reqwest, tokens verified with jsonwebtoken against the served JWKS, and
//! (when its node_modules are installed) with the independent `jose` library through Node.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common;
use common::{basic_auth_header, half_hash, pkce_pair, query_param};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_sandbox::{
    self as sandbox, SandboxConfig, SandboxHandle, SigningAlg, UnsafeSwitches,
};
use reqwest::StatusCode;
use serde_json::Value;

const NATIVE: &str = "sandbox-native";
const WEB: (&str, &str) = ("sandbox-web", "sandbox-web-secret");
const MACHINE: (&str, &str) = ("sandbox-machine", "sandbox-machine-secret");

struct Sandbox {
    handle: SandboxHandle,
    _keys: tempfile::TempDir,
    http: reqwest::Client,
}

impl Sandbox {
    async fn start(config: SandboxConfig) -> Sandbox {
        let keys = tempfile::tempdir().unwrap();
        Self::start_in(config, keys).await
    }

    async fn start_in(mut config: SandboxConfig, keys: tempfile::TempDir) -> Sandbox {
        config.key_dir = Some(keys.path().to_path_buf());
        let handle = sandbox::start(config).await.unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        Sandbox {
            handle,
            _keys: keys,
            http,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.issuer_str())
    }

    async fn get_json(&self, path: &str) -> Value {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }

    /// POSTs a form; `auth` = Some((id, secret)) sends client_secret_basic (RFC 6749 §2.3.1).
    async fn post(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        auth: Option<(&str, &str)>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some((id, secret)) = auth {
            request = request.header("authorization", basic_auth_header(id, secret));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, value, headers)
    }

    /// Token endpoint call that must succeed.
    async fn token(&self, pairs: &[(&str, &str)], auth: Option<(&str, &str)>) -> Value {
        let (status, body, headers) = self.post("/token", pairs, auth).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(headers["cache-control"], "no-store");
        body
    }

    /// Token endpoint call that must fail with `error`.
    async fn token_error(
        &self,
        pairs: &[(&str, &str)],
        auth: Option<(&str, &str)>,
        error: &str,
    ) -> Value {
        let (status, body, _) = self.post("/token", pairs, auth).await;
        assert_eq!(body["error"], error, "{body}");
        assert!(status.is_client_error(), "{status}");
        body
    }

    async fn introspect(&self, token: &str) -> Value {
        let (status, body, _) = self
            .post("/introspect", &[("token", token)], Some(WEB))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// GET /authorize; returns (status, Location header if any, body text).
    async fn authorize(&self, pairs: &[(&str, &str)]) -> (StatusCode, Option<url::Url>, String) {
        let mut url = url::Url::parse(&self.url("/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        let response = self.http.get(url).send().await.unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| url::Url::parse(v.to_str().unwrap()).unwrap());
        (status, location, response.text().await.unwrap())
    }

    /// Logs in on the consent page and approves (or denies); returns the redirect.
    async fn consent(
        &self,
        page: &str,
        username: &str,
        password: &str,
        decision: &str,
    ) -> (StatusCode, Option<url::Url>) {
        let request_id = hidden_value(page, "request_id");
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("request_id", request_id.as_str()),
                ("username", username),
                ("password", password),
                ("decision", decision),
            ])
            .finish();
        let response = self
            .http
            .post(self.url("/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| url::Url::parse(v.to_str().unwrap()).unwrap());
        (status, location)
    }

    /// A full authorization through the login page as alice; returns the code.
    async fn code_for(&self, pairs: &[(&str, &str)]) -> String {
        let (status, location, page) = self.authorize(pairs).await;
        assert_eq!(status, StatusCode::OK, "{location:?} {page}");
        let (status, location) = self
            .consent(&page, "alice", "alice-password", "approve")
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        query_param(location.as_str(), "code").unwrap_or_else(|| panic!("no code in {location}"))
    }

    async fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        serde_json::from_value(self.get_json("/jwks").await).unwrap()
    }

    /// Verifies a JWT against the served JWKS; returns (header, claims).
    async fn verify(&self, token: &str, audience: &str) -> (jsonwebtoken::Header, Value) {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let jwks = self.jwks().await;
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("kid in JWKS");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[self.handle.issuer_str()]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap();
        (data.header, data.claims)
    }
}

fn hidden_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_string()
}

const REDIRECT: &str = "http://127.0.0.1:53682/callback";

fn native_authorize<'a>(
    challenge: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", NATIVE),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile email offline_access"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    pairs
}

async fn native_tokens(sb: &Sandbox) -> (String, Value) {
    let (verifier, challenge) = pkce_pair();
    let code = sb.code_for(&native_authorize(&challenge, &[])).await;
    let tokens = sb
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", NATIVE),
                ("code_verifier", &verifier),
            ],
            None,
        )
        .await;
    (code, tokens)
}

#[tokio::test]
async fn discovery_jwks_and_loopback_only() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let issuer = sb.handle.issuer_str().to_string();
    assert_eq!(issuer, format!("http://127.0.0.1:{}", sb.handle.port()));
    assert!(sb.handle.local_addr().ip().is_loopback());
    assert_eq!(sb.handle.local_addr().ip().to_string(), "127.0.0.1");
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = sb.get_json(path).await;
        assert_eq!(doc["issuer"], issuer.as_str());
        assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
        assert_eq!(doc["jwks_uri"], format!("{issuer}/jwks"));
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert!(doc["device_authorization_endpoint"].is_string());
        assert!(doc["introspection_endpoint"].is_string());
        assert!(doc["revocation_endpoint"].is_string());
    }
    let jwks = sb.get_json("/jwks").await;
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, vec!["RS256", "ES256"]);
    for key in jwks["keys"].as_array().unwrap() {
        assert!(key.get("d").is_none(), "private part leaked: {key}");
    }

    // Nothing beyond 127.0.0.1: another loopback address and IPv6 loopback are refused.
    let port = sb.handle.port();
    for addr in [format!("127.0.0.2:{port}"), format!("[::1]:{port}")] {
        let connected = tokio::net::TcpStream::connect(&addr).await;
        assert!(connected.is_err(), "sandbox reachable on {addr}");
    }
}

#[tokio::test]
async fn client_credentials_basic_and_post_verify_against_jwks() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let basic_tokens = sb
        .token(&[("grant_type", "client_credentials")], Some(MACHINE))
        .await;
    assert_eq!(basic_tokens["token_type"], "Bearer");
    assert_eq!(basic_tokens["scope"], "api:read");
    assert!(basic_tokens.get("refresh_token").is_none());
    assert!(basic_tokens.get("id_token").is_none());
    let (header, claims) = sb
        .verify(
            basic_tokens["access_token"].as_str().unwrap(),
            sandbox::DEFAULT_AUDIENCE,
        )
        .await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(claims["sub"], MACHINE.0);
    assert_eq!(claims["client_id"], MACHINE.0);
    assert!(claims["jti"].is_string());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );

    let post_tokens = sb
        .token(
            &[
                ("grant_type", "client_credentials"),
                ("client_id", MACHINE.0),
                ("client_secret", MACHINE.1),
                ("scope", "api:read api:write"),
                ("resource", "https://api.example/orders"),
            ],
            None,
        )
        .await;
    let (_, claims) = sb
        .verify(
            post_tokens["access_token"].as_str().unwrap(),
            "https://api.example/orders",
        )
        .await;
    assert_eq!(claims["scope"], "api:read api:write");

    // Wrong secret: 401 with a Basic challenge. Unknown scope: invalid_scope. Wrong grant for client.
    let (status, body, headers) = sb
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            Some((MACHINE.0, "nope")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    sb.token_error(
        &[("grant_type", "client_credentials"), ("scope", "openid")],
        Some(MACHINE),
        "invalid_scope",
    )
    .await;
    sb.token_error(
        &[("grant_type", "client_credentials"), ("client_id", NATIVE)],
        None,
        "unauthorized_client",
    )
    .await;
    let off = sb
        .token_error(
            &[("grant_type", "password")],
            Some(MACHINE),
            "unsupported_grant_type",
        )
        .await;
    // A grant switched off names the switch that turns it on.
    let why = off["error_description"].as_str().unwrap();
    assert!(why.contains("--unsafe-allow-password-grant"), "{why}");
    let unknown = sb
        .token_error(
            &[("grant_type", "urn:example:made-up")],
            Some(MACHINE),
            "unsupported_grant_type",
        )
        .await;
    assert!(
        !unknown["error_description"]
            .as_str()
            .unwrap()
            .contains("unsafe"),
        "{unknown}"
    );
    sb.token_error(
        &[
            ("grant_type", "client_credentials"),
            ("scope", "api:read"),
            ("scope", "api:write"),
        ],
        Some(MACHINE),
        "invalid_request",
    )
    .await;
    // Both Basic and client_secret: more than one method.
    sb.token_error(
        &[
            ("grant_type", "client_credentials"),
            ("client_secret", MACHINE.1),
        ],
        Some(MACHINE),
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn es256_tokens_verify() {
    let sb = Sandbox::start(SandboxConfig {
        signing_alg: SigningAlg::Es256,
        ..SandboxConfig::default()
    })
    .await;
    let tokens = sb
        .token(&[("grant_type", "client_credentials")], Some(MACHINE))
        .await;
    let (header, _) = sb
        .verify(
            tokens["access_token"].as_str().unwrap(),
            sandbox::DEFAULT_AUDIENCE,
        )
        .await;
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
}

#[tokio::test]
async fn authorization_code_with_pkce_id_token_and_userinfo() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let (verifier, challenge) = pkce_pair();
    let (status, location, page) = sb.authorize(&native_authorize(&challenge, &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(location.is_none());
    assert!(page.contains("sandbox-native") && page.contains("offline_access"));

    // A wrong password re-shows the page; nothing is redirected.
    let (status, location) = sb.consent(&page, "alice", "bob-password", "approve").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(location.is_none());

    let (status, location) = sb
        .consent(&page, "alice", "alice-password", "approve")
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    assert_eq!(
        query_param(location.as_str(), "state").as_deref(),
        Some("st-123")
    );
    assert_eq!(
        query_param(location.as_str(), "iss").as_deref(),
        Some(sb.handle.issuer_str())
    );
    let code = query_param(location.as_str(), "code").unwrap();

    // The consent page is single use.
    let (status, _) = sb
        .consent(&page, "alice", "alice-password", "approve")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let tokens = sb
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", NATIVE),
                ("code_verifier", &verifier),
            ],
            None,
        )
        .await;
    let access = tokens["access_token"].as_str().unwrap();
    assert!(tokens["refresh_token"].is_string());
    let (_, at) = sb.verify(access, sandbox::DEFAULT_AUDIENCE).await;
    assert_eq!(at["sub"], "sandbox-user-alice");
    assert_eq!(at["client_id"], NATIVE);
    assert_eq!(at["scope"], "openid profile email offline_access");
    assert!(at["auth_time"].is_u64());

    let id_token = tokens["id_token"].as_str().unwrap();
    let (id_header, id) = sb.verify(id_token, NATIVE).await;
    assert_eq!(id_header.typ.as_deref(), Some("JWT"));
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["azp"], NATIVE);
    assert_eq!(id["at_hash"], half_hash(access));
    assert_eq!(id["c_hash"], half_hash(&code));
    assert_eq!(id["email"], "alice@example.com");
    assert!(id["auth_time"].is_u64());

    let info = sb
        .http
        .get(sb.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    let info: Value = serde_json::from_slice(&info.bytes().await.unwrap()).unwrap();
    assert_eq!(info["sub"], "sandbox-user-alice");
    assert_eq!(info["preferred_username"], "alice");

    let intro = sb.introspect(access).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["username"], "alice");
    assert_eq!(intro["client_id"], NATIVE);

    // Userinfo refuses a machine token (no user, no openid) and a garbage token.
    let machine = sb
        .token(&[("grant_type", "client_credentials")], Some(MACHINE))
        .await;
    let refused = sb
        .http
        .get(sb.url("/userinfo"))
        .bearer_auth(machine["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = sb
        .http
        .get(sb.url("/userinfo"))
        .bearer_auth("x.y.z")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn confidential_web_client_code_flow_with_basic() {
    let sb = Sandbox::start(SandboxConfig {
        auto_approve: Some("bob".into()),
        ..SandboxConfig::default()
    })
    .await;
    // auto-approve: straight back to the client, no page.
    let (status, location, _) = sb
        .authorize(&[
            ("response_type", "code"),
            ("client_id", WEB.0),
            ("redirect_uri", "http://127.0.0.1:40001/callback"),
            ("scope", "openid api:write"),
            ("resource", "https://api.example/"),
        ])
        .await;
    assert_eq!(status, StatusCode::FOUND);
    let code = query_param(location.unwrap().as_str(), "code").unwrap();
    let tokens = sb
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:40001/callback"),
            ],
            Some(WEB),
        )
        .await;
    let (_, at) = sb
        .verify(
            tokens["access_token"].as_str().unwrap(),
            "https://api.example/",
        )
        .await;
    assert_eq!(at["sub"], "sandbox-user-bob");
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn code_reuse_fails_and_revokes_what_it_issued() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let (verifier, challenge) = pkce_pair();
    let code = sb.code_for(&native_authorize(&challenge, &[])).await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", NATIVE),
        ("code_verifier", verifier.as_str()),
    ];
    let tokens = sb.token(&exchange, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(sb.introspect(access).await["active"], true);

    let error = sb.token_error(&exchange, None, "invalid_grant").await;
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    assert_eq!(sb.introspect(access).await["active"], false);
    assert_eq!(sb.introspect(refresh).await["active"], false);
    sb.token_error(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", NATIVE),
        ],
        None,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn pkce_is_enforced() {
    let sb = Sandbox::start(SandboxConfig::default()).await;

    // Mismatch: another verifier.
    let (_, challenge) = pkce_pair();
    let (other_verifier, _) = pkce_pair();
    let code = sb.code_for(&native_authorize(&challenge, &[])).await;
    let error = sb
        .token_error(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", NATIVE),
                ("code_verifier", &other_verifier),
            ],
            None,
            "invalid_grant",
        )
        .await;
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("PKCE")
    );

    // Missing verifier at the token endpoint.
    let (_, challenge) = pkce_pair();
    let code = sb.code_for(&native_authorize(&challenge, &[])).await;
    sb.token_error(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", NATIVE),
        ],
        None,
        "invalid_grant",
    )
    .await;

    // A public client without a code_challenge is refused at the authorization endpoint,
    // and the error goes back to the (registered) redirect URI.
    let (status, location, _) = sb
        .authorize(&[
            ("response_type", "code"),
            ("client_id", NATIVE),
            ("redirect_uri", REDIRECT),
            ("state", "s1"),
        ])
        .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert_eq!(
        query_param(location.as_str(), "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(
        query_param(location.as_str(), "state").as_deref(),
        Some("s1")
    );

    // plain is refused, and so is a missing method (which means plain).
    let (verifier, _) = pkce_pair();
    for method in [Some("plain"), None] {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", NATIVE),
            ("redirect_uri", REDIRECT),
            ("code_challenge", verifier.as_str()),
        ];
        if let Some(method) = method {
            pairs.push(("code_challenge_method", method));
        }
        let (_, location, _) = sb.authorize(&pairs).await;
        assert_eq!(
            query_param(location.unwrap().as_str(), "error").as_deref(),
            Some("invalid_request")
        );
    }

    // A verifier with no challenge (PKCE downgrade) is refused for a confidential client.
    let code = sb
        .code_for(&[
            ("response_type", "code"),
            ("client_id", WEB.0),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    sb.token_error(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
        Some(WEB),
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn redirect_uris_match_exactly_except_loopback_port() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let (_, challenge) = pkce_pair();
    for redirect in [
        "http://127.0.0.1/callback",
        "http://127.0.0.1:1/callback",
        "http://127.0.0.1:65535/callback",
    ] {
        let (status, _, page) = sb
            .authorize(
                &native_authorize(&challenge, &[])
                    .into_iter()
                    .map(|(k, v)| {
                        if k == "redirect_uri" {
                            (k, redirect)
                        } else {
                            (k, v)
                        }
                    })
                    .collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{redirect}: {page}");
    }
    for redirect in [
        "http://127.0.0.1:8080/callback/",
        "http://127.0.0.1:8080/other",
        "http://localhost:8080/callback",
        "https://127.0.0.1:8080/callback",
        "http://127.0.0.1:8080/callback?x=1",
        "http://evil.example/callback",
    ] {
        let pairs: Vec<(&str, &str)> = native_authorize(&challenge, &[])
            .into_iter()
            .map(|(k, v)| {
                if k == "redirect_uri" {
                    (k, redirect)
                } else {
                    (k, v)
                }
            })
            .collect();
        let (status, location, page) = sb.authorize(&pairs).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{redirect}");
        assert!(location.is_none(), "redirected to unregistered {redirect}");
        assert!(page.contains("not registered"));
    }
    // Unknown client: an error page, never a redirect.
    let (status, location, _) = sb
        .authorize(&[
            ("response_type", "code"),
            ("client_id", "nobody"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(location.is_none());

    // The token request must repeat the exact redirect_uri (same port too).
    let (verifier, challenge) = pkce_pair();
    let code = sb.code_for(&native_authorize(&challenge, &[])).await;
    sb.token_error(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:53683/callback"),
            ("client_id", NATIVE),
            ("code_verifier", &verifier),
        ],
        None,
        "invalid_grant",
    )
    .await;

    // Deny goes back to the client as access_denied.
    let (_, _, page) = sb.authorize(&native_authorize(&challenge, &[])).await;
    let (status, location) = sb.consent(&page, "", "", "deny").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert_eq!(
        query_param(location.as_str(), "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(location.as_str(), "state").as_deref(),
        Some("st-123")
    );
}

#[tokio::test]
async fn refresh_rotation_and_reuse_detection_revoke_the_family() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let (_, first) = native_tokens(&sb).await;
    let access1 = first["access_token"].as_str().unwrap();
    let refresh1 = first["refresh_token"].as_str().unwrap();

    let second = sb
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh1),
                ("client_id", NATIVE),
            ],
            None,
        )
        .await;
    let access2 = second["access_token"].as_str().unwrap();
    let refresh2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(refresh1, refresh2, "refresh token was not rotated");
    assert!(second["id_token"].is_string());
    assert_eq!(sb.introspect(refresh1).await["active"], false);
    assert_eq!(sb.introspect(refresh2).await["active"], true);
    assert_eq!(sb.introspect(access2).await["active"], true);

    // Narrowing works; widening does not.
    sb.token_error(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh2),
            ("client_id", NATIVE),
            ("scope", "openid api:read"),
        ],
        None,
        "invalid_scope",
    )
    .await;

    // Replaying the rotated token: reuse detected, the whole family dies.
    let error = sb
        .token_error(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh1),
                ("client_id", NATIVE),
            ],
            None,
            "invalid_grant",
        )
        .await;
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("reuse")
    );
    for token in [access1, access2, refresh2] {
        assert_eq!(sb.introspect(token).await["active"], false);
    }
    sb.token_error(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh2),
            ("client_id", NATIVE),
        ],
        None,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn revocation_makes_tokens_inactive() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let (_, tokens) = native_tokens(&sb).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    // Another client may not revoke it.
    let (status, _, _) = sb.post("/revoke", &[("token", access)], Some(WEB)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(sb.introspect(access).await["active"], true);

    let (status, _, _) = sb
        .post(
            "/revoke",
            &[
                ("token", access),
                ("token_type_hint", "access_token"),
                ("client_id", NATIVE),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sb.introspect(access).await["active"], false);
    let info = sb
        .http
        .get(sb.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
    // The refresh token still works after revoking only the access token...
    assert_eq!(sb.introspect(refresh).await["active"], true);
    let next = sb
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", NATIVE),
            ],
            None,
        )
        .await;
    // ...and revoking a refresh token revokes its grant's access tokens too.
    let refresh2 = next["refresh_token"].as_str().unwrap();
    let access2 = next["access_token"].as_str().unwrap();
    let (status, _, _) = sb
        .post(
            "/revoke",
            &[("token", refresh2), ("client_id", NATIVE)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sb.introspect(refresh2).await["active"], false);
    assert_eq!(sb.introspect(access2).await["active"], false);
    // Unknown tokens: 200 all the same (RFC 7009 §2.2).
    let (status, _, _) = sb
        .post("/revoke", &[("token", "nonsense")], Some(WEB))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Introspection needs client authentication.
    let (status, body, _) = sb.post("/introspect", &[("token", access2)], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

async fn device_start(sb: &Sandbox) -> Value {
    let (status, body, _) = sb
        .post(
            "/device_authorization",
            &[("client_id", NATIVE), ("scope", "openid offline_access")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn device_decide(sb: &Sandbox, user_code: &str, decision: &str) -> StatusCode {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("user_code", user_code),
            ("username", "alice"),
            ("password", "alice-password"),
            ("decision", decision),
        ])
        .finish();
    sb.http
        .post(sb.url("/device"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

fn device_poll(device_code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", NATIVE),
    ]
}

#[tokio::test]
async fn device_flow_pending_slow_down_approve_deny() {
    let sb = Sandbox::start(SandboxConfig {
        // Long enough that two back-to-back polls are always "too fast", however slow the machine.
        device_poll_interval: Duration::from_secs(30),
        ..SandboxConfig::default()
    })
    .await;
    let started = device_start(&sb).await;
    assert_eq!(started["interval"], 30);
    assert_eq!(started["verification_uri"], sb.url("/device"));
    let device_code = started["device_code"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    assert!(
        started["verification_uri_complete"]
            .as_str()
            .unwrap()
            .contains(user_code)
    );

    sb.token_error(&device_poll(device_code), None, "authorization_pending")
        .await;
    // A poll straight after the previous one is too fast.
    sb.token_error(&device_poll(device_code), None, "slow_down")
        .await;

    // The verification page knows the code (typed in lower case, without the dash).
    let typed = user_code.replace('-', "").to_lowercase();
    assert_eq!(device_decide(&sb, &typed, "approve").await, StatusCode::OK);
    let tokens = sb.token(&device_poll(device_code), None).await;
    let (_, claims) = sb
        .verify(
            tokens["access_token"].as_str().unwrap(),
            sandbox::DEFAULT_AUDIENCE,
        )
        .await;
    assert_eq!(claims["sub"], "sandbox-user-alice");
    assert!(tokens["refresh_token"].is_string());
    assert!(tokens["id_token"].is_string());
    // A device code is redeemed once.
    sb.token_error(&device_poll(device_code), None, "invalid_grant")
        .await;

    let denied = device_start(&sb).await;
    assert_eq!(
        device_decide(&sb, denied["user_code"].as_str().unwrap(), "deny").await,
        StatusCode::OK
    );
    sb.token_error(
        &device_poll(denied["device_code"].as_str().unwrap()),
        None,
        "access_denied",
    )
    .await;

    // Another client cannot redeem it; an unknown code is refused on the page.
    let other = device_start(&sb).await;
    sb.token_error(
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", other["device_code"].as_str().unwrap()),
        ],
        Some(WEB),
        "unauthorized_client",
    )
    .await;
    assert_eq!(
        device_decide(&sb, "BCDF-GHJK", "approve").await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn device_code_expires() {
    let sb = Sandbox::start(SandboxConfig {
        device_code_ttl: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    let started = device_start(&sb).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    sb.token_error(
        &device_poll(started["device_code"].as_str().unwrap()),
        None,
        "expired_token",
    )
    .await;
}

#[tokio::test]
async fn auto_approve_device_verification_link() {
    let sb = Sandbox::start(SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    })
    .await;
    let started = device_start(&sb).await;
    let link = started["verification_uri_complete"].as_str().unwrap();
    let page = sb.http.get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    assert!(text.contains("is approved"), "{text}");
    sb.token(&device_poll(started["device_code"].as_str().unwrap()), None)
        .await;
}

/// "--auto-approve: every request is approved at once": a script polls a device code that no
/// one took to the verification page, and gets its tokens at the first poll.
#[tokio::test]
async fn auto_approve_approves_a_device_code_nobody_visits() {
    let sb = Sandbox::start(SandboxConfig {
        auto_approve: Some("alice".into()),
        ..SandboxConfig::default()
    })
    .await;
    let started = device_start(&sb).await;
    let tokens = sb
        .token(&device_poll(started["device_code"].as_str().unwrap()), None)
        .await;
    assert!(tokens["access_token"].is_string(), "{tokens}");
}

#[tokio::test]
async fn unsafe_switches_change_behaviour() {
    let sb = Sandbox::start(SandboxConfig {
        auto_approve: Some("alice".into()),
        unsafe_switches: UnsafeSwitches {
            allow_plain_pkce: true,
            allow_missing_pkce: true,
            no_refresh_rotation: true,
            any_redirect_uri: true,
            long_lived_tokens: true,
            ..UnsafeSwitches::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let doc = sb.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        doc["grantscope_sandbox"]["unsafe_switches"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(
        doc["code_challenge_methods_supported"]
            .to_string()
            .contains("plain")
    );

    // Unregistered redirect URI is used.
    let (status, location, _) = sb
        .authorize(&[
            ("response_type", "code"),
            ("client_id", NATIVE),
            ("redirect_uri", "https://attacker.example/steal"),
        ])
        .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.unwrap();
    assert_eq!(location.host_str(), Some("attacker.example"));
    // ...and without PKCE the stolen code is redeemable by anyone knowing the public client id.
    let code = query_param(location.as_str(), "code").unwrap();
    let tokens = sb
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://attacker.example/steal"),
                ("client_id", NATIVE),
            ],
            None,
        )
        .await;
    // Long-lived: a year.
    let (_, claims) = sb
        .verify(
            tokens["access_token"].as_str().unwrap(),
            sandbox::DEFAULT_AUDIENCE,
        )
        .await;
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        365 * 24 * 3600
    );
    // No rotation: the same refresh token comes back and keeps working.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let next = sb
            .token(
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh),
                    ("client_id", NATIVE),
                ],
                None,
            )
            .await;
        assert_eq!(next["refresh_token"], refresh);
    }

    // plain PKCE accepted.
    let (verifier, _) = pkce_pair();
    let (_, location, _) = sb
        .authorize(&[
            ("response_type", "code"),
            ("client_id", NATIVE),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &verifier),
            ("code_challenge_method", "plain"),
        ])
        .await;
    let code = query_param(location.unwrap().as_str(), "code").unwrap();
    sb.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", NATIVE),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;

    // The pages announce it.
    let page = sb
        .http
        .get(sb.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("UNSAFE"));
}

#[tokio::test]
async fn keys_persist_across_restarts_and_rotate() {
    let keys = tempfile::tempdir().unwrap();
    let kid_dir = keys.path().to_path_buf();
    let first = Sandbox::start_in(SandboxConfig::default(), keys).await;
    let old_token = first
        .token(&[("grant_type", "client_credentials")], Some(MACHINE))
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let old_kid = jsonwebtoken::decode_header(&old_token)
        .unwrap()
        .kid
        .unwrap();
    let keys = first._keys;
    first.handle.shutdown().await.unwrap();

    // Same directory, new server: same keys, so the old token still verifies.
    let second = Sandbox::start_in(SandboxConfig::default(), keys).await;
    assert_eq!(second._keys.path(), kid_dir);
    let jwks = second.jwks().await;
    assert!(jwks.find(&old_kid).is_some());

    // Rotation: a new signing key, the old one still published.
    second.handle.rotate_keys().await.unwrap();
    let new_token = second
        .token(&[("grant_type", "client_credentials")], Some(MACHINE))
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let new_kid = jsonwebtoken::decode_header(&new_token)
        .unwrap()
        .kid
        .unwrap();
    assert_ne!(new_kid, old_kid);
    let jwks = second.jwks().await;
    assert!(jwks.find(&old_kid).is_some());
    assert!(jwks.find(&new_kid).is_some());
    second.verify(&new_token, sandbox::DEFAULT_AUDIENCE).await;
}

#[tokio::test]
async fn rejects_oversized_and_non_form_bodies_and_bad_config() {
    let sb = Sandbox::start(SandboxConfig::default()).await;
    let big = "a".repeat(64 * 1024);
    let (status, _, _) = sb
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("pad", &big)],
            Some(MACHINE),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let response = sb
        .http
        .post(sb.url("/token"))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let err = sandbox::start(SandboxConfig {
        auto_approve: Some("mallory".into()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("mallory"));
    // The port is taken: a clear bind error.
    let err = sandbox::start(SandboxConfig {
        port: sb.handle.port(),
        key_dir: Some(tempfile::tempdir().unwrap().path().to_path_buf()),
        ..SandboxConfig::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, sandbox::SandboxError::Bind { .. }), "{err}");
}

/// Independent verification: Node's `jose` library checks the sandbox's tokens against its JWKS.
#[tokio::test]
async fn tokens_verify_with_node_jose() {
    let script_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sandbox_verify");
    // Never a silent pass: without the verifier installed this test fails, as the end-to-end
    // tests do without their provider (scripts/test.sh installs both).
    assert!(
        script_dir.join("node_modules/jose").exists(),
        "tests/sandbox_verify/node_modules is missing; run `npm ci --prefix tests/sandbox_verify` \
         (scripts/test.sh does)"
    );
    for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
        let sb = Sandbox::start(SandboxConfig {
            signing_alg: alg,
            ..SandboxConfig::default()
        })
        .await;
        let (_, tokens) = native_tokens(&sb).await;
        let input = serde_json::json!({
            "issuer": sb.handle.issuer_str(),
            "access_token": tokens["access_token"],
            "id_token": tokens["id_token"],
            "client_id": NATIVE,
            "audience": sandbox::DEFAULT_AUDIENCE,
            "nonce": "n-456",
        });
        let output = run_node(&script_dir, &input.to_string()).await;
        assert!(
            output.status.success(),
            "jose refused the tokens: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            report["access_token"]["protectedHeader"]["alg"],
            alg.as_str()
        );
        assert_eq!(report["access_token"]["protectedHeader"]["typ"], "at+jwt");
        assert_eq!(report["id_token"]["payload"]["nonce"], "n-456");

        // And it must be able to say no: a token with a flipped signature byte is rejected.
        let access = tokens["access_token"].as_str().unwrap();
        let (head, sig) = access.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        sig[10] ^= 1;
        let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig));
        let input = serde_json::json!({
            "issuer": sb.handle.issuer_str(),
            "access_token": forged,
            "audience": sandbox::DEFAULT_AUDIENCE,
        });
        let output = run_node(&script_dir, &input.to_string()).await;
        assert!(!output.status.success(), "jose accepted a forged token");
    }
}

async fn run_node(dir: &std::path::Path, input: &str) -> std::process::Output {
    let script = dir.join("verify.mjs");
    let input = input.to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = std::process::Command::new("node")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node on PATH");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

/// The `grantscope sandbox` command: prints its issuer (here as JSON), keeps its keys under
/// GRANTSCOPE_CONFIG_DIR with mode 0600, serves, and stops cleanly on SIGTERM.
#[cfg(unix)]
#[test]
fn cli_prints_issuer_and_stops_on_sigterm() {
    use std::io::{BufRead as _, BufReader, Read as _};
    use std::os::unix::fs::PermissionsExt as _;

    let config_dir = tempfile::tempdir().unwrap();
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            // A failed assertion must not leave the server running.
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    let mut child = std::process::Command::new(common::grantscope_bin())
        .args([
            "sandbox",
            "--port",
            "0",
            "--json",
            "--access-token-ttl",
            "120",
        ])
        .env("GRANTSCOPE_CONFIG_DIR", config_dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map(KillOnDrop)
        .unwrap();
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let started: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let issuer = started["issuer"].as_str().unwrap().to_string();
    assert!(issuer.starts_with("http://127.0.0.1:"));
    assert_eq!(started["access_token_ttl"], 120);
    assert_eq!(
        started["clients"].as_array().unwrap().len(),
        sandbox::seeded_clients().len()
    );
    assert!(
        started["clients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == "weird:client")
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tokens: Value = runtime.block_on(async {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let response = http
            .post(format!("{issuer}/token"))
            .header("authorization", basic_auth_header(MACHINE.0, MACHINE.1))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    });
    assert_eq!(tokens["expires_in"], 120);

    let key = config_dir.path().join("sandbox/rs256.pk8");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", key.display());

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("sandbox stopped"), "{stderr}");
}
