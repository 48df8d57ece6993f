//! `params.unknown-ignored` (OAuth 2.1 §3.1, RFC 6749 §3.1, §3.2): a parameter the server does
//! not know, at the authorization endpoint and at the token endpoint, is ignored.

use crate::cx::{Answer, Cx, Got};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{FlowError, GrantKind, pkce};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "params.unknown-ignored",
    title: "Unknown parameters are ignored",
    group: Group::Requests,
    level: Level::Must,
    reference: "OAuth 2.1 §3.1, RFC 6749 §3.1, §3.2",
    tests: "An unknown parameter at the authorization endpoint and at the token endpoint: ignored (a code, then tokens) passes; refused fails (with the normal flow working).",
    needs: &[],
    logins: 3,
    slow_logins: 0,
    changes: None,
    run,
};

/// The made-up parameter's name.
pub(crate) const UNKNOWN: &str = "grantscope_probe_unknown";

/// The token request that redeems `got` the normal way, as parameters (for probes that change
/// them before sending).
pub(crate) fn redeem_params(cx: &Cx, got: &Got) -> Vec<(String, String)> {
    let mut params = vec![
        (
            "grant_type".to_string(),
            GrantKind::AuthorizationCode.grant_type().to_string(),
        ),
        ("code".to_string(), got.code.clone()),
        (
            "redirect_uri".to_string(),
            got.request.redirect_uri.to_string(),
        ),
    ];
    if let Some(v) = &got.request.code_verifier {
        params.push(("code_verifier".into(), v.expose().to_string()));
    }
    for r in &cx.target.config.resources {
        params.push(("resource".into(), r.clone()));
    }
    params
}

/// Sends `params` (a changed redemption of `got`) to the token endpoint.
pub(crate) async fn redeem_changed(
    cx: &mut Cx,
    step: &str,
    got: &Got,
    params: Vec<(String, String)>,
) -> Result<Answer, FlowError> {
    let verifier = got
        .request
        .code_verifier
        .as_ref()
        .map(|v| v.expose().to_string());
    let mut secrets = vec![(SecretKind::AuthorizationCode, got.code.as_str())];
    if let Some(v) = &verifier {
        secrets.push((SecretKind::PkceVerifier, v.as_str()));
    }
    cx.token(step, params, &secrets).await
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let value = pkce::random_token();
        let request = cx.auth_request(grantscope_core::oauth::PkceMode::S256)?;
        let mut url = request.url.clone();
        url.query_pairs_mut().append_pair(UNKNOWN, &value);
        let (got, at_authorize) = match cx.code_for(request, &url).await {
            Ok(got) => (got, None),
            Err(FlowError::Redirect(why)) => {
                // Refused: a failure only if the normal request works.
                match cx.code().await {
                    Ok(got) => (got, Some(why)),
                    Err(FlowError::Redirect(also)) => {
                        return Ok(Verdict::inconclusive(format!(
                            "the normal code flow does not work either ({})",
                            grantscope_core::text::inert(&also)
                        )));
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let mut params = redeem_params(cx, &got);
        params.push((UNKNOWN.to_string(), value.clone()));
        let answer =
            redeem_changed(cx, "token request with an unknown parameter", &got, params).await?;
        let mut refused = Vec::new();
        if let Some(why) = at_authorize {
            refused.push(format!(
                "the authorization endpoint refused it ({})",
                grantscope_core::text::inert(&why)
            ));
        }
        if !answer.is_tokens() {
            // The control: a fresh code redeemed normally must work.
            let control = cx.tokens().await;
            match control {
                Ok(_) => refused.push(format!(
                    "the token endpoint refused it ({})",
                    answer.describe()
                )),
                Err(FlowError::Redirect(why)) => {
                    return Ok(Verdict::inconclusive(format!(
                        "the token request with an unknown parameter was refused ({}), but the normal one failed too ({})",
                        answer.describe(),
                        grantscope_core::text::inert(&why)
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(if refused.is_empty() {
            Verdict::pass(format!(
                "the unknown parameter {UNKNOWN} was ignored at the authorization and token endpoints"
            ))
        } else {
            Verdict::fail(format!(
                "an unknown parameter must be ignored: {}",
                refused.join("; ")
            ))
        })
    })
}
