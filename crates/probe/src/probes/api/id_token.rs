//! `api.id-token`: the ID token given with `--id-token`, sent as if it were the access token.

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.id-token",
    title: "An ID token is not taken as an access token",
    level: Level::Must,
    reference: "RFC 9068 §4 (typ), RFC 8725 §3.11",
    tests: "the ID token given with --id-token, sent as the access token; accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    t.id_token
        .is_none()
        .then(|| "needs an ID token of the same issuer (--id-token)".to_string())
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let Some(token) = cx.target.id_token.clone() else {
            return Ok(Verdict::skipped("no --id-token"));
        };
        super::try_all(
            cx,
            PROBE.id,
            vec![("the ID token".into(), token.expose().to_string())],
            Outcome::Fail,
            "the ID token as an access token",
        )
        .await
    })
}
