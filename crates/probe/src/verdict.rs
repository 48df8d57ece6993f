//! What a probe decides: its [`Verdict`] (an [`Outcome`] with a one-sentence reason), the
//! requirement [`Level`] of what it tests, the [`Group`] the desktop shows it in and what it
//! [`Need`]s. The bottom of the probe crate: the engine (`driver`, `cx`) and everything above
//! build on it.

use serde::Serialize;

/// RFC 2119 requirement level of what a probe tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// The groups the desktop screen shows probes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Pkce,
    Codes,
    Redirects,
    Refresh,
    ClientAuthentication,
    LegacyGrants,
    TransportAndHeaders,
    Keys,
    /// Authorization requests: PAR, response types, parameters (the policy probes).
    Requests,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Pkce => "PKCE",
            Group::Codes => "Codes",
            Group::Redirects => "Redirects",
            Group::Refresh => "Refresh",
            Group::ClientAuthentication => "Client authentication",
            Group::LegacyGrants => "Legacy grants",
            Group::TransportAndHeaders => "Transport and headers",
            Group::Keys => "Keys",
            Group::Requests => "Requests and PAR",
        }
    }
}

/// The verdict words of PROBES.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Warn,
    Info,
    Inconclusive,
    Skipped,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Warn,
        Outcome::Info,
        Outcome::Inconclusive,
        Outcome::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Info => "info",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Skipped => "skipped",
        }
    }
}

/// A verdict with its one-sentence reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reason: String,
}

impl Verdict {
    pub fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Self {
            outcome,
            reason: reason.into(),
        }
    }
    pub fn pass(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Pass, reason)
    }
    pub fn fail(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Fail, reason)
    }
    pub fn warn(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Warn, reason)
    }
    pub fn info(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Info, reason)
    }
    pub fn inconclusive(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Inconclusive, reason)
    }
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Skipped, reason)
    }
}

/// What a probe needs before it can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Runs after this probe, and only when it passed (else inconclusive).
    After(&'static str),
    /// A second registered client (`--second-client-id`).
    SecondClient,
    /// Opt-in slow probes (`--slow`).
    Slow,
    /// Refresh tokens: a client that may use the `refresh_token` grant.
    Refresh,
    /// A confidential client (one that authenticates at the token endpoint).
    Confidential,
}
