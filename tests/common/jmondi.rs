//! Starts and stops the second, independent authorization server of the probe tests
//! (`@jmondi/oauth2-server`, configured in `tests/jmondi/server.js`) as a child process on a
//! free loopback port. It approves every valid authorization request as `alice` at once (the
//! library has no login page), so probes reach it with the direct driver or the command line.
//!
//! Start-up waits up to [`READY_TIMEOUT`] for the `READY` line and retries the spawn once: a
//! loaded CI machine once kept the other Node peer from printing READY within 30 s.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one start may take to print its READY line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// A running `tests/jmondi/server.js`; killed on drop.
pub struct Jmondi {
    child: Child,
    issuer: String,
    stderr: Arc<Mutex<String>>,
}

/// `tests/jmondi` inside this crate.
pub fn jmondi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("jmondi")
}

impl Jmondi {
    /// Starts the server with its default settings.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts the server with extra environment, e.g. `[("AUTHORIZATION_CODE_TTL", "3")]` (the
    /// header of `tests/jmondi/server.js` lists every variable). One retry when the first
    /// process does not say READY in time.
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        match Self::spawn(env) {
            Ok(server) => server,
            Err(first) => match Self::spawn(env) {
                Ok(server) => server,
                Err(second) => panic!(
                    "the jmondi test server did not start, twice.\nfirst try: {first}\nsecond try: \
                     {second}"
                ),
            },
        }
    }

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// What the server has written on stderr so far (`DEBUG_JMONDI=1` logs the library's errors).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn spawn(env: &[(&str, &str)]) -> Result<Self, String> {
        let dir = jmondi_dir();
        let server = dir.join("server.js");
        let package = dir
            .join("node_modules")
            .join("@jmondi")
            .join("oauth2-server");
        if !package.is_dir() {
            panic!(
                "the jmondi test server's npm packages are not installed ({} is missing); run \
                 `npm ci --prefix tests/jmondi` from the repository root first (scripts/test.sh \
                 does)",
                package.display()
            );
        }
        let mut cmd = Command::new("node");
        cmd.arg(&server)
            .current_dir(&dir)
            .env("PORT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start the jmondi test server with `node {}`: {e}. Node.js >= 20 must be \
                 on PATH, then run `npm ci --prefix tests/jmondi`",
                server.display()
            )
        });
        let stderr: Arc<Mutex<String>> = Arc::default();
        if let Some(mut err) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(out).lines();
                while let Some(Ok(line)) = lines.next() {
                    if let Some(issuer) = line.strip_prefix("READY ") {
                        let _ = tx.send(issuer.trim().to_string());
                    }
                }
            });
        }
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(issuer) => Ok(Self {
                child,
                issuer,
                stderr,
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                std::thread::sleep(Duration::from_millis(100));
                let said = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                Err(format!(
                    "no READY line within {READY_TIMEOUT:?} (exit: {status:?}); its stderr:\n{said}"
                ))
            }
        }
    }
}

impl Drop for Jmondi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
