//! `api.audience`: the token given with `--other-audience-token` (one issued for another
//! resource), sent as the genuine one goes.

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.audience",
    title: "A token for another audience is refused",
    level: Level::Must,
    reference: "RFC 9068 §4, RFC 8707",
    tests: "the token given with --other-audience-token, sent as the genuine one; accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    t.other_audience_token
        .is_none()
        .then(|| "needs a token issued for another audience (--other-audience-token)".to_string())
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let Some(token) = cx.target.other_audience_token.clone() else {
            return Ok(Verdict::skipped("no --other-audience-token"));
        };
        super::try_all(
            cx,
            PROBE.id,
            vec![(
                "the token for another audience".into(),
                token.expose().to_string(),
            )],
            Outcome::Fail,
            "the token for another audience",
        )
        .await
    })
}
