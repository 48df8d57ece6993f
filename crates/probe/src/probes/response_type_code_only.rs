//! `response-type.code-only` (FAPI 2.0 §5.3.2.2, OAuth 2.1): the authorization endpoint
//! answers only `response_type=code`. The hybrid and implicit types are asked for (pushed where
//! the server requires PAR); the policy decides what an accepted one means.

use crate::cx::{Cx, Reply, landing_words, set_param};
use crate::driver::Landing;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{PkceMode, pkce};

pub static PROBE: Probe = Probe {
    id: "response-type.code-only",
    title: "Only response_type=code is answered",
    group: Group::Requests,
    level: Level::Should,
    reference: "FAPI 2.0 §5.3.2.2, OAuth 2.1 §4.1.1",
    tests: "Authorization requests with response_type code id_token, token, id_token token and code token: all refused passes. Under bcp and oauth2.1 a type with token accepted fails and code id_token accepted is info; under fapi2 any accepted fails.",
    needs: &[],
    logins: 5,
    slow_logins: 0,
    changes: None,
    run,
};

/// The response types asked for.
const TYPES: [&str; 4] = ["code id_token", "token", "id_token token", "code token"];

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let mut accepted = Vec::new();
        let mut said = Vec::new();
        for response_type in TYPES {
            let request = cx.auth_request(PkceMode::S256)?;
            let mut url = request.url.clone();
            set_param(&mut url, "response_type", Some(response_type));
            if request.nonce.is_none() {
                set_param(&mut url, "nonce", Some(&pkce::random_token()));
            }
            match cx.authorize(&url).await? {
                Landing::Redirect(to) => {
                    let reply = Reply::from_url(&to);
                    match reply.get("error") {
                        Some(e) => said.push(format!(
                            "{response_type}: {}",
                            grantscope_core::text::inert(e)
                        )),
                        None => accepted.push(response_type),
                    }
                }
                Landing::NoAnswer(why) => {
                    return Ok(Verdict::inconclusive(format!(
                        "response_type={response_type}: {why}"
                    )));
                }
                page => said.push(format!("{response_type}: {}", landing_words(&page))),
            }
        }
        if accepted.is_empty() {
            if let Err(v) = cx.control().await? {
                return Ok(v);
            }
            return Ok(Verdict::pass(format!(
                "every response type but code was refused ({})",
                said.join("; ")
            )));
        }
        let list = accepted.join(", ");
        let tokens_in_front = accepted.iter().any(|t| t.split(' ').any(|w| w == "token"));
        Ok(if cx.policy().is_fapi2() {
            Verdict::fail(format!(
                "response_type {list} answered; FAPI 2.0 allows only code"
            ))
        } else if tokens_in_front {
            Verdict::fail(format!(
                "response_type {list} answered: an access token in the front channel (RFC 9700 §2.1.2)"
            ))
        } else {
            Verdict::info(format!(
                "response_type {list} answered (the hybrid flow, ID token in the front channel)"
            ))
        })
    })
}
