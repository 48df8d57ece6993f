//! Server metadata discovery: OpenID Connect Discovery (`/.well-known/openid-configuration`)
//! and RFC 8414 (`/.well-known/oauth-authorization-server`), with the issuer-match check that
//! guards against mix-up attacks.

use serde_json::Value;
use url::Url;

use super::error::FlowError;
use super::{Endpoints, Session};
use crate::http::HttpRequest;

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The metadata document as received.
    pub metadata: Value,
    /// Where it was found.
    pub source: Url,
    pub endpoints: Endpoints,
    /// RFC 9207: the server sends `iss` on authorization responses.
    pub iss_parameter_supported: bool,
}

impl Discovery {
    /// A metadata array as strings (e.g. `grant_types_supported`).
    pub fn supported(&self, name: &str) -> Vec<String> {
        self.metadata
            .get(name)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The metadata URLs to try for an issuer, in order.
pub fn candidate_urls(issuer: &Url) -> Vec<Url> {
    let base = issuer.as_str().trim_end_matches('/');
    let path = issuer.path().trim_end_matches('/');
    let mut out = Vec::new();
    let mut push = |s: String| {
        if let Ok(u) = Url::parse(&s)
            && !out.contains(&u)
        {
            out.push(u);
        }
    };
    push(format!("{base}/.well-known/openid-configuration"));
    // RFC 8414 §3.1: the well-known segment goes between host and path.
    let mut origin = issuer.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    let origin = origin.as_str().trim_end_matches('/').to_string();
    push(format!(
        "{origin}/.well-known/oauth-authorization-server{path}"
    ));
    if !path.is_empty() {
        push(format!("{base}/.well-known/oauth-authorization-server"));
    }
    out
}

/// Reads the endpoints out of a metadata document.
pub fn endpoints_from_metadata(metadata: &Value) -> Endpoints {
    let url = |name: &str| {
        metadata
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok())
    };
    Endpoints {
        issuer: url("issuer"),
        authorization_endpoint: url("authorization_endpoint"),
        token_endpoint: url("token_endpoint"),
        device_authorization_endpoint: url("device_authorization_endpoint"),
        introspection_endpoint: url("introspection_endpoint"),
        revocation_endpoint: url("revocation_endpoint"),
        userinfo_endpoint: url("userinfo_endpoint"),
        jwks_uri: url("jwks_uri"),
    }
}

/// Whether the metadata's issuer is the one we asked for. A trailing slash typed by the user
/// is forgiven; anything else is a mismatch.
pub fn issuer_matches(asked: &Url, metadata_issuer: &str) -> bool {
    asked.as_str() == metadata_issuer
        || asked.as_str().trim_end_matches('/') == metadata_issuer
        || (asked.path() == "/" && asked.as_str().trim_end_matches('/') == metadata_issuer)
}

/// Fetches and checks the issuer's metadata.
pub async fn discover(session: &mut Session, issuer: &Url) -> Result<Discovery, FlowError> {
    if issuer.query().is_some() || issuer.fragment().is_some() {
        return Err(FlowError::Config(format!(
            "an issuer URL has no query or fragment (RFC 8414 §2): {issuer}"
        )));
    }
    let mut tried = Vec::new();
    for url in candidate_urls(issuer) {
        let resp = match session
            .send("discovery", HttpRequest::get(url.clone()))
            .await
        {
            Ok(r) => r,
            Err(FlowError::Http(e)) => {
                return Err(FlowError::Discovery(format!(
                    "discovery failed for {issuer}: {e}"
                )));
            }
            Err(e) => return Err(e),
        };
        if !resp.is_success() {
            tried.push(format!("{url} → HTTP {}", resp.status));
            continue;
        }
        let metadata = resp.json_value().map_err(|e| {
            FlowError::Discovery(format!("the metadata at {url} is not usable: {e}"))
        })?;
        if !metadata.is_object() {
            return Err(FlowError::Discovery(format!(
                "the metadata at {url} is not a JSON object"
            )));
        }
        let found = metadata
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                FlowError::Discovery(format!("the metadata at {url} has no `issuer`"))
            })?;
        if !issuer_matches(issuer, found) {
            return Err(FlowError::Discovery(format!(
                "issuer mismatch: asked for {issuer} but the metadata at {url} says {found:?}; \
                 a server must publish its own issuer exactly (RFC 8414 §3.3), so this metadata cannot be trusted"
            )));
        }
        let iss_parameter_supported = metadata
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        return Ok(Discovery {
            endpoints: endpoints_from_metadata(&metadata),
            metadata,
            source: url,
            iss_parameter_supported,
        });
    }
    Err(FlowError::Discovery(format!(
        "no metadata found for {issuer} (tried {}); give the endpoints by hand instead (--token-endpoint, ...)",
        tried.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_for_root_and_path_issuers() {
        let root = candidate_urls(&Url::parse("https://as.example.com").unwrap());
        assert_eq!(
            root.iter().map(Url::as_str).collect::<Vec<_>>(),
            vec![
                "https://as.example.com/.well-known/openid-configuration",
                "https://as.example.com/.well-known/oauth-authorization-server",
            ]
        );
        let path = candidate_urls(&Url::parse("https://as.example.com/tenant/1").unwrap());
        assert_eq!(
            path.iter().map(Url::as_str).collect::<Vec<_>>(),
            vec![
                "https://as.example.com/tenant/1/.well-known/openid-configuration",
                "https://as.example.com/.well-known/oauth-authorization-server/tenant/1",
                "https://as.example.com/tenant/1/.well-known/oauth-authorization-server",
            ]
        );
    }

    #[test]
    fn issuer_match_rules() {
        let u = |s| Url::parse(s).unwrap();
        assert!(issuer_matches(
            &u("http://127.0.0.1:3000"),
            "http://127.0.0.1:3000"
        ));
        assert!(issuer_matches(
            &u("https://a.example/t/"),
            "https://a.example/t"
        ));
        assert!(!issuer_matches(
            &u("https://a.example"),
            "https://evil.example"
        ));
        assert!(!issuer_matches(
            &u("https://a.example/t"),
            "https://a.example/t2"
        ));
    }
}
