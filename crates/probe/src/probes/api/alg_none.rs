//! `api.alg-none`: alg none, None, NONE and nOnE with an empty signature, made from the genuine token (the forgery is the core's,
//! `grantscope_core::token::forge`).

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.alg-none",
    title: "A token with alg none is refused",
    level: Level::Must,
    reference: "RFC 8725 §3.1, RFC 7519 §6",
    tests: "alg none, None, NONE and nOnE with an empty signature, made from the genuine token; any accepted → fail",
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
            AttackId::AlgNone,
            &AttackInputs::default(),
            Outcome::Fail,
            "the token with alg none",
        )
        .await
    })
}
