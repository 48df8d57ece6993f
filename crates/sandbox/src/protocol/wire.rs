//! The sandbox's wire format: RFC 6749 §5.2 error responses, non-cacheable JSON responses,
//! strict form parsing (no repeated parameters) and RFC 8707 resource checks.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An RFC 6749 §5.2 error as a JSON response.
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Add `WWW-Authenticate: Basic` (failed client authentication, RFC 6749 §5.2).
    pub basic_challenge: bool,
}

impl OAuthError {
    pub(crate) fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            basic_challenge: true,
        }
    }

    pub(crate) fn server_error(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..Self::new("server_error", description)
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = json_response(self.status, &body);
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"grantscope-sandbox\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

/// A JSON response that must not be cached (RFC 6749 §5.1).
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Parsed `application/x-www-form-urlencoded` parameters, kept in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(bytes: &[u8]) -> Params {
        Params(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Parameters from name/value pairs (a request object's claims).
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// The body of a POST, which must be form-encoded (RFC 6749 §3.2).
    pub(crate) fn from_form(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            ));
        }
        Ok(Params::parse(body))
    }

    /// A parameter that may appear at most once; an empty value counts as absent (RFC 6749 §3.1).
    pub(crate) fn single(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter {name} is repeated; it may appear only once"
            )));
        }
        Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
    }

    /// A parameter that must be present once.
    pub(crate) fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.single(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    /// Every non-empty value of a repeatable parameter (such as RFC 8707 `resource`).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Every parameter name the sandbox reads somewhere (the `unsafe-refuse-unknown-params`
/// switch refuses any other).
const KNOWN_PARAMS: &[&str] = &[
    "acr_values",
    "actor_token",
    "actor_token_type",
    "assertion",
    "audience",
    "authorization_details",
    "client_assertion",
    "client_assertion_type",
    "client_id",
    "client_secret",
    "code",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "device_code",
    "dpop_jkt",
    "grant_type",
    "login_hint",
    "max_age",
    "nonce",
    "password",
    "prompt",
    "redirect_uri",
    "refresh_token",
    "request",
    "request_uri",
    "requested_token_type",
    "resource",
    "response_mode",
    "response_type",
    "scope",
    "state",
    "subject_token",
    "subject_token_type",
    "username",
];

impl Params {
    /// The parameters as two teaching switches make of them: the first value of each repeated
    /// one kept (`unsafe-accept-duplicate-params`; repeatable `resource` keeps all), and any
    /// unknown one refused (`unsafe-refuse-unknown-params`). Without the switches, unchanged.
    pub(crate) fn screened(
        self,
        accept_duplicates: bool,
        refuse_unknown: bool,
    ) -> Result<Params, OAuthError> {
        if refuse_unknown
            && let Some((name, _)) = self
                .0
                .iter()
                .find(|(k, _)| !KNOWN_PARAMS.contains(&k.as_str()))
        {
            return Err(OAuthError::invalid_request(format!(
                "unknown parameter {:?} (the unsafe-refuse-unknown-params teaching switch refuses \
                 what OAuth 2.1 §3.1 says to ignore)",
                grantscope_core::http::excerpt(name, 40)
            )));
        }
        if !accept_duplicates {
            return Ok(self);
        }
        let mut kept: Vec<(String, String)> = Vec::new();
        for (k, v) in self.0 {
            if k == "resource" || !kept.iter().any(|(seen, _)| *seen == k) {
                kept.push((k, v));
            }
        }
        Ok(Params(kept))
    }
}

/// Checks RFC 8707 resource indicators: absolute URIs without a fragment.
pub(crate) fn validate_resources(resources: &[String]) -> Result<(), OAuthError> {
    for resource in resources {
        let ok = url::Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
        if !ok {
            return Err(OAuthError::new(
                "invalid_target",
                format!("resource {resource:?} must be an absolute URI without a fragment"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_rejected() {
        let params = Params::parse(b"scope=a&scope=b&resource=x&resource=y&empty=");
        assert!(params.single("scope").is_err());
        assert_eq!(params.all("resource"), vec!["x", "y"]);
        assert_eq!(params.single("empty").unwrap(), None);
    }
}
