//! grantscope: an OAuth 2.0 / OpenID Connect token inspector and flow tester.
//!
//! The library is the GUI-free core that both faces (the command line in [`cli`] and the
//! desktop app in `gui`) call. See ARCHITECTURE.md for the map of modules.

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod probe;
pub mod profile;
pub mod sandbox;
pub mod secret;
pub mod steps;
pub mod text;
pub mod timefmt;
pub mod token;
pub mod wizard;

#[cfg(feature = "gui")]
pub mod gui;
