//! `dpop.code-binding` (RFC 9449 §10): an authorization request with `dpop_jkt` binds the code
//! to that key; redeeming it with a proof by another key must be refused. The control: a fresh
//! login with the same `dpop_jkt`, redeemed with the right key.

use std::sync::Arc;

use crate::cx::{Cx, Got, set_param};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::dpop::{DpopKey, DpopState};
use grantscope_core::oauth::{FlowError, PkceMode};

pub static PROBE: Probe = Probe {
    id: "dpop.code-binding",
    title: "dpop_jkt binds the code",
    group: Group::TransportAndHeaders,
    level: Level::Should,
    reference: "RFC 9449 §10",
    tests: "dpop_jkt of one key at authorize, a proof by another key at the token endpoint: refused, with the control (a fresh login redeemed with the right key) accepted, passes; accepted fails under fapi2 and warns otherwise. No DPoP advertised: skipped.",
    needs: &[],
    logins: 2,
    slow_logins: 0,
    changes: None,
    run,
};

/// A code asked for with `dpop_jkt` = `key`'s thumbprint (its push, where there is one, carries
/// a proof by `key`, which names the same key).
async fn bound_code(cx: &mut Cx, key: &Arc<DpopState>) -> Result<Got, FlowError> {
    cx.session.set_dpop(Some(key.clone()));
    let request = cx.auth_request(PkceMode::S256)?;
    let mut url = request.url.clone();
    set_param(&mut url, "dpop_jkt", Some(&key.key.jkt()));
    cx.code_for(request, &url).await
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if !cx.target.advertises_dpop() {
            return Ok(Verdict::skipped(
                "the server does not advertise DPoP (dpop_signing_alg_values_supported)",
            ));
        }
        let right = Arc::new(DpopState::new(DpopKey::generate()?));
        let wrong = Arc::new(DpopState::new(DpopKey::generate()?));
        let got = bound_code(cx, &right).await?;
        cx.session.set_dpop(Some(wrong));
        let answer = cx
            .redeem_got(
                "redeem the dpop_jkt-bound code with another key's proof",
                &got,
            )
            .await?;
        let control = bound_code(cx, &right).await?;
        let ok = cx
            .redeem_got(
                "redeem a dpop_jkt-bound code with its key (control)",
                &control,
            )
            .await?;
        if !ok.is_tokens() {
            return Ok(Verdict::inconclusive(format!(
                "a code bound with dpop_jkt could not be redeemed with its own key either ({})",
                ok.describe()
            )));
        }
        Ok(if answer.is_tokens() {
            cx.policy().strict(
                "a code asked for with dpop_jkt was redeemed with a proof by another key (RFC 9449 §10)",
            )
        } else {
            Verdict::pass(format!(
                "another key's proof was refused ({}); the right key's was accepted",
                answer.describe()
            ))
        })
    })
}
