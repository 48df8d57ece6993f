//! `grantscope discover ISSUER`: fetches and checks the server's metadata, both documents
//! (OpenID configuration and RFC 8414), and says which document supplied each endpoint.
//! `grantscope discover --resource URL`: starts from an API instead (RFC 9728): its challenge,
//! its protected-resource metadata (checked), then each authorization server's discovery.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use grantscope_core::http::{HttpClient, HttpOptions};
use grantscope_core::oauth::discovery;
use grantscope_core::oauth::{FlowError, Session};

#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    /// The issuer URL, e.g. https://accounts.example.com
    #[arg(required_unless_present = "resource", conflicts_with = "resource")]
    pub issuer: Option<String>,
    /// Start from an API instead (RFC 9728): call URL without a token, follow its
    /// challenge's resource_metadata (else the well-known URL with the path inserted), check
    /// that the metadata is for URL, then discover each of its authorization servers.
    #[arg(long, value_name = "URL")]
    pub resource: Option<String>,
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

/// A session for discovery alone (no client), or the error to print.
fn session(args: &DiscoverArgs) -> Result<Session, FlowError> {
    if args.insecure {
        eprintln!("WARNING: TLS certificate verification is OFF (--insecure).");
    }
    let http = HttpClient::new(&HttpOptions {
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        insecure_tls: args.insecure,
        ..HttpOptions::default()
    })
    .map_err(|e| FlowError::Config(e.to_string()))?;
    Ok(Session::new(http))
}

pub async fn run(args: DiscoverArgs) -> ExitCode {
    if let Some(resource) = &args.resource {
        return run_resource(&args, resource).await;
    }
    // As typed: shown when there is no document to take the issuer from.
    let given = args.issuer.as_deref().unwrap_or_default().trim();
    let issuer = match url::Url::parse(given) {
        Ok(u) => u,
        Err(e) => {
            let e = FlowError::Config(format!("the issuer {given:?} is not a URL: {e}"));
            return fail(args.json, &e);
        }
    };
    let mut session = match session(&args) {
        Ok(s) => s,
        Err(e) => return fail(args.json, &e),
    };
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
                // Name and value, the values in one column however long the longest name
                // (`pushed_authorization_request_endpoint` overran a fixed one).
                let mut rows: Vec<(String, String)> = Vec::new();
                for (name, url) in d.endpoints.named() {
                    let from = match d.source_of(name) {
                        Some(src) if two => {
                            format!("  (from {})", grantscope_core::text::inert(src.as_str()))
                        }
                        _ => String::new(),
                    };
                    let value = url
                        .map(|u| {
                            grantscope_core::text::inert(&as_published(&d, name, u)).into_owned()
                        })
                        .unwrap_or_else(|| "-".into());
                    rows.push((name.to_string(), format!("{value}{from}")));
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
                        rows.push((
                            key.to_string(),
                            grantscope_core::text::inert(&v.join(" ")).into_owned(),
                        ));
                    }
                }
                rows.push((
                    "iss on authorization responses".into(),
                    if d.iss_parameter_supported {
                        "yes (RFC 9207)"
                    } else {
                        "no"
                    }
                    .into(),
                ));
                let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                for (name, value) in rows {
                    println!("{name:width$} {value}");
                }
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

/// `discover --resource URL` (RFC 9728). Exit 0 when the metadata holds and every
/// authorization server it names was discovered; 1 when the resource's metadata is absent or
/// for another resource, or an authorization server's discovery failed.
async fn run_resource(args: &DiscoverArgs, given: &str) -> ExitCode {
    use grantscope_core::oauth::protected_resource;
    use grantscope_core::text::inert;
    let resource = match url::Url::parse(given.trim()) {
        Ok(u) => u,
        Err(e) => {
            let e = FlowError::Config(format!("the resource {given:?} is not a URL: {e}"));
            return fail(args.json, &e);
        }
    };
    let mut session = match session(args) {
        Ok(s) => s,
        Err(e) => return fail(args.json, &e),
    };
    let result = protected_resource::discover_resource(&mut session, &resource).await;
    let exchanges: Vec<Value> = session
        .exchanges()
        .iter()
        .map(|e| e.to_json(false))
        .collect();
    let found = match result {
        Ok(found) => found,
        Err(e) => {
            if args.json {
                let doc = json!({ "ok": false, "error": super::connection::error_json(&e),
                                  "resource": given.trim(), "exchanges": exchanges });
                println!(
                    "{}",
                    grantscope_core::text::to_json_pretty(&doc).unwrap_or_default()
                );
            } else {
                eprintln!("error: {}", super::connection::describe(&e));
            }
            return ExitCode::from(e.exit_code());
        }
    };
    let failed = found
        .authorization_servers
        .iter()
        .any(|s| s.discovery.is_err())
        || found.authorization_servers.is_empty();
    if args.json {
        let challenge = found.challenge.as_ref().map(|c| {
            let first = c.challenges.first();
            json!({
                "raw": c.raw,
                "scheme": first.map(|f| f.scheme.clone()),
                "params": first.map(|f| f.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>()),
                "challenges": c.challenges.iter().map(|ch| json!({
                    "scheme": ch.scheme,
                    "params": ch.params.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
                })).collect::<Vec<_>>(),
            })
        });
        let servers: Vec<Value> = found
            .authorization_servers
            .iter()
            .map(|s| match &s.discovery {
                Ok(d) => json!({ "issuer": s.issuer, "metadata": d.metadata, "error": null }),
                Err(e) => json!({ "issuer": s.issuer, "metadata": null,
                                  "error": super::connection::error_json(e) }),
            })
            .collect();
        let doc = json!({
            "ok": !failed,
            "error": null,
            "resource": given.trim(),
            "status": found.status,
            "challenge": challenge,
            "metadata_url": found.metadata_url.as_str(),
            "metadata_source": found.metadata_source.as_str(),
            "metadata": found.metadata,
            "authorization_servers": servers,
            "exchanges": exchanges,
        });
        println!(
            "{}",
            grantscope_core::text::to_json_pretty(&doc).unwrap_or_default()
        );
    } else {
        println!("resource: {}", inert(given.trim()));
        match &found.challenge {
            Some(c) => println!("challenge: {} (HTTP {})", inert(&c.raw), found.status),
            None => println!(
                "challenge: none (HTTP {} without a token, no WWW-Authenticate)",
                found.status
            ),
        }
        println!(
            "metadata: {} ({})",
            inert(found.metadata_url.as_str()),
            match found.metadata_source {
                protected_resource::MetadataSource::Challenge => {
                    "the challenge's resource_metadata"
                }
                protected_resource::MetadataSource::WellKnown => {
                    "well-known, the resource's path inserted"
                }
            }
        );
        println!("resource matches: yes (RFC 9728 §3.3)");
        let scopes = found.scopes_supported();
        if !scopes.is_empty() {
            println!("scopes_supported: {}", inert(&scopes.join(" ")));
        }
        if found.authorization_servers.is_empty() {
            println!("note: the metadata names no authorization_servers");
        }
        for s in &found.authorization_servers {
            println!("authorization server: {}", inert(&s.issuer));
            match &s.discovery {
                Ok(d) => {
                    let named: Vec<_> = d
                        .endpoints
                        .named()
                        .into_iter()
                        .filter_map(|(name, url)| url.map(|u| (name, u)))
                        .collect();
                    // One column for the URLs, however long the longest name.
                    let width = named.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                    for (name, url) in named {
                        println!("  {name:width$} {}", inert(&as_published(d, name, url)));
                    }
                }
                Err(e) => println!("  error: {}", super::connection::describe(e)),
            }
        }
        if let Some(first) = found
            .authorization_servers
            .iter()
            .find(|s| s.discovery.is_ok())
        {
            eprintln!(
                "next: grantscope register --issuer {} … then grantscope token authorization-code --issuer {} --resource {}",
                inert(&first.issuer),
                inert(&first.issuer),
                inert(given.trim())
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
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
