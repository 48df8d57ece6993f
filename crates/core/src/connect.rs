//! The one way in: a profile (settings laid over by flags or form fields) and the endpoints a
//! command wants become a ready [`Connection`]: an HTTP client built from the profile's
//! transport settings, a recording [`Session`] with its observer, and the endpoints resolved
//! by discovery. The command line and every screen of the desktop app connect through here.
//!
//! Stored keys (a client certificate, a signing key, a DPoP key given by name) are looked up
//! in the [`KeyStore`] the caller hands in: the one of the config directory the command or
//! the app was given, never a default of its own.
//!
//! When discovery fails, one behaviour: if every wanted endpoint was given by hand, the
//! connection is made with those (and a note says discovery failed and why); otherwise the
//! error says which document failed and why, and which endpoint was wanted.

use crate::http::HttpClient;
use crate::keys::KeyStore;
use crate::oauth::discovery::{self, Discovery, SecondDocument};
use crate::oauth::dpop::{DpopKey, DpopState};
use crate::oauth::endpoint::EndpointKind;
use crate::oauth::error::{FlowError, Missing};
use crate::oauth::session::{FlowEvent, Observer};
use crate::oauth::{Endpoints, Session};
use crate::profile::Profile;

pub use crate::oauth::connection::Connection;

/// Connects: builds the HTTP client from `profile.http`, then runs discovery when the profile
/// has an issuer, reading the second metadata document when one of `wants` is missing from
/// the first. Endpoints given by hand win over discovered ones. Keys named by the profile are
/// looked up in `keys`.
pub async fn connect(
    profile: &Profile,
    keys: &KeyStore,
    wants: &[EndpointKind],
    observer: Option<Observer>,
) -> Result<Connection, FlowError> {
    connect_known(profile, keys, wants, observer, None).await
}

/// [`connect`], reusing `known`, the issuer's metadata read earlier in the same chain (the
/// wizard's API discovery), instead of fetching it again: used only when it is the profile
/// issuer's and holds every endpoint `wants` lacks; otherwise discovery runs as usual.
pub async fn connect_known(
    profile: &Profile,
    keys: &KeyStore,
    wants: &[EndpointKind],
    observer: Option<Observer>,
    known: Option<&Discovery>,
) -> Result<Connection, FlowError> {
    let mut config = profile
        .client_config()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    let options = profile
        .http
        .to_options(keys)
        .map_err(|e| FlowError::Config(e.to_string()))?;
    config.key_store = Some(keys.clone());
    config.decryption = decryption_keys(profile, keys)?;
    let certificate_auth = config.effective_auth_method().uses_certificate();
    if certificate_auth && options.client_identity.is_none() {
        return Err(FlowError::missing(
            config.effective_auth_method().as_str(),
            Missing::ClientCertificate,
        ));
    }
    let http = HttpClient::new(&options)?;
    let mut session = Session::new(http);
    if let Some(o) = observer {
        session = session.with_observer(o);
    }
    if profile.dpop {
        session.set_dpop(Some(std::sync::Arc::new(DpopState::new(dpop_key(
            profile, keys,
        )?))));
    }
    let mut notes = Vec::new();
    let mut found = None;
    if let Some(issuer) = config.endpoints.issuer.clone() {
        // Only what the settings lack makes the second document worth reading.
        let lacking: Vec<EndpointKind> = wants
            .iter()
            .copied()
            .filter(|k| k.get(&config.endpoints).is_none())
            .collect();
        let second = if lacking.is_empty() {
            SecondDocument::Never
        } else {
            SecondDocument::IfMissing(&lacking)
        };
        let reusable = known.filter(|d| {
            d.endpoints.issuer.as_ref().is_some_and(|i| {
                i.as_str().trim_end_matches('/') == issuer.as_str().trim_end_matches('/')
            }) && lacking.iter().all(|k| k.get(&d.endpoints).is_some())
        });
        let discovered = match reusable {
            Some(d) => {
                session.emit(FlowEvent::Note(format!(
                    "discovery of {issuer}: the metadata read earlier in this chain ({}), not \
                     fetched again",
                    d.source
                )));
                Ok(d.clone())
            }
            None => discovery::discover_with(&mut session, &issuer, second).await,
        };
        match discovered {
            Ok(d) => {
                let given = config.endpoints.clone();
                let mut discovered = d.endpoints.clone();
                if certificate_auth {
                    let note = use_mtls_aliases(&mut discovered, &d.metadata);
                    session.emit(FlowEvent::Note(note.clone()));
                    notes.push(note);
                }
                config.endpoints = given.or(&discovered);
                found = Some(d);
            }
            Err(e) if lacking.is_empty() && !matches!(e, FlowError::Config(_)) => {
                let note = format!("note: {e}; going on with the endpoints given by hand");
                session.emit(FlowEvent::Note(note.clone()));
                notes.push(note);
            }
            Err(FlowError::Discovery(why)) => {
                let names: Vec<&str> = lacking.iter().map(|k| k.title()).collect();
                return Err(FlowError::Discovery(format!(
                    "{why} (needed for the {})",
                    names.join(", ")
                )));
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(note) = crate::oauth::client_auth::assertion_audience_note(&config) {
        session.emit(FlowEvent::Note(note.clone()));
        notes.push(note);
    }
    Ok(Connection {
        config,
        discovery: found,
        session,
        notes,
    })
}

/// The profile's decryption keys, each a stored key's name or a key file (a JWKS file gives
/// every private key in it).
fn decryption_keys(
    profile: &Profile,
    keys: &KeyStore,
) -> Result<crate::oauth::config::DecryptionKeys, FlowError> {
    let mut loaded = Vec::new();
    for name in profile
        .decryption_keys
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let found = crate::token::jwe::load_decryption_keys(Some(keys), name).map_err(|e| {
            FlowError::Config(format!("decryption key {}: {e}", crate::text::inert(name)))
        })?;
        loaded.extend(found);
    }
    Ok(crate::oauth::config::DecryptionKeys::new(loaded))
}

/// The profile's DPoP key: the stored one it names, else a fresh ES256 key.
fn dpop_key(profile: &Profile, keys: &KeyStore) -> Result<DpopKey, FlowError> {
    match profile.dpop_key.as_deref().filter(|k| !k.trim().is_empty()) {
        None => DpopKey::generate(),
        Some(name) => {
            let stored = keys
                .resolve(name)
                .map_err(|e| FlowError::Config(format!("DPoP key {name:?}: {e}")))?;
            DpopKey::from_key(stored.key)
        }
    }
}

/// Mutual TLS (RFC 8705 §5): the calls that present the certificate go to the
/// `mtls_endpoint_aliases` when the metadata has them. Says what was done, for a note.
fn use_mtls_aliases(endpoints: &mut Endpoints, metadata: &serde_json::Value) -> String {
    let Some(aliases) = metadata
        .get("mtls_endpoint_aliases")
        .and_then(serde_json::Value::as_object)
    else {
        return "warning: the server publishes no mtls_endpoint_aliases; the client certificate \
                goes to the plain endpoints"
            .to_string();
    };
    let mut used = Vec::new();
    for (name, slot) in [
        ("token_endpoint", &mut endpoints.token_endpoint),
        (
            "introspection_endpoint",
            &mut endpoints.introspection_endpoint,
        ),
        ("revocation_endpoint", &mut endpoints.revocation_endpoint),
        (
            "device_authorization_endpoint",
            &mut endpoints.device_authorization_endpoint,
        ),
        ("userinfo_endpoint", &mut endpoints.userinfo_endpoint),
        (
            "pushed_authorization_request_endpoint",
            &mut endpoints.pushed_authorization_request_endpoint,
        ),
        (
            "backchannel_authentication_endpoint",
            &mut endpoints.backchannel_authentication_endpoint,
        ),
    ] {
        if let Some(url) = aliases
            .get(name)
            .and_then(serde_json::Value::as_str)
            .and_then(|u| url::Url::parse(u).ok())
        {
            *slot = Some(url);
            used.push(name);
        }
    }
    format!(
        "mutual TLS: using the mtls_endpoint_aliases for {}",
        used.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key the profile names is found in the store the caller hands in (the app's or the
    /// command's config directory), not in a default one.
    #[tokio::test]
    async fn stored_keys_resolve_in_the_key_store_given() {
        use crate::keys::{GenerateType, PrivateKey};
        let dir = tempfile::tempdir().unwrap();
        let keys = KeyStore::new(dir.path().join("keys"));
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        keys.save("dpop-key", &key, &[]).unwrap();
        let profile = Profile {
            token_endpoint: Some("http://127.0.0.1:9/token".into()),
            dpop: true,
            dpop_key: Some("dpop-key".into()),
            ..Profile::default()
        };
        let conn = connect(&profile, &keys, &[], None).await.unwrap();
        assert_eq!(
            conn.config.key_store.as_ref().map(KeyStore::dir),
            Some(keys.dir())
        );
        let elsewhere = KeyStore::new(dir.path().join("other"));
        let err = connect(&profile, &elsewhere, &[], None)
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("dpop-key") && err.contains("other"), "{err}");
    }

    #[test]
    fn mtls_aliases_replace_the_endpoints_that_present_the_certificate() {
        let url = |s: &str| Some(url::Url::parse(s).unwrap());
        let mut endpoints = Endpoints {
            token_endpoint: url("https://as.example/token"),
            authorization_endpoint: url("https://as.example/authorize"),
            ..Default::default()
        };
        let metadata = serde_json::json!({ "mtls_endpoint_aliases": {
            "token_endpoint": "https://mtls.as.example/token",
            "pushed_authorization_request_endpoint": "https://mtls.as.example/par",
        }});
        let note = use_mtls_aliases(&mut endpoints, &metadata);
        assert_eq!(
            endpoints.token_endpoint,
            url("https://mtls.as.example/token")
        );
        assert_eq!(
            endpoints.pushed_authorization_request_endpoint,
            url("https://mtls.as.example/par")
        );
        // The browser's endpoint never changes.
        assert_eq!(
            endpoints.authorization_endpoint,
            url("https://as.example/authorize")
        );
        assert!(note.contains("token_endpoint"), "{note}");
        let note = use_mtls_aliases(&mut endpoints, &serde_json::json!({}));
        assert!(note.starts_with("warning"), "{note}");
    }
}
