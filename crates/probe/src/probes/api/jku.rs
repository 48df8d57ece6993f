//! `api.jku`: a token signed by a key grantscope made, its `jku` header pointing at that key's
//! JWKS served on 127.0.0.1 by grantscope itself (nothing else in the header names a key); the
//! reason says whether the API fetched it.

use grantscope_core::token::forge::{AttackId, attacker_jwks};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::Level;

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.jku",
    title: "A jku header is not followed to the attacker's keys",
    level: Level::Must,
    reference: "RFC 8725 §3.10",
    tests: "signed with grantscope's key, jku pointing at its JWKS served on 127.0.0.1; accepted → fail; fetched but refused → warn",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    super::needs_jwt(t)
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        super::served_key_probe(
            cx,
            PROBE.id,
            AttackId::Jku,
            "jwks.json",
            "application/json",
            |key| Ok(attacker_jwks(key).to_string()),
            "JWKS",
        )
        .await
    })
}
