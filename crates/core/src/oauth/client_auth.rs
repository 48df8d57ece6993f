//! Client authentication, applied in one place ([`authenticate`]) for every endpoint that
//! authenticates the client: token, device authorization, introspection and revocation.
//! Methods: `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`, `private_key_jwt`
//! and `client_secret_jwt` (RFC 7523 §2.2 assertions, built in `assertion.rs`),
//! `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705: the certificate is the
//! connection's, see `HttpSettings`), and `none` for public clients. A new method is a variant of [`AuthMethod`] and an arm of [`authenticate`];
//! the call sites do not change (ARCHITECTURE.md, "adding a client-authentication method").

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use url::Url;

use super::ClientConfig;
use super::assertion;
use super::error::{FlowError, GrantInput, Missing};
use crate::http::HttpRequest;
use crate::keys::{Signer, StoredKey, read_key_file};
use crate::secret::{Secret, SecretKind};

/// How the client proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic with the form-urlencoded id and secret.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: `client_id` in the body, no secret, no Authorization header.
    None,
    /// A JWT assertion signed with the client's private key (RFC 7523 §2.2, OIDC Core §9).
    PrivateKeyJwt,
    /// A JWT assertion HMAC-signed with the client secret (OIDC Core §9).
    ClientSecretJwt,
    /// A client certificate from a CA the server trusts, presented on every call (RFC 8705 §2.1).
    TlsClientAuth,
    /// A self-signed client certificate registered with the server (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 7] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::ClientSecretJwt,
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
        AuthMethod::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// Whether the method proves the client with a TLS client certificate.
    pub fn uses_certificate(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }

    /// Whether the method needs the client secret (to send or to sign with).
    pub fn needs_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt
        )
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The registry's names, and two short aliases.
        let s = match s {
            "basic" => "client_secret_basic",
            "post" => "client_secret_post",
            other => other,
        };
        if let Some(m) = AuthMethod::ALL.into_iter().find(|m| m.as_str() == s) {
            return Ok(m);
        }
        let names: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
        let (last, rest) = names.split_last().unwrap_or((&"none", &[]));
        Err(format!(
            "unknown client authentication method {s:?}; use {} or {last}",
            rest.join(", ")
        ))
    }
}

/// The `Authorization` header value for client_secret_basic: each part form-urlencoded
/// (RFC 6749 §2.3.1 / Appendix B) before base64.
pub fn basic_header(client_id: &str, client_secret: &str) -> String {
    let enc = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let raw = format!("{}:{}", enc(client_id), enc(client_secret));
    format!("Basic {}", STANDARD.encode(raw))
}

/// What client authentication adds to one request: body parameters, headers, and the
/// secrets they carry (marked for masking).
#[derive(Debug, Default, Clone)]
pub struct AuthParts {
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub secrets: Vec<(SecretKind, String)>,
    /// Decoded views to show beside the raw request (the client assertion).
    pub decoded: Vec<(String, serde_json::Value)>,
}

impl AuthParts {
    /// A form POST to `endpoint` with `params` and this authentication.
    pub fn post_form(self, endpoint: Url, params: Vec<(String, String)>) -> HttpRequest {
        let mut pairs = params;
        pairs.extend(self.params);
        let mut req = HttpRequest::post_form(endpoint, &pairs);
        for (k, v) in self.headers {
            req = req.header(k, v);
        }
        for (kind, v) in self.secrets {
            req = req.secret(kind, v);
        }
        for (name, value) in self.decoded {
            req = req.decoded(name, value);
        }
        req
    }
}

/// The one place that authenticates the client to `endpoint` (the audience of assertion-based
/// methods, unless the configuration names another), by the configured method.
pub fn authenticate(cfg: &ClientConfig, endpoint: &Url) -> Result<AuthParts, FlowError> {
    let method = cfg.effective_auth_method();
    let secret = cfg.secret_to_send();
    let mut parts = AuthParts::default();
    match method {
        AuthMethod::ClientSecretBasic => match secret {
            Some(secret) => {
                let header = basic_header(&cfg.client_id, secret.expose());
                let credentials = header.trim_start_matches("Basic ").to_string();
                parts.headers.push(("Authorization".into(), header));
                parts
                    .secrets
                    .push((SecretKind::ClientSecret, secret.expose().to_string()));
                parts.secrets.push((SecretKind::Credentials, credentials));
            }
            // Basic without a secret: identify the client in the body, like a public one.
            None => parts
                .params
                .push(("client_id".into(), cfg.client_id.clone())),
        },
        AuthMethod::ClientSecretPost => {
            parts
                .params
                .push(("client_id".into(), cfg.client_id.clone()));
            if let Some(secret) = secret {
                parts
                    .params
                    .push(("client_secret".into(), secret.expose().to_string()));
                parts
                    .secrets
                    .push((secret_kind(secret), secret.expose().to_string()));
            }
        }
        AuthMethod::None => parts
            .params
            .push(("client_id".into(), cfg.client_id.clone())),
        AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt => {
            let assertion = client_assertion_for(cfg, endpoint)?;
            parts
                .params
                .push(("client_id".into(), cfg.client_id.clone()));
            parts.params.extend(assertion::form_params(&assertion));
            parts.decoded.push((
                "client_assertion".into(),
                serde_json::json!({ "header": assertion.header, "claims": assertion.claims }),
            ));
            parts.secrets.push((SecretKind::Assertion, assertion.jwt));
        }
        // The certificate is presented in the TLS handshake by the connection's HTTP client;
        // the request names the client (RFC 8705 §2).
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => parts
            .params
            .push(("client_id".into(), cfg.client_id.clone())),
    }
    Ok(parts)
}

/// What the methods need beyond the client id and secret. A new method's settings go here
/// (and in its flags and form fields): profiles store them flattened, `ClientConfig` carries
/// them as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// `private_key_jwt`, JWT bearer, signed request objects: a stored key's name or a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    /// The assertion's `alg` (default: the key's; HS256 for `client_secret_jwt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<crate::keys::JwsAlg>,
    /// The client assertion's `aud`: issuer (default; the token endpoint when no issuer is
    /// known), token-endpoint, or a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assertion_audience: Option<assertion::AssertionAudience>,
}

/// The signing key a configuration names (a key's name in its key store, or a key file).
pub fn signing_key(cfg: &ClientConfig) -> Result<StoredKey, FlowError> {
    let Some(name) = cfg.auth.signing_key.as_deref().filter(|s| !s.is_empty()) else {
        return Err(FlowError::missing(
            "private_key_jwt",
            Missing::Input(GrantInput::SigningKey),
        ));
    };
    let resolved = match &cfg.key_store {
        Some(store) => store.resolve(name),
        None => read_key_file(std::path::Path::new(name)),
    };
    resolved.map_err(|e| FlowError::Config(format!("signing key: {e}")))
}

/// What a configuration's assertions name as `aud`: the audience asked for, else the issuer,
/// else (no issuer known: endpoints given by hand) the token endpoint — `endpoint` when even
/// that is unknown. An issuer asked for by name but unknown is an error.
pub fn assertion_audience(cfg: &ClientConfig, endpoint: &Url) -> Result<String, FlowError> {
    let token = Some(cfg.endpoints.token_endpoint.as_ref().unwrap_or(endpoint));
    let chosen = match (&cfg.auth.assertion_audience, &cfg.endpoints.issuer) {
        (Some(a), _) => a.clone(),
        (None, Some(_)) => assertion::AssertionAudience::Issuer,
        (None, None) => assertion::AssertionAudience::TokenEndpoint,
    };
    chosen
        .resolve(token, cfg.endpoints.issuer.as_ref())
        .map_err(|e| FlowError::Config(e.to_string()))
}

/// Why the assertions of `cfg` name the token endpoint although the default is the issuer, for
/// the connection's notes; `None` when they name what was asked or the issuer.
pub fn assertion_audience_note(cfg: &ClientConfig) -> Option<String> {
    let signs = matches!(
        cfg.effective_auth_method(),
        AuthMethod::PrivateKeyJwt | AuthMethod::ClientSecretJwt
    );
    (signs && cfg.auth.assertion_audience.is_none() && cfg.endpoints.issuer.is_none()).then(|| {
        "note: no issuer is known, so the client assertion's aud is the token endpoint (the \
         default is the issuer: give --issuer, or --assertion-audience)"
            .to_owned()
    })
}

/// Builds the client assertion for a request to `endpoint` (RFC 7523 §2.2).
pub fn client_assertion_for(
    cfg: &ClientConfig,
    endpoint: &Url,
) -> Result<assertion::SignedAssertion, FlowError> {
    let aud = assertion_audience(cfg, endpoint)?;
    let spec = assertion::ClientAssertionSpec {
        client_id: &cfg.client_id,
        audience: aud,
        alg: cfg.auth.signing_alg,
        lifetime: assertion::DEFAULT_LIFETIME,
        now: u64::try_from(crate::timefmt::now_unix()).unwrap_or(0),
    };
    let signed = match cfg.effective_auth_method() {
        AuthMethod::ClientSecretJwt => {
            let Some(secret) = cfg
                .client_secret
                .as_ref()
                .filter(|s| !s.expose().is_empty())
            else {
                return Err(FlowError::missing(
                    "client_secret_jwt",
                    Missing::ConfidentialClient,
                ));
            };
            assertion::client_assertion(Signer::Secret(secret.expose().as_bytes()), &spec)
        }
        _ => {
            let key = signing_key(cfg)?;
            assertion::client_assertion(Signer::Key(&key.key), &spec)
        }
    };
    signed.map_err(|e| FlowError::Config(e.to_string()))
}

fn secret_kind<S: Secret>(_: &S) -> SecretKind {
    S::KIND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_come_from_the_registry() {
        for m in AuthMethod::ALL {
            assert_eq!(m.as_str().parse::<AuthMethod>(), Ok(m));
        }
        assert_eq!("basic".parse(), Ok(AuthMethod::ClientSecretBasic));
        assert_eq!("post".parse(), Ok(AuthMethod::ClientSecretPost));
        assert_eq!(
            "x".parse::<AuthMethod>(),
            Err(
                "unknown client authentication method \"x\"; use client_secret_basic, \
                 client_secret_post, private_key_jwt, client_secret_jwt, tls_client_auth, \
                 self_signed_tls_client_auth or none"
                    .to_string()
            )
        );
    }

    #[test]
    fn basic_header_plain() {
        // base64("s6BhdRkqt3:gX1fBat3bV"), RFC 6749 §2.3.1's example credentials.
        assert_eq!(
            basic_header("s6BhdRkqt3", "gX1fBat3bV"),
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
    }

    #[test]
    fn basic_header_encodes_reserved_characters_first() {
        // id "weird:client" -> "weird%3Aclient"; secret "p@ss:w/rd+%&= x" -> form-encoded.
        let h = basic_header("weird:client", "p@ss:w/rd+%&= x");
        let decoded = STANDARD
            .decode(h.trim_start_matches("Basic "))
            .map(|b| String::from_utf8(b).unwrap())
            .unwrap();
        assert_eq!(decoded, "weird%3Aclient:p%40ss%3Aw%2Frd%2B%25%26%3D+x");
        // Exactly one unencoded colon separates the parts.
        assert_eq!(decoded.matches(':').count(), 1);
    }

    fn cfg(method: AuthMethod, secret: Option<&str>) -> ClientConfig {
        ClientConfig {
            client_id: "native".into(),
            client_secret: secret.map(Into::into),
            auth_method: Some(method),
            ..Default::default()
        }
    }

    #[test]
    fn public_client_sends_no_secret() {
        let url = Url::parse("http://x/token").unwrap();
        let parts = authenticate(&cfg(AuthMethod::None, Some("ignored")), &url).unwrap();
        assert_eq!(
            parts.params,
            vec![("client_id".to_string(), "native".to_string())]
        );
        let req = parts.post_form(url, vec![]);
        assert!(req.headers.iter().all(|(k, _)| k != "Authorization"));
        assert!(req.secrets.is_empty());
    }

    #[test]
    fn basic_and_post_mark_their_secrets() {
        let url = Url::parse("http://x/token").unwrap();
        let basic = authenticate(&cfg(AuthMethod::ClientSecretBasic, Some("s3")), &url).unwrap();
        assert!(basic.params.is_empty());
        assert_eq!(basic.headers[0].0, "Authorization");
        assert!(
            basic
                .secrets
                .iter()
                .any(|(k, v)| *k == SecretKind::ClientSecret && v == "s3")
        );
        let post = authenticate(&cfg(AuthMethod::ClientSecretPost, Some("s3")), &url).unwrap();
        assert!(post.headers.is_empty());
        assert!(post.params.contains(&("client_secret".into(), "s3".into())));
        let req = post.post_form(url, vec![("grant_type".into(), "x".into())]);
        assert_eq!(
            req.body.as_deref(),
            Some("grant_type=x&client_id=native&client_secret=s3")
        );
    }

    #[test]
    fn parse_names() {
        assert_eq!(
            "client_secret_post".parse(),
            Ok(AuthMethod::ClientSecretPost)
        );
        assert!("bogus_jwt".parse::<AuthMethod>().is_err());
        for method in AuthMethod::ALL {
            assert_eq!(method.as_str().parse(), Ok(method));
        }
    }

    #[test]
    fn assertion_methods_send_a_masked_assertion_and_its_decoded_claims() {
        let url = Url::parse("https://as.example/token").unwrap();
        let mut c = cfg(
            AuthMethod::ClientSecretJwt,
            Some("a-client-secret-long-enough-for-hs256-000"),
        );
        c.client_id = "app".into();
        let parts = authenticate(&c, &url).unwrap();
        let names: Vec<&str> = parts.params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["client_id", "client_assertion_type", "client_assertion"]
        );
        let (_, decoded) = &parts.decoded[0];
        assert_eq!(decoded["claims"]["aud"], "https://as.example/token");
        assert_eq!(decoded["header"]["alg"], "HS256");
        assert!(
            parts
                .secrets
                .iter()
                .any(|(k, _)| *k == SecretKind::Assertion)
        );
        assert!(parts.headers.is_empty());
        // Without its secret, client_secret_jwt cannot sign.
        let err = authenticate(&cfg(AuthMethod::ClientSecretJwt, None), &url).unwrap_err();
        assert!(matches!(err, FlowError::Missing { .. }), "{err}");
        // private_key_jwt needs a signing key.
        let err = authenticate(&cfg(AuthMethod::PrivateKeyJwt, None), &url).unwrap_err();
        assert!(matches!(err, FlowError::Missing { .. }), "{err}");
        // Mutual TLS names the client; the certificate is the connection's.
        let parts = authenticate(&cfg(AuthMethod::TlsClientAuth, None), &url).unwrap();
        assert_eq!(
            parts.params,
            vec![("client_id".to_string(), "native".to_string())]
        );
        assert!(parts.secrets.is_empty());
    }
}
