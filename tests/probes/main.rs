//! Integration tests of the probe catalogue: against the sandbox with and without its teaching
//! switches, against oidc-provider and jmondi, the slow lifetime probe, and the (ignored)
//! benchmark `scripts/bench-probes.sh` runs. One test binary; each former test file is a module
//! (see tests/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../probe_support/mod.rs"]
mod probe_support;

mod probe_api;
mod probe_api_peers;
mod probe_bench;
mod probe_jmondi;
mod probe_landings;
mod probe_lifetimes;
mod probe_policy;
mod probe_provider;
mod probe_sandbox;
mod probe_switches;
