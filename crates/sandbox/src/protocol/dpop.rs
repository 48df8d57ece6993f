//! DPoP on the sandbox's side (RFC 9449): a proof in the `DPoP` header checked (one header,
//! `typ: dpop+jwt`, an asymmetric `alg`, a public `jwk` only, the signature, `htm`, `htu`,
//! a recent `iat`, a `jti` not seen within the window, `ath` on resource requests), and the
//! server nonces (`DPoP-Nonce`) the `require-dpop-nonce` teaching switch demands.

use std::str::FromStr as _;

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::state::app::App;
use crate::state::dpop_memory::{FUTURE_SKEW_SECS, WINDOW_SECS};
use crate::state::store::now_secs;

/// The proof algorithms the sandbox verifies (asymmetric only: RFC 9449 §4.2).
pub(crate) const DPOP_ALGS: [&str; 8] = [
    "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "EdDSA",
];

/// Largest proof accepted, in bytes.
const MAX_PROOF_LEN: usize = 8 * 1024;

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProofError {
    /// `invalid_dpop_proof` (RFC 9449 §5 and §7.1), with the reason.
    Invalid(String),
    /// `use_dpop_nonce` (§8 and §9): the proof lacks the server's current nonce.
    UseNonce(String),
}

impl ProofError {
    /// The error code on the wire.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            ProofError::Invalid(_) => "invalid_dpop_proof",
            ProofError::UseNonce(_) => "use_dpop_nonce",
        }
    }

    /// The human description.
    pub(crate) fn description(&self) -> &str {
        match self {
            ProofError::Invalid(d) | ProofError::UseNonce(d) => d,
        }
    }
}

/// What a valid proof proves: the RFC 7638 thumbprint of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proven {
    pub jkt: String,
}

/// The `DPoP-Nonce` header value to send when the nonce switch is on.
pub(crate) fn nonce_header(app: &App) -> Option<HeaderValue> {
    if !app.config.teaching_switches.require_dpop_nonce {
        return None;
    }
    HeaderValue::from_str(&app.dpop.nonce()).ok()
}

/// `htu` as compared: the URL without query and fragment (RFC 9449 §4.3), normalised.
fn normalise_htu(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw).ok()?;
    url.set_query(None);
    url.set_fragment(None);
    Some(url.to_string())
}

/// `ath`: base64url(SHA-256(access token)).
pub(crate) fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// Checks the request's `DPoP` proof, if any. `Ok(None)`: no proof was sent. `htus` are the
/// URLs this request may have been sent to (the endpoint on each listener); `access_token` is
/// the token the proof must hash into `ath` (resource requests).
pub(crate) fn check(
    app: &App,
    headers: &HeaderMap,
    htm: &str,
    htus: &[String],
    access_token: Option<&str>,
) -> Result<Option<Proven>, ProofError> {
    let mut values = headers.get_all("dpop").iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ProofError::Invalid(
            "more than one DPoP header; send exactly one proof (RFC 9449 §4.3)".into(),
        ));
    }
    let raw = first
        .to_str()
        .map_err(|_| ProofError::Invalid("the DPoP header is not ASCII".into()))?
        .trim();
    if raw.len() > MAX_PROOF_LEN {
        return Err(ProofError::Invalid(format!(
            "the DPoP proof is {} bytes; the sandbox accepts at most {MAX_PROOF_LEN}",
            raw.len()
        )));
    }
    let proven = verify_proof(app, raw, htm, htus, access_token)?;
    Ok(Some(proven))
}

fn invalid(reason: impl Into<String>) -> ProofError {
    ProofError::Invalid(reason.into())
}

fn verify_proof(
    app: &App,
    raw: &str,
    htm: &str,
    htus: &[String],
    access_token: Option<&str>,
) -> Result<Proven, ProofError> {
    let jws = grantscope_core::keys::ParsedJws::parse(raw)
        .map_err(|e| invalid(format!("the DPoP proof is not a JWS: {e}")))?;
    let typ = jws.header.get("typ").and_then(Value::as_str);
    if typ != Some("dpop+jwt") {
        return Err(invalid(format!(
            "the proof's typ is {}, not \"dpop+jwt\" (RFC 9449 §4.2)",
            typ.map_or_else(|| "missing".to_string(), |t| format!("{:?}", excerpt(t)))
        )));
    }
    let alg = jws.header.get("alg").and_then(Value::as_str).unwrap_or("");
    if !DPOP_ALGS.contains(&alg) {
        return Err(invalid(format!(
            "the proof's alg {:?} is not accepted: an asymmetric algorithm is required (accepted: {})",
            excerpt(alg),
            DPOP_ALGS.join(", ")
        )));
    }
    let Some(Value::Object(jwk)) = jws.header.get("jwk") else {
        return Err(invalid(
            "the proof's header has no jwk object (the public key, RFC 9449 §4.2)",
        ));
    };
    let private = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
    if let Some(member) = private.iter().find(|m| jwk.contains_key(**m)) {
        return Err(invalid(format!(
            "the proof's jwk carries private key material ({member:?}); only the public key belongs there"
        )));
    }
    let key = grantscope_core::token::jwks::parse_jwk(&Value::Object(jwk.clone()))
        .map_err(|e| invalid(format!("the proof's jwk is unusable: {e}")))?;
    let algorithm = jsonwebtoken::Algorithm::from_str(alg)
        .map_err(|_| invalid(format!("unknown alg {alg:?}")))?;
    let (signing_input, signature) = raw
        .rsplit_once('.')
        .ok_or_else(|| invalid("the proof is not a compact JWS"))?;
    let verified = jsonwebtoken::crypto::verify(
        signature,
        signing_input.as_bytes(),
        key.decoding_key(),
        algorithm,
    )
    .unwrap_or(false);
    if !verified {
        return Err(invalid(format!(
            "the proof's signature does not verify with its own jwk under {alg}"
        )));
    }
    let jkt = grantscope_core::keys::thumbprint(jwk)
        .map_err(|e| invalid(format!("the proof's jwk has no thumbprint: {e}")))?;
    let claims = jws
        .claims
        .as_object()
        .ok_or_else(|| invalid("the proof's payload is not a JSON object"))?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| invalid("the proof has no jti (1 to 256 characters)"))?;
    match text("htm") {
        Some(m) if m == htm => {}
        other => {
            return Err(invalid(format!(
                "the proof's htm is {}, but this request is {htm}",
                other.map_or_else(|| "missing".into(), |m| format!("{:?}", excerpt(m)))
            )));
        }
    }
    let htu = text("htu").ok_or_else(|| invalid("the proof has no htu"))?;
    let normalised = normalise_htu(htu);
    if !normalised.as_ref().is_some_and(|n| htus.contains(n)) {
        return Err(invalid(format!(
            "the proof's htu {:?} is not this endpoint ({})",
            excerpt(htu),
            htus.first().map_or("", String::as_str)
        )));
    }
    let now = now_secs();
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("the proof has no numeric iat"))?;
    if iat > now + FUTURE_SKEW_SECS {
        return Err(invalid(format!(
            "the proof's iat is {}s in the future",
            iat - now
        )));
    }
    if now.saturating_sub(iat) > WINDOW_SECS {
        return Err(invalid(format!(
            "the proof's iat is {}s old; the sandbox accepts proofs up to {WINDOW_SECS}s old",
            now - iat
        )));
    }
    if let Some(token) = access_token {
        match text("ath") {
            Some(a) if crate::state::clients::secrets_equal(a, &ath(token)) => {}
            Some(_) => {
                return Err(invalid(
                    "the proof's ath is not base64url(SHA-256(access token)) of the token sent",
                ));
            }
            None => {
                return Err(invalid(
                    "the proof has no ath; a resource request's proof must hash the access token (RFC 9449 §4.2)",
                ));
            }
        }
    }
    if app.config.teaching_switches.require_dpop_nonce {
        match text("nonce") {
            Some(n) if app.dpop.nonce_valid(n) => {}
            Some(_) => {
                return Err(ProofError::UseNonce(
                    "the proof's nonce is not a current nonce of this server; use the DPoP-Nonce header's".into(),
                ));
            }
            None => {
                return Err(ProofError::UseNonce(
                    "this server requires a nonce in DPoP proofs: use the DPoP-Nonce header's value".into(),
                ));
            }
        }
    }
    if !app.dpop.first_use(&jkt, jti, now) && !app.config.unsafe_switches.accept_replayed_dpop_proof
    {
        return Err(invalid(
            "the proof's jti was already used: a replayed DPoP proof is refused (RFC 9449 §11.1)",
        ));
    }
    Ok(Proven { jkt })
}

fn excerpt(text: &str) -> String {
    grantscope_core::http::excerpt(text, 64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn htu_ignores_query_and_fragment() {
        assert_eq!(
            normalise_htu("HTTP://Example.COM:80/token?x=1#f").as_deref(),
            Some("http://example.com/token")
        );
    }
}
