//! Starts and stops the second, independent authorization server of the probe tests
//! (`@jmondi/oauth2-server`, configured in `tests/jmondi/server.js`) as a child process on a
//! free loopback port. It approves every valid authorization request as `alice` at once (the
//! library has no login page), so probes reach it with the direct driver or the command line.
//!
//! It is started like the other Node peer ([`super::node_peer`]: a wait for READY, one retry).

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};

use super::node_peer::NodePeer;

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
        Self::spawn(env)
    }

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// What the server has written on stderr so far (`DEBUG_JMONDI=1` logs the library's errors).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn spawn(env: &[(&str, &str)]) -> Self {
        let dir = jmondi_dir();
        let mut vars = vec![("PORT".to_string(), "0".to_string())];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let peer = NodePeer {
            name: "the jmondi test server",
            dir: &dir,
            package: "@jmondi/oauth2-server",
            env: vars,
        };
        let stderr: Arc<Mutex<String>> = Arc::default();
        let (child, issuer) = peer.start(&stderr);
        Self {
            child,
            issuer,
            stderr,
        }
    }
}

impl Drop for Jmondi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
