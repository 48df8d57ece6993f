//! grantscope-core: the GUI-free core of grantscope, an OAuth 2.0 / OpenID Connect token
//! inspector and flow tester. Both faces (the command line, `grantscope-cli`, and the desktop
//! app, `grantscope-gui`) and the layers beside them (the probes, the sandbox) call it; it
//! knows none of them. See ARCHITECTURE.md for the map of crates and modules.

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod connect;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod paths;
pub mod private_file;
pub mod profile;
pub mod secret;
pub mod steps;
pub mod text;
pub mod timefmt;
pub mod token;
pub mod wizard;
