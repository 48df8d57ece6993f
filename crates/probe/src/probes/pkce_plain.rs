//! `pkce.plain` (RFC 9700 §2.1.1): (a) `code_challenge_method=plain`; (b) an S256 challenge
//! answered with the challenge itself as the verifier.

use crate::cx::{Cx, set_param};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{PkceMode, pkce};

pub static PROBE: Probe = Probe {
    id: "pkce.plain",
    title: "PKCE plain is refused",
    group: Group::Pkce,
    level: Level::Must,
    reference: "RFC 9700 §2.1.1",
    tests: "(a) code_challenge_method=plain; (b) S256 challenge with code_verifier = the challenge itself: both refused passes. Under fapi2, plain advertised in the metadata fails too.",
    needs: &[],
    logins: 2,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        // (a) plain.
        let mut request = cx.auth_request(PkceMode::Off)?;
        let verifier = pkce::new_verifier(pkce::DEFAULT_VERIFIER_LEN);
        let mut url = request.url.clone();
        set_param(&mut url, "code_challenge", Some(&verifier));
        set_param(&mut url, "code_challenge_method", Some("plain"));
        request.code_verifier = Some(verifier.clone().into());
        let plain = match cx.code_for(request, &url).await {
            Err(e) => format!(
                "plain was refused at authorize ({})",
                grantscope_core::text::inert(&e.to_string())
            ),
            Ok(got) => {
                let redirect = got.request.redirect_uri.to_string();
                let answer = cx
                    .redeem(
                        "token request for a plain challenge",
                        &got.code,
                        Some(&redirect),
                        Some(&verifier),
                    )
                    .await?;
                if answer.is_tokens() {
                    return Ok(Verdict::fail(
                        "code_challenge_method=plain was accepted and redeemed for tokens",
                    ));
                }
                format!(
                    "a plain challenge got a code but its redemption was refused ({})",
                    answer.describe()
                )
            }
        };
        // (b) the challenge as the verifier.
        let got = cx.code().await?;
        let challenge = got
            .request
            .code_verifier
            .as_ref()
            .map(|v| pkce::s256_challenge(v.expose()))
            .unwrap_or_default();
        let redirect = got.request.redirect_uri.to_string();
        let answer = cx
            .redeem(
                "token request with the challenge as verifier",
                &got.code,
                Some(&redirect),
                Some(&challenge),
            )
            .await?;
        Ok(if answer.is_tokens() {
            Verdict::fail(
                "the S256 challenge itself was accepted as the verifier (plain treated as S256)",
            )
        } else if cx.policy().is_fapi2()
            && cx
                .target
                .supported("code_challenge_methods_supported")
                .iter()
                .any(|m| m == "plain")
        {
            Verdict::fail(format!(
                "{plain}; but the metadata advertises code_challenge_method plain, which FAPI 2.0 forbids (S256 only)"
            ))
        } else {
            Verdict::pass(format!(
                "{plain}; the challenge sent back as verifier was refused ({})",
                answer.describe()
            ))
        })
    })
}
