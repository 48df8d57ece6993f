//! Starts and stops the real, independent OpenID Provider of the end-to-end tests (panva's
//! `oidc-provider`, configured in `tests/provider/server.js`) as a child process on a free
//! loopback port, and describes its seeded clients.

use super::{TestClient, TestProvider};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the provider may take to print its READY line (it usually takes half a second).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How many times a start is tried before the test fails.
const START_ATTEMPTS: u32 = 2;

/// Shared secret of the provider's HS256 resource server (`urn:grantscope:hs-api`), unless the
/// test overrides `HS_API_SECRET`.
pub const HS_API_SECRET: &str = "grantscope-hs256-resource-secret-0123456789";
/// Resource indicator whose access tokens are RS256 JWTs (RFC 9068).
pub const JWT_RESOURCE: &str = "urn:grantscope:api";
/// Resource indicator whose access tokens are ES256 JWTs.
pub const JWT_RESOURCE_ES256: &str = "urn:grantscope:api-es256";
/// Resource indicator whose access tokens are HS256 JWTs signed with [`HS_API_SECRET`].
pub const JWT_RESOURCE_HS256: &str = "urn:grantscope:hs-api";
/// Scopes the resource servers know.
pub const RESOURCE_SCOPES: &str = "api:read api:write";

/// Which signing keys a restarted provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// The same JWKS as before (tokens issued before the restart still verify).
    Same,
    /// Freshly generated keys with new `kid`s (key rotation).
    New,
}

/// A running `tests/provider/server.js`; killed on drop.
pub struct Provider {
    child: Option<Child>,
    issuer: String,
    port: u16,
    env: Vec<(String, String)>,
    stderr: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

/// `tests/provider` inside this crate.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("provider")
}

impl Provider {
    /// Starts the provider with its default settings on a free loopback port.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts the provider with extra environment, e.g. `[("ACCESS_TOKEN_TTL", "5")]`
    /// (see the header of `tests/provider/server.js` for every variable).
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot create a temporary directory for the provider's keys: {e}"),
        };
        let mut provider = Self {
            child: None,
            issuer: String::new(),
            port: 0,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            stderr: Arc::default(),
            dir,
        };
        provider.spawn();
        provider
    }

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The port the provider listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `issuer` + `path`, e.g. `url("/token")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The token endpoint (`/token`).
    pub fn token_endpoint(&self) -> String {
        self.url("/token")
    }

    /// The provider's private JWKS file (RS256 + ES256 keys it signs with).
    pub fn keys_file(&self) -> PathBuf {
        self.dir.path().join("keys.json")
    }

    /// What the provider has written on stderr so far (warnings, DEBUG_PROVIDER logs).
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops the provider and starts it again on the same port (so the same issuer), with the
    /// same or new signing keys. All in-memory state (tokens, sessions, grants) is lost.
    pub fn restart(&mut self, keys: Keys) {
        self.stop();
        if keys == Keys::New
            && let Err(e) = std::fs::remove_file(self.keys_file())
        {
            panic!("cannot remove the provider's keys file: {e}");
        }
        self.spawn();
    }

    /// Stops the provider (it no longer answers). `restart` brings it back.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn(&mut self) {
        let dir = provider_dir();
        if !dir.join("node_modules").join("oidc-provider").is_dir() {
            panic!(
                "the test provider's npm packages are not installed ({} is missing); run \
                 `npm ci --prefix tests/provider` from the repository root first",
                dir.join("node_modules/oidc-provider").display()
            );
        }
        // A start that does not print READY in time is killed and tried once more: on a loaded
        // CI machine one Node start in many has been seen to stall, and a fresh process starts.
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match self.spawn_once(&dir) {
                Ok(()) => {
                    if !failures.is_empty() {
                        eprintln!(
                            "the test provider started on attempt {attempt}; earlier: {}",
                            failures.join("; ")
                        );
                    }
                    return;
                }
                Err(failure) => failures.push(format!("attempt {attempt}: {failure}")),
            }
        }
        panic!(
            "the test provider did not start ({START_ATTEMPTS} attempts, {READY_TIMEOUT:?} \
             each):\n{}\nIf packages are missing, run `npm ci --prefix tests/provider`.",
            failures.join("\n")
        );
    }

    /// Starts node once and waits for READY; on failure kills it and says how far it got.
    fn spawn_once(&mut self, dir: &Path) -> Result<(), String> {
        let server = dir.join("server.js");
        let mut cmd = Command::new("node");
        cmd.arg(&server)
            .current_dir(dir)
            .env("PORT", self.port.to_string())
            .env("KEYS_FILE", self.keys_file())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => panic!(
                "cannot start the test provider with `node {}`: {e}. Node.js >= 20.19 must be on \
                 PATH (e.g. `apt-get install nodejs npm`), then run `npm ci --prefix tests/provider`",
                server.display()
            ),
        };
        if let Ok(mut s) = self.stderr.lock() {
            s.clear();
        }
        // Drain stderr so the child never blocks on a full pipe; keep it for error messages.
        if let Some(mut err) = child.stderr.take() {
            let sink = Arc::clone(&self.stderr);
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
        // stdout carries `STAGE …` lines while starting, then `READY issuer`.
        let stage = Arc::new(Mutex::new(String::from("node started")));
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
            Ok(issuer) => {
                self.port = issuer
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("cannot read the port from the READY line {issuer}"));
                self.issuer = issuer;
                self.child = Some(child);
                Ok(())
            }
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                // Give the reader threads a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(200));
                let last = stage.lock().map(|s| s.clone()).unwrap_or_default();
                Err(format!(
                    "no READY within {READY_TIMEOUT:?} (last stage: {last}; exit: {status:?}); \
                     stderr:\n{}",
                    self.stderr()
                ))
            }
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.stop();
    }
}

impl TestProvider for Provider {
    fn name(&self) -> &str {
        "oidc-provider"
    }

    fn issuer(&self) -> String {
        self.issuer.clone()
    }

    fn machine_client(&self) -> TestClient {
        TestClient::confidential(
            "machine-basic",
            "machine-basic-secret",
            "client_secret_basic",
        )
    }

    fn machine_post_client(&self) -> TestClient {
        TestClient::confidential("machine-post", "machine-post-secret", "client_secret_post")
    }

    fn reserved_chars_client(&self) -> TestClient {
        TestClient::confidential("weird:client", "p@ss:w/rd+%&=", "client_secret_basic")
    }

    fn native_client(&self) -> TestClient {
        TestClient::public("native", "http://127.0.0.1/callback")
    }

    fn web_client(&self) -> Option<TestClient> {
        Some(
            TestClient::confidential("web", "web-secret", "client_secret_basic")
                .with_redirect("http://127.0.0.1/callback"),
        )
    }

    fn hs256_client(&self) -> Option<TestClient> {
        Some(
            TestClient::confidential(
                "hs-client",
                "hs-client-secret-0123456789abcdef-0123456789",
                "client_secret_post",
            )
            .with_redirect("http://127.0.0.1/callback"),
        )
    }

    fn jwt_resource(&self) -> Option<String> {
        Some(JWT_RESOURCE.to_string())
    }

    fn complete_login(&self, authorize_url: &str, user: &str) -> anyhow::Result<String> {
        super::complete_login_as(&self.issuer, authorize_url, user)
    }

    fn deny_login(&self, authorize_url: &str) -> anyhow::Result<String> {
        super::deny_login_at(&self.issuer, authorize_url)
    }

    fn complete_device(&self, verification_uri: &str, user_code: &str) -> anyhow::Result<()> {
        super::complete_device_at(&self.issuer, verification_uri, user_code).map(|_| ())
    }
}
