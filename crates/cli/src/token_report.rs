//! What `grantscope token` shows about the tokens it obtained: their inspections, and the
//! human-readable report.

use serde_json::Value;

use super::connection::Resolved;
use grantscope_core::http::Exchange;
use grantscope_core::oauth::grants::{GrantOutcome, TokenSuccess};
use grantscope_core::oauth::received;
use grantscope_core::text::inert;

/// Inspections (DESIGN.md shape) of the tokens of a response.
#[derive(Debug, Default, Clone)]
pub struct Inspections {
    pub access_token: Option<Value>,
    pub id_token: Option<Value>,
    pub refresh_token: Option<Value>,
    pub front_channel_id_token: Option<Value>,
}

/// Inspects every token of a successful response with what the flow knows
/// ([`received::inspect_received`]). Returns the JWKS exchanges too, so they are shown with
/// the rest.
pub async fn inspect_success(
    success: &TokenSuccess,
    resolved: &Resolved,
) -> (Inspections, Vec<Exchange>) {
    let r = received::inspect_received(
        success,
        &resolved.config,
        resolved.discovery.as_ref(),
        resolved.session.http(),
        resolved.session.dpop().map(|d| d.key.jkt()).as_deref(),
        grantscope_core::timefmt::now_unix(),
    )
    .await;
    let json = |i: &Option<grantscope_core::token::Inspection>| {
        i.as_ref().and_then(|i| serde_json::to_value(i).ok())
    };
    (
        Inspections {
            access_token: json(&r.access_token),
            id_token: json(&r.id_token),
            refresh_token: json(&r.refresh_token),
            front_channel_id_token: json(&r.front_channel_id_token),
        },
        r.exchanges,
    )
}

/// The name of a decoded DPoP proof, beside the raw `DPoP` request header.
pub const DPOP_PROOF: &str = "dpop_proof";

/// The DPoP proof a request carried (its `DPoP` header), decoded: header, claims and the
/// signature as sent ([`grantscope_core::oauth::dpop::decoded_proof`]).
fn dpop_proof(headers: &[(String, String)]) -> Option<Value> {
    let (_, proof) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("dpop"))?;
    grantscope_core::oauth::dpop::decoded_proof(proof)
}

/// An exchange's JSON (DESIGN.md), with its DPoP proof decoded under
/// `decoded.dpop_proof` beside the raw header.
pub fn exchange_json(ex: &Exchange, reveal: bool) -> Value {
    let mut v = ex.to_json(reveal);
    if let (Some(proof), Value::Object(m)) = (dpop_proof(&ex.request_view(reveal).headers), &mut v)
    {
        let decoded = m
            .entry("decoded")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(d) = decoded {
            d.insert(DPOP_PROOF.into(), proof);
        }
    }
    v
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
    // An encrypted token: the envelope first (which key opened it, or why none did), then
    // the token inside.
    let envelope = match v.get("jwe") {
        Some(jwe) => {
            let header = |name: &str| {
                jwe.pointer(&format!("/header/{name}"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned()
            };
            let detail = jwe.get("detail").and_then(Value::as_str).unwrap_or("");
            let inner = v
                .pointer("/nested/format")
                .and_then(Value::as_str)
                .map(|f| format!(", inside: {f}"))
                .unwrap_or_default();
            format!(
                " (JWE {} / {}: {}{inner})",
                inert(&header("alg")),
                inert(&header("enc")),
                inert(detail)
            )
        }
        None => String::new(),
    };
    format!("{format}{envelope}, signature {sig}, {status}")
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
            // The server chose much of this (URLs from metadata, every response byte): shown
            // inert, with control characters and bidi overrides escaped.
            eprintln!("── {} ──", ex.step);
            eprintln!("{} {}", req.method, inert(&req.url));
            for (k, v) in &req.headers {
                eprintln!("{}: {}", inert(k), inert(v));
            }
            if let Some(b) = &req.body {
                eprintln!("\n{}", inert(b));
            }
            // Decoded views beside the raw form (the client assertion's header and claims,
            // the DPoP proof's header, claims and signature).
            let proof = dpop_proof(&req.headers).map(|p| (DPOP_PROOF.to_string(), p));
            for (name, value) in ex.decoded().iter().chain(proof.as_ref()) {
                eprintln!(
                    "{name} (decoded): {}",
                    grantscope_core::text::inert(&value.to_string())
                );
            }
            match ex.response_view(reveal) {
                Some(r) => {
                    eprintln!("\n← HTTP {} ({} ms)", r.status, ex.elapsed_ms);
                    for (k, v) in &r.headers {
                        eprintln!("{}: {}", inert(k), inert(v));
                    }
                    eprintln!("\n{}", inert(&r.body));
                }
                None => eprintln!(
                    "\n← {}",
                    inert(ex.error_view(reveal).as_deref().unwrap_or("no response"))
                ),
            }
            eprintln!("curl: {}", inert(&ex.to_curl(reveal)));
        }
    }
    match &outcome.result {
        Ok(s) => {
            let t = &s.tokens;
            println!("access_token: {}", inert(t.access_token.expose()));
            if let Some(v) = &inspections.access_token {
                println!("  ({})", one_line(v));
            }
            if let Some(tt) = &t.token_type {
                println!("token_type: {}", inert(tt));
            }
            if let Some(e) = t.expires_in {
                println!("expires_in: {e}");
            }
            if let Some(sc) = &t.scope {
                println!("scope: {}", inert(sc));
            }
            if let Some(rt) = &t.refresh_token {
                println!("refresh_token: {}", inert(rt.expose()));
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
                println!("id_token: {}", inert(id.expose()));
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
                eprintln!(
                    "warning: {}",
                    grantscope_core::oauth::grants::password::DEPRECATION
                );
            }
        }
        Err(e) => {
            eprintln!(
                "error: {}",
                grantscope_core::text::inert(&super::connection::describe(e))
            );
        }
    }
}
