//! grantscope-cli: the command-line face: argument parsing (clap) and one module per
//! subcommand. With no subcommand the binary opens the desktop app it was given ([`main`]'s
//! `open_gui`), so this crate never depends on the GUI.
//!
//! Exit status everywhere: 0 success, 1 the server or the token said no, 2 usage or
//! configuration error.

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

// The crate's `println!`, `print!` and `eprintln!` shadow std's: they write through
// [`out`], so output into a pipe whose reader has gone (`| head -1`) ends the command quietly
// (exit 141, as for SIGPIPE) instead of panicking. Defined before the modules so every one
// of them uses these.
macro_rules! println {
    () => {
        $crate::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!($($arg)*))
    };
}
macro_rules! eprintln {
    () => {
        $crate::out::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub mod call;
pub mod connection;
pub mod discover;
pub mod forge_cmd;
pub mod generate;
pub mod inspect;
pub mod key_cmd;
pub mod lifecycle;
pub mod logout_cmd;
pub mod out;
pub mod probe_api;
pub mod probe_cmd;
pub mod profile_cmd;
pub mod register;
pub mod sandbox;
pub mod token_cmd;
pub mod token_report;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "grantscope",
    version,
    about = "OAuth 2.0 / OpenID Connect token inspector and flow tester",
    long_about = "OAuth 2.0 / OpenID Connect token inspector and flow tester.\n\nWith no subcommand, opens the desktop app."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch and check an issuer's discovery metadata.
    Discover(discover::DiscoverArgs),
    /// Run a grant and show the tokens, their inspection and every HTTP exchange.
    Token(token_cmd::TokenArgs),
    /// Run the built-in sandbox authorization server on 127.0.0.1 (no account, no internet).
    Sandbox(sandbox::SandboxArgs),
    /// Decode a token, verify its signature and check its claims.
    Inspect(inspect::InspectArgs),
    /// Ask the introspection endpoint about a token (RFC 7662).
    Introspect(lifecycle::TokenCallArgs),
    /// Revoke a token (RFC 7009).
    Revoke(lifecycle::TokenCallArgs),
    /// Call the userinfo endpoint with an access token.
    Userinfo(lifecycle::UserinfoArgs),
    /// Ask the server at an interval whether it still accepts a token, and measure when it stops
    /// (after its exp, or after --revoke-after).
    Watch(lifecycle::WatchArgs),
    /// Keep a token set alive: refresh when a share of the lifetime is left, report rotation.
    Keep(lifecycle::KeepArgs),
    /// Call an API with a token (Bearer, or DPoP with --dpop) and read its challenges.
    Call(call::CallArgs),
    /// Register a client at the server (RFC 7591), or manage a saved registration (RFC 7592).
    Register(register::RegisterArgs),
    /// Logout: `logout listen`, a back-channel logout endpoint on 127.0.0.1 that checks each
    /// logout token it receives.
    Logout(Box<logout_cmd::LogoutArgs>),
    /// Saved connection profiles.
    #[command(subcommand)]
    Profile(profile_cmd::ProfileCommand),
    /// Edit, re-sign or forge a signed token (the forgeries the API probes send).
    Forge(forge_cmd::ForgeArgs),
    /// Security probes: what does this server accept that it must refuse? (PROBES.md)
    Probe(probe_cmd::ProbeArgs),
    /// Signing keys and certificates (private_key_jwt, mutual TLS, JWT-bearer assertions).
    #[command(subcommand)]
    Key(key_cmd::KeyCommand),
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// Write the manual pages (grantscope.1 and one per subcommand) into a folder.
    Man(generate::ManArgs),
}

/// The whole command line as clap sees it, saying `version` for `--version` (the binary's
/// version and git commit): what the parser, the completions and the manual pages are made
/// from.
pub fn command(version: &'static str) -> clap::Command {
    Cli::command().version(version)
}

/// Parses the arguments and runs the command, or, with no subcommand, `open_gui` (the
/// binary passes the desktop app, or a message when it was built without it). `version` is
/// what `--version` prints after the name (the binary knows its git commit; this crate not).
pub fn main(version: &'static str, open_gui: fn() -> ExitCode) -> ExitCode {
    let parsed = command(version)
        .try_get_matches()
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m))
        .map_err(|e| e.format(&mut command(version)));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let Some(sub) = cli.command else {
        return open_gui();
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        match sub {
            Command::Discover(a) => discover::run(a).await,
            Command::Token(a) => token_cmd::run(a).await,
            Command::Profile(c) => profile_cmd::run(c),
            Command::Key(c) => key_cmd::run(c),
            Command::Inspect(a) => inspect::run(a).await,
            Command::Introspect(a) => lifecycle::introspect(a).await,
            Command::Revoke(a) => lifecycle::revoke(a).await,
            Command::Userinfo(a) => lifecycle::userinfo(a).await,
            Command::Watch(a) => lifecycle::watch(a).await,
            Command::Keep(a) => lifecycle::keep(a).await,
            Command::Sandbox(a) => sandbox::run(a).await,
            Command::Probe(a) if a.api.url.is_some() => probe_api::run(a).await,
            Command::Probe(a) => probe_cmd::run(a).await,
            Command::Call(a) => call::run(a).await,
            Command::Forge(a) => forge_cmd::run(a).await,
            Command::Register(a) => register::run(a).await,
            Command::Logout(a) => logout_cmd::run(*a).await,
            Command::Completions(a) => generate::completions(&a, command(version)),
            Command::Man(a) => generate::man(&a, command(version)),
        }
    })
}
