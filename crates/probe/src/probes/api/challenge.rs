//! `api.challenge`: a request with no token must be answered 401 with a `WWW-Authenticate`
//! challenge (RFC 6750 §3; a DPoP challenge, RFC 9449 §7.1, counts too).

use crate::api_cx::{ApiCx, ApiTarget, Carry};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.challenge",
    title: "A missing token is challenged",
    level: Level::Should,
    reference: "RFC 6750 §3",
    tests: "the request with no token; 401 with WWW-Authenticate: Bearer → pass, 401 without → warn, 403 → info",
    why_not,
    offline: false,
    run,
};

fn why_not(_: &ApiTarget) -> Option<String> {
    None
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let got = cx
            .present("api.challenge: no token", "", "", Carry::Nothing)
            .await?;
        let schemes: Vec<String> = got.challenges.iter().map(|c| c.scheme.clone()).collect();
        let bearer = schemes.iter().any(|s| s.eq_ignore_ascii_case("bearer"));
        let dpop = schemes.iter().any(|s| s.eq_ignore_ascii_case("dpop"));
        Ok(match got.response.status {
            401 if bearer => Verdict::pass(format!(
                "no token is answered 401 with a WWW-Authenticate challenge ({})",
                schemes.join(", ")
            )),
            401 if dpop => Verdict::pass(
                "no token is answered 401 with a WWW-Authenticate: DPoP challenge (RFC 9449 §7.1)",
            ),
            401 => Verdict::warn(if schemes.is_empty() {
                "no token is answered 401 without a WWW-Authenticate challenge: a client cannot tell which scheme or realm is wanted".to_string()
            } else {
                format!(
                    "no token is answered 401 with a challenge of another scheme ({}), not Bearer",
                    grantscope_core::text::inert(&schemes.join(", "))
                )
            }),
            403 => Verdict::info("no token is answered 403 (forbidden), not 401 with a challenge"),
            s => Verdict::inconclusive(format!(
                "no token is answered HTTP {s}: neither a challenge nor a refusal"
            )),
        })
    })
}
