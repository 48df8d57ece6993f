//! `api.x5u`: a token signed by a key grantscope made, its `x5u` header pointing at a
//! self-signed certificate of that key served on 127.0.0.1 by grantscope itself (nothing else
//! in the header names a key); the reason says whether the API fetched it.

use grantscope_core::token::forge::{AttackId, attacker_certificate};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::Level;

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.x5u",
    title: "An x5u header is not followed to the attacker's certificate",
    level: Level::Must,
    reference: "RFC 8725 §3.10",
    tests: "signed with grantscope's key, x5u pointing at its certificate served on 127.0.0.1; accepted → fail; fetched but refused → warn",
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
            AttackId::X5u,
            "cert.pem",
            "application/pem-certificate-chain",
            |key| {
                attacker_certificate(key)
                    .map(|c| c.pem())
                    .map_err(|e| e.to_string())
            },
            "certificate",
        )
        .await
    })
}
