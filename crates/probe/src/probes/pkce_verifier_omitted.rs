//! `pkce.verifier-omitted` (RFC 9700 §2.1.1): an S256 challenge, no verifier at the token
//! endpoint.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};

pub static PROBE: Probe = Probe {
    id: "pkce.verifier-omitted",
    title: "The PKCE verifier cannot be omitted",
    group: Group::Pkce,
    level: Level::Must,
    reference: "RFC 9700 §2.1.1",
    tests: "S256 challenge at authorize, a token request without code_verifier: refused passes.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let got = cx.code().await?;
        let redirect = got.request.redirect_uri.to_string();
        let answer = cx
            .redeem(
                "token request without code_verifier",
                &got.code,
                Some(&redirect),
                None,
            )
            .await?;
        Ok(if answer.is_tokens() {
            Verdict::fail(
                "a code bound to an S256 challenge was redeemed without any code_verifier",
            )
        } else {
            Verdict::pass(format!(
                "the token request without code_verifier was refused ({})",
                answer.describe()
            ))
        })
    })
}
