//! A prepared request ([`HttpRequest`]): pure, built before anything is sent, carrying the
//! secrets it holds marked so that every view of it masks them.

use serde_json::Value;
use url::Url;

use crate::secret::{Secret, SecretKind};

/// A pure, prepared request. Nothing is sent until [`HttpClient::send`]. Its `Debug` shows
/// it masked, as every view does.
#[derive(Clone)]
pub struct HttpRequest {
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Values to mask wherever this request is shown, each with its kind.
    pub secrets: Vec<(SecretKind, String)>,
    /// Decoded views of what the request carries, shown beside the raw form (a client
    /// assertion's header and claims). They must hold no secret.
    pub decoded: Vec<(String, Value)>,
}

impl HttpRequest {
    pub fn get(url: Url) -> Self {
        Self {
            method: "GET".into(),
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            secrets: Vec::new(),
            decoded: Vec::new(),
        }
    }

    /// A POST with an `application/x-www-form-urlencoded` body.
    pub fn post_form<K: AsRef<str>, V: AsRef<str>>(url: Url, pairs: &[(K, V)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        Self {
            method: "POST".into(),
            url,
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("Accept".into(), "application/json".into()),
            ],
            body: Some(body),
            secrets: Vec::new(),
            decoded: Vec::new(),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a decoded view (no secrets in it) shown beside the raw request.
    pub fn decoded(mut self, name: impl Into<String>, value: Value) -> Self {
        self.decoded.push((name.into(), value));
        self
    }

    /// Marks a value as secret: it is masked in every recorded form of this request.
    pub fn secret(mut self, kind: SecretKind, value: impl Into<String>) -> Self {
        push_secret(&mut self.secrets, kind, value.into());
        self
    }

    /// Marks a typed secret (see [`crate::secret`]).
    pub fn mark<S: Secret>(self, value: &S) -> Self {
        self.secret(S::KIND, value.expose())
    }
}

pub(super) fn push_secret(list: &mut Vec<(SecretKind, String)>, kind: SecretKind, value: String) {
    if !value.is_empty() && !list.iter().any(|(_, v)| *v == value) {
        list.push((kind, value));
    }
}

#[cfg(test)]
mod tests {
    use super::super::HttpResponse;
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn debug_shows_neither_the_requests_secrets_nor_the_responses_body() {
        let req = HttpRequest::post_form(
            Url::parse("https://as.example/token").unwrap(),
            &[
                ("client_secret", "s3cr3t-value"),
                ("grant_type", "client_credentials"),
            ],
        )
        .header("Authorization", "Bearer tok-123456")
        .secret(SecretKind::ClientSecret, "s3cr3t-value")
        .secret(SecretKind::AccessToken, "tok-123456");
        let shown = format!("{req:?}");
        assert!(
            !shown.contains("s3cr3t-value") && !shown.contains("tok-123456"),
            "{shown}"
        );
        assert!(shown.contains("grant_type=client_credentials"), "{shown}");
        let resp = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: br#"{"access_token":"tok-123456"}"#.to_vec(),
        };
        let shown = format!("{resp:?}");
        assert!(
            !shown.contains("tok-123456") && shown.contains("200"),
            "{shown}"
        );
    }

    #[test]
    fn form_body_is_urlencoded() {
        let req = HttpRequest::post_form(
            url("https://as.example/token"),
            &[("grant_type", "client_credentials"), ("scope", "a b&c")],
        );
        assert_eq!(
            req.body.as_deref(),
            Some("grant_type=client_credentials&scope=a+b%26c")
        );
    }
}
