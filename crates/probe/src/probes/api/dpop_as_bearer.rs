//! `api.dpop-as-bearer`: a DPoP-bound token (`cnf.jkt`) sent as `Authorization: Bearer`,
//! without a proof (RFC 9449 §7.2).

use crate::api_cx::{ApiCx, ApiTarget, Carry};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Outcome};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.dpop-as-bearer",
    title: "A DPoP-bound token is refused as Bearer",
    level: Level::Must,
    reference: "RFC 9449 §7.2",
    tests: "the DPoP-bound genuine token sent as Bearer, no proof; accepted → fail",
    why_not,
    offline: false,
    run,
};

fn why_not(t: &ApiTarget) -> Option<String> {
    (!t.dpop_bound())
        .then(|| "the token is not DPoP-bound (no cnf.jkt in its claims, no --dpop)".to_string())
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let token = cx.target.token.expose().to_string();
        let got = cx
            .present(
                "api.dpop-as-bearer: the DPoP-bound token as Bearer",
                "the genuine DPoP-bound token",
                &token,
                Carry::Bearer,
            )
            .await?;
        Ok(super::judge(
            &[("the DPoP-bound token as Bearer".into(), got.reaction)],
            Outcome::Fail,
            "the DPoP-bound token as Bearer, without a proof",
        ))
    })
}
