//! The built-in sandbox authorization server: a real OAuth 2.0 / OpenID Connect provider on
//! 127.0.0.1 (axum on tokio) so every grant can be run with no account and no internet, and a
//! second provider for the project's end-to-end tests.
//!
//! Start it in-process with [`start`]; [`SandboxHandle`] gives its issuer and stops it. It serves
//! discovery (`/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`),
//! `/jwks`, `/authorize` (login and consent page), `/token` (authorization code with PKCE,
//! client credentials, refresh with rotation and reuse detection, device code),
//! `/device_authorization` and the `/device` verification page, `/introspect` (RFC 7662),
//! `/revoke` (RFC 7009), `/userinfo`, `/par` (RFC 9126), and a protected resource
//! `/api/resource` with its RFC 9728 metadata. Token requests may carry DPoP proofs (RFC 9449);
//! authorization requests may be pushed, signed request objects (RFC 9101) and carry
//! `authorization_details` (RFC 9396). The clients and users are fixed: see
//! [`seeded_clients`] and [`seeded_users`].

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

// Layers: a module imports (`crate::` or `super::`) only modules of the layers below its own,
// never the same layer or above (the table is in tests/layers.rs, which checks it). Bottom to
// top: the state of a running sandbox (`state`: clients, keys, configuration, store, the app),
// the protocol pieces every endpoint shares (`protocol`: parameters and errors, client
// authentication, DPoP, token minting, the authorization request's checks ...), one module per
// grant at the token endpoint (`grants`, as the client's `oauth::grants`), the HTTP handlers
// (`handlers`, which never import each other), and `routes`.
mod error;
mod grants;
mod handlers;
pub mod local_profile;
mod paths;
mod protocol;
mod routes;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::SandboxError;
/// A CIBA request waiting for its user, as [`SandboxHandle::ciba_pending`] lists it.
pub use protocol::ciba::PendingCiba;
pub use state::clients::{
    ClientAuth, ClientKind, DEFAULT_AUDIENCE, SCOPES_SUPPORTED, SEEDED_POST_LOGOUT_URI,
    SeededClient, SeededUser, find_client, find_user, seeded_clients, seeded_users,
};
pub use state::config::{
    CONFIG_DIR_ENV, INITIAL_ACCESS_TOKEN, PRESETS, STEP_UP_ACR, STEP_UP_CODE, STEP_UP_MAX_AGE,
    SandboxConfig, TeachingSwitches, UNSAFE_LONG_ACCESS_TOKEN_TTL, UNSAFE_LONG_REFRESH_TOKEN_TTL,
    UnsafeSwitches,
};
pub use state::keys::{KeyError, SigningAlg};
pub use state::switches::{SWITCHES, SwitchInfo, SwitchKind, find_switch};

/// Encrypts a token to a recipient's public JWK as the sandbox encrypts ID tokens
/// (RSA-OAEP-256 or ECDH-ES, A256GCM; `cty` when given), for demos and tests.
pub fn encrypt_to_jwk(
    jwk: &serde_json::Value,
    plaintext: &[u8],
    cty: Option<&str>,
) -> Result<String, String> {
    protocol::jwe::encrypt_to(jwk, plaintext, cty)
}

/// The credential type (`vct`) of the SD-JWT VCs the sandbox issues.
pub const CREDENTIAL_VCT: &str = protocol::credential::VCT;

/// Where the sandbox keeps the client-side key material (all PEM, mode 0600).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFiles {
    /// The directory (`KEY_DIR/clients`).
    pub dir: PathBuf,
    /// The test CA's certificate: `--ca-cert` for the TLS listener.
    pub ca_cert: PathBuf,
    /// The `sandbox-jwt` client's private key (`private_key_jwt`, JWT bearer).
    pub jwt_key: PathBuf,
    /// Its `kid`.
    pub jwt_kid: String,
    /// The `sandbox-mtls` client's CA-issued certificate (`tls_client_auth`).
    pub mtls_cert: PathBuf,
    /// Its private key.
    pub mtls_key: PathBuf,
    /// `x5t#S256` of that certificate (what its bound tokens carry in `cnf`).
    pub mtls_x5t: String,
    /// `x5t#S256` of the self-signed client's certificate.
    pub self_signed_x5t: String,
    /// The `sandbox-selfsigned` client's certificate (`self_signed_tls_client_auth`).
    pub self_signed_cert: PathBuf,
    /// Its private key.
    pub self_signed_key: PathBuf,
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
    app: Arc<state::app::App>,
    addr: SocketAddr,
    tls_addr: SocketAddr,
    issuer_url: url::Url,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for state::app::App {
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

    /// The TLS listener's socket address (127.0.0.1), for mutual TLS (RFC 8705).
    pub fn tls_addr(&self) -> SocketAddr {
        self.tls_addr
    }

    /// `https://127.0.0.1:TLS_PORT`: the base of the `mtls_endpoint_aliases`.
    pub fn tls_base(&self) -> String {
        format!("https://127.0.0.1:{}", self.tls_addr.port())
    }

    /// The client-side files a person or a test needs for the methods that use keys.
    pub fn client_files(&self) -> ClientFiles {
        let keys = &self.app.client_keys;
        use state::client_keys::{CA_KEY, JWT_CLIENT_KEY, MTLS_CLIENT_KEY, SELF_SIGNED_CLIENT_KEY};
        ClientFiles {
            dir: keys.dir.clone(),
            ca_cert: keys.cert_file(CA_KEY),
            jwt_key: keys.key_file(JWT_CLIENT_KEY),
            jwt_kid: keys.jwt.key.kid().to_string(),
            mtls_cert: keys.cert_file(MTLS_CLIENT_KEY),
            mtls_x5t: keys
                .mtls
                .certs
                .first()
                .map(grantscope_core::keys::Certificate::x5t_s256)
                .unwrap_or_default(),
            self_signed_x5t: keys.self_signed_thumbprint().unwrap_or_default(),
            mtls_key: keys.key_file(MTLS_CLIENT_KEY),
            self_signed_cert: keys.cert_file(SELF_SIGNED_CLIENT_KEY),
            self_signed_key: keys.key_file(SELF_SIGNED_CLIENT_KEY),
        }
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

    /// An SD-JWT VC for the seeded user `username`, bound to the holder's public key: what
    /// `POST /credential` answers for that user's access token (the Classroom issues one for
    /// a teacher without a flow).
    pub fn issue_credential(
        &self,
        username: &str,
        holder_jwk: &serde_json::Value,
    ) -> Result<String, SandboxError> {
        let user =
            find_user(username).ok_or_else(|| SandboxError::UnknownUser(username.to_owned()))?;
        protocol::credential::issue(&self.app, user, holder_jwk)
            .map_err(SandboxError::InvalidConfig)
    }

    /// The CIBA requests waiting for their user (the "phone": the Classroom lists them with
    /// their binding messages).
    pub fn ciba_pending(&self) -> Vec<protocol::ciba::PendingCiba> {
        protocol::ciba::pending(&self.app)
    }

    /// The user's decision on the CIBA request `ticket` (from [`Self::ciba_pending`]):
    /// approve as the user the client named, or deny; in ping mode the client is pinged.
    /// Errs with a sentence when the request is
    /// unknown, expired or already answered.
    pub fn ciba_decide(&self, ticket: &str, approve: bool) -> Result<(), String> {
        protocol::ciba::decide(&self.app, ticket, approve)
    }

    /// Generates a new RS256 and ES256 key pair, persists it and signs with it from now on.
    /// The previous pair stays in the JWKS (until the next rotation) so issued tokens still verify.
    pub async fn rotate_keys(&self) -> Result<(), SandboxError> {
        let dir = self.app.key_dir.clone();
        let keys = tokio::task::spawn_blocking(move || state::keys::KeySet::rotate(&dir))
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

/// What [`prepare`] loads.
struct Prepared {
    keys: state::keys::KeySet,
    key_dir: PathBuf,
    client_keys: state::client_keys::ClientKeys,
    ca_check: state::tls::CaCheck,
}

impl Prepared {
    fn into_app(
        self,
        config: SandboxConfig,
        issuer: String,
        tls_base: Option<String>,
    ) -> state::app::App {
        state::app::App::new(
            config,
            issuer,
            self.keys,
            self.key_dir,
            self.client_keys,
            self.ca_check,
            tls_base,
        )
    }
}

/// Checks the settings and loads (or creates, or rotates) the signing keys, and loads (or
/// creates) the clients' keys and the test CA under `KEY_DIR/clients`.
async fn prepare(config: &SandboxConfig) -> Result<Prepared, SandboxError> {
    validate(config)?;
    let key_dir = match &config.key_dir {
        Some(dir) => dir.clone(),
        None => default_key_dir()?,
    };
    let rotate = config.rotate_keys;
    let dir = key_dir.clone();
    let keys = tokio::task::spawn_blocking(move || {
        if rotate {
            state::keys::KeySet::rotate(&dir)
        } else {
            state::keys::KeySet::load_or_create(&dir)
        }
    })
    .await
    .map_err(|e| SandboxError::Task(e.to_string()))??;
    let clients_dir = key_dir.join("clients");
    let client_keys = tokio::task::spawn_blocking(move || {
        state::client_keys::ClientKeys::load_or_create(&clients_dir)
    })
    .await
    .map_err(|e| SandboxError::Task(e.to_string()))?
    .map_err(|e| SandboxError::ClientKeys(e.to_string()))?;
    let ca_check = state::tls::CaCheck::new(&client_keys).map_err(SandboxError::Tls)?;
    Ok(Prepared {
        keys,
        key_dir,
        client_keys,
        ca_check,
    })
}

/// The sandbox's whole HTTP application for `issuer` (`http://host:port`, no path), without
/// binding a port: a `tower::Service` that tests drive with `tower::ServiceExt::oneshot`. The
/// keys are loaded exactly as [`start`] loads them; the periodic purge of expired records does
/// not run.
pub async fn router(config: SandboxConfig, issuer: &str) -> Result<axum::Router, SandboxError> {
    let issuer = issuer.trim_end_matches('/').to_string();
    let parsed = url::Url::parse(&issuer)
        .map_err(|e| SandboxError::InvalidConfig(format!("issuer {issuer:?}: {e}")))?;
    if parsed.path() != "/" || parsed.query().is_some() || parsed.host_str().is_none() {
        return Err(SandboxError::InvalidConfig(format!(
            "issuer {issuer:?} must be scheme://host[:port] with no path or query"
        )));
    }
    let app = Arc::new(prepare(&config).await?.into_app(config, issuer, None));
    Ok(routes::router(app))
}

/// Starts a sandbox on 127.0.0.1 (only) and returns once it is accepting connections.
pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    let prepared = prepare(&config).await?;
    let port = config.port;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| SandboxError::Bind { port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Bind { port, source })?;
    let issuer = format!("http://127.0.0.1:{}", addr.port());
    let issuer_url = url::Url::parse(&issuer).map_err(|e| SandboxError::Task(e.to_string()))?;
    let (shutdown, mut stop) = watch::channel(false);
    let tls_listener =
        state::tls::bind(config.tls_port, &prepared.client_keys, stop.clone()).await?;
    let tls_addr = axum::serve::Listener::local_addr(&tls_listener)
        .map_err(|source| SandboxError::Bind {
            port: config.tls_port,
            source,
        })?
        .remote;
    let tls_base = format!("https://127.0.0.1:{}", tls_addr.port());
    let app = Arc::new(prepared.into_app(config, issuer, Some(tls_base)));

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
    let router = routes::router(Arc::clone(&app));
    let tls_router = router
        .clone()
        .into_make_service_with_connect_info::<state::tls::TlsPeer>();
    let mut stop_tls = stop.clone();
    let tls_server = tokio::spawn(async move {
        axum::serve(tls_listener, tls_router)
            .with_graceful_shutdown(async move {
                let _ = stop_tls.wait_for(|stopped| *stopped).await;
            })
            .await
    });
    let server = tokio::spawn(async move {
        let plain = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            })
            .await;
        let tls = tls_server
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        plain.and(tls)
    });
    Ok(SandboxHandle {
        app,
        addr,
        tls_addr,
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
    if let Some(jwk) = &config.id_token_encryption_key {
        protocol::jwe::check_recipient(jwk).map_err(|e| {
            SandboxError::InvalidConfig(format!("the ID token encryption key: {e}"))
        })?;
    }
    Ok(())
}
