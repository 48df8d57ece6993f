//! The lifecycle commands on an existing token: `introspect` (RFC 7662), `revoke` (RFC 7009),
//! `userinfo`, `watch` (asks the server at an interval and measures when it stopped accepting
//! the token, against the revocation or the token's `exp`) and `keep` (refreshes a token set
//! when a share of its lifetime is left and reports rotation).
//!
//! Each shows what the server answered, raw (`--json`: one document with every exchange, the
//! token masked like a secret unless `--reveal-secrets`). Exit status: 0 the call was accepted
//! (introspect: the token is active), 1 the server said no, 2 usage or configuration error.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::connection::{ConnectionArgs, Progress, Resolved, describe, error_json, resolve};
use grantscope_core::http::BodyError;
use grantscope_core::oauth::keeper::TokenKeeper;
use grantscope_core::oauth::lifecycle::{self, UserInfo};
use grantscope_core::oauth::received;
use grantscope_core::oauth::watch::{self, WatchOptions, rfc3339_millis};
use grantscope_core::oauth::{EndpointKind, FlowError, Session, TokenResponse};
use grantscope_core::secret::RefreshToken;
use grantscope_core::text::inert;
use grantscope_core::timefmt::{now_unix, relative, rfc3339};
use grantscope_core::token::claims::numeric_date;
use grantscope_core::token::decode::normalize;
use grantscope_core::token::{CheckStatus, Decoded, Inspection, decode};

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
    pub fn as_str(self) -> &'static str {
        match self {
            HintArg::AccessToken => "access_token",
            HintArg::RefreshToken => "refresh_token",
        }
    }
}

/// `grantscope introspect TOKEN` and `grantscope revoke TOKEN`.
#[derive(Debug, Clone, Args)]
pub struct TokenCallArgs {
    /// The token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-", allow_hyphen_values = true)]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// token_type_hint.
    #[arg(long, value_enum)]
    pub hint: Option<HintArg>,
    /// introspect: ask for the response as a signed JWT (RFC 9701, `Accept:
    /// application/token-introspection+jwt`), verified against the issuer's keys (and
    /// decrypted with --decryption-key when encrypted) before its answer is believed.
    #[arg(long)]
    pub jwt: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `grantscope userinfo TOKEN`.
#[derive(Debug, Clone, Args)]
pub struct UserinfoArgs {
    /// The access token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-", allow_hyphen_values = true)]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `grantscope watch TOKEN`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Asks the introspection endpoint (or userinfo when there is none) every --interval seconds and \
    reports when the server stopped accepting the token, compared with the revocation (--revoke-after) or the \
    token's exp.\nExit status: 0 the server rejected the token (or had no reason to yet); 1 it still accepted \
    the token after revocation or expiry, or never stopped with --until-inactive; 2 configuration error."
)]
pub struct WatchArgs {
    /// The token; `-` reads it from stdin.
    #[arg(value_name = "TOKEN|-", allow_hyphen_values = true)]
    pub token: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// token_type_hint for introspection and revocation.
    #[arg(long, value_enum)]
    pub hint: Option<HintArg>,
    /// Seconds between probes.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub interval: f64,
    /// Stop at the first rejection (implied by --revoke-after).
    #[arg(long)]
    pub until_inactive: bool,
    /// Revoke the token this many seconds after the start, then measure how long the server
    /// keeps accepting it.
    #[arg(long, value_name = "S")]
    pub revoke_after: Option<f64>,
    /// Give up after this many seconds (default: until exp + 2 min, or 10 min without exp).
    #[arg(long, value_name = "S")]
    pub max_duration: Option<f64>,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `grantscope keep`.
#[derive(Debug, Clone, Args)]
pub struct KeepArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The refresh token to start from (or set GRANTSCOPE_REFRESH_TOKEN).
    #[arg(
        long,
        env = "GRANTSCOPE_REFRESH_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub refresh_token: String,
    /// Refresh when this share of the access token's lifetime is left (0.0 - 1.0).
    #[arg(long, value_name = "SHARE", default_value_t = 0.2)]
    pub refresh_at: f64,
    /// Stop after this many refreshes (0: until interrupted or refused).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rounds: u32,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

fn read_token(arg: &str) -> Result<String, String> {
    let raw = if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the token from stdin: {e}"))?;
        s
    } else {
        arg.to_owned()
    };
    let token = normalize(&raw).to_owned();
    if token.is_empty() {
        return Err("no token: pass it as an argument, or pipe it in with `-`".into());
    }
    Ok(token)
}

fn progress(json: bool) -> Progress {
    if json {
        Progress::Essential
    } else {
        Progress::Verbose
    }
}

/// Reads the token and resolves the connection, or prints the error and gives the exit code.
async fn prepare(
    token: &str,
    connection: &ConnectionArgs,
    json: bool,
    wants: &[EndpointKind],
) -> Result<(String, Resolved), ExitCode> {
    let token = read_token(token).map_err(|e| fail(json, &FlowError::Config(e)))?;
    let resolved = resolve(connection, progress(json), wants)
        .await
        .map_err(|e| fail(json, &e))?;
    Ok((token, resolved))
}

/// Reports an error before any exchange: with `--json` as the one JSON error document (and
/// nothing on stderr), else as a line on stderr. Returns the exit code.
fn fail(json: bool, e: &FlowError) -> ExitCode {
    if json {
        print_json(&json!({"ok": false, "error": error_json(e), "exchanges": []}));
    } else {
        eprintln!("error: {}", describe(e));
    }
    ExitCode::from(e.exit_code())
}

/// After the JSON document (which carries it), the error goes to stderr only for people.
fn report_error(json: bool, e: &FlowError) -> ExitCode {
    if !json {
        eprintln!("error: {}", describe(e));
    }
    ExitCode::from(e.exit_code())
}

/// The session's exchanges as JSON. Every secret they carry (the token sent, tokens received)
/// was marked by type when the request was made, so they are masked unless `reveal`.
fn exchanges_json(session: &mut Session, reveal: bool) -> Vec<Value> {
    session
        .take_exchanges()
        .into_iter()
        .map(|ex| super::token_report::exchange_json(&ex, reveal))
        .collect()
}

fn print_json(doc: &Value) {
    match grantscope_core::text::to_json_pretty(doc) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot serialise the result: {e}"),
    }
}

fn show_claim(name: &str, v: &Value) -> String {
    let shown = match v {
        Value::String(s) => grantscope_core::text::inert(s).into_owned(),
        other => grantscope_core::text::inert(&other.to_string()).into_owned(),
    };
    match (name, v.as_i64()) {
        ("exp" | "iat" | "nbf" | "auth_time", Some(t)) => {
            format!("{shown}  ({}, {})", rfc3339(t), relative(t, now_unix()))
        }
        _ => shown,
    }
}

/// Runs `introspect`: exit 0 when the token is active, 1 when not.
pub async fn introspect(args: TokenCallArgs) -> ExitCode {
    let wants = [EndpointKind::Introspection];
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json, &wants).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let hint = args.hint.map(HintArg::as_str);
    if args.jwt {
        return introspect_jwt(args.json, &token, hint, r).await;
    }
    let result = lifecycle::introspect(&mut r.session, &r.config, &token, hint).await;
    let exchanges = exchanges_json(&mut r.session, r.reveal);
    let active = result
        .as_ref()
        .ok()
        .and_then(|v| v.get("active"))
        .and_then(Value::as_bool);
    let certificate = r
        .session
        .http()
        .options()
        .client_identity
        .as_ref()
        .map(|id| id.x5t_s256().to_string());
    let binding = result
        .as_ref()
        .ok()
        .filter(|_| active == Some(true))
        .and_then(|v| grantscope_core::oauth::binding::check(v, certificate.as_deref()))
        .map(|b| b.to_check());
    if args.json {
        print_json(&json!({
            "ok": active == Some(true),
            "active": active,
            "error": result.as_ref().err().map(error_json),
            "response": result.as_ref().ok(),
            "certificate_binding": binding,
            "exchanges": exchanges,
        }));
    }
    match result {
        Ok(v) => {
            if !args.json {
                println!("active       {}", active.unwrap_or(false));
                if let Value::Object(map) = &v {
                    for (k, val) in map.iter().filter(|(k, _)| *k != "active") {
                        println!(
                            "{:<12} {}",
                            grantscope_core::text::inert(k),
                            show_claim(k, val)
                        );
                    }
                }
                if let Some(check) = &binding {
                    println!(
                        "binding      {}: {}",
                        check["status"].as_str().unwrap_or(""),
                        check["message"].as_str().unwrap_or("")
                    );
                }
            }
            if active == Some(true) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => report_error(args.json, &e),
    }
}

/// The one JSON error shape (DESIGN.md) for a response that came but is not believed.
fn response_error(message: &str, hint: &str) -> Value {
    json!({
        "message": message,
        "code": null,
        "description": null,
        "hint": hint,
        "status": null,
        "kind": "response",
    })
}

/// The JSON word of a status (`verified`, `fail`, ...).
fn word<T: serde::Serialize>(status: &T) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The human lines of an inspection of a response JWT: its verdict, the envelope when it was
/// encrypted (which key opened it), and every check that did not pass.
fn print_response_jwt(label: &str, ins: &Inspection) {
    let envelope = ins.envelope.as_ref().map(|e| &e.jwe);
    if let Some(jwe) = envelope {
        println!(
            "{label:<12} encrypted (JWE {} / {}): {}",
            inert(ins.header.get("alg").and_then(Value::as_str).unwrap_or("?")),
            inert(ins.header.get("enc").and_then(Value::as_str).unwrap_or("?")),
            inert(&jwe.detail)
        );
    }
    println!(
        "{label:<12} {}, signature {}: {}",
        ins.verdict.as_str(),
        word(&ins.signature.status),
        inert(&ins.signature.detail)
    );
    for c in ins
        .checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Warn))
    {
        eprintln!(
            "  {}: {} — {}",
            word(&c.status),
            inert(&c.id),
            c.shown_message()
        );
    }
}

/// Which JWT a server answered with.
#[derive(Clone, Copy)]
enum ReceivedJwt {
    /// A userinfo response served as a JWT.
    Userinfo,
    /// An RFC 9701 introspection response.
    Introspection,
}

/// Verifies (and decrypts) a JWT the server answered with, as the core checks that kind; the
/// key fetches it made are recorded with the run's exchanges.
async fn received_jwt(
    r: &mut Resolved,
    jwt: &str,
    kind: ReceivedJwt,
) -> grantscope_core::token::Inspected {
    let (cfg, discovery, http, now) = (
        &r.config,
        r.discovery.as_ref(),
        r.session.http(),
        now_unix(),
    );
    let inspected = match kind {
        ReceivedJwt::Userinfo => {
            received::inspect_userinfo_jwt(jwt, cfg, discovery, http, now).await
        }
        ReceivedJwt::Introspection => {
            received::inspect_introspection_jwt(jwt, cfg, discovery, http, now).await
        }
    };
    for ex in &inspected.exchanges {
        r.session.record(ex.clone());
    }
    inspected
}

/// `introspect --jwt`: the RFC 9701 response, verified (and decrypted) before its answer is
/// believed. Exit 0 only when the JWT is valid and says the token is active.
async fn introspect_jwt(json: bool, token: &str, hint: Option<&str>, mut r: Resolved) -> ExitCode {
    let result = lifecycle::introspect_jwt(&mut r.session, &r.config, token, hint).await;
    let inspected = match &result {
        Ok(lifecycle::Introspection::Jwt(jwt)) => {
            Some(received_jwt(&mut r, jwt, ReceivedJwt::Introspection).await)
        }
        _ => None,
    };
    let exchanges = exchanges_json(&mut r.session, r.reveal);
    let inspection = inspected.map(|i| i.inspection);
    // Only a verified response is believed.
    let response = match (&result, &inspection) {
        (Ok(_), Some(ins)) if ins.valid => ins.claims.get("token_introspection").cloned(),
        _ => None,
    };
    let active = response
        .as_ref()
        .and_then(|v| v.get("active"))
        .and_then(Value::as_bool);
    let not_jwt = matches!(result, Ok(lifecycle::Introspection::Json(_)));
    let error = match &result {
        Err(e) => Some(error_json(e)),
        Ok(lifecycle::Introspection::Json(_)) => Some(response_error(
            "the server answered with JSON, not a JWT introspection response (RFC 9701)",
            "the server does not offer JWT introspection responses, or not to this client (its introspection_signed_response_alg)",
        )),
        Ok(_) if response.is_none() => Some(response_error(
            "the JWT introspection response does not verify; none of it is believed",
            "see the failing checks of `jwt`",
        )),
        Ok(_) => None,
    };
    if json {
        print_json(&json!({
            "ok": active == Some(true),
            "active": active,
            "error": error,
            "response": response,
            "jwt": inspection.as_ref().and_then(|i| serde_json::to_value(i).ok()),
            "exchanges": exchanges,
        }));
    }
    match result {
        Ok(_) => {
            if !json {
                if let Some(ins) = &inspection {
                    print_response_jwt("response", ins);
                }
                if not_jwt {
                    eprintln!(
                        "error: the server answered with JSON, not a JWT introspection response (RFC 9701)"
                    );
                } else if response.is_none() {
                    eprintln!(
                        "error: the JWT introspection response does not verify; none of it is believed"
                    );
                }
                if let Some(Value::Object(map)) = &response {
                    println!("active       {}", active.unwrap_or(false));
                    for (k, val) in map.iter().filter(|(k, _)| *k != "active") {
                        println!("{:<12} {}", inert(k), show_claim(k, val));
                    }
                }
            }
            if active == Some(true) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => report_error(json, &e),
    }
}

/// Runs `revoke`: exit 0 when the server answered 200.
pub async fn revoke(args: TokenCallArgs) -> ExitCode {
    let wants = [EndpointKind::Revocation];
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json, &wants).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let hint = args.hint.map(HintArg::as_str);
    let result = lifecycle::revoke(&mut r.session, &r.config, &token, hint).await;
    let exchanges = exchanges_json(&mut r.session, r.reveal);
    if args.json {
        print_json(&json!({
            "ok": result.is_ok(),
            "status": result.as_ref().ok(),
            "error": result.as_ref().err().map(error_json),
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
        Err(e) => report_error(args.json, &e),
    }
}

/// Runs `userinfo`: exit 0 when the server answered.
pub async fn userinfo(args: UserinfoArgs) -> ExitCode {
    let wants = [EndpointKind::Userinfo];
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json, &wants).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let result = lifecycle::userinfo(&mut r.session, &r.config, &token).await;
    // A userinfo JWT (signed, or encrypted to the client) is verified like an ID token.
    let inspected = match &result {
        Ok(UserInfo::Jwt(jwt)) => Some(received_jwt(&mut r, jwt, ReceivedJwt::Userinfo).await),
        _ => None,
    };
    let inspection = inspected.map(|i| i.inspection);
    let exchanges = exchanges_json(&mut r.session, r.reveal);
    // A JWT answer is good only when it verifies.
    let jwt_valid = inspection.as_ref().is_none_or(|i| i.valid);
    if args.json {
        let (response, jwt) = match (&result, &inspection) {
            (Ok(UserInfo::Json(v)), _) => (Some(v.clone()), None),
            (Ok(UserInfo::Jwt(_)), Some(ins)) => (
                ins.valid.then(|| ins.claims.clone()),
                serde_json::to_value(ins).ok(),
            ),
            _ => (None, None),
        };
        print_json(&json!({
            "ok": result.is_ok() && jwt_valid,
            "response": response,
            "jwt": jwt,
            "error": result.as_ref().err().map(error_json).or_else(|| (!jwt_valid).then(|| response_error(
                "the userinfo JWT does not verify; none of it is believed",
                "see the failing checks of `jwt` (an encrypted one needs --decryption-key)",
            ))),
            "exchanges": exchanges,
        }));
    }
    if !jwt_valid {
        if !args.json
            && let Some(ins) = &inspection
        {
            print_response_jwt("userinfo", ins);
            eprintln!("error: the userinfo JWT does not verify; none of it is believed");
        }
        return ExitCode::from(1);
    }
    match result {
        Ok(info) => {
            if !args.json {
                match info {
                    UserInfo::Json(Value::Object(map)) => {
                        for (k, v) in &map {
                            println!(
                                "{:<20} {}",
                                grantscope_core::text::inert(k),
                                show_claim(k, v)
                            );
                        }
                    }
                    UserInfo::Json(other) => {
                        println!("{}", grantscope_core::text::inert(&other.to_string()))
                    }
                    UserInfo::Jwt(_) => {
                        if let Some(ins) = &inspection {
                            print_response_jwt("userinfo", ins);
                            if let Value::Object(map) = &ins.claims {
                                for (k, v) in map {
                                    println!("{:<20} {}", inert(k), show_claim(k, v));
                                }
                            }
                        }
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => report_error(args.json, &e),
    }
}

fn positive_secs(v: f64, name: &str) -> Result<Duration, String> {
    // try_from: a huge value (1e30) is a usage error, not a panic.
    Duration::try_from_secs_f64(v)
        .map_err(|_| format!("--{name} must be a non-negative number of seconds"))
}

/// Runs `watch`.
pub async fn watch(args: WatchArgs) -> ExitCode {
    let durations = (|| {
        let interval = positive_secs(args.interval, "interval")?;
        let revoke_after = args
            .revoke_after
            .map(|v| positive_secs(v, "revoke-after"))
            .transpose()?;
        let max = args
            .max_duration
            .map(|v| positive_secs(v, "max-duration"))
            .transpose()?;
        Ok::<_, String>((interval, revoke_after, max))
    })();
    let (interval, revoke_after, max_duration) = match durations {
        Ok(d) => d,
        Err(e) => return fail(args.json, &FlowError::Config(e)),
    };
    let mut wants = vec![EndpointKind::Introspection, EndpointKind::Userinfo];
    if revoke_after.is_some() {
        wants.push(EndpointKind::Revocation);
    }
    let (token, mut r) = match prepare(&args.token, &args.connection, args.json, &wants).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let exp = match decode(&token) {
        Ok(Decoded::Jws(jws)) => numeric_date(&jws.claims, "exp").and_then(Result::ok),
        _ => None,
    };
    let now = now_unix();
    let max_duration = max_duration.unwrap_or_else(|| watch::default_max_duration(exp, now));
    let opts = WatchOptions {
        interval,
        until_inactive: args.until_inactive || revoke_after.is_some(),
        revoke_after,
        max_duration,
        token_type_hint: args.hint.map(|h| h.as_str().to_owned()),
    };
    let human = !args.json;
    if human {
        // Said at the start: what is asked, how often, until when, and how to stop sooner (a
        // watch without --until-inactive otherwise printed nothing until its first answer and
        // gave no hint that it would go on until exp + 2 min).
        if let Some(line) = watch_start_line(&r.config, &opts, exp, now) {
            eprintln!("{line}");
        }
    }
    let result = watch::watch(
        &mut r.session,
        &r.config,
        &token,
        exp,
        &opts,
        |s, revoked| {
            if human {
                let verdict = if s.accepted { "accepted" } else { "REJECTED" };
                let after = revoked.map_or(String::new(), |rev| {
                    format!(" ({} ms after revocation)", s.at_ms as i64 - rev as i64)
                });
                eprintln!(
                    "{}  {verdict:<8}  {} · {} ms{after}",
                    rfc3339_millis(s.at_ms),
                    s.detail,
                    s.elapsed_ms
                );
            }
        },
    )
    .await;
    let exchanges = exchanges_json(&mut r.session, r.reveal);
    match result {
        Ok(report) => {
            let summary = report.summary();
            let last_ms = report.samples.last().map_or(0, |s| s.at_ms);
            let should_be_rejected =
                report.revoked_at_ms.is_some() || report.exp_ms.is_some_and(|e| last_ms > e);
            let ok =
                report.first_rejected_ms.is_some() || (!should_be_rejected && !opts.until_inactive);
            if args.json {
                print_json(&json!({
                    "ok": ok,
                    "summary": summary,
                    "report": report,
                    "error": null,
                    "exchanges": exchanges,
                }));
            } else {
                println!("{summary}");
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            if args.json {
                print_json(&json!({
                    "ok": false, "summary": null, "report": null,
                    "error": error_json(&e), "exchanges": exchanges,
                }));
            }
            report_error(args.json, &e)
        }
    }
}

/// The line a human `watch` starts with; `None` when there is nothing to ask (the watch
/// then fails with the reason).
fn watch_start_line(
    cfg: &grantscope_core::oauth::ClientConfig,
    opts: &WatchOptions,
    exp: Option<i64>,
    now: i64,
) -> Option<String> {
    let via = match watch::probe_for(cfg).ok()? {
        watch::Probe::Introspection => "introspection",
        watch::Probe::Userinfo => "userinfo",
    };
    let limit = if opts.max_duration < Duration::from_secs(60) {
        format!("{} s", opts.max_duration.as_secs_f64())
    } else {
        grantscope_core::timefmt::duration_phrase(opts.max_duration.as_secs())
    };
    let until = if opts.until_inactive {
        format!("until the server rejects it (at most {limit})")
    } else {
        let exp = exp.map_or(String::new(), |e| {
            format!("; it expires {}", relative(e, now))
        });
        format!("for {limit}, through any rejection (--until-inactive stops at the first){exp}")
    };
    let revoke = opts.revoke_after.map_or(String::new(), |d| {
        format!("; revoking it after {} s", d.as_secs_f64())
    });
    Some(format!(
        "watching the token via {via} every {} s {until}{revoke}; Ctrl+C stops",
        opts.interval.as_secs_f64()
    ))
}

/// Runs `keep`: refreshes the token set each time the chosen share of its lifetime is left.
pub async fn keep(args: KeepArgs) -> ExitCode {
    if !(args.refresh_at.is_finite() && (0.0..=1.0).contains(&args.refresh_at)) {
        let e = FlowError::Config("--refresh-at must be between 0.0 and 1.0".into());
        return fail(args.json, &e);
    }
    let refresh_token = args.refresh_token.trim().to_owned();
    if refresh_token.is_empty() {
        return fail(
            args.json,
            &FlowError::Config("--refresh-token is empty".into()),
        );
    }
    let mut r = match resolve(
        &args.connection,
        progress(args.json),
        &[EndpointKind::Token],
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return fail(args.json, &e),
    };
    // Start from the refresh token alone: the first refresh is due at once.
    let start = TokenResponse {
        refresh_token: Some(RefreshToken::new(refresh_token)),
        ..TokenResponse::default()
    };
    let mut keeper = TokenKeeper::new(start, now_unix(), args.refresh_at);
    let mut refreshes = Vec::new();
    let mut last_response = Value::Null;
    let mut error = None;
    let mut interrupted = false;
    loop {
        if args.rounds > 0 && refreshes.len() >= args.rounds as usize {
            break;
        }
        if let Some(wait) = keeper.wait(now_unix()).filter(|w| !w.is_zero()) {
            if !args.json {
                eprintln!("next refresh in {}", humantime::format_duration(wait));
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = tokio::signal::ctrl_c() => { interrupted = true; }
            }
            if interrupted {
                break;
            }
        }
        match keeper.refresh(&mut r.session, &r.config, now_unix()).await {
            Ok(success) => {
                let rotated = success.refresh_rotated;
                if !args.json {
                    eprintln!(
                        "{}  refreshed: expires_in {}, refresh token {}",
                        rfc3339(now_unix()),
                        success
                            .tokens
                            .expires_in
                            .map_or("unknown".to_owned(), |e| format!("{e} s")),
                        match rotated {
                            Some(true) => "rotated",
                            _ => "NOT rotated",
                        }
                    );
                }
                refreshes.push(json!({
                    "at": rfc3339(now_unix()),
                    "rotated": rotated,
                    "expires_in": success.tokens.expires_in,
                }));
                last_response = success.raw;
                if keeper.lifetime().is_none() && args.rounds != 1 {
                    error = Some(FlowError::Body {
                        what: "refresh",
                        source: BodyError::Shape {
                            status: 200,
                            detail: "the server sent no expires_in, so there is no lifetime to refresh against".into(),
                        },
                    });
                    break;
                }
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let exchanges = exchanges_json(&mut r.session, r.reveal);
    let ok = error.is_none() && !refreshes.is_empty();
    if args.json {
        print_json(&json!({
            "ok": ok,
            "rounds": refreshes.len(),
            "rotations": keeper.rotations,
            "non_rotations": keeper.non_rotations,
            "interrupted": interrupted,
            "refreshes": refreshes,
            "response": last_response,
            "error": error.as_ref().map(error_json),
            "exchanges": exchanges,
        }));
    } else {
        println!(
            "{} refresh(es): {} rotated the refresh token, {} did not",
            refreshes.len(),
            keeper.rotations,
            keeper.non_rotations
        );
        if let Some(e) = &error {
            eprintln!("error: {}", describe(e));
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
