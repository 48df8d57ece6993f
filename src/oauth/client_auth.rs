//! Client authentication at the token, device, introspection and revocation endpoints:
//! `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`, and `none` for public clients.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::http::HttpRequest;

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

/// Form parameters the method adds to the body (before the request is built).
pub fn body_params(
    method: AuthMethod,
    client_id: &str,
    secret: Option<&str>,
) -> Vec<(String, String)> {
    match method {
        AuthMethod::ClientSecretBasic => Vec::new(),
        AuthMethod::ClientSecretPost => {
            let mut p = vec![("client_id".to_string(), client_id.to_string())];
            if let Some(s) = secret {
                p.push(("client_secret".to_string(), s.to_string()));
            }
            p
        }
        AuthMethod::None => vec![("client_id".to_string(), client_id.to_string())],
    }
}

/// Adds the header (for basic) and marks the secret for masking.
pub fn apply_header(
    req: HttpRequest,
    method: AuthMethod,
    client_id: &str,
    secret: Option<&str>,
) -> HttpRequest {
    match (method, secret) {
        (AuthMethod::ClientSecretBasic, Some(secret)) => {
            let header = basic_header(client_id, secret);
            let credentials = header.trim_start_matches("Basic ").to_string();
            req.header("Authorization", header)
                .secret(secret)
                .secret(credentials)
        }
        (_, Some(secret)) => req.secret(secret),
        (_, None) => req,
    }
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

    #[test]
    fn public_client_sends_no_secret() {
        let p = body_params(AuthMethod::None, "native", Some("ignored"));
        assert_eq!(p, vec![("client_id".to_string(), "native".to_string())]);
        let req = HttpRequest::post_form(url::Url::parse("http://x/token").unwrap(), &p);
        let req = apply_header(req, AuthMethod::None, "native", None);
        assert!(req.headers.iter().all(|(k, _)| k != "Authorization"));
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
