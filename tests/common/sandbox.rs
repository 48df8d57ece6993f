//! The app's built-in sandbox (`grantscope_sandbox`) as a [`TestProvider`], so end-to-end
//! tests written against the trait run against it too. It runs in-process on its own tokio
//! runtime thread, with its keys in a temporary directory (never the user's config).

use super::browser::{Browser, Decision, Login};
use super::{TestClient, TestProvider, block_on};
use anyhow::{Result, anyhow};
use grantscope_sandbox::{SandboxConfig, find_client, find_user};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

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
