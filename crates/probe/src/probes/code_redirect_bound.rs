//! `code.redirect-bound` (RFC 6749 §4.1.3): a token request with a changed `redirect_uri`,
//! then with none.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};

pub static PROBE: Probe = Probe {
    id: "code.redirect-bound",
    title: "A code is bound to its redirect URI",
    group: Group::Codes,
    level: Level::Must,
    reference: "RFC 6749 §4.1.3, RFC 9700 §4.1",
    tests: "Token request with a changed redirect_uri, then one without: mismatch refused passes, omission accepted warns.",
    needs: &[],
    logins: 2,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let got = cx.code().await?;
        let mut other = got.request.redirect_uri.clone();
        other.set_path(&format!("{}/other", other.path().trim_end_matches('/')));
        let verifier = got
            .request
            .code_verifier
            .as_ref()
            .map(|v| v.expose().to_string());
        let changed = cx
            .redeem(
                "token request with another redirect_uri",
                &got.code,
                Some(other.as_str()),
                verifier.as_deref(),
            )
            .await?;
        if changed.is_tokens() {
            return Ok(Verdict::fail(
                "the code was redeemed with a redirect_uri it was not issued for",
            ));
        }
        let got = cx.code().await?;
        let verifier = got
            .request
            .code_verifier
            .as_ref()
            .map(|v| v.expose().to_string());
        let omitted = cx
            .redeem(
                "token request without redirect_uri",
                &got.code,
                None,
                verifier.as_deref(),
            )
            .await?;
        Ok(if omitted.is_tokens() {
            Verdict::warn(format!(
                "a changed redirect_uri was refused ({}), but a token request without redirect_uri got tokens",
                changed.describe()
            ))
        } else {
            Verdict::pass(format!(
                "a changed redirect_uri was refused ({}) and so was its omission ({})",
                changed.describe(),
                omitted.describe()
            ))
        })
    })
}
