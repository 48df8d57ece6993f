//! `pkce.downgrade` (RFC 9700 §2.1.1, §4.8.2): no challenge at authorize, a verifier at the
//! token endpoint.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{PkceMode, pkce};

pub static PROBE: Probe = Probe {
    id: "pkce.downgrade",
    title: "No PKCE downgrade",
    group: Group::Pkce,
    level: Level::Must,
    reference: "RFC 9700 §2.1.1, §4.8.2",
    tests: "No code_challenge at authorize, a code_verifier at the token endpoint: refused passes; inconclusive when authorize refuses the missing challenge.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let request = cx.auth_request(PkceMode::Off)?;
        let url = request.url.clone();
        let got = match cx.code_for(request, &url).await {
            Ok(got) => got,
            Err(e) => {
                return Ok(Verdict::inconclusive(format!(
                    "the code flow without a challenge does not work here, so there is nothing to downgrade ({})",
                    grantscope_core::text::inert(&e.to_string())
                )));
            }
        };
        let verifier = pkce::new_verifier(pkce::DEFAULT_VERIFIER_LEN);
        let redirect = got.request.redirect_uri.to_string();
        let answer = cx
            .redeem(
                "token request with a verifier nobody asked for",
                &got.code,
                Some(&redirect),
                Some(&verifier),
            )
            .await?;
        Ok(if answer.is_tokens() {
            Verdict::fail(
                "a code_verifier was accepted for a code issued without a challenge (PKCE downgrade)",
            )
        } else {
            Verdict::pass(format!(
                "a code_verifier for a code issued without a challenge was refused ({})",
                answer.describe()
            ))
        })
    })
}
