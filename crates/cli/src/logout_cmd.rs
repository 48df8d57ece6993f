//! `grantscope logout --id-token-hint T`: RP-Initiated Logout 1.0 (prints `logout: URL` on
//! stderr, opens the browser unless `--no-browser`, and with a post-logout redirect URI on
//! the loopback address waits for the browser to come back with the `state` sent).
//! `grantscope logout listen`: a loopback back-channel logout endpoint
//! (`http://127.0.0.1:P/backchannel-logout`, OpenID Connect Back-Channel Logout 1.0) that
//! validates each POSTed logout token as `inspect --kind logout` does (signature against the
//! issuer's JWKS, iss, aud = the client id, iat, jti not seen before, events, sid or sub, no
//! nonce, typ logout+jwt where given), answers 200 or 400, and prints each verdict as it
//! arrives. It ends after `--count` tokens or on Ctrl+C: exit 0 when every token was valid.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::connection::{ConnectionArgs, Progress, config_err, describe, resolve};
use grantscope_core::oauth::EndpointKind;
use grantscope_core::oauth::FlowError;
use grantscope_core::oauth::backchannel_logout::{BackchannelListener, LogoutJudge};
use grantscope_core::text::inert;
use grantscope_core::token::KeySource;

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogoutArgs {
    #[command(subcommand)]
    pub action: Option<LogoutAction>,
    #[command(flatten)]
    pub rp: RpLogoutArgs,
}

/// RP-initiated logout.
#[derive(Debug, Clone, Args)]
pub struct RpLogoutArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The ID token of the session to end (id_token_hint).
    #[arg(long, value_name = "T")]
    pub id_token_hint: Option<String>,
    /// Where the provider sends the browser afterwards (registered for the client); a
    /// loopback http URI (any port: a free one is taken) is listened on for the state.
    #[arg(long, value_name = "URI")]
    pub post_logout_redirect_uri: Option<String>,
    /// Print the logout URL (`logout: URL` on stderr) instead of opening the browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the browser to come back, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait: u64,
}

#[derive(Debug, Clone, Subcommand)]
pub enum LogoutAction {
    /// Listen for back-channel logout tokens on 127.0.0.1 and check each.
    Listen(ListenArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// The issuer (its discovery gives the JWKS) or --jwks-uri, and --client-id (the
    /// expected aud).
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The port on 127.0.0.1 (0: a free one, printed as `listening: URL`).
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,
    /// End after this many tokens (default: until Ctrl+C).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// One JSON document per token on stdout, one a line.
    #[arg(long)]
    pub json: bool,
    /// Clock skew tolerated on iat and exp, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub leeway: u64,
}

pub async fn run(args: LogoutArgs) -> ExitCode {
    let result = match args.action {
        Some(LogoutAction::Listen(a)) => listen(a).await,
        None => rp_logout(args.rp).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::from(e.exit_code())
        }
    }
}

async fn rp_logout(args: RpLogoutArgs) -> Result<ExitCode, FlowError> {
    use grantscope_core::oauth::logout::{PostLogoutListener, end_session_url};
    let Some(hint) = args
        .id_token_hint
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    else {
        return Err(config_err(
            "give --id-token-hint T (the ID token of the session to end), or `logout listen`",
        ));
    };
    let resolved = resolve(
        &args.connection,
        Progress::Verbose,
        &[EndpointKind::EndSession],
    )
    .await?;
    let Some(endpoint) = resolved.config.endpoints.end_session_endpoint.clone() else {
        return Err(FlowError::missing(
            "logout",
            grantscope_core::oauth::Missing::Endpoint(EndpointKind::EndSession),
        ));
    };
    let listener = match &args.post_logout_redirect_uri {
        Some(uri) => {
            let uri = url::Url::parse(uri)
                .map_err(|e| config_err(format!("--post-logout-redirect-uri {uri:?}: {e}")))?;
            Some(PostLogoutListener::bind(&uri).await?)
        }
        None => None,
    };
    let state = grantscope_core::oauth::pkce::random_token();
    let client_id = Some(resolved.config.client_id.as_str());
    let url = end_session_url(
        &endpoint,
        hint.trim(),
        client_id,
        listener.as_ref().map(PostLogoutListener::uri),
        &state,
    );
    eprintln!("logout: {url}");
    if !args.no_browser && webbrowser_open(url.as_str()) {
        eprintln!("  (opened in the system browser)");
    }
    let Some(listener) = listener else {
        eprintln!(
            "no --post-logout-redirect-uri: the provider does not send the browser back, so \
             there is nothing to wait for"
        );
        return Ok(ExitCode::SUCCESS);
    };
    eprintln!("waiting for the browser on {} …", listener.uri());
    listener
        .wait(&state, std::time::Duration::from_secs(args.wait.max(1)))
        .await?;
    println!("logged out: the provider sent the browser back with the state sent");
    Ok(ExitCode::SUCCESS)
}

/// Opens the system browser; whether it did.
fn webbrowser_open(url: &str) -> bool {
    grantscope_core::oauth::logout::open_in_browser(url)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

async fn listen(args: ListenArgs) -> Result<ExitCode, FlowError> {
    let profile = args.connection.merged_profile()?;
    if profile.client_id.trim().is_empty() {
        return Err(config_err(
            "give --client-id: a logout token's aud must be the client's id",
        ));
    }
    // The keys: a JWKS given by hand (URL or file), else the issuer's from discovery.
    let given_jwks = profile.jwks_uri.clone().filter(|s| !s.trim().is_empty());
    let (source, issuer) = match given_jwks {
        Some(jwks) => (KeySource::from_uri_or_path(&jwks), profile.issuer.clone()),
        None if profile.issuer.is_some() => {
            let resolved =
                resolve(&args.connection, Progress::Essential, &[EndpointKind::Jwks]).await?;
            let published = resolved
                .discovery
                .as_ref()
                .and_then(|d| d.metadata.get("issuer"))
                .and_then(serde_json::Value::as_str)
                .map(String::from)
                .or(profile.issuer.clone());
            let Some(jwks) = resolved.config.endpoints.jwks_uri.clone() else {
                return Err(config_err(
                    "the issuer's metadata names no jwks_uri: give --jwks-uri",
                ));
            };
            (KeySource::JwksUrl(jwks), published)
        }
        None => {
            return Err(config_err(
                "give --issuer (its JWKS verifies the tokens) or --jwks-uri URL_OR_FILE",
            ));
        }
    };
    if issuer.is_none() {
        eprintln!("note: no --issuer: a token's iss is not compared with an expected one");
    }
    let http = grantscope_core::http::HttpClient::new(&grantscope_core::http::HttpOptions {
        timeout: std::time::Duration::from_secs_f64(profile.http.timeout_secs.max(1.0)),
        insecure_tls: profile.http.insecure_tls,
        ..Default::default()
    })?;
    let mut judge = LogoutJudge::new(source, issuer, &profile.client_id, args.leeway, http);
    let listener = BackchannelListener::bind(args.port).await?;
    eprintln!("listening: {}", listener.url());
    let (mut received, mut all_valid) = (0u64, true);
    while args.count.is_none_or(|n| received < n) {
        let delivery = tokio::select! {
            d = listener.next() => d?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopped (Ctrl+C) after {received} token(s)");
                break;
            }
        };
        received += 1;
        let verdict = judge.answer(delivery, now()).await;
        all_valid &= verdict.valid;
        let reason = verdict.reason();
        if args.json {
            let doc = match &verdict.inspection {
                None => json!({ "n": received, "valid": false, "reason": reason }),
                Some(inspection) => json!({
                    "n": received, "valid": verdict.valid,
                    "reason": if verdict.valid { None } else { Some(&reason) },
                    "sid": inspection.claims.get("sid"), "sub": inspection.claims.get("sub"),
                    "inspection": inspection,
                }),
            };
            println!("{}", serde_json::to_string(&doc).unwrap_or_default());
        } else if verdict.valid {
            println!(
                "logout token {received}: valid (sid {}, sub {})",
                inert(verdict.sid.as_deref().unwrap_or("-")),
                inert(verdict.sub.as_deref().unwrap_or("-"))
            );
        } else {
            println!("logout token {received}: refused: {}", inert(&reason));
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
