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
