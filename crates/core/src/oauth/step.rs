//! Step mode: a flow that stops before each request. A [`Gate`] set on the session sees each
//! pending request (and the browser's visit to the authorization endpoint) before it goes out,
//! and decides: send it, send an edited copy, run the rest without stopping, or cancel. An
//! edited exchange keeps the original beside it, marked in every view. The client's own checks
//! of the answers (state, iss, nonce) are not weakened by an edit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use url::Url;

use crate::http::HttpRequest;

/// The kinds of step a flow takes: each request the engine sends is named by one. Its
/// [`StepKind::name`] is the exchange's label (`"token request"`); the explanation of each kind
/// lives above the engine, in `crate::steps`, matched exhaustively over this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    Discovery,
    /// The browser's visit to the authorization endpoint.
    Authorization,
    PushedAuthorization,
    /// The token request of a grant (its text depends on the grant).
    Token,
    /// The device grant's polling of the token endpoint.
    TokenPoll,
    DeviceAuthorization,
    /// CIBA's backchannel authentication request.
    BackchannelAuthentication,
    Refresh,
    ResourceCall,
    Introspection,
    Revocation,
    Userinfo,
    Jwks,
}

impl StepKind {
    /// Every kind.
    pub const ALL: [StepKind; 13] = [
        StepKind::Discovery,
        StepKind::Authorization,
        StepKind::PushedAuthorization,
        StepKind::Token,
        StepKind::TokenPoll,
        StepKind::DeviceAuthorization,
        StepKind::BackchannelAuthentication,
        StepKind::Refresh,
        StepKind::ResourceCall,
        StepKind::Introspection,
        StepKind::Revocation,
        StepKind::Userinfo,
        StepKind::Jwks,
    ];

    /// The step's name, as exchanges and step mode show it.
    pub const fn name(self) -> &'static str {
        match self {
            StepKind::Discovery => "discovery",
            StepKind::Authorization => "authorization request",
            StepKind::PushedAuthorization => "pushed authorization request",
            StepKind::Token => "token request",
            StepKind::TokenPoll => "token poll",
            StepKind::DeviceAuthorization => "device authorization request",
            StepKind::BackchannelAuthentication => "backchannel authentication request",
            StepKind::Refresh => "refresh request",
            StepKind::ResourceCall => "resource call",
            StepKind::Introspection => "introspection",
            StepKind::Revocation => "revocation",
            StepKind::Userinfo => "userinfo",
            StepKind::Jwks => "JWKS",
        }
    }

    /// The kind a step name names; JWKS fetches are named `JWKS …` in any case.
    pub fn from_name(name: &str) -> Option<StepKind> {
        if name.to_ascii_lowercase().starts_with("jwks") {
            return Some(StepKind::Jwks);
        }
        // A step marked with a note in brackets ("resource call (workbench token)") is still
        // its kind.
        let base = name.split_once(" (").map_or(name, |(base, _)| base);
        StepKind::ALL
            .into_iter()
            .find(|k| k.name() == name || k.name() == base)
    }
}

/// What the flow is about to do.
#[derive(Debug, Clone)]
pub enum Pending {
    /// An HTTP request of the named step (`"token request"`, ...).
    Request { step: String, request: HttpRequest },
    /// The browser's visit to the authorization endpoint with this URL.
    Authorize { url: Url },
}

impl Pending {
    /// The step's name (a [`StepKind::name`] for the engine's own steps).
    pub fn step(&self) -> &str {
        match self {
            Pending::Request { step, .. } => step,
            Pending::Authorize { .. } => StepKind::Authorization.name(),
        }
    }

    /// The kind of step, when the name is one of the engine's.
    pub fn kind(&self) -> Option<StepKind> {
        StepKind::from_name(self.step())
    }
}

/// What to do with a pending request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Send it as it is.
    Send,
    /// Send this edited request instead (for [`Pending::Request`]).
    Edited(HttpRequest),
    /// Open this edited authorization URL instead (for [`Pending::Authorize`]).
    EditedUrl(Url),
    /// Send this and everything after it without stopping.
    RunToEnd,
    /// Stop the flow.
    Cancel,
}

/// Decides on each pending request; may wait as long as it likes (a person reading).
pub type Gate =
    Arc<dyn Fn(Pending) -> Pin<Box<dyn Future<Output = Decision> + Send>> + Send + Sync>;

/// A gate that hands each pending request to a channel with a reply slot: the desktop app's
/// step mode reads the channel, the user answers.
pub fn channel_gate() -> (
    Gate,
    tokio::sync::mpsc::UnboundedReceiver<(Pending, tokio::sync::oneshot::Sender<Decision>)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let gate: Gate = Arc::new(move |pending| {
        let tx = tx.clone();
        Box::pin(async move {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if tx.send((pending, reply)).is_err() {
                return Decision::Cancel;
            }
            answer.await.unwrap_or(Decision::Cancel)
        })
    });
    (gate, rx)
}
