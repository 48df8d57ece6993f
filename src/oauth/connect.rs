//! The one way in: a profile (settings laid over by flags or form fields) and the endpoints a
//! command wants become a ready [`Connection`]: an HTTP client built from the profile's
//! transport settings, a recording [`Session`] with its observer, and the endpoints resolved
//! by discovery. The command line and every screen of the desktop app connect through here.
//!
//! When discovery fails, one behaviour: if every wanted endpoint was given by hand, the
//! connection is made with those (and a note says discovery failed and why); otherwise the
//! error says which document failed and why, and which endpoint was wanted.

use super::discovery::{self, Discovery, SecondDocument};
use super::dpop::{DpopKey, DpopState};
use super::endpoint::EndpointKind;
use super::error::FlowError;
use super::session::{FlowEvent, Observer};
use super::{ClientConfig, Session};
use crate::http::HttpClient;
use crate::profile::Profile;

/// A connection ready to use.
pub struct Connection {
    /// The client settings, with the endpoints given by hand completed by discovery.
    pub config: ClientConfig,
    /// What discovery found, when the profile has an issuer and discovery succeeded.
    pub discovery: Option<Discovery>,
    /// Sends and records every exchange (discovery included).
    pub session: Session,
    /// Things the user should know (discovery failed but the given endpoints are used, ...).
    pub notes: Vec<String>,
}

impl Connection {
    /// The endpoint of a kind, if known.
    pub fn endpoint(&self, kind: EndpointKind) -> Option<&url::Url> {
        kind.get(&self.config.endpoints)
    }
}

/// Connects: builds the HTTP client from `profile.http`, then runs discovery when the profile
/// has an issuer, reading the second metadata document when one of `wants` is missing from
/// the first. Endpoints given by hand win over discovered ones.
pub async fn connect(
    profile: &Profile,
    wants: &[EndpointKind],
    observer: Option<Observer>,
) -> Result<Connection, FlowError> {
    let mut config = profile
        .client_config()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    let options = profile
        .http
        .to_options()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    let http = HttpClient::new(&options)?;
    let mut session = Session::new(http);
    if let Some(o) = observer {
        session = session.with_observer(o);
    }
    if profile.dpop {
        session.set_dpop(Some(std::sync::Arc::new(DpopState::new(dpop_key(
            profile,
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
        match discovery::discover_with(&mut session, &issuer, second).await {
            Ok(d) => {
                let given = config.endpoints.clone();
                config.endpoints = given.or(&d.endpoints);
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
    Ok(Connection {
        config,
        discovery: found,
        session,
        notes,
    })
}

/// The profile's DPoP key: the stored one it names, else a fresh ES256 key.
fn dpop_key(profile: &Profile) -> Result<DpopKey, FlowError> {
    match profile.dpop_key.as_deref().filter(|k| !k.trim().is_empty()) {
        None => DpopKey::generate(),
        Some(name) => {
            let store = crate::keys::KeyStore::open_default()
                .map_err(|e| FlowError::Config(format!("DPoP key {name:?}: {e}")))?;
            let stored = store
                .resolve(name)
                .map_err(|e| FlowError::Config(format!("DPoP key {name:?}: {e}")))?;
            DpopKey::from_key(stored.key)
        }
    }
}
