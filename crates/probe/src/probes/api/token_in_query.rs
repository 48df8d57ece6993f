//! `api.token-in-query`: the genuine token as the `access_token` query parameter, with no
//! `Authorization` header (RFC 6750 §2.3: a SHOULD NOT; RFC 9700 §4.3.2).

use crate::api_cx::{ApiCx, ApiTarget, Carry, Reaction};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.token-in-query",
    title: "No token in the query string",
    level: Level::Should,
    reference: "RFC 6750 §2.3, RFC 9700 §4.3.2",
    tests: "the genuine token as the access_token query parameter, no Authorization header; accepted → warn",
    why_not,
    offline: false,
    run,
};

fn why_not(_: &ApiTarget) -> Option<String> {
    None
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let token = cx.target.token.expose().to_string();
        let got = cx
            .present(
                "api.token-in-query: the genuine token in the query",
                "the genuine token",
                &token,
                Carry::Query,
            )
            .await?;
        Ok(match got.reaction {
            Reaction::Accepted(s) => Verdict::warn(format!(
                "the API accepted the token as the access_token query parameter (HTTP {s}): tokens in URLs end up in logs, histories and Referer headers"
            )),
            Reaction::Refused(s) => Verdict::pass(format!(
                "the API refused the token in the query string (HTTP {s})"
            )),
            Reaction::Other(s) => Verdict::inconclusive(format!(
                "the API answered HTTP {s} to the token in the query: neither accepted nor refused"
            )),
        })
    })
}
