//! Checks on JWT assertions (RFC 7523 §3) shared by client authentication (`private_key_jwt`,
//! `client_secret_jwt`) and the JWT bearer grant: signature, `aud`, `exp`, `nbf` and `jti`
//! replay, with the teaching switches that relax the last three on purpose.

use serde_json::{Map, Value};

use crate::state::app::App;
use crate::state::store::now_secs;
use grantscope_core::keys::{ParsedJws, Signer};

/// The JWS algorithms FAPI 2.0 allows (§5.4.1), under the `require-fapi2-algs` switch.
pub(crate) const FAPI2_ALGS: [&str; 3] = ["PS256", "ES256", "EdDSA"];

/// Allowed clock difference for `exp` and `nbf`.
const SKEW_SECS: u64 = 30;

/// An assertion whose signature and claims passed.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub iss: String,
    pub sub: String,
}

fn audiences(claims: &Map<String, Value>) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<u64> {
    claims.get(name).and_then(Value::as_u64)
}

/// Verifies `jws` with `signer` and checks its claims for a request to `path`. The error is
/// the reason, for an `invalid_client` or `invalid_grant` description.
pub(crate) fn check(
    app: &App,
    jws: &ParsedJws,
    signer: Signer<'_>,
    path: &str,
) -> Result<Checked, String> {
    let alg = jws
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if !jws.verify(signer) {
        return Err(match signer {
            Signer::Key(key) if !jws.alg.is_some_and(|a| key.supports(a)) => format!(
                "the assertion is signed with {alg}; the registered key signs {}",
                key.algorithms()
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Signer::Secret(_) if !jws.alg.is_some_and(|a| a.is_symmetric()) => format!(
                "the assertion is signed with {alg}; client_secret_jwt needs HS256, HS384 or HS512"
            ),
            _ => "the assertion's signature does not verify with the registered key".into(),
        });
    }
    let Value::Object(claims) = &jws.claims else {
        return Err("the assertion's payload is not a JSON object".into());
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let iss = text("iss").ok_or("the assertion has no iss")?;
    let sub = text("sub").ok_or("the assertion has no sub")?;
    let exp = number(claims, "exp").ok_or("the assertion has no numeric exp")?;
    let switches = app.config.unsafe_switches;
    let now = now_secs();

    let accepted = app.assertion_audiences(path);
    let aud = audiences(claims);
    if !aud.iter().any(|a| accepted.contains(a)) && !switches.accept_wrong_assertion_audience {
        return Err(format!(
            "the assertion's aud {aud:?} names no endpoint of this server (expected one of: {})",
            accepted.join(", ")
        ));
    }
    if exp.saturating_add(SKEW_SECS) <= now && !switches.accept_expired_assertion {
        return Err(format!(
            "the assertion expired {} seconds ago",
            now.saturating_sub(exp)
        ));
    }
    if number(claims, "nbf").is_some_and(|nbf| nbf > now + SKEW_SECS) {
        return Err("the assertion is not valid yet (nbf in the future)".into());
    }
    let jti =
        text("jti").ok_or("the assertion has no jti (RFC 7523 §3 item 7 replay protection)")?;
    let mut store = app.store();
    let key = (iss.clone(), jti);
    if store.seen_jti.contains_key(&key) && !switches.accept_replayed_assertion {
        return Err("the assertion's jti was used before: a replayed assertion is refused".into());
    }
    // Remember it at least as long as a client could still present it.
    store
        .seen_jti
        .insert(key, exp.max(now).saturating_add(SKEW_SECS + 300));
    Ok(Checked { iss, sub })
}
