//! Starting from an API (RFC 9728, OAuth 2.0 Protected Resource Metadata): call the resource
//! without a token, read the `resource_metadata` parameter of its `WWW-Authenticate`
//! challenge (§5.1), else the well-known URL with the resource's path inserted (§3.1); fetch
//! that document, hold its `resource` to the URL asked for (§3.3: else it cannot be trusted),
//! then discover each of its `authorization_servers`.

use serde_json::Value;
use url::Url;

use super::discovery::{self, Discovery, SecondDocument};
use super::error::FlowError;
use super::resource::{Challenge, parse_www_authenticate};
use super::session::Session;
use crate::http::HttpRequest;

/// The well-known suffix of protected-resource metadata (RFC 9728 §3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// At most this many authorization servers of one document are discovered.
pub const MAX_AUTHORIZATION_SERVERS: usize = 8;

/// Where the metadata URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataSource {
    /// The challenge's `resource_metadata` parameter (RFC 9728 §5.1).
    Challenge,
    /// The well-known URL with the resource's path inserted (RFC 9728 §3.1).
    WellKnown,
}

impl MetadataSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataSource::Challenge => "challenge",
            MetadataSource::WellKnown => "well-known",
        }
    }
}

/// The raw `WWW-Authenticate` value of the token-less call, and its reading.
#[derive(Debug, Clone)]
pub struct ChallengeSeen {
    pub raw: String,
    pub challenges: Vec<Challenge>,
}

impl ChallengeSeen {
    /// The first challenge's `resource_metadata`, if any challenge has one.
    pub fn resource_metadata(&self) -> Option<&str> {
        self.challenges
            .iter()
            .find_map(|c| c.param("resource_metadata"))
    }
}

/// One authorization server the metadata names, and what its discovery found.
#[derive(Debug)]
pub struct AuthorizationServer {
    /// As the metadata spells it.
    pub issuer: String,
    pub discovery: Result<Discovery, FlowError>,
}

/// What `discover --resource` found.
#[derive(Debug)]
pub struct ResourceDiscovery {
    /// The resource's URL, as given.
    pub resource: Url,
    /// The status of the token-less call.
    pub status: u16,
    pub challenge: Option<ChallengeSeen>,
    pub metadata_url: Url,
    pub metadata_source: MetadataSource,
    pub metadata: Value,
    pub authorization_servers: Vec<AuthorizationServer>,
}

impl ResourceDiscovery {
    /// The metadata's `scopes_supported`, space-separated (empty when it names none).
    pub fn scopes_supported(&self) -> Vec<String> {
        self.metadata
            .get("scopes_supported")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The well-known metadata URL of `resource`: the suffix between host and path (RFC 9728
/// §3.1), the query kept, a trailing `/` of the path dropped.
pub fn well_known_url(resource: &Url) -> Url {
    let mut url = resource.clone();
    let path = resource.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{WELL_KNOWN}{path}"));
    url.set_fragment(None);
    url
}

/// Whether the metadata's `resource` identifies the resource asked for (RFC 9728 §3.3): the
/// same URL (compared parsed, so `https://api.example` and `https://api.example/` agree).
pub fn resource_matches(asked: &Url, published: &str) -> bool {
    published == asked.as_str() || Url::parse(published).is_ok_and(|u| u == *asked)
}

/// Calls `resource` without a token, finds and checks its metadata, and discovers each of
/// its authorization servers (a failure of one is kept beside it; the others go on).
/// The step name of the discovery's first request, the API called without a token: its 401
/// with a challenge is the answer expected, not a failure.
pub const CALL_WITHOUT_TOKEN_STEP: &str = "call without a token";

/// What the API called without a token said, when it is not the RFC 9728 pointer the
/// discovery hoped for: said before the metadata's failure, which follows from it. `None` when
/// the API asked for a Bearer token and named its metadata (nothing to add).
pub fn what_the_api_answered(status: u16, challenge: Option<&ChallengeSeen>) -> Option<String> {
    let bearer = challenge.and_then(|c| {
        c.challenges
            .iter()
            .find(|ch| ch.scheme.eq_ignore_ascii_case("bearer"))
    });
    match bearer {
        Some(b) if status == 401 => {
            if b.param("resource_metadata").is_some() {
                return None;
            }
            // A realm (or issuer) that is a URL is likely the authorization server.
            let named = ["realm", "issuer", "as_uri"]
                .iter()
                .filter_map(|p| b.param(p))
                .find(|r| Url::parse(r).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
                .map(|r| crate::text::inert(r).into_owned());
            Some(match named {
                Some(r) => format!(
                    "the API asks for a Bearer token (401) but does not point to RFC 9728 \
                     metadata (its challenge has no resource_metadata); it names {r:?}: try \
                     discovering that as the authorization server (grantscope discover {r})"
                ),
                None => "the API asks for a Bearer token (401) but does not point to RFC 9728 \
                         metadata (its challenge has no resource_metadata): find its \
                         authorization server in the API's documentation"
                    .to_owned(),
            })
        }
        _ => {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            let hint = if status == 404 {
                ": is the path right?"
            } else {
                ""
            };
            Some(format!(
                "the URL answered {status}{reason}, not 401 with a Bearer challenge{hint}"
            ))
        }
    }
}

pub async fn discover_resource(
    session: &mut Session,
    resource: &Url,
) -> Result<ResourceDiscovery, FlowError> {
    if resource.fragment().is_some() {
        return Err(FlowError::Config(format!(
            "a resource identifier has no fragment (RFC 9728 §1.2): {resource}"
        )));
    }
    let answer = session
        .send(CALL_WITHOUT_TOKEN_STEP, HttpRequest::get(resource.clone()))
        .await?;
    let raw: Vec<&str> = answer
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str())
        .collect();
    let challenge = (!raw.is_empty()).then(|| {
        let raw = raw.join(", ");
        ChallengeSeen {
            challenges: parse_www_authenticate(&raw),
            raw,
        }
    });
    let (metadata_url, metadata_source) = match challenge
        .as_ref()
        .and_then(ChallengeSeen::resource_metadata)
    {
        Some(given) => {
            let url = Url::parse(given).map_err(|e| {
                FlowError::Discovery(format!(
                    "the challenge's resource_metadata {:?} is not a URL: {e}",
                    crate::text::inert(given)
                ))
            })?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(FlowError::Discovery(format!(
                    "the challenge's resource_metadata {url} is not an http(s) URL"
                )));
            }
            (url, MetadataSource::Challenge)
        }
        None => (well_known_url(resource), MetadataSource::WellKnown),
    };
    let response = session
        .send(
            "protected resource metadata",
            HttpRequest::get(metadata_url.clone()),
        )
        .await?;
    if !response.is_success() {
        let first = match metadata_source {
            MetadataSource::WellKnown => what_the_api_answered(answer.status, challenge.as_ref())
                // "…is the path right?" ends with its own mark: no full stop after it.
                .map(|s| {
                    if s.ends_with(['?', '.', '!']) {
                        format!("{s} Then: ")
                    } else {
                        format!("{s}. Then: ")
                    }
                })
                .unwrap_or_default(),
            MetadataSource::Challenge => String::new(),
        };
        return Err(FlowError::Discovery(format!(
            "{first}no protected resource metadata at {metadata_url} ({}): HTTP {}",
            match metadata_source {
                MetadataSource::Challenge => "named by the challenge's resource_metadata",
                MetadataSource::WellKnown =>
                    "the well-known URL with the resource's path inserted, RFC 9728 §3.1",
            },
            response.status
        )));
    }
    let metadata = response.json_value().map_err(|source| FlowError::Body {
        what: "protected resource metadata",
        source,
    })?;
    if !metadata.is_object() {
        return Err(FlowError::Discovery(format!(
            "the protected resource metadata at {metadata_url} is not a JSON object"
        )));
    }
    match metadata.get("resource").and_then(Value::as_str) {
        Some(published) if resource_matches(resource, published) => {}
        Some(published) => {
            return Err(FlowError::Discovery(format!(
                "resource mismatch: asked about {resource} but the metadata at {metadata_url} \
                 is for {:?}; a resource's metadata must name the resource exactly (RFC 9728 \
                 §3.3), so it cannot be trusted (another resource's metadata, or an \
                 impersonation)",
                crate::text::inert(published)
            )));
        }
        None => {
            return Err(FlowError::Discovery(format!(
                "the protected resource metadata at {metadata_url} has no `resource` (RFC 9728 \
                 §2 requires it)"
            )));
        }
    }
    let servers: Vec<String> = metadata
        .get("authorization_servers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let mut authorization_servers = Vec::new();
    for issuer in servers.into_iter().take(MAX_AUTHORIZATION_SERVERS) {
        let discovery = match Url::parse(&issuer) {
            Ok(url) => discovery::discover_with(session, &url, SecondDocument::Always).await,
            Err(e) => Err(FlowError::Discovery(format!(
                "the authorization server {:?} is not a URL: {e}",
                crate::text::inert(&issuer)
            ))),
        };
        authorization_servers.push(AuthorizationServer { issuer, discovery });
    }
    Ok(ResourceDiscovery {
        resource: resource.clone(),
        status: answer.status,
        challenge,
        metadata_url,
        metadata_source,
        metadata,
        authorization_servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_suffix_goes_between_host_and_path() {
        let u = |s: &str| well_known_url(&Url::parse(s).unwrap()).to_string();
        assert_eq!(
            u("https://api.example/v1/things"),
            "https://api.example/.well-known/oauth-protected-resource/v1/things"
        );
        assert_eq!(
            u("https://api.example"),
            "https://api.example/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            u("https://api.example/v1/?x=1"),
            "https://api.example/.well-known/oauth-protected-resource/v1?x=1"
        );
    }

    #[test]
    fn what_the_api_answered_comes_before_the_metadata() {
        let seen = |raw: &str| ChallengeSeen {
            challenges: parse_www_authenticate(raw),
            raw: raw.into(),
        };
        let wrong_path = what_the_api_answered(404, None).unwrap();
        assert!(
            wrong_path.contains("answered 404 Not Found, not 401 with a Bearer challenge")
                && wrong_path.contains("is the path right?"),
            "{wrong_path}"
        );
        let realm = seen("Bearer realm=\"https://as.example\"");
        let named = what_the_api_answered(401, Some(&realm)).unwrap();
        assert!(
            named.contains("does not point to RFC 9728 metadata")
                && named.contains("grantscope discover https://as.example"),
            "{named}"
        );
        let opaque = seen("Bearer realm=\"api\"");
        let unnamed = what_the_api_answered(401, Some(&opaque)).unwrap();
        assert!(
            unnamed.contains("does not point to RFC 9728 metadata")
                && !unnamed.contains("grantscope discover"),
            "{unnamed}"
        );
        let pointed = seen("Bearer resource_metadata=\"https://api.example/.well-known/x\"");
        assert_eq!(what_the_api_answered(401, Some(&pointed)), None);
    }

    #[test]
    fn the_resource_must_be_the_one_asked_about() {
        let asked = Url::parse("https://api.example").unwrap();
        assert!(resource_matches(&asked, "https://api.example"));
        assert!(resource_matches(&asked, "https://api.example/"));
        assert!(!resource_matches(&asked, "https://evil.example"));
        assert!(!resource_matches(&asked, "https://api.example/other"));
    }
}
