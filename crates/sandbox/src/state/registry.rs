//! Clients registered at run time (RFC 7591) and managed with their registration access token
//! (RFC 7592). A registered client takes the same shape as a seeded one ([`SeededClient`]),
//! so every endpoint treats both alike; its values are made `'static` once (bounded: at most
//! [`MAX_RECORDS`] records a run, counting updates) and forgotten with the sandbox's memory.

use std::collections::HashMap;

use serde_json::Value;

use crate::state::clients::{ClientAuth, ClientKind, SCOPES_SUPPORTED, SeededClient};
use grantscope_core::oauth::GrantKind;

/// How many client records (registrations and updates) one run of the sandbox makes at most.
pub const MAX_RECORDS: usize = 200;

/// One registered client.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub client: &'static SeededClient,
    /// The client metadata as registered (what the management endpoint returns, without the
    /// secrets and the issue times, added when answering).
    pub metadata: Value,
    /// The SHA-256 (base64url) of its registration access token.
    pub token_key: String,
    pub issued_at: u64,
}

/// The registered clients of one running sandbox.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    clients: HashMap<String, Registered>,
    records: usize,
}

/// What a registration asks for, checked ([`crate::handlers`] builds it from the JSON).
#[derive(Debug, Clone)]
pub(crate) struct ClientSpec {
    pub id: String,
    pub secret: Option<String>,
    pub auth: ClientAuth,
    pub grant_types: Vec<GrantKind>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
}

/// Makes a value live as long as the process: bounded by [`MAX_RECORDS`].
fn forever(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Registered {
    /// A string-array member of the registered metadata.
    pub(crate) fn uris(&self, name: &str) -> Vec<String> {
        self.metadata
            .get(name)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The key this client's ID tokens are encrypted to, when it registered
    /// `id_token_encrypted_response_alg` (checked at registration) and a key for it.
    pub(crate) fn id_token_encryption_key(&self) -> Option<Value> {
        let alg = self
            .metadata
            .get("id_token_encrypted_response_alg")
            .and_then(Value::as_str)?;
        crate::protocol::jwe::encryption_key_in(self.metadata.get("jwks"), alg)
    }

    /// Whether the client registered `backchannel_logout_session_required: true` (its logout
    /// tokens name a session whenever the logout has one).
    pub(crate) fn backchannel_logout_session_required(&self) -> bool {
        self.metadata
            .get("backchannel_logout_session_required")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The client's back-channel logout endpoint, if it registered one.
    pub(crate) fn backchannel_logout_uri(&self) -> Option<&str> {
        self.metadata
            .get("backchannel_logout_uri")
            .and_then(Value::as_str)
    }
}

impl Registry {
    /// The registered client `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Registered> {
        self.clients.get(id)
    }

    /// Stores a registration (a new one, or the replacement of `spec.id`'s); `None` when the
    /// run has made [`MAX_RECORDS`] records already.
    pub(crate) fn put(
        &mut self,
        spec: ClientSpec,
        metadata: Value,
        token_key: String,
        issued_at: u64,
    ) -> Option<&Registered> {
        if self.records >= MAX_RECORDS {
            return None;
        }
        self.records += 1;
        let scopes: Vec<&'static str> = if spec.scopes.is_empty() {
            SCOPES_SUPPORTED.to_vec()
        } else {
            spec.scopes.into_iter().map(forever).collect()
        };
        // What a request naming no scope gets: openid for a login client, else an API scope.
        let wanted = if spec.grant_types.contains(&GrantKind::AuthorizationCode) {
            "openid"
        } else {
            "api:read"
        };
        let default_scope: &'static str = scopes
            .iter()
            .copied()
            .find(|s| *s == wanted)
            .or_else(|| scopes.first().copied())
            .unwrap_or("");
        let client: &'static SeededClient = Box::leak(Box::new(SeededClient {
            id: forever(spec.id.clone()),
            secret: spec.secret.map(forever),
            kind: if spec.auth == ClientAuth::None {
                ClientKind::Public
            } else {
                ClientKind::Confidential
            },
            auth: spec.auth,
            description: "registered at run time (RFC 7591)",
            grant_types: Box::leak(spec.grant_types.into_boxed_slice()),
            redirect_uris: Box::leak(
                spec.redirect_uris
                    .into_iter()
                    .map(forever)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
            scopes: Box::leak(scopes.into_boxed_slice()),
            default_scope,
        }));
        self.clients.insert(
            spec.id.clone(),
            Registered {
                client,
                metadata,
                token_key,
                issued_at,
            },
        );
        self.clients.get(&spec.id)
    }

    /// Forgets a registration (RFC 7592 §2.3); whether there was one.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.clients.remove(id).is_some()
    }
}
