//! `api.kid-injection`: kid ../../../../dev/null signed HS256 with an empty key (the forgery is the core's,
//! `grantscope_core::token::forge`).

use grantscope_core::token::forge::{AttackId, AttackInputs};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.kid-injection",
    title: "An injected kid selects no key",
    level: Level::Must,
    reference: "RFC 8725 §3.10",
    tests: "kid ../../../../dev/null signed HS256 with an empty key; a SQL-looking kid signed with the key it would select; any accepted → fail",
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
            AttackId::KidInjection,
            &AttackInputs::default(),
            Outcome::Fail,
            "a token with an injected kid",
        )
        .await
    })
}
