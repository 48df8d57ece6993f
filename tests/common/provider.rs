//! Starts and stops the real, independent OpenID Provider of the end-to-end tests (panva's
//! `oidc-provider`, configured in `tests/provider/server.js`) as a child process on a free
//! loopback port, and describes its seeded clients.

use super::node_peer::NodePeer;
use super::{TestClient, TestProvider};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};

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
    /// Other keys with new `kid`s (key rotation).
    New,
}

/// How many pre-made key sets `tests/provider/keys/` holds (`set-1.json` …).
const KEY_SETS: usize = 4;
/// The next key set to hand out; providers in one test process take them in turn.
static NEXT_KEY_SET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Writes the next pre-made signing key set to `file`. The provider would otherwise generate
/// an RSA key at every start: on a loaded CI machine such a start once stalled past 90 s
/// (twice in a row, last stage "clients built"), so no test start generates keys any more.
fn write_next_key_set(file: &Path) {
    let n = NEXT_KEY_SET.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % KEY_SETS + 1;
    let source = provider_dir().join("keys").join(format!("set-{n}.json"));
    if let Err(e) = std::fs::copy(&source, file) {
        panic!(
            "cannot copy the provider's key set {} to {}: {e}",
            source.display(),
            file.display()
        );
    }
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
        write_next_key_set(&provider.keys_file());
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
        if keys == Keys::New {
            let before = std::fs::read(self.keys_file()).unwrap_or_default();
            // Providers started in between took sets too: go on until the keys differ.
            for _ in 0..KEY_SETS {
                write_next_key_set(&self.keys_file());
                if std::fs::read(self.keys_file()).unwrap_or_default() != before {
                    break;
                }
            }
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
        let mut env = vec![
            ("PORT".to_string(), self.port.to_string()),
            (
                "KEYS_FILE".to_string(),
                self.keys_file().display().to_string(),
            ),
        ];
        env.extend(self.env.iter().cloned());
        let peer = NodePeer {
            name: "the test provider (oidc-provider)",
            dir: &dir,
            package: "oidc-provider",
            env,
        };
        let (child, issuer) = peer.start(&self.stderr);
        self.port = issuer
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("cannot read the port from the READY line {issuer}"));
        self.issuer = issuer;
        self.child = Some(child);
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
