//! `grantscope sandbox`: runs the built-in authorization server in the foreground, prints its
//! issuer and the seeded clients and users, and stops gracefully on Ctrl+C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use crate::sandbox::{
    self, SandboxConfig, SandboxHandle, SigningAlg, TeachingSwitches, UnsafeSwitches,
    seeded_clients, seeded_users,
};

/// Options of `grantscope sandbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// TCP port on 127.0.0.1 (the sandbox never listens elsewhere); 0 picks a free port.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// TCP port of the TLS listener for mutual TLS (RFC 8705) on 127.0.0.1; 0 picks a free port.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub tls_port: u16,
    /// Lifetime of access tokens and ID tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub access_token_ttl: u64,
    /// Lifetime of refresh tokens, in seconds (each rotation starts a new lifetime).
    #[arg(long, value_name = "SECS", default_value_t = 14 * 24 * 3600)]
    pub refresh_token_ttl: u64,
    /// Lifetime of authorization codes, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub code_ttl: u64,
    /// Lifetime of device codes, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub device_code_ttl: u64,
    /// Minimum polling interval of the device grant, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub device_interval: u64,
    /// Approve every authorization and device request at once as USER (alice or bob), for scripts.
    #[arg(long, value_name = "USER")]
    pub auto_approve: Option<String>,
    /// Signing algorithm of access tokens and ID tokens: RS256 or ES256.
    #[arg(long, value_name = "ALG", default_value = "RS256")]
    pub signing_alg: SigningAlg,
    /// Directory of the signing keys [default: the grantscope config directory + /sandbox;
    /// GRANTSCOPE_CONFIG_DIR overrides the config directory].
    #[arg(long, value_name = "DIR")]
    pub key_dir: Option<PathBuf>,
    /// Generate new signing keys before starting (the previous ones stay in the JWKS until the
    /// next rotation, so tokens already issued still verify).
    #[arg(long)]
    pub rotate_keys: bool,
    /// Print the start-up information as one JSON document on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// UNSAFE (teaching): accept code_challenge_method=plain.
    #[arg(long)]
    pub unsafe_allow_plain_pkce: bool,
    /// UNSAFE (teaching): let public clients skip PKCE, and accept a token request without the
    /// code_verifier.
    #[arg(long)]
    pub unsafe_allow_missing_pkce: bool,
    /// UNSAFE (teaching): do not rotate refresh tokens (the same one is returned on refresh).
    #[arg(long)]
    pub unsafe_no_refresh_rotation: bool,
    /// UNSAFE (teaching): redirect to any redirect_uri, registered or not.
    #[arg(long)]
    pub unsafe_any_redirect_uri: bool,
    /// UNSAFE (teaching): issue access tokens valid for a year and refresh tokens for ten.
    #[arg(long)]
    pub unsafe_long_lived_tokens: bool,
    /// UNSAFE (teaching): accept JWT assertions (client authentication, JWT bearer) whose aud
    /// names another server.
    #[arg(long)]
    pub unsafe_accept_wrong_assertion_audience: bool,
    /// UNSAFE (teaching): accept a JWT assertion whose jti was already used (a replay).
    #[arg(long)]
    pub unsafe_accept_replayed_assertion: bool,
    /// UNSAFE (teaching): accept a JWT assertion after its exp.
    #[arg(long)]
    pub unsafe_accept_expired_assertion: bool,
    /// UNSAFE (teaching): accept unsigned request objects (alg none, RFC 9101).
    #[arg(long)]
    pub unsafe_accept_unsigned_request_object: bool,
    /// UNSAFE (teaching): answer the deprecated implicit and hybrid response types (token,
    /// id_token token, code id_token, ...): tokens in the browser's front channel.
    #[arg(long)]
    pub unsafe_allow_implicit: bool,
    /// Teaching: demand a server nonce in every DPoP proof (use_dpop_nonce, RFC 9449 §8, §9).
    #[arg(long)]
    pub require_dpop_nonce: bool,
    /// Teaching: accept authorization requests only through PAR (RFC 9126 §5).
    #[arg(long)]
    pub require_par: bool,
    /// Teaching: the protected resource /api/resource demands a step-up authentication
    /// (RFC 9470 insufficient_user_authentication with acr_values and max_age), reached by a
    /// login whose request names that acr and that passes the demo one-time code.
    #[arg(long)]
    pub require_step_up: bool,
    /// UNSAFE (teaching): redeem an authorization code as often as it is presented.
    #[arg(long)]
    pub unsafe_allow_code_reuse: bool,
    /// UNSAFE (teaching): leave iss out of authorization responses (the metadata still promises it).
    #[arg(long)]
    pub unsafe_no_iss: bool,
    /// UNSAFE (teaching): answer the authorization endpoint with CORS for any origin.
    #[arg(long)]
    pub unsafe_cors_on_authorize: bool,
    /// UNSAFE (teaching): accept a code_verifier for a code issued without a challenge.
    #[arg(long)]
    pub unsafe_allow_pkce_downgrade: bool,
    /// UNSAFE (teaching): let any client refresh any refresh token.
    #[arg(long)]
    pub unsafe_refresh_any_client: bool,
}

impl SandboxArgs {
    /// The library configuration these options describe.
    pub fn to_config(&self) -> SandboxConfig {
        SandboxConfig {
            port: self.port,
            tls_port: self.tls_port,
            access_token_ttl: Duration::from_secs(self.access_token_ttl),
            refresh_token_ttl: Duration::from_secs(self.refresh_token_ttl),
            code_ttl: Duration::from_secs(self.code_ttl),
            device_code_ttl: Duration::from_secs(self.device_code_ttl),
            device_poll_interval: Duration::from_secs(self.device_interval),
            auto_approve: self.auto_approve.clone(),
            signing_alg: self.signing_alg,
            key_dir: self.key_dir.clone(),
            rotate_keys: self.rotate_keys,
            unsafe_switches: UnsafeSwitches {
                allow_plain_pkce: self.unsafe_allow_plain_pkce,
                allow_missing_pkce: self.unsafe_allow_missing_pkce,
                no_refresh_rotation: self.unsafe_no_refresh_rotation,
                any_redirect_uri: self.unsafe_any_redirect_uri,
                long_lived_tokens: self.unsafe_long_lived_tokens,
                accept_wrong_assertion_audience: self.unsafe_accept_wrong_assertion_audience,
                accept_replayed_assertion: self.unsafe_accept_replayed_assertion,
                accept_expired_assertion: self.unsafe_accept_expired_assertion,
                accept_unsigned_request_object: self.unsafe_accept_unsigned_request_object,
                allow_implicit: self.unsafe_allow_implicit,
                allow_code_reuse: self.unsafe_allow_code_reuse,
                no_iss: self.unsafe_no_iss,
                cors_on_authorize: self.unsafe_cors_on_authorize,
                allow_pkce_downgrade: self.unsafe_allow_pkce_downgrade,
                refresh_any_client: self.unsafe_refresh_any_client,
            },
            teaching_switches: TeachingSwitches {
                require_dpop_nonce: self.require_dpop_nonce,
                require_par: self.require_par,
                require_step_up: self.require_step_up,
            },
        }
    }
}

/// Runs the sandbox until Ctrl+C or SIGTERM. Exit status 0 after a clean stop, 2 when it cannot
/// start (port taken, bad option, unusable key directory), 1 when it fails while running.
pub async fn run(args: SandboxArgs) -> ExitCode {
    let handle = match sandbox::start(args.to_config()).await {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("error: the sandbox cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        println!("{}", startup_json(&handle));
    } else {
        print!("{}", startup_text(&handle));
    }
    for switch in handle.config().unsafe_switches.enabled() {
        eprintln!(
            "WARNING: UNSAFE teaching switch --{switch} is on; never point real clients here"
        );
    }
    for switch in handle.config().teaching_switches.enabled() {
        eprintln!("NOTE: teaching switch --{switch} is on");
    }
    if let Err(error) = stop_signal().await {
        eprintln!("error: cannot wait for Ctrl+C / SIGTERM: {error}");
    }
    eprintln!("stopping the sandbox...");
    match handle.shutdown().await {
        Ok(()) => {
            eprintln!("sandbox stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

/// Resolves on Ctrl+C, or on SIGTERM where there is one.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

fn kids(handle: &SandboxHandle) -> Vec<String> {
    handle.jwks()["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .map(|k| {
                    format!(
                        "{} {}",
                        k["alg"].as_str().unwrap_or("?"),
                        k["kid"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The start-up banner: issuer first (as `issuer: URL`, for scripts), then what to use.
pub fn startup_text(handle: &SandboxHandle) -> String {
    use std::fmt::Write as _;
    let config = handle.config();
    let mut out = String::new();
    let issuer = handle.issuer_str();
    let _ = writeln!(out, "issuer: {issuer}");
    let _ = writeln!(out, "discovery: {issuer}/.well-known/openid-configuration");
    let _ = writeln!(out, "start page: {issuer}/");
    let _ = writeln!(out, "protected resource: {issuer}/api/resource");
    let _ = writeln!(
        out,
        "tokens: {} signed, access {}s, refresh {}s, codes {}s, device codes {}s (poll every {}s)",
        config.signing_alg,
        config.effective_access_token_ttl().as_secs(),
        config.effective_refresh_token_ttl().as_secs(),
        config.code_ttl.as_secs(),
        config.device_code_ttl.as_secs(),
        config.device_poll_interval.as_secs(),
    );
    let _ = writeln!(
        out,
        "signing keys: {} ({})",
        handle.key_dir().display(),
        kids(handle).join(", ")
    );
    if let Some(user) = &config.auto_approve {
        let _ = writeln!(
            out,
            "auto-approve: every request is approved at once as {user}"
        );
    }
    let files = handle.client_files();
    let _ = writeln!(
        out,
        "mutual TLS: {} (endpoint aliases in discovery; trust its test CA with --ca-cert {})",
        handle.tls_base(),
        files.ca_cert.display()
    );
    let _ = writeln!(out, "clients:");
    for client in seeded_clients() {
        let _ = writeln!(
            out,
            "  {:<18} {:<30} {}",
            client.id,
            credential_label(client),
            client.description
        );
    }
    let _ = writeln!(out, "client keys ({}):", files.dir.display());
    let _ = writeln!(
        out,
        "  sandbox-jwt        --signing-key {} (kid {})",
        files.jwt_key.display(),
        files.jwt_kid
    );
    let _ = writeln!(
        out,
        "  sandbox-mtls       --client-cert {} --client-key {}",
        files.mtls_cert.display(),
        files.mtls_key.display()
    );
    let _ = writeln!(
        out,
        "  sandbox-selfsigned --client-cert {} --client-key {}",
        files.self_signed_cert.display(),
        files.self_signed_key.display()
    );
    let _ = writeln!(out, "users:");
    for user in seeded_users() {
        let _ = writeln!(out, "  {:<16} password: {}", user.username, user.password);
    }
    let enabled = config.unsafe_switches.enabled();
    if !enabled.is_empty() {
        let _ = writeln!(out, "UNSAFE teaching switches on: {}", enabled.join(", "));
    }
    let teaching = config.teaching_switches.enabled();
    if !teaching.is_empty() {
        let _ = writeln!(out, "teaching switches on: {}", teaching.join(", "));
    }
    let _ = writeln!(out, "Press Ctrl+C to stop.");
    out
}

/// How a seeded client proves itself, for the banner: its demo secret, or its method.
fn credential_label(client: &sandbox::SeededClient) -> String {
    match (client.secret, client.auth) {
        (Some(secret), sandbox::ClientAuth::ClientSecretJwt) => {
            format!("secret: {secret} (client_secret_jwt)")
        }
        (Some(secret), _) => format!("secret: {secret}"),
        (None, sandbox::ClientAuth::None) => "(none, public)".to_string(),
        (None, auth) => format!("({})", auth.names()[0]),
    }
}

/// The start-up information as JSON (`--json`).
pub fn startup_json(handle: &SandboxHandle) -> serde_json::Value {
    let config = handle.config();
    let files = handle.client_files();
    let issuer = handle.issuer_str();
    json!({
        "issuer": issuer,
        "discovery": format!("{issuer}/.well-known/openid-configuration"),
        "port": handle.port(),
        "signing_alg": config.signing_alg.as_str(),
        "access_token_ttl": config.effective_access_token_ttl().as_secs(),
        "refresh_token_ttl": config.effective_refresh_token_ttl().as_secs(),
        "code_ttl": config.code_ttl.as_secs(),
        "device_code_ttl": config.device_code_ttl.as_secs(),
        "device_interval": config.device_poll_interval.as_secs(),
        "auto_approve": config.auto_approve,
        "key_dir": handle.key_dir().display().to_string(),
        "jwks": handle.jwks(),
        "tls": {
            "base": handle.tls_base(),
            "port": handle.tls_addr().port(),
            "ca_cert": files.ca_cert.display().to_string(),
        },
        "client_keys": {
            "dir": files.dir.display().to_string(),
            "sandbox-jwt": { "key": files.jwt_key.display().to_string(), "kid": files.jwt_kid },
            "sandbox-mtls": {
                "cert": files.mtls_cert.display().to_string(),
                "key": files.mtls_key.display().to_string(),
                "x5t#S256": files.mtls_x5t,
            },
            "sandbox-selfsigned": {
                "cert": files.self_signed_cert.display().to_string(),
                "key": files.self_signed_key.display().to_string(),
                "x5t#S256": files.self_signed_x5t,
            },
        },
        "clients": seeded_clients().iter().map(|c| json!({
            "client_id": c.id,
            "client_secret": c.secret,
            "kind": c.kind.to_string(),
            "auth_methods": c.auth.names(),
            "grant_types": c.grant_types,
            "redirect_uris": c.redirect_uris,
            "scopes": c.scopes,
            "description": c.description,
        })).collect::<Vec<_>>(),
        "users": seeded_users().iter().map(|u| json!({
            "username": u.username, "password": u.password, "sub": u.sub,
        })).collect::<Vec<_>>(),
        "unsafe_switches": config.unsafe_switches.enabled(),
        "teaching_switches": config.teaching_switches.enabled(),
    })
}
