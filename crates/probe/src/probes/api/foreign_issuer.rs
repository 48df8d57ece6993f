//! `api.foreign-issuer`: a well-formed token signed by a key grantscope made, `iss` its own
//! (an `.invalid` name, never fetched), the other claims kept.

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

/// The `iss` of the foreign issuer's token (RFC 6761: `.invalid` never resolves).
pub const FOREIGN_ISSUER: &str = "https://issuer.grantscope.invalid";

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.foreign-issuer",
    title: "A token of another issuer is refused",
    level: Level::Must,
    reference: "RFC 9068 §4",
    tests: "a well-formed token signed by grantscope's own key, iss its own, the other claims kept; accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    super::needs_jwt(t)
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let key = match cx.target.attacker_key().await {
            Ok(k) => k,
            Err(e) => return Ok(Verdict::inconclusive(e)),
        };
        super::forge_and_try(
            cx,
            PROBE.id,
            AttackId::ForeignIssuer,
            &AttackInputs {
                attacker_issuer: Some(FOREIGN_ISSUER),
                attacker_key: Some(&key),
                ..AttackInputs::default()
            },
            Outcome::Fail,
            "a token of another issuer",
        )
        .await
    })
}
