//! `grantscope token GRANT`: runs a grant and prints the tokens, their inspection, and every
//! exchange (human text by default, one JSON document with `--json`).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::connection::{
    ConnectionArgs, Progress, Resolved, describe, error_json, resolve_explained,
};
use crate::oauth::grants::authorization_code::RedirectSource;
use crate::oauth::grants::{self, GrantInputs, GrantKind, GrantOutcome, TokenSuccess};
use crate::oauth::{Connection, FlowError, Session};
use crate::secret::{Password, RefreshToken};

/// The grant argument: the names of the core's grant registry ([`grants::GRANTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantArg(pub GrantKind);

impl ValueEnum for GrantArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::LazyLock<Vec<GrantArg>> =
            std::sync::LazyLock::new(|| GrantKind::ALL.into_iter().map(GrantArg).collect());
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let spec = self.0.spec();
        let mut v = clap::builder::PossibleValue::new(spec.cli_name).help(spec.title);
        if spec.deprecated {
            v = v.help(
                "deprecated (OAuth 2.0 Security BCP): exposes the user's password to the client",
            );
        }
        Some(v)
    }
}

impl From<GrantArg> for GrantKind {
    fn from(g: GrantArg) -> Self {
        g.0
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
    pub refresh_token: Option<RefreshToken>,
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
    pub password: Option<Password>,
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
    /// Print what each step is for (purpose, specification, what the server must check)
    /// before its request.
    #[arg(long)]
    pub explain: bool,
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
    let explain = args.explain.then_some(grant);
    let resolved =
        match resolve_explained(&args.connection, progress, grant.endpoints(), explain).await {
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

async fn run_grant(grant: GrantKind, args: &TokenArgs, r: Resolved) -> (GrantOutcome, Resolved) {
    let redirect = (grant == GrantKind::AuthorizationCode).then(|| {
        if args.paste_redirect {
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
        }
    });
    let inputs = GrantInputs {
        refresh_token: args.refresh_token.clone(),
        username: args.username.clone(),
        password: args.password.clone(),
        redirect,
        wait: Some(Duration::from_secs(args.wait)),
    };
    let reveal = r.reveal;
    let mut conn = Connection {
        config: r.config,
        discovery: r.discovery,
        session: r.session,
        notes: Vec::new(),
    };
    // The discovery exchanges belong to the run too.
    let before = conn.session.exchanges().to_vec();
    let mut outcome = grants::run(grant, &mut conn, inputs).await;
    let mut all = before;
    all.append(&mut outcome.exchanges);
    outcome.exchanges = all;
    (
        outcome,
        Resolved {
            config: conn.config,
            discovery: conn.discovery,
            session: conn.session,
            reveal,
        },
    )
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
        eprintln!("error: {}", describe(e));
    }
    ExitCode::from(e.exit_code())
}
