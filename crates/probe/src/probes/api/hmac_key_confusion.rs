//! `api.hmac-key-confusion`: HS256/384/512 tokens keyed with the issuer's public key in each
//! form a verifier may hold it (SPKI PEM as OpenSSL writes it, that PEM without its final
//! newline, PKCS#1 PEM, DER, the JWK's JSON), with the genuine `kid` and without one.

use grantscope_core::token::forge::{AttackId, AttackInputs, IssuerKey};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.hmac-key-confusion",
    title: "The issuer's public key is not taken as an HMAC secret",
    level: Level::Must,
    reference: "RFC 8725 §2.1, §3.1",
    tests: "HS256/384/512 keyed with the issuer's public key (SPKI PEM as OpenSSL writes it, without its final newline, PKCS#1 PEM, DER, the JWK's JSON), with the genuine kid and with none; any accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    super::needs_issuer_key(t)
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let Ok(keys) = cx.target.issuer_keys.clone() else {
            return Ok(Verdict::skipped("no issuer key"));
        };
        let kid = cx.target.genuine().ok().and_then(|d| {
            d.header
                .get("kid")
                .and_then(|k| k.as_str())
                .map(str::to_string)
        });
        let key = match IssuerKey::pick(&keys.jwks, kid.as_deref()) {
            Ok(k) => k,
            Err(e) => {
                return Ok(Verdict::inconclusive(format!(
                    "no key of the issuer's JWKS ({}) can be used: {}",
                    grantscope_core::text::inert(&keys.origin),
                    grantscope_core::text::inert(&e.to_string())
                )));
            }
        };
        super::forge_and_try(
            cx,
            PROBE.id,
            AttackId::HmacKeyConfusion,
            &AttackInputs {
                issuer_key: Some(&key),
                ..AttackInputs::default()
            },
            Outcome::Fail,
            "an HMAC token keyed with the issuer's public key",
        )
        .await
    })
}
