//! The lifecycle commands on an existing token: `introspect` (RFC 7662), `revoke` (RFC 7009),
//! `userinfo`, and `watch`, which asks the server at an interval and measures when it stopped
//! accepting the token, against the revocation or the token's `exp`.
//!
//! Each shows what the server answered, raw (`--json`: one document with every exchange, the
//! token and secrets masked unless `--reveal-secrets`). Exit status: 0 the call was accepted
//! (introspect: the token is active), 1 the server said no, 2 usage or configuration error.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::connection::{ConnectionArgs, Progress, Resolved, resolve};
use crate::http::Exchange;
use crate::oauth::lifecycle::{self, UserInfo};
use crate::oauth::{FlowError, Session};
use crate::timefmt::{now_unix, now_unix_millis, rfc3339, rfc3339_millis};
use crate::token::watch::{Probe, verdict};
use crate::token::{Decoded, decode};

/// `--hint`: the `token_type_hint` sent with introspection and revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HintArg {
    /// `access_token`
    #[value(name = "access_token")]
    AccessToken,
    /// `refresh_token`
    #[value(name = "refresh_token")]
    RefreshToken,
}

impl HintArg {
    fn as_str(self) -> &'static str {
        match self {
            HintArg::AccessToken => "access_token",
            HintArg::RefreshToken => "refresh_token",
        }
    }
}

/// `grantscope introspect TOKEN`.
#[derive(Debug, Clone, Args)]
pub struct IntrospectArgs {
    /// The token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-")]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// token_type_hint.
    #[arg(long, value_enum)]
    pub hint: Option<HintArg>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `grantscope revoke TOKEN`.
#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// The token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-")]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// token_type_hint.
    #[arg(long, value_enum)]
    pub hint: Option<HintArg>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `grantscope userinfo TOKEN`.
#[derive(Debug, Clone, Args)]
pub struct UserinfoArgs {
    /// The access token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-")]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `grantscope watch TOKEN`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Asks the introspection endpoint (or userinfo when there is none) every --interval \
    seconds and reports when the server stopped accepting the token, compared with the revocation (--revoke) \
    or the token's exp.\nExit status: 0 the server rejected the token when it should; 1 it still accepted \
    the token after revocation or expiry, or never stopped with --until-inactive; 2 configuration error.")]
pub struct WatchArgs {
    /// The token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-")]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// token_type_hint for introspection and revocation.
    #[arg(long, value_enum)]
    pub hint: Option<HintArg>,
    /// Seconds between probes.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub interval: f64,
    /// Stop at the first rejection.
    #[arg(long)]
    pub until_inactive: bool,
    /// Revoke the token after the first probe, then measure how long the server keeps accepting it.
    #[arg(long)]
    pub revoke: bool,
    /// Give up after this many seconds (default: until exp + 2 min, or 10 min without exp).
    #[arg(long, value_name = "S")]
    pub max_duration: Option<f64>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

fn read_token(arg: &str) -> Result<String, String> {
    let token = if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the token from stdin: {e}"))?;
        s
    } else {
        arg.to_owned()
    };
    let token = crate::token::decode::normalize(&token).to_owned();
    if token.is_empty() {
        return Err("no token: pass it as an argument, or pipe it in with `-`".into());
    }
    Ok(token)
}

/// Resolves the token and the connection, or prints the configuration error.
async fn prepare(
    token: &str,
    connection: &ConnectionArgs,
    json: bool,
) -> Result<(String, Resolved), ExitCode> {
    let token = read_token(token).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let progress = if json {
        Progress::Essential
    } else {
        Progress::Verbose
    };
    let resolved = resolve(connection, progress).await.map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(e.exit_code())
    })?;
    Ok((token, resolved))
}

/// The session's exchanges as JSON, with the token masked like any secret.
fn exchanges_json(session: &mut Session, token: &str, reveal: bool) -> Vec<Value> {
    session
        .take_exchanges()
        .into_iter()
        .map(|mut ex: Exchange| {
            ex.add_secret(token);
            ex.to_json(reveal)
        })
        .collect()
}

fn print_json(doc: &Value) {
    match serde_json::to_string_pretty(doc) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot serialise the result: {e}"),
    }
}

fn error_exit(e: &FlowError) -> ExitCode {
    ExitCode::from(e.exit_code())
}

/// Runs `introspect`.
pub async fn run_introspect(args: IntrospectArgs) -> ExitCode {
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let hint = args.hint.map(HintArg::as_str);
    let result = lifecycle::introspect(&mut r.session, &r.config, &token, hint).await;
    let exchanges = exchanges_json(&mut r.session, &token, r.reveal);
    let active = result
        .as_ref()
        .ok()
        .and_then(|v| v.get("active"))
        .and_then(Value::as_bool);
    if args.json {
        print_json(&json!({
            "ok": active == Some(true),
            "active": active,
            "error": result.as_ref().err().map(ToString::to_string),
            "response": result.as_ref().ok(),
            "exchanges": exchanges,
        }));
    }
    match result {
        Ok(v) => {
            if !args.json {
                println!("active: {}", active.unwrap_or(false));
                if let Value::Object(map) = &v {
                    for (k, val) in map {
                        if k == "active" {
                            continue;
                        }
                        println!("{k:<12} {}", show_claim(k, val));
                    }
                }
            }
            if active == Some(true) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            error_exit(&e)
        }
    }
}

fn show_claim(name: &str, v: &Value) -> String {
    let shown = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (name, v.as_i64()) {
        ("exp" | "iat" | "nbf" | "auth_time", Some(t)) => {
            format!("{shown}  ({}, {})", rfc3339(t), crate::timefmt::relative(t, now_unix()))
        }
        _ => shown,
    }
}

/// Runs `revoke`.
pub async fn run_revoke(args: RevokeArgs) -> ExitCode {
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let hint = args.hint.map(HintArg::as_str);
    let result = lifecycle::revoke(&mut r.session, &r.config, &token, hint).await;
    let exchanges = exchanges_json(&mut r.session, &token, r.reveal);
    if args.json {
        print_json(&json!({
            "ok": result.is_ok(),
            "status": result.as_ref().ok(),
            "error": result.as_ref().err().map(ToString::to_string),
            "exchanges": exchanges,
        }));
    }
    match result {
        Ok(status) => {
            if !args.json {
                println!("revoked: the server answered HTTP {status}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            error_exit(&e)
        }
    }
}

/// Runs `userinfo`.
pub async fn run_userinfo(args: UserinfoArgs) -> ExitCode {
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let result = lifecycle::userinfo(&mut r.session, &r.config, &token).await;
    let exchanges = exchanges_json(&mut r.session, &token, r.reveal);
    if args.json {
        let (response, jwt) = match &result {
            Ok(UserInfo::Json(v)) => (Some(v.clone()), None),
            Ok(UserInfo::Jwt(t)) => (None, Some(t.clone())),
            Err(_) => (None, None),
        };
        print_json(&json!({
            "ok": result.is_ok(),
            "response": response,
            "jwt": jwt,
            "error": result.as_ref().err().map(ToString::to_string),
            "exchanges": exchanges,
        }));
    }
    match result {
        Ok(info) => {
            if !args.json {
                match info {
                    UserInfo::Json(Value::Object(map)) => {
                        for (k, v) in &map {
                            println!("{k:<20} {}", show_claim(k, v));
                        }
                    }
                    UserInfo::Json(other) => println!("{other}"),
                    UserInfo::Jwt(t) => {
                        println!("the server answered with a JWT (application/jwt):\n{t}")
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            error_exit(&e)
        }
    }
}

/// How `watch` asks the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeMethod {
    Introspection,
    Userinfo,
}

impl ProbeMethod {
    fn as_str(self) -> &'static str {
        match self {
            ProbeMethod::Introspection => "introspection",
            ProbeMethod::Userinfo => "userinfo",
        }
    }
}

/// One probe: accepted (`Some(true)`), rejected (`Some(false)`) or failed (`None`), and the
/// `exp` the introspection response reported.
async fn probe(
    r: &mut Resolved,
    method: ProbeMethod,
    token: &str,
    hint: Option<&str>,
) -> (Probe, Option<i64>) {
    let (accepted, status, detail, exp) = match method {
        ProbeMethod::Introspection => {
            match lifecycle::introspect(&mut r.session, &r.config, token, hint).await {
                Ok(v) => {
                    let active = v.get("active").and_then(Value::as_bool);
                    let exp = v.get("exp").and_then(Value::as_i64);
                    (
                        active,
                        Some(200),
                        format!("active: {}", active.unwrap_or(false)),
                        exp,
                    )
                }
                Err(e) => (None, status_of(&e), e.to_string(), None),
            }
        }
        ProbeMethod::Userinfo => {
            match lifecycle::userinfo(&mut r.session, &r.config, token).await {
                Ok(_) => (Some(true), Some(200), "userinfo answered".to_owned(), None),
                Err(e) => {
                    let status = status_of(&e);
                    let accepted = if status == Some(401) { Some(false) } else { None };
                    (accepted, status, e.to_string(), None)
                }
            }
        }
    };
    let elapsed = r.session.exchanges().last().map_or(0, |e| e.elapsed_ms);
    (
        Probe::new(now_unix_millis(), accepted, status, detail, elapsed),
        exp,
    )
}

fn status_of(e: &FlowError) -> Option<u16> {
    match e {
        FlowError::OAuth { status, .. } | FlowError::Status { status, .. } => Some(*status),
        _ => None,
    }
}

fn print_probe(p: &Probe, method: ProbeMethod) {
    let verdict = match p.accepted {
        Some(true) => "accepted",
        Some(false) => "REJECTED",
        None => "no answer",
    };
    eprintln!(
        "{}  {verdict:<9}  {} {} · {} ms",
        p.at,
        method.as_str(),
        p.detail,
        p.elapsed_ms
    );
}

/// Runs `watch`.
pub async fn run_watch(args: WatchArgs) -> ExitCode {
    if !(args.interval.is_finite() && args.interval >= 0.05) {
        eprintln!("error: --interval must be at least 0.05 seconds");
        return ExitCode::from(2);
    }
    if args.max_duration.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
        eprintln!("error: --max-duration must be a positive number of seconds");
        return ExitCode::from(2);
    }
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let method = if r.config.endpoints.introspection_endpoint.is_some() {
        ProbeMethod::Introspection
    } else if r.config.endpoints.userinfo_endpoint.is_some() {
        ProbeMethod::Userinfo
    } else {
        eprintln!(
            "error: watch needs an introspection or a userinfo endpoint: give --issuer (discovery), --introspection-endpoint or --userinfo-endpoint"
        );
        return ExitCode::from(2);
    };
    if args.revoke && r.config.endpoints.revocation_endpoint.is_none() {
        eprintln!(
            "error: --revoke needs a revocation endpoint: give --issuer (discovery) or --revocation-endpoint"
        );
        return ExitCode::from(2);
    }
    let hint = args.hint.map(HintArg::as_str);
    let mut exp = match decode(&token) {
        Ok(Decoded::Jws(jws)) => crate::token::claims::numeric_date(&jws.claims, "exp")
            .and_then(Result::ok),
        _ => None,
    };
    let started_ms = now_unix_millis();
    let mut probes: Vec<Probe> = Vec::new();
    let mut revoked_at_ms = None;
    let mut error = None;

    let (first, introspected_exp) = probe(&mut r, method, &token, hint).await;
    exp = exp.or(introspected_exp);
    if !args.json {
        print_probe(&first, method);
    }
    probes.push(first);
    if args.revoke {
        match lifecycle::revoke(&mut r.session, &r.config, &token, hint).await {
            Ok(status) => {
                let at = now_unix_millis();
                revoked_at_ms = Some(at);
                if !args.json {
                    eprintln!("{}  revoked    (HTTP {status})", rfc3339_millis(at));
                }
            }
            Err(e) => {
                eprintln!("error: revocation failed: {e}");
                error = Some(format!("revocation failed: {e}"));
            }
        }
    }
    let max_ms = match args.max_duration {
        Some(d) => (d * 1000.0) as i64,
        None => match exp {
            Some(e) => (e.saturating_mul(1000) - started_ms + 120_000).clamp(10_000, 86_400_000),
            None => 600_000,
        },
    };
    let deadline = started_ms.saturating_add(max_ms);
    let interval = Duration::from_secs_f64(args.interval);
    let stop_on_reject = args.until_inactive || args.revoke;
    let mut interrupted = false;
    while error.is_none() {
        let rejected = probes.iter().any(|p| p.accepted == Some(false));
        if (stop_on_reject && rejected) || now_unix_millis() >= deadline {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => { interrupted = true; }
        }
        if interrupted {
            break;
        }
        let (p, _) = probe(&mut r, method, &token, hint).await;
        if !args.json {
            print_probe(&p, method);
        }
        probes.push(p);
    }
    let v = verdict(&probes, revoked_at_ms, exp);
    let last_ms = probes.last().map_or(started_ms, |p| p.at_ms);
    // The server should have said no by now: after a revocation, or once exp has passed.
    let should_reject =
        revoked_at_ms.is_some() || exp.is_some_and(|e| last_ms > e.saturating_mul(1000));
    let ok = error.is_none()
        && if v.rejected {
            true
        } else {
            !should_reject && !args.until_inactive
        };
    let exchanges = exchanges_json(&mut r.session, &token, r.reveal);
    if args.json {
        print_json(&json!({
            "ok": ok,
            "method": method.as_str(),
            "exp": exp.map(rfc3339),
            "revoked_at": revoked_at_ms.map(rfc3339_millis),
            "interrupted": interrupted,
            "verdict": v,
            "probes": probes,
            "error": error,
            "exchanges": exchanges,
        }));
    } else {
        println!("{}", v.summary);
        if interrupted {
            println!("(interrupted)");
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
