//! `sender-constraint.required` (FAPI 2.0 §5.3.2.1): a token request with neither a DPoP proof
//! nor a client certificate. FAPI 2.0 requires sender-constrained tokens; elsewhere a Bearer
//! token is a fact worth knowing.

use std::sync::Arc;

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::FlowError;
use grantscope_core::oauth::dpop::{DpopKey, DpopState};

pub static PROBE: Probe = Probe {
    id: "sender-constraint.required",
    title: "Tokens are sender-constrained",
    group: Group::TransportAndHeaders,
    level: Level::Should,
    reference: "FAPI 2.0 §5.3.2.1, RFC 9449, RFC 8705",
    tests: "A code redeemed with neither a DPoP proof nor a client certificate: refused (and, where DPoP is offered, accepted with a proof) passes; a Bearer token fails under fapi2 and is info otherwise. A client that authenticates with a certificate is skipped.",
    needs: &[],
    logins: 2,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let method = cx.cfg().effective_auth_method();
        if method.uses_certificate() {
            return Ok(Verdict::skipped(format!(
                "the client authenticates with a certificate ({method}), so no request without one can be sent"
            )));
        }
        cx.session.set_dpop(None);
        let got = cx.code().await?;
        let answer = cx
            .redeem_got("token request with no DPoP proof and no certificate", &got)
            .await?;
        if let Some(tokens) = answer.tokens() {
            let kind = tokens.token_type.clone().unwrap_or_else(|| "(none)".into());
            let reason = format!(
                "a token request with neither DPoP nor a client certificate got tokens (token_type {})",
                grantscope_core::text::inert(&kind)
            );
            return Ok(if cx.policy().is_fapi2() {
                Verdict::fail(format!(
                    "{reason}; FAPI 2.0 requires sender-constrained tokens"
                ))
            } else {
                Verdict::info(reason)
            });
        }
        if !cx.target.advertises_dpop() {
            return Ok(Verdict::pass(format!(
                "the token request without a sender constraint was refused ({})",
                answer.describe()
            )));
        }
        // The control: the same flow with a proof works.
        cx.session
            .set_dpop(Some(Arc::new(DpopState::new(DpopKey::generate()?))));
        match cx.tokens().await {
            Ok(_) => Ok(Verdict::pass(format!(
                "without a sender constraint the code was refused ({}); with a DPoP proof it was redeemed",
                answer.describe()
            ))),
            Err(FlowError::Redirect(why)) => Ok(Verdict::inconclusive(format!(
                "the token request without a proof was refused ({}), but so was the one with a proof ({})",
                answer.describe(),
                grantscope_core::text::inert(&why)
            ))),
            Err(e) => Err(e),
        }
    })
}
