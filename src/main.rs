//! The `grantscope` binary: the command line (`grantscope-cli`), or the desktop app
//! (`grantscope-gui`, feature `gui`) when no subcommand is given.

use std::process::ExitCode;

/// What `grantscope --version` says after the name: the version and the git commit the
/// binary was built from (`build.rs`; `unknown` outside a git checkout).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GRANTSCOPE_COMMIT"),
    ")"
);

fn main() -> ExitCode {
    grantscope_cli::main(VERSION, open_gui)
}

#[cfg(feature = "gui")]
fn open_gui() -> ExitCode {
    match grantscope_gui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the desktop app failed: {e:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_gui() -> ExitCode {
    eprintln!(
        "this grantscope was built without the desktop app (feature `gui`); see `grantscope --help` for the commands"
    );
    ExitCode::from(2)
}
