//! `grantscope call URL --token T`: calls an API with a token, Bearer or DPoP (with `ath`, and
//! one retry on a nonce challenge), and shows the answer like any exchange, with its
//! `WWW-Authenticate` challenges read out (RFC 6750 §3, RFC 9449 §7.1, RFC 9470 step-up).
//! Exit status: 0 a 2xx answer, 1 any other answer, 2 usage or configuration error.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use super::connection::{ConnectionArgs, Progress, describe, error_json, resolve};
use grantscope_core::oauth::FlowError;
use grantscope_core::oauth::resource::{self, ResourceCall};
use grantscope_core::secret::AccessToken;

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "With --dpop (or --dpop-key) the token goes as `Authorization: DPoP` with a proof; use the same key as when the token was obtained."
)]
pub struct CallArgs {
    /// The API URL.
    pub url: String,
    /// The access token (or set GRANTSCOPE_ACCESS_TOKEN).
    #[arg(
        long,
        env = "GRANTSCOPE_ACCESS_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: AccessToken,
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The request body, as given.
    #[arg(long, value_name = "BODY")]
    pub data: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write the exchanges of the run as HAR 1.2 to FILE (owner-only; secrets masked unless
    /// --reveal-secrets), for a browser's developer tools.
    #[arg(long, value_name = "FILE")]
    pub har: Option<std::path::PathBuf>,
}

fn fail(json: bool, e: &FlowError) -> ExitCode {
    if json {
        println!(
            "{}",
            grantscope_core::text::to_json_pretty(
                &json!({"ok": false, "error": error_json(e), "exchanges": []})
            )
            .unwrap_or_default()
        );
    } else {
        eprintln!("error: {}", describe(e));
    }
    ExitCode::from(e.exit_code())
}

pub async fn run(args: CallArgs) -> ExitCode {
    let url = match url::Url::parse(args.url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => {
            let e = FlowError::Config(format!("{u} is not an http(s) URL"));
            return fail(args.json, &e);
        }
        Err(e) => {
            let e = FlowError::Config(format!("the URL {:?} does not parse: {e}", args.url));
            return fail(args.json, &e);
        }
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => {
                headers.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                let e = FlowError::Config(format!("--header {h:?} is not `Name: value`"));
                return fail(args.json, &e);
            }
        }
    }
    let progress = if args.json {
        Progress::Essential
    } else {
        Progress::Verbose
    };
    let mut r = match resolve(&args.connection, progress, &[]).await {
        Ok(r) => r,
        Err(e) => return fail(args.json, &e),
    };
    let call = ResourceCall {
        method: args.method.clone(),
        url,
        headers,
        body: args.data.clone(),
    };
    let result = resource::call(&mut r.session, &call, args.token.expose(), "resource call").await;
    if let Some(path) = &args.har
        && let Err(e) = super::connection::write_har(path, r.session.exchanges(), r.reveal)
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let exchanges: Vec<Value> = r
        .session
        .exchanges()
        .iter()
        .map(|e| super::token_report::exchange_json(e, r.reveal))
        .collect();
    let answer = match result {
        Ok(a) => a,
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    grantscope_core::text::to_json_pretty(
                        &json!({"ok": false, "error": error_json(&e), "exchanges": exchanges})
                    )
                    .unwrap_or_default()
                );
            } else {
                eprintln!("error: {}", describe(&e));
            }
            return ExitCode::from(e.exit_code());
        }
    };
    let status = answer.response.status;
    let ok = answer.response.is_success();
    let last = r.session.exchanges().last();
    let body = last
        .and_then(|e| e.response_view(r.reveal))
        .map(|v| v.body)
        .unwrap_or_default();
    let challenges: Vec<Value> = answer
        .challenges
        .iter()
        .map(|c| {
            json!({
                "scheme": c.scheme,
                "params": c.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
                "meaning": c.describe(),
                "step_up": c.step_up().map(|s| json!({"acr_values": s.acr_values, "max_age": s.max_age})),
            })
        })
        .collect();
    if args.json {
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let doc = json!({
            "ok": ok,
            "status": status,
            "scheme": if answer.dpop { "DPoP" } else { "Bearer" },
            "response": parsed,
            "body": body,
            "challenges": challenges,
            "error": null,
            "exchanges": exchanges,
        });
        println!(
            "{}",
            grantscope_core::text::to_json_pretty(&doc).unwrap_or_default()
        );
    } else {
        println!(
            "HTTP {status} ({})",
            if answer.dpop { "DPoP" } else { "Bearer" }
        );
        println!("{}", grantscope_core::text::inert(&body));
        for c in &answer.challenges {
            eprintln!("challenge: {}", c.describe());
            if let Some(up) = c.step_up() {
                eprintln!(
                    "  step-up: run the authorization code grant again with{}{}",
                    up.acr_values
                        .map(|a| format!(" --param acr_values={a}"))
                        .unwrap_or_default(),
                    up.max_age
                        .map(|m| format!(" --param max_age={m}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
