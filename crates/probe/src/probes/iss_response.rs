//! `iss.response` (RFC 9207, RFC 9700 §4.4.2.1): the callback's `iss` against the metadata
//! `issuer`, on success and on error.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};

pub static PROBE: Probe = Probe {
    id: "iss.response",
    title: "iss in authorization responses",
    group: Group::Redirects,
    level: Level::Should,
    reference: "RFC 9700 §4.4.2.1, RFC 9207",
    tests: "The callback's iss against the metadata issuer, success and error: advertised and equal passes; advertised but missing or different fails; neither warns.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let advertised = cx
            .target
            .discovery
            .as_ref()
            .is_some_and(|d| d.iss_parameter_supported);
        let issuer = cx.target.issuer().unwrap_or_default();
        let got = cx.code().await?;
        let state = super::state_echo::hostile_state();
        let error = super::state_echo::error_reply(cx, &state).await?;
        let mut seen = vec![("success", got.reply.get("iss").map(str::to_string))];
        if let Some(e) = &error {
            seen.push(("error", e.get("iss").map(str::to_string)));
        }
        for (what, iss) in &seen {
            match iss {
                Some(i) if i != &issuer => {
                    return Ok(Verdict::fail(format!(
                        "the {what} response's iss {:?} is not the issuer {:?}",
                        grantscope_core::text::inert(i),
                        grantscope_core::text::inert(&issuer)
                    )));
                }
                None if advertised => {
                    return Ok(Verdict::fail(format!(
                        "the metadata advertises authorization_response_iss_parameter_supported, but the {what} response has no iss"
                    )));
                }
                _ => {}
            }
        }
        let all_present = seen.iter().all(|(_, i)| i.is_some());
        let which = if error.is_some() {
            "success and error"
        } else {
            "success (no error response could be provoked)"
        };
        Ok(match (advertised, all_present) {
            (true, _) => Verdict::pass(format!("advertised, and iss equals the issuer on {which}")),
            (false, true) => Verdict::warn(format!(
                "iss equals the issuer on {which}, but the metadata does not advertise it"
            )),
            (false, false) => Verdict::warn(
                "no iss in authorization responses and none advertised (RFC 9207 mix-up defence missing)",
            ),
        })
    })
}
