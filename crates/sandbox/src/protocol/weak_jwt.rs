//! The protected resource's second way to take a token, only while a teaching switch of the
//! API probes is on: it verifies the JWT itself, the way a weak resource server does, instead
//! of looking the token up in the store. Each switch opens exactly one hole
//! (`unsafe-accept-alg-none`, `unsafe-skip-token-signature`, `unsafe-hmac-key-confusion`,
//! `unsafe-trust-header-jwk`, `unsafe-follow-jku`, `unsafe-ignore-exp`,
//! `unsafe-accept-id-tokens`); everything else is checked as a careful verifier would: the
//! signature by the sandbox's own keys, `iss`, `typ` `at+jwt`, `exp`, and that the sandbox did
//! not revoke it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_core::keys::{ParsedJws, Signer};
use grantscope_core::token::decode::{Decoded, decode};
use grantscope_core::token::jwks::{Jwks, Keys, jwks_from_value};
use grantscope_core::token::verify::{SignatureStatus, verify};
use serde_json::{Map, Value, json};

use crate::state::app::App;
use crate::state::store::{now_secs, token_key};

/// What a JWT accepted this way says.
#[derive(Debug, Clone)]
pub(crate) struct JwtClaims {
    pub claims: Map<String, Value>,
    /// Whether it is one of the sandbox's ID tokens (`typ` JWT, taken by `accept-id-tokens`).
    pub id_token: bool,
}

/// Whether a switch that makes the resource verify JWTs itself is on.
pub(crate) fn in_force(app: &App) -> bool {
    let s = &app.config.unsafe_switches;
    s.accept_alg_none
        || s.skip_token_signature
        || s.hmac_key_confusion
        || s.trust_header_jwk
        || s.follow_jku
        || s.ignore_exp
        || s.accept_id_tokens
}

/// The most of a `jku` document read.
const MAX_JKU_BYTES: usize = 64 * 1024;

fn split(token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = token.split('.');
    let (h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h.trim_end_matches('=')).ok()?).ok()?;
    let claims =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?).ok()?;
    Some((header, claims))
}

/// Whether `token` verifies with `jwks` (by its `kid` when it has one).
fn verifies_with(token: &str, jwks: Jwks) -> bool {
    match decode(token) {
        Ok(Decoded::Jws(jws)) => {
            verify(&jws, &Keys::Jwks(jwks)).report.status == SignatureStatus::Verified
        }
        _ => false,
    }
}

/// A `jku` the sandbox is willing to fetch: http(s) on a loopback host.
fn loopback_url(jku: &str) -> Option<url::Url> {
    let url = url::Url::parse(jku).ok()?;
    let loopback = match url.host()? {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    (matches!(url.scheme(), "http" | "https") && loopback).then_some(url)
}

async fn fetch_jku(jku: &str) -> Result<Jwks, String> {
    let url = loopback_url(jku)
        .ok_or_else(|| "the jku is not an http(s) URL on a loopback host".to_string())?;
    let http = grantscope_core::http::HttpClient::new(&grantscope_core::http::HttpOptions {
        timeout: std::time::Duration::from_secs(3),
        connect_timeout: std::time::Duration::from_secs(2),
        max_body_bytes: MAX_JKU_BYTES,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let (_, resp) = http
        .send("jku", grantscope_core::http::HttpRequest::get(url))
        .await
        .map_err(|(_, e)| e.to_string())?;
    let value = resp.json_value().map_err(|e| e.to_string())?;
    jwks_from_value(&value).map_err(|e| e.to_string())
}

/// Checks the signature the way the switches in force allow; `Err` says why it is refused.
async fn signature_ok(app: &App, token: &str, header: &Map<String, Value>) -> Result<(), String> {
    let s = &app.config.unsafe_switches;
    if s.skip_token_signature {
        return Ok(());
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") {
        return if s.accept_alg_none {
            Ok(())
        } else {
            Err("alg none is not a signature".into())
        };
    }
    if matches!(alg, "HS256" | "HS384" | "HS512") {
        if s.hmac_key_confusion
            && let Some(pem) = app.keys().rsa_spki_pem()
            && ParsedJws::parse(token).is_ok_and(|p| p.verify(Signer::Secret(pem.as_bytes())))
        {
            return Ok(());
        }
        return Err("the sandbox signs no token with an HMAC algorithm".into());
    }
    if s.trust_header_jwk
        && let Some(jwk) = header.get("jwk")
    {
        let set = jwks_from_value(&json!({ "keys": [jwk] })).map_err(|e| e.to_string())?;
        return if verifies_with(token, set) {
            Ok(())
        } else {
            Err("the signature does not verify with the header's jwk".into())
        };
    }
    if s.follow_jku
        && let Some(jku) = header.get("jku").and_then(Value::as_str)
    {
        let set = fetch_jku(jku).await?;
        return if verifies_with(token, set) {
            Ok(())
        } else {
            Err("the signature does not verify with the keys at the jku".into())
        };
    }
    let own = jwks_from_value(&app.keys().jwks()).map_err(|e| e.to_string())?;
    if verifies_with(token, own) {
        Ok(())
    } else {
        Err("the signature does not verify with the sandbox's keys".into())
    }
}

/// Takes `token` as a weak resource server would with the switches in force.
pub(crate) async fn accept(app: &App, token: &str) -> Result<JwtClaims, String> {
    let (header, claims) = split(token).ok_or("the access token is not a JWT")?;
    signature_ok(app, token, &header).await?;
    let s = &app.config.unsafe_switches;
    if !s.skip_token_signature && claims.get("iss").and_then(Value::as_str) != Some(&app.issuer) {
        return Err("the token's iss is not this sandbox".into());
    }
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    let access =
        typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt");
    let id_token = typ.eq_ignore_ascii_case("JWT");
    let taken = access || (s.accept_id_tokens && id_token);
    if !taken {
        return Err(format!(
            "the token's typ is {typ:?}, not at+jwt (RFC 9068 section 2.1): not an access token"
        ));
    }
    let exp = claims.get("exp").and_then(Value::as_u64);
    if !s.ignore_exp && exp.is_none_or(|e| e <= now_secs()) {
        return Err("the access token has expired".into());
    }
    let store = app.store();
    if let Some(record) = store.access.get(&token_key(token))
        && (record.revoked || store.grants.get(&record.grant).is_none_or(|g| g.revoked))
    {
        return Err("the access token was revoked".into());
    }
    Ok(JwtClaims { claims, id_token })
}
