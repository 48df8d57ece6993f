//! `api.psychic-signature`: ES256 with r = s = 0 (CVE-2022-21449), only when the issuer signs
//! with EC: the genuine token is ES256, or the issuer's JWKS publishes an EC P-256 key (its
//! `kid` goes in the forged header).

use grantscope_core::token::forge::{AttackId, AttackInputs, IssuerKey, Token};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.psychic-signature",
    title: "An ECDSA signature of zeros is refused",
    level: Level::Must,
    reference: "CVE-2022-21449",
    tests: "ES256 with r = s = 0, the kid of the issuer's EC key (only when the issuer signs with EC); accepted → fail",
    why_not,
    offline: false,
    run,
};

/// The `kid` (if any) of the issuer's EC P-256 key the forged token names.
fn ec_kid(t: &ApiTarget) -> Result<Option<String>, String> {
    if let Some(why) = super::needs_issuer_key(t) {
        return Err(why);
    }
    let genuine = t.genuine()?;
    let alg = genuine.header.get("alg").and_then(|a| a.as_str());
    let kid = genuine.header.get("kid").and_then(|k| k.as_str());
    if alg == Some("ES256") {
        return Ok(kid.map(str::to_string));
    }
    let jwks = t
        .issuer_keys
        .as_ref()
        .map(|k| k.jwks.clone())
        .unwrap_or_default();
    let keys = jwks
        .get("keys")
        .and_then(|k| k.as_array())
        .cloned()
        .unwrap_or_default();
    keys.iter()
        .find(|k| {
            k.get("kty").and_then(|v| v.as_str()) == Some("EC")
                && k.get("crv").and_then(|v| v.as_str()) == Some("P-256")
                && IssuerKey::from_jwk(k).is_ok_and(|ik| ik.is_ec())
        })
        .map(|k| k.get("kid").and_then(|v| v.as_str()).map(str::to_string))
        .ok_or_else(|| {
            format!(
                "the issuer does not sign with EC: the token is {} and its JWKS has no EC P-256 key",
                grantscope_core::text::inert(alg.unwrap_or("unsigned"))
            )
        })
}

fn why_not(t: &ApiTarget) -> Option<String> {
    ec_kid(t).err()
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let kid = match ec_kid(&cx.target) {
            Ok(k) => k,
            Err(why) => return Ok(Verdict::skipped(why)),
        };
        let mut token = match Token::parse(cx.target.token.expose()) {
            Ok(t) => t,
            Err(e) => return Ok(Verdict::skipped(e.to_string())),
        };
        if let Some(kid) = kid
            && let Err(e) = token.set_header("kid", serde_json::Value::String(kid))
        {
            return Ok(Verdict::inconclusive(format!(
                "the forgery could not be made: {e}"
            )));
        }
        super::try_forgery(
            cx,
            PROBE.id,
            AttackId::PsychicSignature,
            &token,
            &AttackInputs::default(),
            Outcome::Fail,
            "an ES256 signature of zeros",
        )
        .await
    })
}
