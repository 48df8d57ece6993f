//! `grantscope sandbox`: runs the built-in authorization server in the foreground, prints its
//! issuer and the seeded clients and users, and stops gracefully on Ctrl+C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use grantscope_sandbox::{
    self as sandbox, SWITCHES, SandboxConfig, SandboxHandle, SigningAlg, SwitchKind,
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
    /// Encrypt every ID token to this key (RSA-OAEP-256, or ECDH-ES for an EC or X25519 key;
    /// A256GCM): a stored key's name (its public half is used) or a key file; the client
    /// decrypts with `--decryption-key NAME`.
    #[arg(long, value_name = "NAME_OR_FILE")]
    pub id_token_encryption_key: Option<String>,
    /// Start from a teaching preset: fapi2 (a FAPI 2.0 server: PAR and DPoP or mutual TLS
    /// required, PS256/ES256 only, ES256 tokens, 60-second codes, refresh tokens not rotated,
    /// client assertions for the issuer only; its client is sandbox-fapi). Switches given
    /// beside it are added.
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(sandbox::PRESETS))]
    pub preset: Option<String>,
    /// Print the start-up information as one JSON document on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// The teaching switches, one `--NAME` flag per row of the sandbox's switch table.
    #[command(flatten)]
    pub switches: SwitchArgs,
}

impl SandboxArgs {
    /// The library configuration these options describe.
    pub fn to_config(&self) -> SandboxConfig {
        let base = self
            .preset
            .as_deref()
            .and_then(SandboxConfig::preset)
            .unwrap_or_default();
        let mut config = SandboxConfig {
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
            ..base.clone()
        };
        if self.preset.is_some() {
            // The preset's algorithm wins over the RS256 default (FAPI 2.0 allows no RS256).
            config.signing_alg = base.signing_alg;
        }
        for name in &self.switches.on {
            if let Some(switch) = sandbox::find_switch(name) {
                (switch.set)(&mut config, true);
            }
        }
        config
    }
}

/// The teaching switches as command-line flags, built from [`sandbox::SWITCHES`]: the flag is
/// the switch's name, its help the switch's one-line explanation (prefixed "UNSAFE (teaching)"
/// or "Teaching").
#[derive(Debug, Clone, Default)]
pub struct SwitchArgs {
    /// The names of the switches given on the command line, in table order.
    pub on: Vec<&'static str>,
}

impl clap::FromArgMatches for SwitchArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let on = SWITCHES
            .iter()
            .filter(|s| matches.get_flag(s.name))
            .map(|s| s.name)
            .collect();
        Ok(SwitchArgs { on })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for SwitchArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        SWITCHES.iter().fold(cmd, |cmd, s| {
            let prefix = match s.kind {
                SwitchKind::Unsafe => "UNSAFE (teaching)",
                SwitchKind::Stricter => "Teaching",
            };
            cmd.arg(
                clap::Arg::new(s.name)
                    .long(s.name)
                    .action(clap::ArgAction::SetTrue)
                    .help(format!("{prefix}: {}", s.explanation)),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// Runs the sandbox until Ctrl+C or SIGTERM. Exit status 0 after a clean stop, 2 when it cannot
/// start (port taken, bad option, unusable key directory), 1 when it fails while running.
pub async fn run(args: SandboxArgs) -> ExitCode {
    let mut config = args.to_config();
    if let Some(name) = &args.id_token_encryption_key {
        match encryption_jwk(name) {
            Ok(jwk) => config.id_token_encryption_key = Some(jwk),
            Err(error) => {
                eprintln!("error: --id-token-encryption-key {name}: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let handle = match sandbox::start(config).await {
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
    for switch in SWITCHES.iter().filter(|s| s.is_on(handle.config())) {
        match switch.kind {
            SwitchKind::Unsafe => eprintln!(
                "WARNING: UNSAFE teaching switch --{} is on; never point real clients here. {}",
                switch.name, switch.explanation
            ),
            SwitchKind::Stricter => eprintln!(
                "NOTE: teaching switch --{} is on. {}",
                switch.name, switch.explanation
            ),
        }
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

/// The public JWK ID tokens are encrypted to: a stored key's (with `use: enc` and its `alg`),
/// or a key file's, or a public JWK file's as it is.
fn encryption_jwk(name_or_file: &str) -> Result<serde_json::Value, String> {
    let store = grantscope_core::keys::KeyStore::open_default().map_err(|e| e.to_string())?;
    match store.resolve(name_or_file) {
        Ok(stored) => Ok(stored.public_jwk()),
        Err(first) => {
            // A public JWK file (what a client would register).
            let text = std::fs::read_to_string(name_or_file).map_err(|_| first.to_string())?;
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .filter(|v| v.get("kty").is_some())
                .ok_or_else(|| first.to_string())
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
        "CIBA phone: {issuer}/ciba (the user's device: approve or deny backchannel requests)"
    );
    let _ = writeln!(
        out,
        "credential: {issuer}/credential (POST, a user's access token and {{\"holder_jwk\": JWK}}: an SD-JWT VC)"
    );
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
    if let Some(jwk) = &config.id_token_encryption_key {
        let _ = writeln!(
            out,
            "ID tokens: encrypted to key {} ({} / A256GCM)",
            jwk.get("kid")
                .and_then(|k| k.as_str())
                .unwrap_or("without kid"),
            jwk.get("alg").and_then(|k| k.as_str()).unwrap_or(
                match jwk.get("kty").and_then(|k| k.as_str()) {
                    Some("RSA") => "RSA-OAEP-256",
                    _ => "ECDH-ES",
                }
            )
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
    // Columns as wide as their longest entry (a long secret overran a fixed width).
    let clients = seeded_clients();
    let id_w = clients.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let cred_w = clients
        .iter()
        .map(|c| credential_label(c).len())
        .max()
        .unwrap_or(0);
    for client in clients {
        let _ = writeln!(
            out,
            "  {:<id_w$} {:<cred_w$} {}",
            client.id,
            credential_label(client),
            client.description
        );
    }
    let _ = writeln!(
        out,
        "  (the clients with a redirect URI also have the post-logout redirect URI {}, any port)",
        grantscope_sandbox::SEEDED_POST_LOGOUT_URI
    );
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
        (None, auth) => format!("({})", auth.name()),
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
        "ciba_phone": format!("{issuer}/ciba"),
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
            "grant_types": c.grant_types.iter().map(|g| g.grant_type()).collect::<Vec<_>>(),
            "redirect_uris": c.redirect_uris,
            "scopes": c.scopes,
            "description": c.description,
        })).collect::<Vec<_>>(),
        "users": seeded_users().iter().map(|u| json!({
            "username": u.username, "password": u.password, "sub": u.sub,
        })).collect::<Vec<_>>(),
        "unsafe_switches": config.unsafe_switches.enabled(),
        "teaching_switches": config.teaching_switches.enabled(),
        "switches_on": SWITCHES
            .iter()
            .filter(|s| s.is_on(config))
            .map(|s| json!({ "name": s.name, "explanation": s.explanation, "probes": s.probes }))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::{Cli, Command};

    fn parse(args: &[&str]) -> SandboxConfig {
        let cli = Cli::try_parse_from(["grantscope", "sandbox"].iter().chain(args)).unwrap();
        match cli.command {
            Some(Command::Sandbox(args)) => args.to_config(),
            other => panic!("{other:?}"),
        }
    }

    /// Every row of the switch table is a flag that turns exactly that switch on.
    #[test]
    fn every_switch_of_the_table_is_a_flag() {
        for switch in SWITCHES {
            let config = parse(&[&format!("--{}", switch.name)]);
            let on: Vec<&str> = SWITCHES
                .iter()
                .filter(|s| s.is_on(&config))
                .map(|s| s.name)
                .collect();
            assert_eq!(on, vec![switch.name]);
        }
        let none = parse(&[]);
        assert!(SWITCHES.iter().all(|s| !s.is_on(&none)));
        assert!(Cli::try_parse_from(["grantscope", "sandbox", "--unsafe-no-such"]).is_err());
    }
}
