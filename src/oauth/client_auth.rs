//! Client authentication, applied in one place ([`authenticate`]) for every endpoint that
//! authenticates the client: token, device authorization, introspection and revocation.
//! Methods: `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`, and `none` for
//! public clients. A new method is a variant of [`AuthMethod`] and an arm of [`authenticate`];
//! the call sites do not change (ARCHITECTURE.md, "adding a client-authentication method").

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use url::Url;

use super::ClientConfig;
use super::error::FlowError;
use crate::http::HttpRequest;
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
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 3] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
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
        match s {
            "client_secret_basic" | "basic" => Ok(AuthMethod::ClientSecretBasic),
            "client_secret_post" | "post" => Ok(AuthMethod::ClientSecretPost),
            "none" => Ok(AuthMethod::None),
            other => Err(format!(
                "unknown client authentication method {other:?}; use client_secret_basic, client_secret_post or none"
            )),
        }
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
        req
    }
}

/// The one place that authenticates the client to `endpoint` (the audience of assertion-based
/// methods), by the configured method.
pub fn authenticate(cfg: &ClientConfig, _endpoint: &Url) -> Result<AuthParts, FlowError> {
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
    }
    Ok(parts)
}

fn secret_kind<S: Secret>(_: &S) -> SecretKind {
    S::KIND
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!("private_key_jwt".parse::<AuthMethod>().is_err());
    }
}
