//! `grantscope token GRANT`: runs a grant and prints the tokens, their inspection, and every
//! exchange (human text by default, one JSON document with `--json`).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use super::connection::{ConnectionArgs, Progress, Resolved, resolve};
use crate::oauth::grants::authorization_code::{self, RedirectSource};
use crate::oauth::grants::{self, GrantKind, GrantOutcome, TokenSuccess};
use crate::oauth::{FlowError, Session};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GrantArg {
    ClientCredentials,
    AuthorizationCode,
    RefreshToken,
    DeviceCode,
    /// Deprecated (OAuth 2.0 Security BCP): exposes the user's password to the client.
    Password,
}

impl From<GrantArg> for GrantKind {
    fn from(g: GrantArg) -> Self {
        match g {
            GrantArg::ClientCredentials => GrantKind::ClientCredentials,
            GrantArg::AuthorizationCode => GrantKind::AuthorizationCode,
            GrantArg::RefreshToken => GrantKind::RefreshToken,
            GrantArg::DeviceCode => GrantKind::DeviceCode,
            GrantArg::Password => GrantKind::Password,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The grant to run.
    #[arg(value_enum)]
    pub grant: GrantArg,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Refresh grant: the refresh token (or set GRANTSCOPE_REFRESH_TOKEN).
    #[arg(
        long,
        env = "GRANTSCOPE_REFRESH_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub refresh_token: Option<String>,
    /// Password grant (deprecated): the user's name.
    #[arg(long)]
    pub username: Option<String>,
    /// Password grant (deprecated): the password (or set GRANTSCOPE_PASSWORD).
    #[arg(
        long,
        env = "GRANTSCOPE_PASSWORD",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub password: Option<String>,
    /// Authorization code: do not open a browser; print `authorize: URL` on stderr and wait.
    #[arg(long)]
    pub no_browser: bool,
    /// Authorization code: read the redirect URL from standard input instead of listening
    /// (for servers that do not allow loopback redirects; needs --redirect-uri).
    #[arg(long)]
    pub paste_redirect: bool,
    /// Authorization code / device: how long to wait for the user, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait: u64,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Human output: also print each exchange raw (secrets masked unless --reveal-secrets).
    #[arg(long)]
    pub show_exchanges: bool,
}

pub async fn run(args: TokenArgs) -> ExitCode {
    let grant: GrantKind = args.grant.into();
    let progress = if args.json {
        Progress::Essential
    } else {
        Progress::Verbose
    };
    let resolved = match resolve(&args.connection, progress).await {
        Ok(r) => r,
        Err(e) => return fail_early(grant, &e, args.json),
    };
    let reveal = resolved.reveal;
    let (mut outcome, resolved) = run_grant(grant, &args, resolved).await;
    let inspections = match &outcome.result {
        Ok(s) => {
            let (inspections, jwks_exchanges) =
                super::token_report::inspect_success(s, &resolved).await;
            outcome.exchanges.extend(jwks_exchanges);
            inspections
        }
        Err(_) => super::token_report::Inspections::default(),
    };
    if args.json {
        let doc = json_document(&outcome, &inspections, reveal, &resolved.session);
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
        );
    } else {
        super::token_report::print_human(&outcome, &inspections, reveal, args.show_exchanges);
    }
    match &outcome.result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(e.exit_code()),
    }
}

async fn run_grant(
    grant: GrantKind,
    args: &TokenArgs,
    mut r: Resolved,
) -> (GrantOutcome, Resolved) {
    let cfg = r.config.clone();
    let session = &mut r.session;
    let result = match grant {
        GrantKind::ClientCredentials => grants::client_credentials::run(session, &cfg).await,
        GrantKind::RefreshToken => match &args.refresh_token {
            Some(t) => grants::refresh::run(session, &cfg, t).await,
            None => Err(FlowError::Config(
                "the refresh grant needs --refresh-token (or GRANTSCOPE_REFRESH_TOKEN)".into(),
            )),
        },
        GrantKind::Password => match (&args.username, &args.password) {
            (Some(u), Some(p)) => grants::password::run(session, &cfg, u, p).await,
            _ => Err(FlowError::Config(
                "the password grant needs --username and --password (or GRANTSCOPE_PASSWORD)"
                    .into(),
            )),
        },
        GrantKind::DeviceCode => {
            grants::device::run(session, &cfg, Some(Duration::from_secs(args.wait))).await
        }
        GrantKind::AuthorizationCode => {
            let require_iss = r
                .discovery
                .as_ref()
                .is_some_and(|d| d.iss_parameter_supported);
            let source = if args.paste_redirect {
                let (tx, rx) = tokio::sync::oneshot::channel();
                std::thread::spawn(move || {
                    eprintln!(
                        "paste the full redirect URL from the browser's address bar, then Enter:"
                    );
                    let mut line = String::new();
                    if std::io::stdin().read_line(&mut line).is_ok() {
                        let _ = tx.send(line);
                    }
                });
                RedirectSource::Paste(rx)
            } else {
                RedirectSource::Loopback {
                    open_browser: !args.no_browser,
                    timeout: Duration::from_secs(args.wait),
                }
            };
            authorization_code::run(session, &cfg, source, require_iss).await
        }
    };
    let exchanges = session.exchanges().to_vec();
    (
        GrantOutcome {
            grant,
            result,
            exchanges,
        },
        r,
    )
}

/// The error member of the JSON output.
pub fn error_json(e: &FlowError) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), Value::String(e.to_string()));
    let (error, status) = match e {
        FlowError::OAuth { status, error } => (Some(error), Some(*status)),
        FlowError::AuthorizationDenied { error } => (Some(error), None),
        _ => (None, None),
    };
    match error {
        Some(error) => {
            m.insert("code".into(), Value::String(error.error.clone()));
            m.insert(
                "description".into(),
                error
                    .error_description
                    .clone()
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            );
            m.insert("hint".into(), Value::String(error.hint().into()));
        }
        None => {
            m.insert("code".into(), Value::Null);
        }
    }
    if let Some(status) = status {
        m.insert("status".into(), Value::from(status));
    }
    m.insert(
        "kind".into(),
        Value::String(
            match e {
                FlowError::Config(_) => "config",
                FlowError::Http(_) => "transport",
                FlowError::Body { .. } => "response",
                FlowError::OAuth { .. } | FlowError::Status { .. } => "server",
                FlowError::AuthorizationDenied { .. } | FlowError::Redirect(_) => "redirect",
                FlowError::Discovery(_) => "discovery",
                FlowError::Cancelled => "cancelled",
            }
            .into(),
        ),
    );
    Value::Object(m)
}

fn json_document(
    outcome: &GrantOutcome,
    inspections: &super::token_report::Inspections,
    reveal: bool,
    _session: &Session,
) -> Value {
    let (ok, error, response, rotated) = match &outcome.result {
        Ok(TokenSuccess {
            raw,
            refresh_rotated,
            ..
        }) => (true, Value::Null, raw.clone(), *refresh_rotated),
        Err(e) => (false, error_json(e), Value::Null, None),
    };
    let mut doc = json!({
        "grant": outcome.grant.as_str(),
        "ok": ok,
        "error": error,
        "response": response,
        "access_token": inspections.access_token.clone().unwrap_or(Value::Null),
        "id_token": inspections.id_token.clone().unwrap_or(Value::Null),
        "refresh_token": inspections.refresh_token.clone().unwrap_or(Value::Null),
        "exchanges": outcome.exchanges.iter().map(|e| e.to_json(reveal)).collect::<Vec<_>>(),
    });
    if let Some(r) = rotated {
        doc["refresh_token_rotated"] = Value::Bool(r);
    }
    if outcome.grant.deprecated() {
        doc["deprecated"] = Value::String(grants::password::DEPRECATION.into());
    }
    doc
}

fn fail_early(grant: GrantKind, e: &FlowError, json: bool) -> ExitCode {
    if json {
        let doc = json!({
            "grant": grant.as_str(), "ok": false, "error": error_json(e), "response": null,
            "access_token": null, "id_token": null, "refresh_token": null, "exchanges": [],
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
        );
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::from(e.exit_code())
}
