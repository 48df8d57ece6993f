//! `api.expired`: the token given with `--expired-token`, sent as the genuine one goes.

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.expired",
    title: "An expired token is refused",
    level: Level::Must,
    reference: "RFC 7519 §4.1.4",
    tests: "the token given with --expired-token, sent as the genuine one; accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    t.expired_token
        .is_none()
        .then(|| "needs an expired token of this API (--expired-token)".to_string())
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let Some(token) = cx.target.expired_token.clone() else {
            return Ok(Verdict::skipped("no --expired-token"));
        };
        let mut v = super::try_all(
            cx,
            PROBE.id,
            vec![("the expired token".into(), token.expose().to_string())],
            Outcome::Fail,
            "the expired token",
        )
        .await?;
        if let Some(exp) = crate::api_cx::decode(token.expose())
            .and_then(|d| d.claims.get("exp").and_then(serde_json::Value::as_i64))
        {
            let now = grantscope_core::timefmt::now_unix();
            if exp > now {
                v.reason.push_str(&format!(
                    " (note: its exp is {} s in the future: it is not expired)",
                    exp - now
                ));
            }
        }
        Ok(v)
    })
}
