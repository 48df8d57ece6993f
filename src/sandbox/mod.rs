//! The built-in sandbox authorization server: a real OAuth 2.0 / OpenID Connect provider on
//! 127.0.0.1 (axum on tokio) so every grant can be run with no account and no internet, and a
//! second provider for the project's end-to-end tests.
//!
//! Start it in-process with [`start`]; [`SandboxHandle`] gives its issuer and stops it. It serves
//! discovery (`/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`),
//! `/jwks`, `/authorize` (login and consent page), `/token` (authorization code with PKCE,
//! client credentials, refresh with rotation and reuse detection, device code),
//! `/device_authorization` and the `/device` verification page, `/introspect` (RFC 7662),
//! `/revoke` (RFC 7009) and `/userinfo`. The clients and users are fixed: see
//! [`seeded_clients`] and [`seeded_users`].

mod authorize;
mod clients;
mod device;
mod endpoints;
mod keys;
mod server;
mod store;
mod token;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clients::{
    ClientKind, DEFAULT_AUDIENCE, SCOPES_SUPPORTED, SeededClient, SeededUser, find_client,
    find_user, seeded_clients, seeded_users,
};
pub use keys::{KeyError, SigningAlg};

/// Environment variable that overrides the configuration directory (also used by tests).
pub const CONFIG_DIR_ENV: &str = "GRANTSCOPE_CONFIG_DIR";

/// Lifetimes used by the `long_lived_tokens` unsafe switch.
pub const UNSAFE_LONG_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// Refresh token lifetime under the `long_lived_tokens` unsafe switch.
pub const UNSAFE_LONG_REFRESH_TOKEN_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Deliberate mistakes for teaching. All off by default; each is named `--unsafe-…` on the
/// command line and announced on every page and in discovery when on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnsafeSwitches {
    /// Accept `code_challenge_method=plain` (and a missing method, which means plain).
    pub allow_plain_pkce: bool,
    /// Let a public client run the authorization code grant without PKCE.
    pub allow_missing_pkce: bool,
    /// Hand back the same refresh token on refresh instead of rotating it.
    pub no_refresh_rotation: bool,
    /// Redirect to any absolute redirect URI, registered or not.
    pub any_redirect_uri: bool,
    /// Issue access tokens valid for a year and refresh tokens for ten.
    pub long_lived_tokens: bool,
}

impl UnsafeSwitches {
    /// The command-line names of the switches that are on.
    pub fn enabled(&self) -> Vec<&'static str> {
        [
            (self.allow_plain_pkce, "unsafe-allow-plain-pkce"),
            (self.allow_missing_pkce, "unsafe-allow-missing-pkce"),
            (self.no_refresh_rotation, "unsafe-no-refresh-rotation"),
            (self.any_redirect_uri, "unsafe-any-redirect-uri"),
            (self.long_lived_tokens, "unsafe-long-lived-tokens"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Lifetime of access tokens (and ID tokens).
    pub access_token_ttl: Duration,
    /// Lifetime of each refresh token (a rotated one gets a fresh lifetime).
    pub refresh_token_ttl: Duration,
    /// Lifetime of authorization codes.
    pub code_ttl: Duration,
    /// Lifetime of device codes and user codes.
    pub device_code_ttl: Duration,
    /// Minimum polling interval announced for the device grant (RFC 8628 §3.2).
    pub device_poll_interval: Duration,
    /// Approve every authorization and device request at once as this seeded user (for scripts).
    pub auto_approve: Option<String>,
    /// Algorithm of issued access tokens and ID tokens.
    pub signing_alg: SigningAlg,
    /// Where the signing keys live; `None` means [`default_key_dir`].
    pub key_dir: Option<PathBuf>,
    /// Replace the signing keys at start (the old pair stays in the JWKS until the next rotation).
    pub rotate_keys: bool,
    /// Deliberate mistakes for teaching, all off by default.
    pub unsafe_switches: UnsafeSwitches,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(14 * 24 * 3600),
            code_ttl: Duration::from_secs(60),
            device_code_ttl: Duration::from_secs(600),
            device_poll_interval: Duration::from_secs(5),
            auto_approve: None,
            signing_alg: SigningAlg::Rs256,
            key_dir: None,
            rotate_keys: false,
            unsafe_switches: UnsafeSwitches::default(),
        }
    }
}

impl SandboxConfig {
    /// The access token lifetime in force (after the long-lived switch).
    pub fn effective_access_token_ttl(&self) -> Duration {
        if self.unsafe_switches.long_lived_tokens {
            UNSAFE_LONG_ACCESS_TOKEN_TTL
        } else {
            self.access_token_ttl
        }
    }

    /// The refresh token lifetime in force (after the long-lived switch).
    pub fn effective_refresh_token_ttl(&self) -> Duration {
        if self.unsafe_switches.long_lived_tokens {
            UNSAFE_LONG_REFRESH_TOKEN_TTL
        } else {
            self.refresh_token_ttl
        }
    }
}

/// Why the sandbox could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The port could not be bound.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source} (is another server using it? try --port 0)"
    )]
    Bind {
        /// The requested port.
        port: u16,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// No configuration directory could be found for the keys.
    #[error("no configuration directory found for the sandbox keys; set {CONFIG_DIR_ENV}")]
    NoConfigDir,
    /// The signing keys could not be loaded, created or rotated.
    #[error("sandbox signing keys: {0}")]
    Keys(#[from] KeyError),
    /// `auto_approve` names no seeded user.
    #[error("unknown sandbox user {0:?} for auto-approve (known users: {users})", users = user_names())]
    UnknownUser(String),
    /// A lifetime or interval is zero or out of range.
    #[error("invalid sandbox setting: {0}")]
    InvalidConfig(String),
    /// A background task failed.
    #[error("sandbox task failed: {0}")]
    Task(String),
}

fn user_names() -> String {
    seeded_users()
        .iter()
        .map(|u| u.username)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The directory of the sandbox keys: `$GRANTSCOPE_CONFIG_DIR/sandbox`, or the platform config
/// directory of grantscope (`directories::ProjectDirs`) + `/sandbox`.
pub fn default_key_dir() -> Result<PathBuf, SandboxError> {
    // Local adapter: the profile store resolves the same config directory the same way.
    let config = match std::env::var_os(CONFIG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => directories::ProjectDirs::from("", "", "grantscope")
            .map(|dirs| dirs.config_dir().to_path_buf())
            .ok_or(SandboxError::NoConfigDir)?,
    };
    Ok(config.join("sandbox"))
}

/// A running sandbox. Dropping it stops the server (without waiting); [`SandboxHandle::shutdown`]
/// stops it gracefully and waits.
#[derive(Debug)]
pub struct SandboxHandle {
    app: Arc<server::App>,
    addr: SocketAddr,
    issuer_url: url::Url,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for server::App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The issuer, `http://127.0.0.1:PORT/` as a URL (the `iss` claim and discovery's `issuer`
    /// are the same without the trailing slash: see [`SandboxHandle::issuer_str`]).
    pub fn issuer(&self) -> url::Url {
        self.issuer_url.clone()
    }

    /// The issuer exactly as in discovery and the `iss` claim: `http://127.0.0.1:PORT`.
    pub fn issuer_str(&self) -> &str {
        &self.app.issuer
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The bound socket address (always 127.0.0.1).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The settings it runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.app.config
    }

    /// The directory its signing keys are persisted in.
    pub fn key_dir(&self) -> &std::path::Path {
        &self.app.key_dir
    }

    /// The current JWKS document.
    pub fn jwks(&self) -> serde_json::Value {
        self.app.keys().jwks()
    }

    /// Generates a new RS256 and ES256 key pair, persists it and signs with it from now on.
    /// The previous pair stays in the JWKS (until the next rotation) so issued tokens still verify.
    pub async fn rotate_keys(&self) -> Result<(), SandboxError> {
        let dir = self.app.key_dir.clone();
        let keys = tokio::task::spawn_blocking(move || keys::KeySet::rotate(&dir))
            .await
            .map_err(|e| SandboxError::Task(e.to_string()))??;
        *self
            .app
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = keys;
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            server
                .await
                .map_err(|e| SandboxError::Task(e.to_string()))?
                .map_err(|e| SandboxError::Task(e.to_string()))?;
        }
        Ok(())
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts a sandbox on 127.0.0.1 (only) and returns once it is accepting connections.
pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    validate(&config)?;
    let key_dir = match &config.key_dir {
        Some(dir) => dir.clone(),
        None => default_key_dir()?,
    };
    let rotate = config.rotate_keys;
    let dir = key_dir.clone();
    let keys = tokio::task::spawn_blocking(move || {
        if rotate {
            keys::KeySet::rotate(&dir)
        } else {
            keys::KeySet::load_or_create(&dir)
        }
    })
    .await
    .map_err(|e| SandboxError::Task(e.to_string()))??;

    let port = config.port;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| SandboxError::Bind { port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { port, source })?;
    let issuer = format!("http://127.0.0.1:{}", addr.port());
    let issuer_url = url::Url::parse(&issuer).map_err(|e| SandboxError::Task(e.to_string()))?;
    let app = Arc::new(server::App::new(config, issuer, keys, key_dir));

    let (shutdown, mut stop) = watch::channel(false);
    let mut stop_purge = stop.clone();
    let purge_app = Arc::clone(&app);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                _ = tick.tick() => purge_app.store().purge(),
                _ = stop_purge.wait_for(|stopped| *stopped) => break,
            }
        }
    });
    let router = server::router(Arc::clone(&app));
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            })
            .await
    });
    Ok(SandboxHandle {
        app,
        addr,
        issuer_url,
        shutdown,
        server: Some(server),
    })
}

fn validate(config: &SandboxConfig) -> Result<(), SandboxError> {
    if let Some(user) = &config.auto_approve
        && find_user(user).is_none()
    {
        return Err(SandboxError::UnknownUser(user.clone()));
    }
    for (name, value) in [
        ("access token lifetime", config.access_token_ttl),
        ("refresh token lifetime", config.refresh_token_ttl),
        ("code lifetime", config.code_ttl),
        ("device code lifetime", config.device_code_ttl),
    ] {
        if value.is_zero() {
            return Err(SandboxError::InvalidConfig(format!(
                "{name} must be at least one second"
            )));
        }
        if value > Duration::from_secs(100 * 365 * 24 * 3600) {
            return Err(SandboxError::InvalidConfig(format!(
                "{name} must be under a hundred years"
            )));
        }
    }
    if config.device_poll_interval > Duration::from_secs(3600) {
        return Err(SandboxError::InvalidConfig(
            "device poll interval must be at most an hour".into(),
        ));
    }
    Ok(())
}
