//! The app's built-in sandbox (`grantscope_sandbox`) as a [`TestProvider`], so end-to-end
//! tests written against the trait run against it too. It runs in-process on its own tokio
//! runtime thread, with its keys in a temporary directory (never the user's config). Also the
//! sandbox on the test's own runtime ([`start_handle`]), its router without a socket
//! ([`router`], [`send`]) and the Basic credentials of its seeded clients ([`seeded_basic`]).

use super::browser::{Browser, Decision, Login};
use super::{TestClient, TestProvider, block_on};
use anyhow::{Result, anyhow};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use grantscope_sandbox::{SandboxConfig, SandboxHandle, find_client, find_user};
use serde_json::Value;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use tower::ServiceExt as _;

/// The issuer the in-process [`router`] answers as: no socket listens there.
pub const ROUTER_ISSUER: &str = "http://sandbox.invalid:9";

/// Starts the sandbox on the calling task's runtime with `config`, its keys (unless `config`
/// names a `key_dir`) in a fresh temporary directory; keep the directory as long as the handle.
pub async fn start_handle(mut config: SandboxConfig) -> (SandboxHandle, tempfile::TempDir) {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a temporary directory for the sandbox keys: {e}"),
    };
    if config.key_dir.is_none() {
        config.key_dir = Some(dir.path().join("keys"));
    }
    match grantscope_sandbox::start(config).await {
        Ok(handle) => (handle, dir),
        Err(e) => panic!("the sandbox did not start: {e}"),
    }
}

/// The sandbox's axum application with `config` and its keys in `keys`, answering as
/// [`ROUTER_ISSUER`], for [`send`] (no port is bound).
pub async fn router(keys: &tempfile::TempDir, mut config: SandboxConfig) -> axum::Router {
    config.key_dir = Some(keys.path().to_path_buf());
    match grantscope_sandbox::router(config, ROUTER_ISSUER).await {
        Ok(router) => router,
        Err(e) => panic!("the sandbox router: {e}"),
    }
}

/// Sends `request` straight into `router`; returns the status, the headers and the JSON body
/// (`Null` when the body is not JSON).
pub async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(e) => match e {},
    };
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = match axum::body::to_bytes(response.into_body(), 1 << 20).await {
        Ok(bytes) => bytes,
        Err(e) => panic!("reading the sandbox's answer: {e}"),
    };
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `Basic …` for the seeded confidential client `id` and its demo secret.
pub fn seeded_basic(id: &str) -> String {
    match find_client(id) {
        Some(c) => super::basic_auth_header(c.id, c.secret.unwrap_or_default()),
        None => panic!("the sandbox has no seeded client {id}"),
    }
}

/// A running in-process sandbox; stopped on drop.
pub struct Sandbox {
    issuer: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Sandbox {
    /// A sandbox with default settings (no auto-approve: the login page is driven by the
    /// scripted browser) and a 1-second device polling interval.
    pub fn start() -> Self {
        Self::start_with(SandboxConfig {
            device_poll_interval: Duration::from_secs(1),
            ..SandboxConfig::default()
        })
    }

    /// A sandbox with `config` (its `key_dir` defaults to a temporary directory).
    pub fn start_with(mut config: SandboxConfig) -> Self {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot create a temporary directory for the sandbox keys: {e}"),
        };
        if config.key_dir.is_none() {
            config.key_dir = Some(dir.path().join("sandbox-keys"));
        }
        let (ready_tx, ready_rx) = mpsc::channel::<Result<String, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("tokio runtime: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                match grantscope_sandbox::start(config).await {
                    Ok(handle) => {
                        let _ = ready_tx.send(Ok(handle.issuer_str().to_string()));
                        let _ = stop_rx.await;
                        let _ = handle.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        let issuer = match ready_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(issuer)) => issuer,
            Ok(Err(e)) => panic!("the sandbox did not start: {e}"),
            Err(e) => panic!("the sandbox did not report ready: {e}"),
        };
        Self {
            issuer,
            stop: Some(stop_tx),
            thread: Some(thread),
            _dir: dir,
        }
    }

    /// The issuer, `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn seeded(&self, id: &str) -> TestClient {
        let Some(client) = find_client(id) else {
            panic!("the sandbox has no seeded client {id}");
        };
        match client.secret {
            Some(secret) => TestClient::confidential(client.id, secret, "client_secret_basic"),
            None => TestClient::public(client.id, "http://127.0.0.1/callback"),
        }
        .with_redirect_opt(client.redirect_uris.first().copied())
    }

    fn login_for(user: &str) -> Result<Login<'static>> {
        let seeded = find_user(user).ok_or_else(|| anyhow!("the sandbox has no user {user}"))?;
        Ok(Login {
            user: seeded.username,
            password: seeded.password,
        })
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl TestProvider for Sandbox {
    fn name(&self) -> &str {
        "sandbox"
    }

    fn issuer(&self) -> String {
        self.issuer.clone()
    }

    fn machine_client(&self) -> TestClient {
        self.seeded("sandbox-machine")
    }

    fn machine_post_client(&self) -> TestClient {
        let mut client = self.seeded("sandbox-machine");
        client.auth_method = "client_secret_post".into();
        client
    }

    fn reserved_chars_client(&self) -> TestClient {
        self.seeded("weird:client")
    }

    fn native_client(&self) -> TestClient {
        self.seeded("sandbox-native")
    }

    fn web_client(&self) -> Option<TestClient> {
        Some(self.seeded("sandbox-web"))
    }

    fn complete_login(&self, authorize_url: &str, user: &str) -> Result<String> {
        let login = Self::login_for(user)?;
        block_on(async {
            let mut browser = Browser::new(&self.issuer)?;
            browser
                .authorize(authorize_url, login, Decision::Approve)
                .await
        })
    }

    fn deny_login(&self, authorize_url: &str) -> Result<String> {
        let login = Self::login_for(super::TEST_USER)?;
        block_on(async {
            let mut browser = Browser::new(&self.issuer)?;
            browser
                .authorize(authorize_url, login, Decision::Deny)
                .await
        })
    }

    fn complete_device(&self, verification_uri: &str, user_code: &str) -> Result<()> {
        let login = Self::login_for(super::TEST_USER)?;
        block_on(async {
            let mut browser = Browser::new(&self.issuer)?;
            browser
                .verify_device(verification_uri, user_code, login, Decision::Approve)
                .await
                .map(|_| ())
        })
    }
}
