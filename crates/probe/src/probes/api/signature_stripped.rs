//! `api.signature-stripped`: the genuine header and claims with no signature (an empty third part, and two parts only) (the forgery is the core's,
//! `grantscope_core::token::forge`).

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.signature-stripped",
    title: "A token without its signature is refused",
    level: Level::Must,
    reference: "RFC 7515 §5.2",
    tests: "the genuine header and claims with no signature (an empty third part, and two parts only); accepted → fail",
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
            AttackId::SignatureStripped,
            &AttackInputs::default(),
            Outcome::Fail,
            "the token without its signature",
        )
        .await
    })
}
