//! Security probes (PROBES.md): what does this authorization server accept that it must
//! refuse? Each [`Probe`] changes one step of a normal flow, run through the core's usual
//! machinery (the connection from [`grantscope_core::connect`], requests sent and recorded by a
//! [`grantscope_core::oauth::Session`], client authentication from
//! [`grantscope_core::oauth::client_auth::authenticate`]), and decides a [`Verdict`] from what it saw.
//!
//! Adding a probe: one file under `probes/` with a `pub static PROBE: Probe`, and one line in
//! [`PROBES`] (`probes/mod.rs`). The runner ([`runner`]) plans and runs them; the user's part of a flow goes
//! through one [`driver::AuthorizeDriver`]; [`report`] turns results into JSON, JUnit and HTML.

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod api_cx;
pub mod api_host;
pub mod api_runner;
pub mod cx;
pub mod driver;
pub mod fit;
pub mod model;
pub mod policy;
pub mod probes;
pub mod report;
pub mod runner;
pub mod verdict;

pub use cx::{Cx, SecondClient, Target};
pub use driver::{AuthorizeDriver, Browser, Landing, Wait};
pub use fit::ClientFacts;
pub use model::{ApiProbe, ApiProbeFuture, Probe, ProbeFuture, ProbeResult};
pub use policy::Policy;
pub use probes::api::{API_PROBES, find_api};
pub use probes::{PROBES, find};
pub use runner::{Plan, Run, RunOptions, plan, plan_for, run};
pub use verdict::{Group, Level, Need, Outcome, Verdict};

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
                    find(id).is_some() || find_api(id).is_some(),
                    "sandbox switch {}: unknown probe {id}",
                    switch.name
                );
            }
        }
    }
}
