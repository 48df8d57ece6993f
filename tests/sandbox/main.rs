//! Integration tests of the built-in sandbox authorization server: its router in-process, the
//! server over HTTP, DPoP and its protected resource, mutual TLS and JWT client
//! authentication, response modes, and the real binary's client authentication against the
//! `grantscope sandbox` process. One test binary; each former test file is a module (see
//! tests/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod e2e_client_auth;
mod sandbox_dpop;
mod sandbox_mtls;
mod sandbox_reach;
mod sandbox_response_modes;
mod sandbox_router;
mod sandbox_server;
