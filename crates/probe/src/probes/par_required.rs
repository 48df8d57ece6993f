//! `par.required` (FAPI 2.0 §5.3.2.2, RFC 9126 §5): an authorization request sent without
//! pushing it first. Read as a browser without a session would (no login): a redirect with a
//! code, or a login page, is the request accepted.

use crate::cx::{Cx, Reply, landing_words};
use crate::driver::{Landing, follow, wants_user};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::PkceMode;
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "par.required",
    title: "PAR is required",
    group: Group::Requests,
    level: Level::Should,
    reference: "FAPI 2.0 §5.3.2.2, RFC 9126 §5",
    tests: "An authorization request that was not pushed (read without logging in): refused, with the same request accepted when pushed, passes; accepted (a login page or a code) fails under fapi2 and is info otherwise.",
    needs: &[],
    // Read without a login; counted as one so that a client without the code grant skips it.
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let request = cx.auth_request(PkceMode::S256)?;
        let landing = follow(&mut cx.session, &request.url).await?;
        let accepted = match &landing {
            Landing::Redirect(to) => {
                let reply = Reply::from_url(to);
                if let Some(code) = reply.get("code") {
                    cx.session
                        .mark_received(SecretKind::AuthorizationCode, code);
                }
                reply.get("error").is_none()
            }
            landing @ Landing::Page { .. } => wants_user(landing),
            Landing::NoAnswer(why) => {
                return Ok(Verdict::inconclusive(format!(
                    "the plain authorization request got no answer: {why}"
                )));
            }
        };
        if accepted {
            let reason = format!(
                "an authorization request that was not pushed was accepted ({})",
                match &landing {
                    Landing::Redirect(_) => "a redirect back without an error".to_string(),
                    other => landing_words(other),
                }
            );
            return Ok(if cx.policy().is_fapi2() {
                Verdict::fail(format!("{reason}; FAPI 2.0 requires PAR"))
            } else {
                Verdict::info(reason)
            });
        }
        // The refusal means something only if the same request is accepted when pushed.
        if cx
            .cfg()
            .endpoints
            .pushed_authorization_request_endpoint
            .is_none()
        {
            return Ok(Verdict::inconclusive(format!(
                "the plain request was refused ({}), and the server names no PAR endpoint to compare with",
                landing_words(&landing)
            )));
        }
        let cfg = cx.cfg().clone();
        let request = cx.auth_request(PkceMode::S256)?;
        match grantscope_core::oauth::grants::authorization_code::push(
            &mut cx.session,
            &cfg,
            &request,
        )
        .await
        {
            Ok(_) => Ok(Verdict::pass(format!(
                "the request that was not pushed was refused ({}); pushed, it was accepted",
                landing_words(&landing)
            ))),
            Err(e) => Ok(Verdict::inconclusive(format!(
                "the plain request was refused ({}), but so was the pushed one ({})",
                landing_words(&landing),
                grantscope_core::text::inert(&e.to_string())
            ))),
        }
    })
}
