//! `pkce.verifier-checked` (RFC 9700 §2.1.1): an S256 challenge, then a different verifier.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::pkce;

pub static PROBE: Probe = Probe {
    id: "pkce.verifier-checked",
    title: "The PKCE verifier is checked",
    group: Group::Pkce,
    level: Level::Must,
    reference: "RFC 9700 §2.1.1, RFC 7636 §4.6",
    tests: "S256 challenge at authorize, a different (well-formed) verifier at the token endpoint: refused passes.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let got = cx.code().await?;
        let other = pkce::new_verifier(pkce::DEFAULT_VERIFIER_LEN);
        let redirect = got.request.redirect_uri.to_string();
        let answer = cx
            .redeem(
                "token request with another verifier",
                &got.code,
                Some(&redirect),
                Some(&other),
            )
            .await?;
        Ok(if answer.is_tokens() {
            Verdict::fail(
                "tokens were issued for a code_verifier that does not match the challenge",
            )
        } else {
            Verdict::pass(format!(
                "a verifier that does not match the challenge was refused ({})",
                answer.describe()
            ))
        })
    })
}
