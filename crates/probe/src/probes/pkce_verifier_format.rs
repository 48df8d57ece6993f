//! `pkce.verifier-format` (RFC 7636 §4.1): matching S256 pairs whose verifiers are too short,
//! too long, or carry a character outside the unreserved set.

use crate::cx::{Cx, set_param};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{PkceMode, pkce};

pub static PROBE: Probe = Probe {
    id: "pkce.verifier-format",
    title: "Malformed PKCE verifiers are refused",
    group: Group::Pkce,
    level: Level::Must,
    reference: "RFC 9700 §2.1.1, RFC 7636 §4.1",
    tests: "Matching S256 pairs with verifiers of 3, 42 and 129 characters and one with a character outside the unreserved set: all refused passes, any accepted fails.",
    needs: &[],
    logins: 4,
    slow_logins: 0,
    changes: None,
    run,
};

fn verifiers() -> Vec<(&'static str, String)> {
    let base = pkce::new_verifier(128);
    vec![
        ("3 characters", base[..3].to_string()),
        ("42 characters", base[..42].to_string()),
        ("129 characters", format!("{base}A")),
        ("a '+' in it", format!("{}+{}", &base[..21], &base[21..43])),
    ]
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let mut refused = Vec::new();
        for (what, verifier) in verifiers() {
            let mut request = cx.auth_request(PkceMode::Off)?;
            let mut url = request.url.clone();
            set_param(
                &mut url,
                "code_challenge",
                Some(&pkce::s256_challenge(&verifier)),
            );
            set_param(&mut url, "code_challenge_method", Some("S256"));
            request.code_verifier = Some(verifier.clone().into());
            let got = match cx.code_for(request, &url).await {
                Ok(got) => got,
                Err(e) => return Err(e),
            };
            let redirect = got.request.redirect_uri.to_string();
            let answer = cx
                .redeem(
                    &format!("token request, verifier of {what}"),
                    &got.code,
                    Some(&redirect),
                    Some(&verifier),
                )
                .await?;
            if answer.is_tokens() {
                return Ok(Verdict::fail(format!(
                    "a verifier with {what} was accepted (RFC 7636 §4.1: 43 to 128 unreserved characters)"
                )));
            }
            refused.push(format!("{what}: {}", answer.describe()));
        }
        Ok(Verdict::pass(format!(
            "every malformed verifier was refused ({})",
            refused.join("; ")
        )))
    })
}
