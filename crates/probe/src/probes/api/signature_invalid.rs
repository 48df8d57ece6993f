//! `api.signature-invalid`: the genuine token with one bit of its signature flipped (the forgery is the core's,
//! `grantscope_core::token::forge`).

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.signature-invalid",
    title: "A broken signature is refused",
    level: Level::Must,
    reference: "RFC 7515 §5.2",
    tests: "the genuine token with one bit of its signature flipped; accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    super::needs_jwt(t)
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        super::forge_and_try(
            cx,
            PROBE.id,
            AttackId::SignatureInvalid,
            &AttackInputs::default(),
            Outcome::Fail,
            "the token with one bit of its signature flipped",
        )
        .await
    })
}
