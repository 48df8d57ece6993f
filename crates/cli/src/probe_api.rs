//! `grantscope probe --api URL --token T ...`: the API probes (PROBES.md "API probes") against
//! a resource server: the request as the user sends it (`--method`, `--header`, `--data`,
//! `--dpop`), the issuer's public keys from `--issuer` discovery or `--jwks-uri` (a URL or a
//! file; the token's own `iss` is never fetched), the extra tokens (`--expired-token`,
//! `--other-audience-token`, `--id-token`). Same output as `probe` (lines, `--json` with `api`
//! in place of `issuer`, `--junit`, `--report`, `--har`). Exit 0 when nothing failed, 1 when a
//! probe failed or the baseline did not hold, 2 on a usage or configuration error.

use std::process::ExitCode;
use std::sync::Arc;

use grantscope_core::http::Exchange;
use grantscope_core::oauth::{EndpointKind, FlowError};
use grantscope_core::token::jwks::KeySource;
use grantscope_probe::api_cx::{ApiTarget, issuer_keys};
use grantscope_probe::{Outcome, RunOptions, api_runner, report};

use super::connection::{Progress, describe, error_json, resolve};
use super::probe_cmd::{ProbeArgs, config_error};

fn usage(json: bool, msg: impl Into<String>) -> ExitCode {
    config_error(json, &FlowError::Config(msg.into()))
}

pub async fn run(args: ProbeArgs) -> ExitCode {
    let json = args.json;
    let api = &args.api;
    let Some(raw_url) = api.url.as_deref() else {
        return usage(json, "--api needs the API's URL");
    };
    let url = match url::Url::parse(raw_url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => return usage(json, format!("--api {u} is not an http(s) URL")),
        Err(e) => {
            return usage(
                json,
                format!("--api: the URL {raw_url:?} does not parse: {e}"),
            );
        }
    };
    let Some(token) = api.token.clone() else {
        return usage(
            json,
            "--api needs --token T: the genuine access token the API accepts (or GRANTSCOPE_ACCESS_TOKEN)",
        );
    };
    if token.expose().trim().is_empty() {
        return usage(json, "--token is empty");
    }
    if args.second_client_id.is_some() || args.slow {
        return usage(
            json,
            "--second-client-id and --slow belong to the authorization-server probes, not to --api",
        );
    }
    let mut headers = Vec::new();
    for h in &api.headers {
        match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => {
                headers.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => return usage(json, format!("--header {h:?} is not `Name: value`")),
        }
    }
    // --jwks-uri takes a URL or a file here (as `inspect`); it is loaded below, not by the
    // connection (whose endpoint flag takes URLs only).
    let mut connection = args.connection.clone();
    let jwks_given = connection
        .endpoints
        .get(EndpointKind::Jwks)
        .map(str::to_string);
    connection
        .endpoints
        .0
        .retain(|(k, _)| *k != EndpointKind::Jwks);
    let wants: &[EndpointKind] = if connection.issuer.is_some() && jwks_given.is_none() {
        &[EndpointKind::Jwks]
    } else {
        &[]
    };
    let mut resolved = match resolve(&connection, Progress::Essential, wants).await {
        Ok(r) => r,
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "error": error_json(&e)})
                );
            } else {
                eprintln!("error: {}", describe(&e));
            }
            return ExitCode::from(e.exit_code());
        }
    };
    let source = match (&jwks_given, &resolved.config.endpoints.jwks_uri) {
        (Some(given), _) => Some(KeySource::from_uri_or_path(given)),
        (None, Some(discovered)) => Some(KeySource::JwksUrl(discovered.clone())),
        (None, None) => None,
    };
    let issuer_keys = match &source {
        Some(source) => match issuer_keys(&mut resolved.session, source).await {
            Ok(k) => Ok(k),
            Err(e) => return usage(json, grantscope_core::text::inert(&e).into_owned()),
        },
        None if connection.issuer.is_some() => {
            return usage(
                json,
                "the issuer's discovery document names no jwks_uri; give --jwks-uri URL_OR_FILE",
            );
        }
        None => Err(
            "needs the issuer's public key (--issuer or --jwks-uri); the token's own iss is never fetched"
                .to_string(),
        ),
    };
    let setup_exchanges: Vec<Exchange> = resolved.session.exchanges().to_vec();
    let target = ApiTarget {
        url,
        method: api.method.clone().unwrap_or_else(|| "GET".into()),
        headers,
        body: api.data.clone(),
        token,
        http: resolved.session.http().clone(),
        dpop: resolved.session.dpop().cloned(),
        issuer_keys,
        expired_token: api.expired_token.clone(),
        other_audience_token: api.other_audience_token.clone(),
        id_token: api.id_token.clone(),
        attacker: Default::default(),
    };
    let options = RunOptions {
        only: args.only.clone(),
        skip: args.skip.clone(),
        concurrency: args.concurrency,
    };
    let plan = match api_runner::plan(&target, &options) {
        Ok(p) => p,
        Err(why) => return usage(json, why),
    };
    for line in plan.describe(&target) {
        eprintln!("{line}");
    }
    let on_baseline = move |b: &grantscope_probe::api_cx::Baseline| {
        if !json {
            println!("{}", report::baseline_line(b));
        }
    };
    let on_result = move |r: &grantscope_probe::ProbeResult| {
        if !json {
            println!("{}", report::line(r));
        }
    };
    let run = api_runner::run(Arc::new(target), &plan, &on_baseline, &on_result).await;
    if let Some(path) = &args.junit {
        let written = report::to_junit(&run).and_then(|xml| {
            grantscope_core::private_file::write_private(path, xml.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        if let Err(e) = written {
            eprintln!("error: cannot write the JUnit file: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.har {
        let mut all = setup_exchanges;
        if let Some(b) = &run.baseline {
            all.extend(b.exchanges.iter().cloned());
        }
        all.extend(run.results.iter().flat_map(|r| r.exchanges.iter().cloned()));
        if let Err(e) = super::connection::write_har(path, &all, resolved.reveal) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.report
        && let Err(e) =
            grantscope_core::private_file::write_private(path, report::to_html(&run).as_bytes())
    {
        eprintln!(
            "error: cannot write the HTML report {}: {e}",
            path.display()
        );
        return ExitCode::from(2);
    }
    if json {
        println!("{}", report::to_json(&run, resolved.reveal));
    } else {
        let summary: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", run.count(*o), o.as_str()))
            .collect();
        println!("summary: {} ({} ms)", summary.join(", "), run.elapsed_ms);
    }
    if run.count(Outcome::Fail) > 0 || run.baseline_failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
