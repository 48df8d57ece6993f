//! The `grantscope` binary: the command line, or the desktop app when no subcommand is given.

fn main() -> std::process::ExitCode {
    grantscope::cli::main()
}
