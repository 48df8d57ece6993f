//! Starting one of the test peers (`tests/provider/server.js`, panva's oidc-provider;
//! `tests/jmondi/server.js`, @jmondi/oauth2-server; the API peers) as a child process: it prints `STAGE …`
//! progress lines and then `READY <issuer>` on stdout. A start that says nothing in
//! [`READY_TIMEOUT`] is killed and tried once more with a fresh process (on a loaded CI machine
//! one Node start in many was seen to stall); the failure names the last stage reached and
//! what the peer wrote on stderr.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one start may take to print its READY line (it usually takes half a second).
pub const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How many times a start is tried before the test fails.
pub const START_ATTEMPTS: u32 = 2;

/// What to start: `node <dir>/server.js` with this environment.
pub struct NodePeer<'a> {
    /// How messages name it ("the test provider").
    pub name: &'a str,
    /// Its folder under `tests/` (holds `server.js` and `node_modules`).
    pub dir: &'a Path,
    /// A package that must be installed (a path under `node_modules`).
    pub package: &'a str,
    /// The environment given to the process.
    pub env: Vec<(String, String)>,
}

impl NodePeer<'_> {
    /// Starts the peer, retrying once; returns the process and the issuer of its READY line.
    /// `stderr` collects what it writes there (cleared at each attempt). Panics with the
    /// reasons when every attempt failed.
    pub fn start(&self, stderr: &Arc<Mutex<String>>) -> (Child, String) {
        let installed = self.dir.join("node_modules").join(self.package);
        if !installed.is_dir() {
            panic!(
                "{}'s npm packages are not installed ({} is missing); run `npm ci --prefix {}` \
                 from the repository root first (scripts/test.sh does)",
                self.name,
                installed.display(),
                self.dir.display()
            );
        }
        PeerProcess {
            name: self.name,
            dir: self.dir,
            program: "node",
            script: "server.js",
            env: self.env.clone(),
        }
        .start(stderr)
    }
}

/// Any test peer that prints `READY <url>` (and optionally `STAGE …` lines) on stdout:
/// `PROGRAM <dir>/SCRIPT` run in `dir` with this environment. The Node peers go through
/// [`NodePeer`]; the Python one (`tests/api_peer_pyjwt`) is started with `python3` directly.
pub struct PeerProcess<'a> {
    /// How messages name it ("the jose API peer").
    pub name: &'a str,
    /// Its folder under `tests/`.
    pub dir: &'a Path,
    /// The interpreter: `node`, `python3`.
    pub program: &'a str,
    /// The file it runs, relative to `dir`.
    pub script: &'a str,
    /// The environment given to the process.
    pub env: Vec<(String, String)>,
}

impl PeerProcess<'_> {
    /// Starts the peer, retrying once; returns the process and the URL of its READY line.
    /// `stderr` collects what it writes there (cleared at each attempt). Panics with the
    /// reasons when every attempt failed.
    pub fn start(&self, stderr: &Arc<Mutex<String>>) -> (Child, String) {
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match self.start_once(stderr) {
                Ok(started) => {
                    if !failures.is_empty() {
                        eprintln!(
                            "{} started on attempt {attempt}; earlier: {}",
                            self.name,
                            failures.join("; ")
                        );
                    }
                    return started;
                }
                Err(failure) => failures.push(format!("attempt {attempt}: {failure}")),
            }
        }
        panic!(
            "{} did not start ({START_ATTEMPTS} attempts, {READY_TIMEOUT:?} each):\n{}",
            self.name,
            failures.join("\n")
        );
    }

    fn start_once(&self, stderr: &Arc<Mutex<String>>) -> Result<(Child, String), String> {
        let server = self.dir.join(self.script);
        let mut cmd = Command::new(self.program);
        cmd.arg(&server)
            .current_dir(self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} with `{} {}`: {e}. It must be on PATH (Node.js >= 20.19, e.g. \
                 `apt-get install nodejs npm`; Python >= 3.11)",
                self.name,
                self.program,
                server.display()
            )
        });
        if let Ok(mut s) = stderr.lock() {
            s.clear();
        }
        // Drain stderr so the child never blocks on a full pipe; keep it for error messages.
        if let Some(mut err) = child.stderr.take() {
            let sink = Arc::clone(stderr);
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
        let stage = Arc::new(Mutex::new(format!("{} started", self.program)));
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            let stage = Arc::clone(&stage);
            std::thread::spawn(move || {
                let mut lines = BufReader::new(out).lines();
                while let Some(Ok(line)) = lines.next() {
                    if let Some(issuer) = line.strip_prefix("READY ") {
                        let _ = tx.send(issuer.trim().to_string());
                    } else if let Some(s) = line.strip_prefix("STAGE ")
                        && let Ok(mut last) = stage.lock()
                    {
                        *last = s.trim().to_string();
                    }
                }
            });
        }
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(issuer) => Ok((child, issuer)),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                // Give the reader threads a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(200));
                let last = stage.lock().map(|s| s.clone()).unwrap_or_default();
                let said = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                Err(format!(
                    "no READY within {READY_TIMEOUT:?} (last stage: {last}; exit: {status:?}); \
                     stderr:\n{said}"
                ))
            }
        }
    }
}
