//! `grantscope probe`: runs the security probes (PROBES.md) against the connection's server and
//! prints the verdicts (one line each, or one JSON document with `--json`), optionally writing
//! JUnit XML (`--junit`) and a self-contained HTML report (`--report`). Exit 0 when nothing
//! failed, 1 when a probe failed, 2 on a usage or configuration error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::connection::{ConnectionArgs, Progress, describe, error_json, resolve};
use grantscope_core::oauth::{EndpointKind, FlowError};
use grantscope_core::secret::{AccessToken, ClientSecret, IdToken};
use grantscope_probe::driver::{AuthorizeDriver, Loopback};
use grantscope_probe::{self as probe, Outcome, RunOptions, SecondClient, Target, report};

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Run only these probes (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub only: Vec<String>,
    /// Leave these probes out (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub skip: Vec<String>,
    /// A second registered client, for refresh.client-bound.
    #[arg(long, value_name = "ID")]
    pub second_client_id: Option<String>,
    /// The second client's secret (or set GRANTSCOPE_SECOND_CLIENT_SECRET).
    #[arg(
        long,
        value_name = "S",
        env = "GRANTSCOPE_SECOND_CLIENT_SECRET",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub second_client_secret: Option<ClientSecret>,
    /// The policy the verdicts follow: bcp (RFC 9700), oauth2.1 or fapi2 (FAPI 2.0 Security
    /// Profile); it sets each probe's level and rule (docs/probes.md).
    #[arg(long, value_name = "POLICY", default_value = "bcp", value_parser = |s: &str| s.parse::<probe::Policy>())]
    pub policy: probe::Policy,
    /// Also run the slow probes (they wait for expiries).
    #[arg(long)]
    pub slow: bool,
    /// Do not open a browser; print each `authorize: URL` on stderr for an external driver.
    #[arg(long)]
    pub no_browser: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write JUnit XML here (a test case per probe).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Write the exchanges of the run as HAR 1.2 to FILE (owner-only; secrets masked unless
    /// --reveal-secrets), for a browser's developer tools.
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,

    /// Probes in flight at once (1: one after the other).
    #[arg(long, value_name = "N", default_value_t = probe::runner::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// How long each authorization may take in the browser, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub login_timeout: u64,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// `probe --api URL --token T ...`: probe the API (a resource server) instead of the
/// authorization server (DESIGN.md "API probes").
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Probe this API (a resource server): only the api.* probes run.
    #[arg(long = "api", value_name = "URL")]
    pub url: Option<String>,
    /// The genuine access token the API accepts (or set GRANTSCOPE_ACCESS_TOKEN); with --api.
    #[arg(
        long,
        env = "GRANTSCOPE_ACCESS_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<AccessToken>,
    /// HTTP method of the API request (with --api).
    #[arg(long, value_name = "M")]
    pub method: Option<String>,
    /// A request header, `Name: value` (repeatable; with --api).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The request body, as given (with --api).
    #[arg(long, value_name = "BODY")]
    pub data: Option<String>,
    /// An expired token of the same API, for api.expired.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub expired_token: Option<AccessToken>,
    /// A token issued for another audience, for api.audience.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub other_audience_token: Option<AccessToken>,
    /// An ID token of the same issuer, for api.id-token.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub id_token: Option<IdToken>,
}

pub(crate) fn config_error(json: bool, e: &FlowError) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::json!({"ok": false, "error": error_json(e)})
        );
    } else {
        eprintln!("error: {}", describe(e));
    }
    ExitCode::from(2)
}

pub async fn run(args: ProbeArgs) -> ExitCode {
    let api_only: Vec<&str> = [
        ("--method", args.api.method.is_some()),
        ("--header", !args.api.headers.is_empty()),
        ("--data", args.api.data.is_some()),
        ("--expired-token", args.api.expired_token.is_some()),
        (
            "--other-audience-token",
            args.api.other_audience_token.is_some(),
        ),
        ("--id-token", args.api.id_token.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if !api_only.is_empty() {
        return config_error(
            args.json,
            &FlowError::Config(format!(
                "{} belong(s) to the API probes: give --api URL --token T",
                api_only.join(", ")
            )),
        );
    }
    if args.second_client_secret.is_some() && args.second_client_id.is_none() {
        return config_error(
            args.json,
            &FlowError::Config("--second-client-secret needs --second-client-id".into()),
        );
    }
    let wants = [
        EndpointKind::Authorization,
        EndpointKind::Token,
        EndpointKind::Jwks,
        EndpointKind::Userinfo,
    ];
    let resolved = match resolve(&args.connection, Progress::Essential, &wants).await {
        Ok(r) => r,
        Err(e) => {
            if args.json {
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
    let reveal = resolved.reveal;
    // Discovery's exchanges belong to the run's HAR too.
    let discovery_exchanges = resolved.session.exchanges().to_vec();
    let announce: Arc<dyn Fn(&url::Url) + Send + Sync> =
        Arc::new(|u: &url::Url| eprintln!("authorize: {u}"));
    let driver = match Loopback::start(
        resolved.config.redirect_uri.as_ref(),
        !args.no_browser,
        Duration::from_secs(args.login_timeout.max(1)),
        announce,
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return config_error(args.json, &e),
    };
    let redirect_uri = match driver.redirect_uri() {
        Some(u) => u,
        None => {
            return config_error(args.json, &FlowError::Config("no redirect URI".into()));
        }
    };
    let target = Target {
        config: resolved.config,
        discovery: resolved.discovery,
        http: resolved.session.http().clone(),
        driver: Arc::new(driver),
        redirect_uri,
        second_client: args.second_client_id.clone().map(|id| SecondClient {
            client_id: id,
            client_secret: args.second_client_secret.clone(),
        }),
        slow: args.slow,
        policy: args.policy,
    };
    let options = RunOptions {
        only: args.only.clone(),
        skip: args.skip.clone(),
        concurrency: args.concurrency,
    };
    let plan = match probe::plan(&target, &options) {
        Ok(p) => p,
        Err(why) => return config_error(args.json, &FlowError::Config(why)),
    };
    eprintln!(
        "plan: policy {} ({})",
        target.policy.as_str(),
        target.policy.title()
    );
    for line in plan.describe(target.driver.name(), target.driver.needs_user()) {
        eprintln!("{line}");
    }
    let json = args.json;
    let on_result = move |r: &probe::ProbeResult| {
        if !json {
            println!("{}", report::line(r));
        }
    };
    let run = probe::run(Arc::new(target), &plan, &on_result).await;
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
        let mut all = discovery_exchanges;
        all.extend(run.results.iter().flat_map(|r| r.exchanges.iter().cloned()));
        if let Err(e) = super::connection::write_har(path, &all, reveal) {
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
    if args.json {
        println!("{}", report::to_json(&run, reveal));
    } else {
        let summary: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", run.count(*o), o.as_str()))
            .collect();
        println!("summary: {} ({} ms)", summary.join(", "), run.elapsed_ms);
    }
    if run.count(Outcome::Fail) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
