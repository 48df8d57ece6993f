//! `state.echo` (RFC 9700 §4.7): a long `state` with reserved characters comes back
//! unchanged, on success and on error.

use crate::cx::{Cx, Reply, landing_words, set_param};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{FlowError, PkceMode};

pub static PROBE: Probe = Probe {
    id: "state.echo",
    title: "state is echoed exactly",
    group: Group::Redirects,
    level: Level::Must,
    reference: "RFC 9700 §4.7, RFC 6749 §4.1.2",
    tests: "A 120-character state with reserved characters, on a success and on an error response (an unknown scope, else an unsupported code_challenge_method): identical on both passes, missing or altered fails.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

/// 120 characters with reserved and percent-encoded ones, ending in a random part (the
/// loopback listener tells concurrent answers apart by their state).
pub fn hostile_state() -> String {
    let unit = "aZ09-._~!$&'()*+,;=:@/?%#[] é";
    let random = grantscope_core::oauth::pkce::random_token();
    let mut s = String::new();
    while s.chars().count() < 120 {
        s.push_str(unit);
    }
    let keep = 120usize.saturating_sub(random.chars().count());
    let mut s: String = s.chars().take(keep).collect();
    s.push_str(&random);
    s
}

/// An error redirect for `state`: an unknown scope, else a bad code_challenge_method.
pub async fn error_reply(cx: &mut Cx, state: &str) -> Result<Option<Reply>, FlowError> {
    for (name, value) in [
        ("scope", "openid grantscope-probe-unknown-scope"),
        ("code_challenge_method", "grantscope-probe"),
    ] {
        let request = cx.auth_request(PkceMode::S256)?;
        let mut url = request.url.clone();
        set_param(&mut url, "state", Some(state));
        set_param(&mut url, name, Some(value));
        if let Ok(reply) = cx.login(&url).await?
            && reply.get("error").is_some()
        {
            return Ok(Some(reply));
        }
    }
    Ok(None)
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let state = hostile_state();
        let request = cx.auth_request(PkceMode::S256)?;
        let mut url = request.url.clone();
        set_param(&mut url, "state", Some(&state));
        let reply = match cx.login(&url).await? {
            Ok(reply) => reply,
            Err(landing) => {
                return Ok(Verdict::inconclusive(format!(
                    "the flow with a long state did not come back: {}",
                    landing_words(&landing)
                )));
            }
        };
        match reply.get("state") {
            Some(s) if s == state => {}
            Some(_) => {
                return Ok(Verdict::fail(
                    "the state came back altered on the success response",
                ));
            }
            None => {
                return Ok(Verdict::fail(
                    "the success response came back without the state",
                ));
            }
        }
        let Some(err) = error_reply(cx, &state).await? else {
            return Ok(Verdict::pass(
                "the state came back identical on success; no error response could be provoked to check it there",
            ));
        };
        Ok(match err.get("state") {
            Some(s) if s == state => Verdict::pass(
                "the 120-character state came back identical on success and on an error response",
            ),
            Some(_) => Verdict::fail("the state came back altered on the error response"),
            None => Verdict::fail("the error response came back without the state"),
        })
    })
}
