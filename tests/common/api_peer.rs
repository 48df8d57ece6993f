//! Starts and stops the API peers of the API probes: a protected API and its issuer built on an
//! independent JWT library, as a child process on a free loopback port.
//! - [`Library::Jose`]: `tests/api_peer_jose/server.js`, panva's `jose` on Node;
//! - [`Library::Pyjwt`]: `tests/api_peer_pyjwt/server.py`, PyJWT on Python.
//!
//! Each has `/api/data` (the API), `/jwks` (the issuer's keys) and `/tokens` (a genuine access
//! token, an expired one, one for another audience, an ID token), a signing algorithm (`ALG`)
//! and one optional misconfiguration ([`Misconfig`]); their READMEs say what each does. They are
//! started like the other peers ([`super::node_peer`]: a wait for READY, one retry).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::node_peer::{NodePeer, PeerProcess};

/// Which library verifies the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Library {
    Jose,
    Pyjwt,
}

/// How the API is configured (the `MISCONFIG` variable of the peers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misconfig {
    /// Correct: signature, algorithm allow-list, issuer, audience, `typ`, expiry.
    None,
    /// The token is only decoded (jose's `decodeJwt`; PyJWT's `verify_signature: False`).
    VerifyOff,
    /// Expiry not enforced (jose: a ten-year `clockTolerance`; PyJWT: `verify_exp: False`).
    NoExp,
    /// Audience not checked (jose: no `audience` option; PyJWT: `verify_aud: False`).
    NoAud,
}

impl Misconfig {
    pub fn env_value(self) -> &'static str {
        match self {
            Misconfig::None => "none",
            Misconfig::VerifyOff => "verify-off",
            Misconfig::NoExp => "no-exp",
            Misconfig::NoAud => "no-aud",
        }
    }
}

/// The tokens the peer's issuer gives (`GET /tokens`), fresh at each call.
#[derive(Debug, Clone)]
pub struct PeerTokens {
    pub access_token: String,
    pub expired_token: String,
    pub other_audience_token: String,
    pub id_token: String,
}

/// A running API peer; killed on drop.
pub struct ApiPeer {
    child: Child,
    base: String,
    stderr: Arc<Mutex<String>>,
}

fn peer_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

impl ApiPeer {
    /// Starts the peer of `library` signing with `alg` (`RS256` or `ES256`) and configured as
    /// `misconfig` says, on a free port.
    pub fn start(library: Library, alg: &str, misconfig: Misconfig) -> Self {
        let env = vec![
            ("PORT".to_string(), "0".to_string()),
            ("ALG".to_string(), alg.to_string()),
            ("MISCONFIG".to_string(), misconfig.env_value().to_string()),
        ];
        let stderr: Arc<Mutex<String>> = Arc::default();
        let (child, base) = match library {
            Library::Jose => {
                let dir = peer_dir("api_peer_jose");
                NodePeer {
                    name: "the jose API peer",
                    dir: &dir,
                    package: "jose",
                    env,
                }
                .start(&stderr)
            }
            Library::Pyjwt => {
                let dir = peer_dir("api_peer_pyjwt");
                require_python_packages(&dir);
                PeerProcess {
                    name: "the PyJWT API peer",
                    dir: &dir,
                    program: "python3",
                    script: "server.py",
                    env,
                }
                .start(&stderr)
            }
        };
        Self {
            child,
            base,
            stderr,
        }
    }

    /// `http://127.0.0.1:PORT` (the issuer, no trailing slash).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The protected API.
    pub fn api_url(&self) -> String {
        format!("{}/api/data", self.base)
    }

    /// The issuer's JWKS.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.base)
    }

    /// What the peer has written on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// A fresh set of tokens from the issuer. Panics with the reason when it cannot get them.
    pub fn tokens(&self) -> PeerTokens {
        let url = format!("{}/tokens", self.base);
        let body = http_get(&url).unwrap_or_else(|e| {
            panic!(
                "GET {url} failed: {e}; the peer's stderr:\n{}",
                self.stderr()
            )
        });
        let doc: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {url} did not answer JSON ({e}): {body}"));
        let field = |name: &str| {
            doc[name]
                .as_str()
                .unwrap_or_else(|| panic!("GET {url} has no {name}: {body}"))
                .to_string()
        };
        PeerTokens {
            access_token: field("access_token"),
            expired_token: field("expired_token"),
            other_audience_token: field("other_audience_token"),
            id_token: field("id_token"),
        }
    }
}

impl Drop for ApiPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails with the install command when PyJWT or cryptography cannot be imported.
fn require_python_packages(dir: &Path) {
    let output = Command::new("python3")
        .args(["-c", "import jwt, cryptography"])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (Python >= 3.11 must be on PATH): {e}"));
    if !output.status.success() {
        panic!(
            "the PyJWT API peer's packages are not installed ({}); run `python3 -m pip install \
             -r {}` from the repository root first (scripts/test.sh does)",
            String::from_utf8_lossy(&output.stderr).trim(),
            dir.join("requirements.txt").display()
        );
    }
}

/// One GET on loopback, its body (any status but 200 is an error).
fn http_get(url: &str) -> anyhow::Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()?;
        let response = client.get(url).send().await?;
        let status = response.status();
        let body = response.text().await?;
        anyhow::ensure!(status.as_u16() == 200, "status {status}: {body}");
        Ok(body)
    })
}
