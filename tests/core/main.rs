//! Integration tests of the core face: the token inspector (the signed corpus, strictness,
//! mutation, tokens from a live sandbox), the client's own checks and `--skip-check`, step mode
//! and explanations, and the adversarial review. One test binary; each former test file is a
//! module (see tests/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../token_support/mod.rs"]
mod token_support;

mod checks_off;
mod jwe_jose;
mod review_security;
mod sdjwt_peer;
mod step_mode;
mod token_corpus;
mod token_fuzzish;
mod token_sandbox;
mod token_strict;
