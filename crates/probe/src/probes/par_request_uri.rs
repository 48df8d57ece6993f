//! `par.request-uri` (RFC 9126 §2.2, §4, §7.3; FAPI 2.0 §5.3.2.2): a pushed request's
//! `request_uri` is single use, short-lived (`expires_in` under 600 s), bound to the client that
//! pushed it, and the PAR endpoint takes POST only. The second loads are read as a browser
//! without a session would: a login page or a redirect with a code is the `request_uri`
//! accepted.

use std::time::Duration;

use url::Url;

use crate::cx::{Cx, Reply, landing_words, set_param};
use crate::driver::{Landing, follow, wants_user};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::grants::authorization_code::AuthorizationRequest;
use grantscope_core::oauth::{FlowError, PkceMode};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "par.request-uri",
    title: "request_uri is single-use, short-lived and bound",
    group: Group::Requests,
    level: Level::Should,
    reference: "RFC 9126 §2.2, §4, §7.3; FAPI 2.0 §5.3.2.2",
    tests: "A request_uri used again after its authorization completed; used by the second client; the PAR endpoint with GET; with --slow, used after expires_in: all refused (any 4xx for the GET) passes; one accepted fails under fapi2 and warns otherwise; expires_in over 600 s warns.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

/// The longest `expires_in` FAPI 2.0 allows (§5.3.2.2: "less than 600 seconds").
const MAX_EXPIRES_IN: u64 = 600;

/// Pushes `request` and returns the URL to visit and the `expires_in`, or why the push failed.
async fn push(
    cx: &mut Cx,
    request: &AuthorizationRequest,
) -> Result<Result<(Url, Option<u64>), String>, FlowError> {
    let Some(endpoint) = cx
        .cfg()
        .endpoints
        .pushed_authorization_request_endpoint
        .clone()
    else {
        return Ok(Err("no PAR endpoint".into()));
    };
    let cfg = cx.cfg().clone();
    let params: Vec<(String, String)> = request
        .params
        .iter()
        .filter(|(k, _)| k != "client_id")
        .cloned()
        .collect();
    let resp = cx
        .session
        .send_authenticated("pushed authorization request", &endpoint, &cfg, params, &[])
        .await?;
    if resp.status >= 500 {
        return Err(FlowError::Status {
            status: resp.status,
            excerpt: "the PAR endpoint failed; nothing can be concluded".into(),
        });
    }
    let json = resp.json_value().ok();
    let Some(uri) = json
        .as_ref()
        .and_then(|j| j.get("request_uri"))
        .and_then(|u| u.as_str())
        .filter(|_| resp.is_success())
    else {
        return Ok(Err(format!("the push was refused (HTTP {})", resp.status)));
    };
    let expires_in = json
        .as_ref()
        .and_then(|j| j.get("expires_in"))
        .and_then(|e| e.as_u64());
    let Some(mut url) = cfg.endpoints.authorization_endpoint.clone() else {
        return Ok(Err("no authorization endpoint".into()));
    };
    url.query_pairs_mut()
        .append_pair("client_id", &cfg.client_id)
        .append_pair("request_uri", uri);
    Ok(Ok((url, expires_in)))
}

/// Whether a visit without a session accepted the request (a login page, or a redirect back
/// without an error), with the words for it.
async fn accepted(cx: &mut Cx, url: &Url) -> Result<(bool, String), FlowError> {
    let landing = follow(&mut cx.session, url).await?;
    Ok(match &landing {
        Landing::Redirect(to) => {
            let reply = Reply::from_url(to);
            if let Some(code) = reply.get("code") {
                cx.session
                    .mark_received(SecretKind::AuthorizationCode, code);
            }
            match reply.get("error") {
                Some(e) => (false, format!("error {}", grantscope_core::text::inert(e))),
                None => (true, "a redirect back without an error".into()),
            }
        }
        page @ Landing::Page { .. } => (wants_user(page), landing_words(page)),
        Landing::NoAnswer(why) => (false, why.clone()),
    })
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if cx
            .cfg()
            .endpoints
            .pushed_authorization_request_endpoint
            .is_none()
        {
            return Ok(Verdict::skipped(
                "the server names no PAR endpoint (pushed_authorization_request_endpoint)",
            ));
        }
        let mut faults = Vec::new();
        let mut said = Vec::new();
        // Single use: once its authorization completed, the request_uri is spent.
        let request = cx.auth_request(PkceMode::S256)?;
        let (url, expires_in) = match push(cx, &request).await? {
            Ok(p) => p,
            Err(why) => {
                return Ok(Verdict::inconclusive(format!(
                    "the normal request could not be pushed: {why}"
                )));
            }
        };
        cx.code_for(request, &url).await?;
        let (again, words) = accepted(cx, &url).await?;
        if again {
            faults.push(format!(
                "the request_uri was accepted again after its authorization completed ({words})"
            ));
        } else {
            said.push(format!("used again: {words}"));
        }
        // Bound to its client.
        match cx.target.second_client.clone() {
            Some(second) => {
                let request = cx.auth_request(PkceMode::S256)?;
                if let Ok((mut url, _)) = push(cx, &request).await? {
                    set_param(&mut url, "client_id", Some(&second.client_id));
                    let (taken, words) = accepted(cx, &url).await?;
                    if taken {
                        faults.push(format!(
                            "another client's authorization request with this client's request_uri was accepted ({words})"
                        ));
                    } else {
                        said.push(format!("by another client: {words}"));
                    }
                }
            }
            None => said.push("no second client to try the request_uri with".into()),
        }
        // POST only.
        if let Some(mut par) = cx
            .cfg()
            .endpoints
            .pushed_authorization_request_endpoint
            .clone()
        {
            let request = cx.auth_request(PkceMode::S256)?;
            par.set_query(request.url.query());
            let resp = cx
                .send("the PAR endpoint with GET", HttpRequest::get(par))
                .await?;
            if (400..500).contains(&resp.status) {
                said.push(format!("GET: HTTP {}", resp.status));
            } else {
                faults.push(format!(
                    "the PAR endpoint answered a GET with HTTP {}",
                    resp.status
                ));
            }
        }
        // Expiry.
        let mut warns = Vec::new();
        match expires_in {
            Some(e) if e >= MAX_EXPIRES_IN => warns.push(format!(
                "expires_in is {e} s (FAPI 2.0: under {MAX_EXPIRES_IN} s)"
            )),
            Some(e) => said.push(format!("expires_in {e} s")),
            None => warns.push("the PAR response has no expires_in (RFC 9126 §2.2)".into()),
        }
        if cx.target.slow
            && let Some(e) = expires_in.filter(|e| *e < MAX_EXPIRES_IN)
        {
            let request = cx.auth_request(PkceMode::S256)?;
            if let Ok((url, _)) = push(cx, &request).await? {
                tokio::time::sleep(Duration::from_secs(e + 2)).await;
                let (late, words) = accepted(cx, &url).await?;
                if late {
                    faults.push(format!(
                        "the request_uri was accepted {} s after it was pushed (expires_in {e}) ({words})",
                        e + 2
                    ));
                } else {
                    said.push(format!("after expires_in: {words}"));
                }
            }
        }
        Ok(if !faults.is_empty() {
            cx.policy()
                .strict(format!("{} ({})", faults.join("; "), said.join("; ")))
        } else if !warns.is_empty() {
            Verdict::warn(format!("{} ({})", warns.join("; "), said.join("; ")))
        } else {
            Verdict::pass(format!(
                "the request_uri is single use, bound and POST-only ({})",
                said.join("; ")
            ))
        })
    })
}
