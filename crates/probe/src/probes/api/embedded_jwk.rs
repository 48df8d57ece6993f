//! `api.embedded-jwk`: signed with a key grantscope made, that key in the jwk header (the forgery is the core's,
//! `grantscope_core::token::forge`).

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.embedded-jwk",
    title: "A key in the token's own jwk header is not trusted",
    level: Level::Must,
    reference: "RFC 8725 §3.10, CVE-2018-0114",
    tests: "signed with a key grantscope made, that key in the jwk header; accepted → fail",
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
            AttackId::EmbeddedJwk,
            &AttackInputs {
                attacker_key: Some(&key),
                ..AttackInputs::default()
            },
            Outcome::Fail,
            "a token signed by the key in its own jwk header",
        )
        .await
    })
}
