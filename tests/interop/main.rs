//! Interoperability: the real `grantscope` binary and its harness against independent servers
//! (panva's oidc-provider under tests/provider, and the sandbox beside it where a suite runs
//! against both): every grant, DPoP/PAR/JAR/RAR/JARM, client authentication, tokens, the one
//! way in. One test binary; each former test file is a module (see tests/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod e2e_ciba;
mod e2e_dpop_par;
mod e2e_grants;
mod e2e_jwe_flows;
mod e2e_one_way_in;
mod e2e_provider_client_auth;
mod e2e_provider_smoke;
mod e2e_reach;
mod e2e_tokens;
