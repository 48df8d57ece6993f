//! What a probe is ([`Probe`]: id, title, group, level, reference, what it sends, needs,
//! logins, the state it changes, its run function over a [`Cx`]) and what a run keeps
//! ([`ProbeResult`]). Above the engine (`cx`), below the probes (`probes/`) and the runner.

use std::future::Future;
use std::pin::Pin;

use grantscope_core::http::Exchange;
use grantscope_core::oauth::FlowError;

use crate::cx::Cx;
use crate::verdict::{Group, Level, Need, Verdict};

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

/// The future an API probe's run function returns; an `Err` ends it inconclusive.
pub type ApiProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<Verdict, FlowError>> + Send + 'a>>;

/// One probe of the API catalogue (PROBES.md "API probes"): what it sends to the API given
/// with `--api`, and how it decides.
pub struct ApiProbe {
    pub id: &'static str,
    pub title: &'static str,
    pub level: Level,
    pub reference: &'static str,
    /// What it sends and how it decides.
    pub tests: &'static str,
    /// Why it cannot run with what was given (a missing input: no `--expired-token`, an
    /// opaque token for a forgery, no issuer key), said as the skip reason.
    pub why_not: fn(&crate::api_cx::ApiTarget) -> Option<String>,
    /// Sends nothing (decided from the token alone): runs even when the baseline fails.
    pub offline: bool,
    pub run: for<'a> fn(&'a mut crate::api_cx::ApiCx) -> ApiProbeFuture<'a>,
}

impl std::fmt::Debug for ApiProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiProbe").field("id", &self.id).finish()
    }
}
