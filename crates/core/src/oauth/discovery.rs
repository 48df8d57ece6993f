//! Server metadata discovery: OpenID Connect Discovery (`/.well-known/openid-configuration`)
//! and RFC 8414 (`/.well-known/oauth-authorization-server`, path-inserted), with the
//! issuer-match check that guards against mix-up attacks. When an endpoint a command needs is
//! missing from the first document, the other one is read and merged (the first wins).

use serde_json::Value;
use url::Url;

use super::endpoint::EndpointKind;
use super::error::FlowError;
use super::{Endpoints, Session};
use crate::http::HttpRequest;

/// The two kinds of metadata document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`).
    OpenId,
    /// RFC 8414 (`/.well-known/oauth-authorization-server`, path-inserted).
    OAuth,
}

impl DocumentKind {
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::OpenId => "OpenID configuration",
            DocumentKind::OAuth => "RFC 8414 metadata",
        }
    }

    fn other(self) -> DocumentKind {
        match self {
            DocumentKind::OpenId => DocumentKind::OAuth,
            DocumentKind::OAuth => DocumentKind::OpenId,
        }
    }
}

/// When to read the second metadata document after the first.
#[derive(Debug, Clone, Copy)]
pub enum SecondDocument<'a> {
    Never,
    /// When one of these endpoints is missing from the first document.
    IfMissing(&'a [EndpointKind]),
    Always,
}

/// What discovery found: both documents merged when both were read (the first wins on
/// conflicts), with where each endpoint came from.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The metadata, as received (merged when two documents were read).
    pub metadata: Value,
    /// Where the first document was found.
    pub source: Url,
    /// The documents read, in order.
    pub documents: Vec<(DocumentKind, Url)>,
    /// Why the second document was not used, when it was looked for.
    pub second_failure: Option<String>,
    /// Each endpoint's metadata name and the document that supplied it.
    pub endpoint_sources: Vec<(&'static str, Url)>,
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

    /// The document that supplied a metadata member (`token_endpoint`), if any did.
    pub fn source_of(&self, metadata_name: &str) -> Option<&Url> {
        self.endpoint_sources
            .iter()
            .find(|(n, _)| *n == metadata_name)
            .map(|(_, u)| u)
    }
}

/// The metadata URLs to try for an issuer, in order.
pub fn candidate_urls(issuer: &Url) -> Vec<Url> {
    candidates(issuer).into_iter().map(|(_, u)| u).collect()
}

/// The metadata URLs to try for an issuer, in order, with the kind of each.
pub fn candidates(issuer: &Url) -> Vec<(DocumentKind, Url)> {
    let base = issuer.as_str().trim_end_matches('/');
    let path = issuer.path().trim_end_matches('/');
    let mut out: Vec<(DocumentKind, Url)> = Vec::new();
    let mut push = |kind, s: String| {
        if let Ok(u) = Url::parse(&s)
            && !out.iter().any(|(_, x)| *x == u)
        {
            out.push((kind, u));
        }
    };
    push(
        DocumentKind::OpenId,
        format!("{base}/.well-known/openid-configuration"),
    );
    // RFC 8414 §3.1: the well-known segment goes between host and path.
    let mut origin = issuer.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    let origin = origin.as_str().trim_end_matches('/').to_string();
    push(
        DocumentKind::OAuth,
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
    );
    if !path.is_empty() {
        push(
            DocumentKind::OAuth,
            format!("{base}/.well-known/oauth-authorization-server"),
        );
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
    let mut endpoints = Endpoints {
        issuer: url("issuer"),
        ..Endpoints::default()
    };
    for kind in EndpointKind::ALL {
        *kind.slot(&mut endpoints) = url(kind.metadata_name());
    }
    endpoints
}

/// Whether the metadata's issuer is the one we asked for. A trailing slash typed by the user
/// is forgiven; anything else is a mismatch.
pub fn issuer_matches(asked: &Url, metadata_issuer: &str) -> bool {
    asked.as_str() == metadata_issuer
        || asked.as_str().trim_end_matches('/') == metadata_issuer
        || (asked.path() == "/" && asked.as_str().trim_end_matches('/') == metadata_issuer)
}

/// Why one document could not be used.
enum DocFailure {
    /// Not there (a status other than 2xx): try the next candidate.
    Absent(String),
    /// There but unusable, or the server unreachable: stop.
    Fatal(FlowError),
}

/// Fetches one candidate document and checks it.
async fn fetch(session: &mut Session, issuer: &Url, url: &Url) -> Result<Value, DocFailure> {
    let resp = match session
        .send("discovery", HttpRequest::get(url.clone()))
        .await
    {
        Ok(r) => r,
        Err(FlowError::Http(e)) => {
            return Err(DocFailure::Fatal(FlowError::Discovery(format!(
                "discovery failed for {issuer}: {url}: {e}"
            ))));
        }
        Err(e) => return Err(DocFailure::Fatal(e)),
    };
    if !resp.is_success() {
        return Err(DocFailure::Absent(format!("{url} → HTTP {}", resp.status)));
    }
    let metadata = resp.json_value().map_err(|e| {
        DocFailure::Fatal(FlowError::Discovery(format!(
            "the metadata at {url} is not usable: {e}"
        )))
    })?;
    if !metadata.is_object() {
        return Err(DocFailure::Fatal(FlowError::Discovery(format!(
            "the metadata at {url} is not a JSON object"
        ))));
    }
    let found = metadata
        .get("issuer")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            DocFailure::Fatal(FlowError::Discovery(format!(
                "the metadata at {url} has no `issuer`"
            )))
        })?;
    if !issuer_matches(issuer, found) {
        return Err(DocFailure::Fatal(FlowError::Discovery(format!(
            "issuer mismatch: asked for {issuer} but the metadata at {url} says {found:?}; \
             a server must publish its own issuer exactly (RFC 8414 §3.3), so this metadata cannot be trusted"
        ))));
    }
    Ok(metadata)
}

/// The first usable document of one kind, or why there is none.
async fn first_of_kind(
    session: &mut Session,
    issuer: &Url,
    kind: DocumentKind,
) -> Result<(Url, Value), DocFailure> {
    let mut tried = Vec::new();
    for (_, url) in candidates(issuer).into_iter().filter(|(k, _)| *k == kind) {
        match fetch(session, issuer, &url).await {
            Ok(v) => return Ok((url, v)),
            Err(DocFailure::Absent(why)) => tried.push(why),
            Err(fatal) => return Err(fatal),
        }
    }
    Err(DocFailure::Absent(tried.join(", ")))
}

/// Fetches and checks the issuer's first metadata document (OpenID, else RFC 8414).
pub async fn discover(session: &mut Session, issuer: &Url) -> Result<Discovery, FlowError> {
    discover_with(session, issuer, SecondDocument::Never).await
}

/// Fetches the first metadata document and, as `second` says, the other kind too, merging
/// them (the first wins on conflicts). A second document that is absent or unusable leaves
/// the first as it is; why is kept in [`Discovery::second_failure`].
pub async fn discover_with(
    session: &mut Session,
    issuer: &Url,
    second: SecondDocument<'_>,
) -> Result<Discovery, FlowError> {
    if issuer.query().is_some() || issuer.fragment().is_some() {
        return Err(FlowError::Config(format!(
            "an issuer URL has no query or fragment (RFC 8414 §2): {issuer}"
        )));
    }
    let mut absent = Vec::new();
    let mut first = None;
    for kind in [DocumentKind::OpenId, DocumentKind::OAuth] {
        match first_of_kind(session, issuer, kind).await {
            Ok(found) => {
                first = Some((kind, found));
                break;
            }
            Err(DocFailure::Absent(why)) => absent.push(why),
            Err(DocFailure::Fatal(e)) => return Err(e),
        }
    }
    let Some((kind, (source, metadata))) = first else {
        return Err(FlowError::Discovery(format!(
            "no metadata found for {issuer} (tried {}); give the endpoints by hand instead",
            absent.join(", ")
        )));
    };
    let mut found = Discovery {
        endpoint_sources: sources_of(&metadata, &source),
        endpoints: endpoints_from_metadata(&metadata),
        metadata,
        documents: vec![(kind, source.clone())],
        source,
        second_failure: None,
        iss_parameter_supported: false,
    };
    let want_second = match second {
        SecondDocument::Never => false,
        SecondDocument::Always => true,
        SecondDocument::IfMissing(kinds) => kinds.iter().any(|k| k.get(&found.endpoints).is_none()),
    };
    // Only the kind not read yet; when the first was RFC 8414, the OpenID one was absent.
    if want_second && kind == DocumentKind::OpenId {
        let other = kind.other();
        match first_of_kind(session, issuer, other).await {
            Ok((url, doc)) => found.merge(other, url, &doc),
            Err(DocFailure::Absent(why)) => {
                found.second_failure = Some(format!("no {} ({why})", other.title()))
            }
            Err(DocFailure::Fatal(e)) => {
                found.second_failure = Some(format!("the {} is not used: {e}", other.title()))
            }
        }
    }
    found.iss_parameter_supported = found
        .metadata
        .get("authorization_response_iss_parameter_supported")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(found)
}

/// The endpoint members a document has, each with the document's URL.
fn sources_of(metadata: &Value, source: &Url) -> Vec<(&'static str, Url)> {
    EndpointKind::ALL
        .iter()
        .map(|k| k.metadata_name())
        .filter(|n| metadata.get(*n).and_then(Value::as_str).is_some())
        .map(|n| (n, source.clone()))
        .collect()
}

impl Discovery {
    /// Adds what `doc` has and the metadata lacks; the first document wins on conflicts.
    fn merge(&mut self, kind: DocumentKind, url: Url, doc: &Value) {
        if let (Some(into), Some(from)) = (self.metadata.as_object_mut(), doc.as_object()) {
            for (k, v) in from {
                if !into.contains_key(k) {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
        for (name, src) in sources_of(doc, &url) {
            if self.source_of(name).is_none() {
                self.endpoint_sources.push((name, src));
            }
        }
        self.endpoints = endpoints_from_metadata(&self.metadata);
        self.documents.push((kind, url));
    }
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
