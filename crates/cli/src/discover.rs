//! `grantscope discover ISSUER`: fetches and checks the server's metadata, both documents
//! (OpenID configuration and RFC 8414), and says which document supplied each endpoint.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use grantscope_core::http::{HttpClient, HttpOptions};
use grantscope_core::oauth::discovery;
use grantscope_core::oauth::{FlowError, Session};

#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    /// The issuer URL, e.g. https://accounts.example.com
    pub issuer: String,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Total time limit for each request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// DANGEROUS: do not verify TLS certificates.
    #[arg(long)]
    pub insecure: bool,
}

pub async fn run(args: DiscoverArgs) -> ExitCode {
    let issuer = match url::Url::parse(args.issuer.trim()) {
        Ok(u) => u,
        Err(e) => {
            let e = FlowError::Config(format!("the issuer {:?} is not a URL: {e}", args.issuer));
            return fail(args.json, &e);
        }
    };
    if args.insecure {
        eprintln!("WARNING: TLS certificate verification is OFF (--insecure).");
    }
    let http = match HttpClient::new(&HttpOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        insecure_tls: args.insecure,
        ..HttpOptions::default()
    }) {
        Ok(h) => h,
        Err(e) => return fail(args.json, &FlowError::Config(e.to_string())),
    };
    let mut session = Session::new(http);
    let result =
        discovery::discover_with(&mut session, &issuer, discovery::SecondDocument::Always).await;
    let exchanges: Vec<Value> = session
        .exchanges()
        .iter()
        .map(|e| e.to_json(false))
        .collect();
    match result {
        Ok(d) => {
            if args.json {
                let endpoints: serde_json::Map<String, Value> = d
                    .endpoints
                    .named()
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            v.map(|u| Value::String(u.to_string()))
                                .unwrap_or(Value::Null),
                        )
                    })
                    .collect();
                let sources: serde_json::Map<String, Value> = d
                    .endpoint_sources
                    .iter()
                    .map(|(k, u)| (k.to_string(), Value::String(u.to_string())))
                    .collect();
                let documents: Vec<Value> = d
                    .documents
                    .iter()
                    .map(|(kind, u)| json!({"kind": kind.title(), "url": u.as_str()}))
                    .collect();
                let doc = json!({
                    "ok": true, "error": null, "issuer": issuer.as_str(), "source": d.source.as_str(),
                    "documents": documents, "endpoint_sources": sources,
                    "endpoints": endpoints, "metadata": d.metadata, "exchanges": exchanges,
                });
                println!(
                    "{}",
                    grantscope_core::text::to_json_pretty(&doc).unwrap_or_default()
                );
            } else {
                for (kind, url) in &d.documents {
                    println!(
                        "metadata: {} ({})",
                        grantscope_core::text::inert(url.as_str()),
                        kind.title()
                    );
                }
                if let Some(why) = &d.second_failure {
                    println!("note: {}", grantscope_core::text::inert(why));
                }
                let two = d.documents.len() > 1;
                for (name, url) in d.endpoints.named() {
                    let from = match d.source_of(name) {
                        Some(src) if two => {
                            format!("  (from {})", grantscope_core::text::inert(src.as_str()))
                        }
                        _ => String::new(),
                    };
                    println!(
                        "{name:32} {}{from}",
                        url.map(|u| grantscope_core::text::inert(u.as_str()).into_owned())
                            .unwrap_or_else(|| "-".into())
                    );
                }
                for key in [
                    "grant_types_supported",
                    "response_types_supported",
                    "token_endpoint_auth_methods_supported",
                    "code_challenge_methods_supported",
                    "scopes_supported",
                    "id_token_signing_alg_values_supported",
                ] {
                    let v = d.supported(key);
                    if !v.is_empty() {
                        println!("{key:32} {}", grantscope_core::text::inert(&v.join(" ")));
                    }
                }
                println!(
                    "{:32} {}",
                    "iss on authorization responses",
                    if d.iss_parameter_supported {
                        "yes (RFC 9207)"
                    } else {
                        "no"
                    }
                );
                if !d
                    .supported("code_challenge_methods_supported")
                    .iter()
                    .any(|m| m == "S256")
                {
                    println!(
                        "note: the metadata does not list PKCE S256 in code_challenge_methods_supported"
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if args.json {
                let doc = json!({ "ok": false, "error": super::connection::error_json(&e), "issuer": issuer.as_str(), "exchanges": exchanges });
                println!(
                    "{}",
                    grantscope_core::text::to_json_pretty(&doc).unwrap_or_default()
                );
            } else {
                eprintln!("error: {}", super::connection::describe(&e));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// An error before any exchange: the JSON error document with `--json`, else a line on stderr.
fn fail(json: bool, e: &FlowError) -> ExitCode {
    if json {
        let doc =
            json!({ "ok": false, "error": super::connection::error_json(e), "exchanges": [] });
        println!(
            "{}",
            grantscope_core::text::to_json_pretty(&doc).unwrap_or_default()
        );
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::from(e.exit_code())
}
