//! A ready connection: the client settings with the endpoints resolved, what discovery found,
//! and the recording session. Made by the one way in (`grantscope_core::connect`), used by
//! every grant ([`super::grants::run`]), probe and lifecycle call.

use super::discovery::Discovery;
use super::endpoint::EndpointKind;
use super::{ClientConfig, Session};

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
