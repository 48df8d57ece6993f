//! `pkce.required` (RFC 9700 §2.1.1): a code flow with no `code_challenge`.

use crate::cx::{Cx, landing_words};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::PkceMode;

pub static PROBE: Probe = Probe {
    id: "pkce.required",
    title: "PKCE is required",
    group: Group::Pkce,
    level: Level::Must,
    reference: "RFC 9700 §2.1.1",
    tests: "A code flow with no code_challenge: refused at authorize or token passes; tokens fail for a public client (MUST) and warn for a confidential one (SHOULD); under oauth2.1 and fapi2 tokens fail for any client.",
    needs: &[],
    logins: 2,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let request = cx.auth_request(PkceMode::Off)?;
        let reply = match cx.login(&request.url).await? {
            Ok(reply) => reply,
            Err(landing) => {
                if let Err(v) = cx.control().await? {
                    return Ok(v);
                }
                return Ok(Verdict::pass(format!(
                    "the authorization request without a code_challenge was refused: {}",
                    landing_words(&landing)
                )));
            }
        };
        let Some(code) = reply.get("code").map(str::to_string) else {
            if let Err(v) = cx.control().await? {
                return Ok(v);
            }
            return Ok(Verdict::pass(format!(
                "the authorization request without a code_challenge was refused with error {}",
                grantscope_core::text::inert(reply.get("error").unwrap_or("(none)"))
            )));
        };
        let redirect = request.redirect_uri.to_string();
        let answer = cx
            .redeem("token request without PKCE", &code, Some(&redirect), None)
            .await?;
        Ok(match (answer.is_tokens(), cx.target.is_public()) {
            (false, _) => Verdict::pass(format!(
                "the code issued without a challenge was refused at the token endpoint ({})",
                answer.describe()
            )),
            (true, true) => {
                Verdict::fail("a public client got tokens from a code flow without PKCE")
            }
            (true, false) if cx.policy() != crate::policy::Policy::Bcp => Verdict::fail(format!(
                "a confidential client got tokens without PKCE ({} requires it for every client)",
                cx.policy().title()
            )),
            (true, false) => Verdict::warn(
                "a confidential client got tokens without PKCE (RFC 9700 says it SHOULD use it)",
            ),
        })
    })
}
