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
    // As typed: shown when there is no document to take the issuer from.
    let given = args.issuer.trim();
    let issuer = match url::Url::parse(given) {
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
            // The issuer exactly as the document has it (the parsed URL would add a `/`).
            let published_issuer = d
                .endpoints
                .issuer
                .as_ref()
                .map(|u| as_published(&d, "issuer", u))
                .unwrap_or_else(|| given.to_string());
            if args.json {
                let endpoints: serde_json::Map<String, Value> = d
                    .endpoints
                    .named()
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            v.map(|u| Value::String(as_published(&d, k, u)))
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
                    "ok": true, "error": null, "issuer": published_issuer, "source": d.source.as_str(),
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
                        url.map(|u| grantscope_core::text::inert(&as_published(&d, name, u))
                            .into_owned())
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
                let doc = json!({ "ok": false, "error": super::connection::error_json(&e), "issuer": given, "exchanges": exchanges });
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

/// A URL of the metadata exactly as the document spells it (`https://as.example`, not the
/// parsed `https://as.example/`), when the member `name` holds that URL; else the parsed URL.
fn as_published(d: &discovery::Discovery, name: &str, url: &url::Url) -> String {
    match d.metadata.get(name).and_then(Value::as_str) {
        Some(text) if url::Url::parse(text).as_ref() == Ok(url) => text.to_string(),
        _ => url.to_string(),
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
