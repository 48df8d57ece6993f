//! `api.claims-tampered`: sub, scope and exp changed (one at a time), the genuine signature kept (the forgery is the core's,
//! `grantscope_core::token::forge`).

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.claims-tampered",
    title: "Changed claims under the old signature are refused",
    level: Level::Must,
    reference: "RFC 7515 §5.2",
    tests: "sub, scope and exp changed (one at a time), the genuine signature kept; any accepted → fail",
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
            AttackId::ClaimsTampered,
            &AttackInputs::default(),
            Outcome::Fail,
            "changed claims under the old signature",
        )
        .await
    })
}
