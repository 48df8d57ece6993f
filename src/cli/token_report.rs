//! What `grantscope token` shows about the tokens it obtained: their inspections, and the
//! human-readable report.

use serde_json::Value;

use super::connection::Resolved;
use crate::http::Exchange;
use crate::oauth::grants::{GrantOutcome, TokenSuccess};
use crate::text::inert;
use crate::token::{self, InspectOptions, KeySource, TokenKind};

/// Inspections (DESIGN.md shape) of the tokens of a response.
#[derive(Debug, Default, Clone)]
pub struct Inspections {
    pub access_token: Option<Value>,
    pub id_token: Option<Value>,
    pub refresh_token: Option<Value>,
}

/// Inspects every token of a successful response against the server's keys (its JWKS from
/// discovery or `--jwks-uri`). Returns the JWKS exchanges too, so they are shown with the rest.
pub async fn inspect_success(
    success: &TokenSuccess,
    resolved: &Resolved,
) -> (Inspections, Vec<Exchange>) {
    let cfg = &resolved.config;
    let source = match &cfg.endpoints.jwks_uri {
        Some(u) => KeySource::JwksUrl(u.clone()),
        None => KeySource::None,
    };
    // The metadata's `issuer`, exactly as published, is what `iss` must equal; without
    // discovery, the issuer the user gave.
    let issuer = resolved
        .discovery
        .as_ref()
        .and_then(|d| d.metadata.get("issuer").and_then(Value::as_str))
        .map(String::from)
        .or_else(|| {
            cfg.endpoints
                .issuer
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/').to_string())
        });
    let now = crate::timefmt::now_unix();
    let http = resolved.session.http();
    let mut exchanges = Vec::new();
    let mut out = Inspections::default();
    let tokens = &success.tokens;

    let access_opts = InspectOptions {
        issuer: issuer.clone(),
        audience: cfg.resources.first().cloned().or(cfg.audience.clone()),
        kind: TokenKind::Access,
        // It came from the token endpoint as `access_token`: a non-RFC 9068 `typ` is a
        // warning here, not a substitution.
        strict_typ: false,
        ..InspectOptions::default()
    };
    let a = token::inspect(&tokens.access_token, &source, http, &access_opts, now).await;
    exchanges.extend(a.exchanges);
    out.access_token = serde_json::to_value(&a.inspection).ok();

    if let Some(id_token) = &tokens.id_token {
        let id_opts = InspectOptions {
            issuer: issuer.clone(),
            audience: Some(cfg.client_id.clone()),
            nonce: success.nonce.clone(),
            access_token: Some(tokens.access_token.clone()),
            code: success.code.clone(),
            kind: TokenKind::Id,
            ..InspectOptions::default()
        };
        let i = token::inspect(id_token, &source, http, &id_opts, now).await;
        exchanges.extend(i.exchanges);
        out.id_token = serde_json::to_value(&i.inspection).ok();
    }
    if let Some(rt) = &tokens.refresh_token {
        let r = token::inspect_with_keys(rt, &token::Keys::None, &InspectOptions::default(), now);
        out.refresh_token = serde_json::to_value(&r).ok();
    }
    (out, exchanges)
}

fn one_line(v: &Value) -> String {
    if v.get("format").and_then(Value::as_str) == Some("opaque") {
        return "opaque: only the server can tell what it means; use `grantscope introspect`"
            .into();
    }
    let status = match v.get("verdict").and_then(Value::as_str) {
        Some("valid") => "valid",
        Some("invalid") => "NOT valid",
        Some("unverifiable") => "NOT valid (unverifiable)",
        _ => "?",
    };
    let format = v.get("format").and_then(Value::as_str).unwrap_or("?");
    let sig = v
        .pointer("/signature/status")
        .and_then(Value::as_str)
        .unwrap_or("-");
    format!("{format}, signature {sig}, {status}")
}

/// Prints the outcome for a person: tokens on stdout, the rest on stderr.
pub fn print_human(
    outcome: &GrantOutcome,
    inspections: &Inspections,
    reveal: bool,
    show_exchanges: bool,
) {
    if show_exchanges {
        for ex in &outcome.exchanges {
            let req = ex.request_view(reveal);
            eprintln!("── {} ──", ex.step);
            eprintln!("{} {}", req.method, req.url);
            for (k, v) in &req.headers {
                eprintln!("{k}: {v}");
            }
            if let Some(b) = &req.body {
                eprintln!("\n{b}");
            }
            match ex.response_view(reveal) {
                Some(r) => {
                    eprintln!("\n← HTTP {} ({} ms)", r.status, ex.elapsed_ms);
                    for (k, v) in &r.headers {
                        eprintln!("{k}: {v}");
                    }
                    eprintln!("\n{}", r.body);
                }
                None => eprintln!("\n← {}", ex.error.as_deref().unwrap_or("no response")),
            }
            eprintln!("curl: {}", ex.to_curl(reveal));
        }
    }
    match &outcome.result {
        Ok(s) => {
            let t = &s.tokens;
            println!("access_token: {}", t.access_token);
            if let Some(v) = &inspections.access_token {
                println!("  ({})", one_line(v));
            }
            if let Some(tt) = &t.token_type {
                println!("token_type: {tt}");
            }
            if let Some(e) = t.expires_in {
                println!("expires_in: {e}");
            }
            if let Some(sc) = &t.scope {
                println!("scope: {sc}");
            }
            if let Some(rt) = &t.refresh_token {
                println!("refresh_token: {rt}");
            }
            if let Some(rot) = s.refresh_rotated {
                println!(
                    "refresh_token_rotated: {}",
                    if rot {
                        "yes (a new refresh token was issued)"
                    } else {
                        "no (the same or no refresh token came back)"
                    }
                );
            }
            if let Some(id) = &t.id_token {
                println!("id_token: {id}");
                if let Some(v) = &inspections.id_token {
                    println!("  ({})", one_line(v));
                }
            }
            for insp in [&inspections.access_token, &inspections.id_token]
                .into_iter()
                .flatten()
            {
                if let Some(checks) = insp.get("checks").and_then(Value::as_array) {
                    for c in checks {
                        let st = c.get("status").and_then(Value::as_str).unwrap_or("");
                        if st == "fail" || st == "warn" {
                            // The message may quote the token: shown inert.
                            eprintln!(
                                "  {st}: {} — {}",
                                inert(c.get("id").and_then(Value::as_str).unwrap_or("")),
                                inert(c.get("message").and_then(Value::as_str).unwrap_or(""))
                            );
                        }
                    }
                }
            }
            if outcome.grant.deprecated() {
                eprintln!("warning: {}", crate::oauth::grants::password::DEPRECATION);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
        }
    }
}
