//! Security probes (PROBES.md): what does this authorization server accept that it must
//! refuse? Each [`Probe`] changes one step of a normal flow, run through the core's usual
//! machinery (the connection from [`grantscope_core::connect`], requests sent and recorded by a
//! [`grantscope_core::oauth::Session`], client authentication from
//! [`grantscope_core::oauth::client_auth::authenticate`]), and decides a [`Verdict`] from what it saw.
//!
//! Adding a probe: one file under `src/probe/` with a `pub static PROBE: Probe`, and one line in
//! [`PROBES`]. The runner ([`runner`]) plans and runs them; the user's part of a flow goes
//! through one [`driver::AuthorizeDriver`]; [`report`] turns results into JSON, JUnit and HTML.

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use grantscope_core::http::Exchange;
use grantscope_core::oauth::FlowError;

pub mod cx;
pub mod driver;
pub mod report;
pub mod runner;

mod client_auth_enforced;
mod code_race;
mod code_redirect_bound;
mod code_reuse_revokes;
mod code_single_use;
mod dpop_enforced;
mod grants_legacy;
mod headers;
mod iss_response;
mod jwks_hygiene;
mod pkce_downgrade;
mod pkce_plain;
mod pkce_required;
mod pkce_verifier_checked;
mod pkce_verifier_format;
mod pkce_verifier_omitted;
mod redirect_exact;
mod redirect_loopback_port;
mod redirect_no_open_redirect;
mod refresh_client_bound;
mod refresh_reuse_family;
mod refresh_rotation;
mod state_echo;
mod token_lifetimes;
mod transport_https;

pub use cx::{Cx, SecondClient, Target};
pub use driver::{AuthorizeDriver, Landing};
pub use runner::{Plan, Run, RunOptions, plan, run};

/// The catalogue, in the order results are shown (most valuable first).
pub static PROBES: &[&Probe] = &[
    &pkce_required::PROBE,
    &pkce_verifier_checked::PROBE,
    &pkce_downgrade::PROBE,
    &pkce_verifier_omitted::PROBE,
    &pkce_plain::PROBE,
    &pkce_verifier_format::PROBE,
    &code_single_use::PROBE,
    &code_reuse_revokes::PROBE,
    &code_race::PROBE,
    &code_redirect_bound::PROBE,
    &redirect_exact::PROBE,
    &redirect_loopback_port::PROBE,
    &redirect_no_open_redirect::PROBE,
    &state_echo::PROBE,
    &iss_response::PROBE,
    &refresh_rotation::PROBE,
    &refresh_reuse_family::PROBE,
    &refresh_client_bound::PROBE,
    &client_auth_enforced::PROBE,
    &grants_legacy::PROBE,
    &transport_https::PROBE,
    &token_lifetimes::PROBE,
    &jwks_hygiene::PROBE,
    &headers::PROBE,
    &dpop_enforced::PROBE,
];

/// The probe with this id.
pub fn find(id: &str) -> Option<&'static Probe> {
    PROBES.iter().copied().find(|p| p.id == id)
}

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
}

/// The future a probe's run function returns. An `Err` ends the probe inconclusive with the
/// error as its reason (the flow itself broke, 429, 5xx, network).
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<Verdict, FlowError>> + Send + 'a>>;

/// One probe of the catalogue.
pub struct Probe {
    pub id: &'static str,
    pub title: &'static str,
    pub group: Group,
    pub level: Level,
    /// The RFC section(s) it tests.
    pub reference: &'static str,
    /// What it sends and how it decides (shown in reports and the desktop screen).
    pub tests: &'static str,
    pub needs: &'static [Need],
    /// How many authorizations (user logins) it asks for.
    pub logins: u32,
    /// The authorizations it adds with `--slow`.
    pub slow_logins: u32,
    /// The state it changes at the server (revocations, refresh families), if any.
    pub changes: Option<&'static str>,
    pub run: for<'a> fn(&'a mut Cx) -> ProbeFuture<'a>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").field("id", &self.id).finish()
    }
}

impl Probe {
    /// The probes this one runs after.
    pub fn after(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.needs.iter().filter_map(|n| match n {
            Need::After(id) => Some(*id),
            _ => None,
        })
    }
}

/// One probe's result, with its evidence.
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub id: &'static str,
    pub title: &'static str,
    pub level: Level,
    pub reference: &'static str,
    pub verdict: Verdict,
    pub elapsed_ms: u64,
    /// The exchanges it made (discovery excluded), masked in every view.
    pub exchanges: Vec<Exchange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wizard's leaves and the sandbox's teaching switches name probes by id; each id must be
    /// in the catalogue (checked here, the one crate that sees the catalogue and both lists).
    #[test]
    fn ids_named_elsewhere_are_in_the_catalogue() {
        for node in grantscope_core::wizard::NODES {
            let Some(leaf) = node.leaf() else { continue };
            for id in leaf.probes {
                assert!(
                    find(id).is_some(),
                    "wizard leaf {}: unknown probe {id}",
                    node.id
                );
            }
        }
        for switch in grantscope_sandbox::SWITCHES {
            for id in switch.probes {
                assert!(
                    find(id).is_some(),
                    "sandbox switch {}: unknown probe {id}",
                    switch.name
                );
            }
        }
    }
}
