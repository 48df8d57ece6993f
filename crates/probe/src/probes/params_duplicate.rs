//! `params.duplicate` (RFC 6749 §3.1, §3.2): "Request and response parameters MUST NOT be
//! included more than once"; a server that takes one of two values leaves the choice to
//! whoever added the second. A recognised parameter is sent twice at the authorization
//! endpoint (`response_type`) and at the token endpoint (`grant_type`).

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{FlowError, PkceMode};

use super::params_unknown_ignored::{redeem_changed, redeem_params};

pub static PROBE: Probe = Probe {
    id: "params.duplicate",
    title: "Repeated parameters are refused",
    group: Group::Requests,
    level: Level::Should,
    reference: "RFC 6749 §3.1, §3.2",
    tests: "response_type twice at the authorization endpoint; grant_type twice at the token endpoint: both refused (with the normal flow working) passes; one accepted fails under fapi2 and warns otherwise.",
    needs: &[],
    logins: 3,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let mut accepted = Vec::new();
        let mut said = Vec::new();
        let request = cx.auth_request(PkceMode::S256)?;
        let mut url = request.url.clone();
        url.query_pairs_mut().append_pair("response_type", "code");
        match cx.code_for(request, &url).await {
            Ok(_) => accepted.push("response_type twice at the authorization endpoint"),
            Err(FlowError::Redirect(why)) => {
                if let Err(v) = cx.control().await? {
                    return Ok(v);
                }
                said.push(format!(
                    "authorization endpoint: {}",
                    grantscope_core::text::inert(&why)
                ));
            }
            Err(e) => return Err(e),
        }
        let got = cx.code().await?;
        let mut params = redeem_params(cx, &got);
        params.push(("grant_type".into(), "authorization_code".into()));
        let answer =
            redeem_changed(cx, "token request with grant_type twice", &got, params).await?;
        if answer.is_tokens() {
            accepted.push("grant_type twice at the token endpoint");
        } else {
            said.push(format!("token endpoint: {}", answer.describe()));
        }
        Ok(if accepted.is_empty() {
            Verdict::pass(format!(
                "repeated parameters were refused ({})",
                said.join("; ")
            ))
        } else {
            cx.policy().strict(format!(
                "a request with a repeated parameter was accepted: {}",
                accepted.join("; ")
            ))
        })
    })
}
