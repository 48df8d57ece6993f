//! `grantscope token GRANT`: runs a grant and prints the tokens, their inspection, and every
//! exchange (human text by default, one JSON document with `--json`).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::connection::{
    ConnectionArgs, Progress, Resolved, describe, error_json, resolve_explained,
};
use grantscope_core::oauth::grants::authorization_code::RedirectSource;
use grantscope_core::oauth::grants::ciba::{CibaMode, CibaRequest};
use grantscope_core::oauth::grants::jwt_bearer::BearerAssertion;
use grantscope_core::oauth::grants::token_exchange::ExchangeRequest;
use grantscope_core::oauth::grants::{self, GrantInputs, GrantKind, GrantOutcome, TokenSuccess};
use grantscope_core::oauth::{Connection, FlowError};
use grantscope_core::secret::{ClientNotificationToken, Password, RefreshToken};

/// CIBA's token delivery modes grantscope runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CibaModeArg {
    Poll,
    Ping,
}

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
    /// JWT bearer: the assertion to present (a signed JWT).
    #[arg(
        long,
        value_name = "JWT",
        conflicts_with = "assertion_claims",
        allow_hyphen_values = true
    )]
    pub assertion: Option<String>,
    /// JWT bearer: claims to sign with --signing-key (iss, aud, iat, exp and jti are filled in
    /// when left out), as JSON or @FILE.
    #[arg(long, value_name = "JSON")]
    pub assertion_claims: Option<String>,
    /// Token exchange: the subject token.
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub subject_token: Option<String>,
    /// Token exchange: its type (a URN, or access_token, refresh_token, id_token, jwt, saml1,
    /// saml2).
    #[arg(long, value_name = "URN")]
    pub subject_token_type: Option<String>,
    /// Token exchange: the actor token (delegation).
    #[arg(
        long,
        value_name = "TOKEN",
        allow_hyphen_values = true,
        requires = "actor_token_type"
    )]
    pub actor_token: Option<String>,
    /// Token exchange: the actor token's type.
    #[arg(long, value_name = "URN", requires = "actor_token")]
    pub actor_token_type: Option<String>,
    /// Token exchange: the type of token asked for.
    #[arg(long, value_name = "URN")]
    pub requested_token_type: Option<String>,
    /// CIBA: the user the provider is to reach (`login_hint`).
    #[arg(long, value_name = "HINT")]
    pub login_hint: Option<String>,
    /// CIBA: a short text shown on both the client's and the user's device.
    #[arg(long, value_name = "TEXT")]
    pub binding_message: Option<String>,
    /// CIBA: the authentication context classes asked for.
    #[arg(long, value_name = "ACR")]
    pub acr_values: Option<String>,
    /// CIBA: how long the request may wait for the user, in seconds.
    #[arg(long, value_name = "SECS")]
    pub requested_expiry: Option<u64>,
    /// CIBA: poll the token endpoint, or wait for the provider's ping.
    #[arg(long, value_enum, default_value_t = CibaModeArg::Poll)]
    pub mode: CibaModeArg,
    /// CIBA ping mode: the registered client notification endpoint; grantscope listens on the
    /// loopback address at its port: https://127.0.0.1:PORT/… with --notification-cert, or
    /// http://127.0.0.1:PORT/… (behind a TLS-terminating tunnel, or for a lax test provider).
    #[arg(long, value_name = "URL", requires = "client_notification_token")]
    pub notification_endpoint: Option<url::Url>,
    /// CIBA ping mode: serve the https notification endpoint with this stored key's
    /// certificate, which must name the endpoint's host (`grantscope key generate NAME --cert
    /// --san 127.0.0.1`). Not --client-cert: that one is mutual TLS towards the provider.
    #[arg(long, value_name = "NAME", requires = "notification_endpoint")]
    pub notification_cert: Option<String>,
    /// CIBA ping mode: the bearer token the provider's ping must carry (or set
    /// GRANTSCOPE_CLIENT_NOTIFICATION_TOKEN).
    #[arg(
        long,
        value_name = "T",
        env = "GRANTSCOPE_CLIENT_NOTIFICATION_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub client_notification_token: Option<ClientNotificationToken>,
    /// Print one JSON document on stdout.
    ///
    /// Its `access_token`, `id_token` and `refresh_token` hold each token's inspection (format,
    /// header, claims, signature, checks, verdict), not the token: the tokens themselves are in
    /// `.response`, the token endpoint's answer as received; the raw access token is at
    /// `.response.access_token`.
    #[arg(long)]
    pub json: bool,
    /// Print what each step is for (purpose, specification, what the server must check)
    /// before its request.
    #[arg(long)]
    pub explain: bool,
    /// Human output: also print each exchange raw (secrets masked unless --reveal-secrets).
    #[arg(long)]
    pub show_exchanges: bool,
    /// Testing a server: turn one of the client's own checks of the answers off (state, iss,
    /// nonce; repeatable). What fails it is then accepted, and the report says so.
    #[arg(long = "skip-check", value_name = "CHECK")]
    pub skip_check: Vec<grantscope_core::oauth::ClientCheck>,
    /// Write the exchanges of the run as HAR 1.2 to FILE (owner-only; secrets masked unless
    /// --reveal-secrets), for a browser's developer tools.
    #[arg(long, value_name = "FILE")]
    pub har: Option<std::path::PathBuf>,
}

pub async fn run(args: TokenArgs) -> ExitCode {
    let grant: GrantKind = args.grant.into();
    let progress = if args.json {
        Progress::Essential
    } else {
        Progress::Verbose
    };
    let assertion = match bearer_assertion(&args) {
        Ok(a) => a,
        Err(e) => return fail_early(grant, &e, args.json),
    };
    let ciba = match ciba_request(&args) {
        Ok(c) => c,
        Err(e) => return fail_early(grant, &e, args.json),
    };
    let explain = args.explain.then_some(grant);
    let resolved =
        match resolve_explained(&args.connection, progress, grant.endpoints(), explain).await {
            Ok(r) => r,
            Err(e) => return fail_early(grant, &e, args.json),
        };
    let reveal = resolved.reveal;
    let running = run_grant(grant, &args, resolved, assertion, ciba);
    // CIBA waits on a person far away: Ctrl+C stops the wait and says so.
    let (mut outcome, resolved) = if grant == GrantKind::Ciba {
        tokio::select! {
            done = running => done,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("cancelled: stopped waiting for the user's decision");
                return fail_early(grant, &FlowError::Cancelled, args.json);
            }
        }
    } else {
        running.await
    };
    let inspections = match &outcome.result {
        Ok(s) => {
            let (inspections, jwks_exchanges) =
                super::token_report::inspect_success(s, &resolved).await;
            outcome.exchanges.extend(jwks_exchanges);
            inspections
        }
        Err(_) => super::token_report::Inspections::default(),
    };
    if let Some(path) = &args.har
        && let Err(e) = super::connection::write_har(path, &outcome.exchanges, reveal)
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let mut inspections = inspections;
    if let Some(at) = inspections.access_token.as_mut() {
        let certificate = resolved
            .session
            .http()
            .options()
            .client_identity
            .as_ref()
            .map(|id| id.x5t_s256().to_string());
        grantscope_core::oauth::binding::annotate_inspection(at, certificate.as_deref());
    }
    if args.json {
        let mut doc = json_document(
            &outcome,
            &inspections,
            reveal,
            resolved.config.authorization_details.as_deref(),
            resolved
                .config
                .response_type()
                .split(' ')
                .any(|t| t == "token" || t == "id_token"),
        );
        if !resolved.config.checks_off.is_empty() {
            doc["checks_off"] = checks_off_json(&resolved.config.checks_off, &outcome);
        }
        println!(
            "{}",
            grantscope_core::text::to_json_pretty(&doc).unwrap_or_else(|_| "{}".into())
        );
    } else {
        super::token_report::print_human(&outcome, &inspections, reveal, args.show_exchanges);
        print_details(resolved.config.authorization_details.as_deref(), &outcome);
        print_checks_off(&resolved.config.checks_off, &outcome);
    }
    match &outcome.result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(e.exit_code()),
    }
}

/// `--assertion` or `--assertion-claims` (JSON, or @FILE).
fn bearer_assertion(args: &TokenArgs) -> Result<Option<BearerAssertion>, FlowError> {
    if let Some(jwt) = &args.assertion {
        return Ok(Some(BearerAssertion::Jwt(jwt.clone())));
    }
    let Some(claims) = &args.assertion_claims else {
        return Ok(None);
    };
    let text = match claims.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| FlowError::Config(format!("--assertion-claims {path}: {e}")))?,
        None => claims.clone(),
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| FlowError::Config(format!("--assertion-claims is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(FlowError::Config(
            "--assertion-claims must be a JSON object".into(),
        ));
    }
    Ok(Some(BearerAssertion::Claims(value)))
}

async fn run_grant(
    grant: GrantKind,
    args: &TokenArgs,
    r: Resolved,
    assertion: Option<BearerAssertion>,
    ciba: Option<CibaRequest>,
) -> (GrantOutcome, Resolved) {
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
        assertion,
        exchange: args.subject_token.as_ref().map(|subject| ExchangeRequest {
            subject_token: subject.clone(),
            subject_token_type: args.subject_token_type.clone().unwrap_or_default(),
            actor_token: args.actor_token.clone(),
            actor_token_type: args.actor_token_type.clone(),
            requested_token_type: args.requested_token_type.clone(),
        }),
        ciba,
    };
    let reveal = r.reveal;
    let mut config = r.config;
    config.checks_off = args.skip_check.clone();
    config.checks_off.dedup();
    let mut conn = Connection {
        config,
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

/// CIBA's request from the flags (`None` without --login-hint: the grant then says what is
/// missing); ping mode without its endpoint is a usage error.
fn ciba_request(args: &TokenArgs) -> Result<Option<CibaRequest>, FlowError> {
    let Some(login_hint) = args.login_hint.clone() else {
        return Ok(None);
    };
    let mode = match (args.mode, &args.notification_endpoint) {
        (CibaModeArg::Poll, _) => CibaMode::Poll,
        (CibaModeArg::Ping, None) => {
            return Err(FlowError::Config(
                "--mode ping needs --notification-endpoint URL (the client's registered \
                 notification endpoint, https://127.0.0.1:PORT/… with --notification-cert NAME, \
                 or http://127.0.0.1:PORT/…) and --client-notification-token T"
                    .into(),
            ));
        }
        (CibaModeArg::Ping, Some(endpoint)) => CibaMode::Ping {
            endpoint: endpoint.clone(),
            token: args.client_notification_token.clone().unwrap_or_default(),
            tls: match &args.notification_cert {
                Some(name) => Some(std::sync::Arc::new(notification_key(name)?)),
                None => None,
            },
        },
    };
    Ok(Some(CibaRequest {
        login_hint,
        binding_message: args.binding_message.clone(),
        acr_values: args.acr_values.clone(),
        requested_expiry: args.requested_expiry,
        mode,
    }))
}

/// The stored key (by name, not a file) whose certificate serves the https notification
/// endpoint; the ping listener checks that the certificate names the endpoint's host.
fn notification_key(name: &str) -> Result<grantscope_core::keys::StoredKey, FlowError> {
    let store = grantscope_core::keys::KeyStore::open_default()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    store.load(name).map_err(|e| {
        FlowError::Config(format!(
            "--notification-cert {name}: {e} (it names a stored key with a certificate: \
             grantscope key generate {name} --type ec-p256 --cert --san 127.0.0.1)"
        ))
    })
}

/// RFC 9396: the authorization details asked for and those granted, in the human report too
/// (the JSON had both; the human report showed neither).
fn print_details(requested: Option<&str>, outcome: &GrantOutcome) {
    let Some(requested) = requested else {
        return;
    };
    let shown = |v: &Value| {
        grantscope_core::text::inert(&serde_json::to_string(v).unwrap_or_default()).into_owned()
    };
    let asked = serde_json::from_str::<Value>(requested)
        .map(|v| shown(&v))
        .unwrap_or_else(|_| grantscope_core::text::inert(requested).into_owned());
    println!("authorization_details requested: {asked}");
    let granted = outcome
        .result
        .as_ref()
        .ok()
        .and_then(|s| s.raw.get("authorization_details"));
    match granted {
        Some(g) => println!("authorization_details granted:   {}", shown(g)),
        None => println!("authorization_details granted:   (none in the token response)"),
    }
}

/// The client checks the tester turned off and what their failure let through.
fn checks_off_json(off: &[grantscope_core::oauth::ClientCheck], outcome: &GrantOutcome) -> Value {
    let accepted = outcome
        .result
        .as_ref()
        .map(|s| s.accepted_unchecked.clone())
        .unwrap_or_default();
    json!({
        "turned_off": off.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "accepted": accepted,
    })
}

/// On stderr, after the report: which checks were off, and what was accepted without them.
fn print_checks_off(off: &[grantscope_core::oauth::ClientCheck], outcome: &GrantOutcome) {
    if off.is_empty() {
        return;
    }
    let names: Vec<String> = off
        .iter()
        .map(|c| format!("{c} (defends against {})", c.defends()))
        .collect();
    eprintln!(
        "WARNING: client checks turned off for this run: {}",
        names.join("; ")
    );
    if let Ok(s) = &outcome.result {
        for line in &s.accepted_unchecked {
            eprintln!("WARNING: {}", grantscope_core::text::inert(line));
        }
    }
}

fn json_document(
    outcome: &GrantOutcome,
    inspections: &super::token_report::Inspections,
    reveal: bool,
    requested_details: Option<&str>,
    front_channel: bool,
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
        "exchanges": outcome.exchanges.iter().map(|e| super::token_report::exchange_json(e, reveal)).collect::<Vec<_>>(),
    });
    // RFC 9396: the granted authorization details beside the requested ones.
    if let Some(requested) = requested_details {
        doc["authorization_details"] = json!({
            "requested": serde_json::from_str::<Value>(requested).unwrap_or(Value::Null),
            "granted": doc["response"].get("authorization_details").cloned().unwrap_or(Value::Null),
        });
    }
    if let Some(r) = rotated {
        doc["refresh_token_rotated"] = Value::Bool(r);
    }
    if let Some(front) = &inspections.front_channel_id_token {
        doc["front_channel_id_token"] = front.clone();
    }
    if front_channel {
        doc["deprecated"] = Value::String(
            grantscope_core::oauth::grants::authorization_code::FRONT_CHANNEL_WARNING.into(),
        );
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
            grantscope_core::text::to_json_pretty(&doc).unwrap_or_else(|_| "{}".into())
        );
    } else {
        eprintln!("error: {}", describe(e));
    }
    ExitCode::from(e.exit_code())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use grantscope_core::oauth::grants::GRANTS;
    use grantscope_core::oauth::{EndpointKind, GrantInput, Missing};

    use crate::connection::missing_words;

    /// The long flags of `grantscope token`, with their `--`.
    fn token_flags() -> Vec<String> {
        let cli = crate::Cli::command();
        let token = cli
            .get_subcommands()
            .find(|c| c.get_name() == "token")
            .unwrap()
            .clone();
        token
            .get_arguments()
            .filter_map(|a| a.get_long())
            .map(|l| format!("--{l}"))
            .collect()
    }

    #[test]
    fn every_declared_grant_input_has_a_flag_and_missing_words() {
        let flags = token_flags();
        for g in GRANTS {
            for input in g.inputs {
                let flag = input
                    .cli_flag()
                    .unwrap_or_else(|| panic!("{:?} of {} has no flag", input, g.name));
                assert!(flags.iter().any(|f| f == flag), "{flag} for {}", g.name);
                let words = missing_words(&Missing::Input(*input));
                assert!(words.contains(flag), "{words}");
            }
        }
        // Every input's wording names its flag (the lifecycle commands' token is positional).
        for input in GrantInput::ALL {
            let words = missing_words(&Missing::Input(input));
            match input.cli_flag() {
                Some(flag) => assert!(words.contains(flag), "{words}"),
                None => assert!(words.contains("argument"), "{words}"),
            }
            assert!(!input.form_label().is_empty());
        }
    }

    #[test]
    fn every_endpoint_kind_has_a_flag() {
        let flags = token_flags();
        for kind in EndpointKind::ALL {
            assert!(
                flags.iter().any(|f| f == kind.cli_flag()),
                "{}",
                kind.cli_flag()
            );
            let words = missing_words(&Missing::Endpoint(kind));
            assert!(
                words.contains(kind.cli_flag()) && words.contains(kind.title()),
                "{words}"
            );
        }
    }
}
