//! Writing to stdout and stderr when the reader may have gone (`grantscope discover … | head -1`).
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe fails with `BrokenPipe`, and `println!`
//! turns that into a panic ("failed printing to stdout: Broken pipe"). Here a closed pipe ends
//! the process quietly instead, with the status a shell reports for a process that SIGPIPE
//! ended ([`CLOSED_PIPE`]); any other write error is named on stderr (exit 2). The crate's
//! `println!`, `print!` and `eprintln!` are this module's (lib.rs), and the
//! commands that take a writer get [`Stdout`].

use std::fmt;
use std::io::{self, Write};

/// The exit status after a closed pipe: 128 + SIGPIPE (13), as a shell shows it.
pub const CLOSED_PIPE: i32 = 141;

/// Which stream failed.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Ends the process after a failed write: quietly for a closed pipe, else with a message.
fn gone(stream: Stream, e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_PIPE);
    }
    if let Stream::Stdout = stream {
        let _ = writeln!(io::stderr(), "error: cannot write to stdout: {e}");
    }
    std::process::exit(2)
}

/// `print!` / `println!`: the text on stdout.
pub fn stdout(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        gone(Stream::Stdout, &e);
    }
}

/// `eprintln!`: the text on stderr.
pub fn stderr(args: fmt::Arguments<'_>) {
    if let Err(e) = io::stderr().lock().write_fmt(args) {
        gone(Stream::Stderr, &e);
    }
}

/// Standard output as a writer for the commands that take one (`inspect`): a closed pipe ends
/// the process as above instead of being an error to ignore.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match io::stdout().lock().write(buf) {
            Ok(n) => Ok(n),
            Err(e) => gone(Stream::Stdout, &e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match io::stdout().lock().flush() {
            Ok(()) => Ok(()),
            Err(e) => gone(Stream::Stdout, &e),
        }
    }
}
