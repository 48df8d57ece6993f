//! One run of the flow runner as it goes and as it ended ([`FlowRun`]): its events and
//! exchanges, its tokens or its failure ([`FlowFailure`]), and the inspector's request for one of
//! its tokens.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::connect;
use crate::handoff::InspectRequest;
use grantscope_core::http::Exchange;
use grantscope_core::oauth::grants::{GrantKind, TokenSuccess};
use grantscope_core::oauth::{ClientConfig, FlowError, FlowEvent};
use grantscope_core::profile::Profile;
use grantscope_core::token::{InspectOptions, TokenKind};

/// A failed flow, as shown: the message and, for OAuth errors, the code and its hint (once).
#[derive(Debug, Clone)]
pub struct FlowFailure {
    /// The error's text, worded for this window's fields.
    pub message: String,
    /// The OAuth error code and the hint for it.
    pub oauth: Option<(String, &'static str)>,
}

impl From<&FlowError> for FlowFailure {
    fn from(e: &FlowError) -> Self {
        let oauth = match e {
            FlowError::OAuth { error, .. } | FlowError::AuthorizationDenied { error } => {
                error.shown_hint().map(|h| (error.error.clone(), h))
            }
            _ => None,
        };
        let mut message = connect::describe(e);
        if oauth.is_some()
            && let Some(cut) = message.find(". Hint: ")
        {
            // The hint has a line of its own below.
            message.truncate(cut);
        }
        Self { message, oauth }
    }
}

/// One running or finished flow.
pub struct FlowRun {
    pub(super) id: u64,
    pub(super) grant: GrantKind,
    pub(super) events: Vec<FlowEvent>,
    pub(super) exchanges: Vec<Exchange>,
    pub(super) result: Option<Result<Box<TokenSuccess>, FlowFailure>>,
    pub(super) abort: Option<tokio::task::AbortHandle>,
    pub(super) paste_tx: Option<tokio::sync::oneshot::Sender<String>>,
    pub(super) pasted: String,
    pub(super) open: BTreeSet<usize>,
    pub(super) config: Option<Box<ClientConfig>>,
    pub(super) requested_scope: Option<String>,
    /// The client checks the tester turned off for this run.
    pub(super) checks_off: Vec<grantscope_core::oauth::ClientCheck>,
    pub(super) finished_at: Option<i64>,
    /// The same instant in unix milliseconds (a sandbox restart a moment later is after it).
    pub(super) finished_ms: Option<i64>,
    pub(super) profile: Profile,
    pub(super) dpop: Option<Arc<grantscope_core::oauth::dpop::DpopState>>,
    /// Whether the run was asked to open the system browser.
    pub(super) open_browser: bool,
    /// The longest the run waits for the user (the browser's redirect, a device approval).
    pub(super) wait_limit: std::time::Duration,
    /// Since when the run waits for the user (the authorization URL or device code shown).
    pub(super) waiting_since: Option<std::time::Instant>,
    /// CIBA: the user asked (login hint) and the binding message sent, as the client's screen
    /// shows them during the wait.
    pub(super) ciba: Option<(String, Option<String>)>,
}

impl FlowRun {
    /// Whether the flow is still going.
    pub fn running(&self) -> bool {
        self.result.is_none()
    }

    /// The grant this run runs.
    pub fn grant(&self) -> GrantKind {
        self.grant
    }

    /// The tokens, when the flow succeeded.
    pub fn success(&self) -> Option<&TokenSuccess> {
        match &self.result {
            Some(Ok(s)) => Some(s),
            _ => None,
        }
    }

    /// Why the flow failed.
    pub fn failure(&self) -> Option<&FlowFailure> {
        match &self.result {
            Some(Err(f)) => Some(f),
            _ => None,
        }
    }

    /// The exchanges so far.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// The profile the run used (as sent, after the sandbox's issuer was filled in).
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The authorization URL the user must open, if the flow gave one.
    pub fn authorize_url(&self) -> Option<&str> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::Authorize { url, .. } => Some(url.as_str()),
            _ => None,
        })
    }

    /// Whether the browser came back with the redirect after the last authorization request:
    /// the sign-in is over, and its URL no longer something to open.
    pub fn signed_in(&self) -> bool {
        self.events
            .iter()
            .rev()
            .take_while(|e| !matches!(e, FlowEvent::Authorize { .. }))
            .any(|e| {
                matches!(
                    e,
                    FlowEvent::RedirectReceived { .. } | FlowEvent::BrowserRedirect { .. }
                )
            })
    }

    /// The run ended while its loopback listener still waited for the browser (cancelled,
    /// timed out): the diagram's "listening on" line gets its end, with `why`.
    pub(super) fn close_listener(&mut self, why: &str) {
        let waiting = self.events.iter().rev().find_map(|e| match e {
            FlowEvent::WaitingForRedirect { redirect_uri } => Some(Some(redirect_uri.clone())),
            FlowEvent::RedirectReceived { .. } | FlowEvent::BrowserRedirect { .. } => Some(None),
            _ => None,
        });
        if let Some(Some(uri)) = waiting {
            self.events.push(FlowEvent::Note(format!(
                "stopped listening on {uri}: {why}"
            )));
        }
    }

    /// Whether the browser should have opened on the authorization URL and did not: the user
    /// must open it (said at once, not after the wait).
    pub fn browser_failed(&self) -> bool {
        self.open_browser
            && self.paste_tx.is_none()
            && self.events.iter().rev().find_map(|e| match e {
                FlowEvent::Authorize { opened, .. } => Some(!*opened),
                _ => None,
            }) == Some(true)
    }

    /// How long the run has waited for the user, and the longest it waits (none for a pasted
    /// redirect: the run waits for the paste or Cancel).
    pub fn waited(&self) -> Option<(std::time::Duration, Option<std::time::Duration>)> {
        let since = self.waiting_since?;
        // A device code or a backchannel request: its server's lifetime (the run waits that
        // long); a browser: the app's limit; a pasted redirect: none.
        let limit = match self.device_code_expires_in() {
            Some(e) => Some(std::time::Duration::from_secs(e.max(1))),
            None => (self.paste_tx.is_none()).then_some(self.wait_limit),
        };
        Some((since.elapsed(), limit))
    }

    fn device_code_expires_in(&self) -> Option<u64> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::DeviceCode { expires_in, .. }
            | FlowEvent::Backchannel { expires_in, .. } => Some(*expires_in),
            _ => None,
        })
    }

    /// CIBA: what the client waits for once the provider took the request (the user's
    /// decision on their own device), with the request's id.
    pub fn backchannel(&self) -> Option<(&str, &str)> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::Backchannel {
                auth_req_id,
                waiting_for,
                ..
            } => Some((auth_req_id.as_str(), waiting_for.as_str())),
            _ => None,
        })
    }

    /// CIBA: the user the run asked for (its login hint) and the binding message it sent.
    pub fn ciba_request(&self) -> Option<(&str, Option<&str>)> {
        self.ciba
            .as_ref()
            .map(|(hint, message)| (hint.as_str(), message.as_deref()))
    }

    /// The device grant's user code and verification URLs, while the user must enter it.
    pub fn device_code(&self) -> Option<(&str, &str, Option<&str>)> {
        self.events.iter().rev().find_map(|e| match e {
            FlowEvent::DeviceCode {
                verification_uri,
                verification_uri_complete,
                user_code,
                ..
            } => Some((
                user_code.as_str(),
                verification_uri.as_str(),
                verification_uri_complete.as_deref(),
            )),
            _ => None,
        })
    }

    /// Builds the inspector's request for one of this run's tokens, with the checks the core
    /// sets for what this client received.
    pub fn inspect_request(&self, s: &TokenSuccess, id_token: bool) -> InspectRequest {
        use grantscope_core::oauth::received;
        let t = &s.tokens;
        let cfg = self
            .config
            .as_deref()
            .cloned()
            .or_else(|| self.profile.client_config().ok());
        let issuer = cfg
            .as_ref()
            .and_then(|c| received::expected_issuer(c, None));
        let token = if id_token {
            t.id_token
                .as_ref()
                .map(|t| t.expose().to_owned())
                .unwrap_or_default()
        } else {
            t.access_token.expose().to_owned()
        };
        let (options, hs_secret) = match (&cfg, id_token) {
            (Some(c), true) => (
                received::id_token_options(c, issuer, s),
                matches!(
                    received::key_source_for(&token, TokenKind::Id, c),
                    grantscope_core::token::KeySource::Secret(_)
                )
                .then(|| c.client_secret.clone())
                .flatten(),
            ),
            (Some(c), false) => (received::access_token_options(c, issuer), None),
            (None, _) => (InspectOptions::default(), None),
        };
        InspectRequest {
            token,
            profile: self.profile.clone(),
            jwks_uri: cfg
                .as_ref()
                .and_then(|c| c.endpoints.jwks_uri.as_ref())
                .map(ToString::to_string),
            options,
            hs_secret,
            expires_at: match (id_token, t.expires_in, self.finished_at) {
                (false, Some(e), Some(at)) if e.is_finite() && e > 0.0 => {
                    Some(at.saturating_add(e.min(1e12) as i64))
                }
                _ => None,
            },
            refresh_token: t.refresh_token.clone(),
            dpop: self
                .dpop
                .as_ref()
                .filter(|_| !id_token)
                .map(|d| (t.token_type.clone(), d.key.jkt())),
            id_token: t.id_token.clone().filter(|_| !id_token),
            dpop_key: self.dpop.clone().filter(|_| !id_token),
        }
    }
}
