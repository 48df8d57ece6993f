//! Runs the built `grantscope` binary as a whole process for end-to-end tests: one-shot runs
//! with a timeout, and interactive runs whose stderr is watched for lines such as
//! `authorize: URL`, `verify: URL` and `user_code: CODE` while the process keeps running.

use anyhow::{Result, anyhow, bail};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a finished run printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The exit code (`-1` when killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// stdout parsed as one JSON document (for `--json`).
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.stdout).map_err(|e| {
            anyhow!(
                "stdout is not one JSON document ({e});\nstdout:\n{}\nstderr:\n{}",
                self.stdout,
                self.stderr
            )
        })
    }
}

/// A configured `grantscope` invocation. The config directory is isolated by default.
pub struct Grantscope {
    cmd: Command,
    _config: Option<tempfile::TempDir>,
}

impl Grantscope {
    /// `grantscope ARGS...` with `GRANTSCOPE_CONFIG_DIR` set to a fresh temporary directory (and
    /// no client secret or log filter inherited from the environment).
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let config = tempfile::tempdir().ok();
        let mut cmd = Command::new(super::grantscope_bin());
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .env_remove("GRANTSCOPE_CLIENT_SECRET");
        if let Some(dir) = &config {
            cmd.env("GRANTSCOPE_CONFIG_DIR", dir.path());
        }
        Self {
            cmd,
            _config: config,
        }
    }

    /// Uses `dir` as the config directory (to share profiles between runs).
    pub fn config_dir(mut self, dir: &std::path::Path) -> Self {
        self.cmd.env("GRANTSCOPE_CONFIG_DIR", dir);
        self._config = None;
        self
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs to completion; kills the process and fails after `timeout`.
    pub fn run(self, timeout: Duration) -> Result<Output> {
        self.spawn()?.wait(timeout)
    }

    /// Starts the process; stdout and stderr are collected in the background.
    pub fn spawn(mut self) -> Result<Running> {
        let mut child = self
            .cmd
            .spawn()
            .map_err(|e| anyhow!("cannot start {}: {e}", super::grantscope_bin().display()))?;
        let stdout = child.stdout.take().map(|mut out| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = out.read_to_string(&mut s);
                s
            })
        });
        let (tx, rx) = mpsc::channel();
        if let Some(err) = child.stderr.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Running {
            child,
            stdout,
            stderr_lines: rx,
            stderr_seen: Vec::new(),
            _config: self._config,
        })
    }
}

/// A running `grantscope` process.
pub struct Running {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr_lines: Receiver<String>,
    stderr_seen: Vec<String>,
    _config: Option<tempfile::TempDir>,
}

impl Running {
    /// Waits for a stderr line starting with `prefix` (e.g. `"authorize: "`) and returns the
    /// rest of it, trimmed. Fails on timeout or when the process ends first.
    pub fn wait_for_stderr(&mut self, prefix: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "no stderr line starting with {prefix:?} within {timeout:?}; stderr so far:\n{}",
                    self.stderr_seen.join("\n")
                );
            }
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line
                        .strip_prefix(prefix)
                        .map(|rest| rest.trim().to_string());
                    self.stderr_seen.push(line);
                    if let Some(rest) = found {
                        return Ok(rest);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => bail!(
                    "grantscope ended before printing {prefix:?}; stderr:\n{}",
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    /// Waits for the process to exit (killing it after `timeout`) and returns its output.
    pub fn wait(mut self, timeout: Duration) -> Result<Output> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let mut stderr = std::mem::take(&mut self.stderr_seen);
                stderr.extend(self.stderr_lines.try_iter());
                bail!(
                    "grantscope did not finish within {timeout:?} and was killed; stderr:\n{}",
                    stderr.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = self
            .stdout
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let mut stderr = std::mem::take(&mut self.stderr_seen);
        // The stderr thread ends once the pipe closes; collect what is left.
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            stderr.push(line);
        }
        Ok(Output {
            status,
            stdout,
            stderr: stderr.join("\n"),
        })
    }

    /// Kills the process now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}
