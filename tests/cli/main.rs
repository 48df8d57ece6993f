//! Integration tests of the command line's own behaviour: `grantscope inspect` through its
//! argument parser and streams, `grantscope key …`, `grantscope forge`, what a hostile token
//! can (not) do to the terminal, and the completions, manual pages and `--version`. One test
//! binary; each former test file is a module (see tests/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../token_support/mod.rs"]
mod token_support;

mod forge_cli;
mod install_parts;
mod jwe_cli;
mod key_cli;
mod logout_cli;
mod sandbox_jwe_sdjwt_cli;
mod sdjwt_cli;
mod token_cli;
mod token_terminal;
