//! `refresh.rotation` (RFC 9700 §2.2.2, §4.14.2): refresh once, then reuse the old refresh
//! token.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Need, Verdict};

pub static PROBE: Probe = Probe {
    id: "refresh.rotation",
    title: "Refresh tokens rotate",
    group: Group::Refresh,
    level: Level::Must,
    reference: "RFC 9700 §2.2.2, §4.14.2; FAPI 2.0 §5.3.2.1",
    tests: "Refresh once, then reuse the old refresh token: rotated and the old refused passes; a public client without rotation (and no sender constraint) fails; a confidential client without rotation is info. Under fapi2 no rotation is expected: rotation warns, none passes.",
    needs: &[Need::Refresh],
    logins: 1,
    slow_logins: 0,
    changes: Some(
        "starts a refresh family and reuses its first refresh token (a server may revoke the family)",
    ),
    run,
};

/// A login's refresh token, or the reason there is none.
pub async fn refresh_token(
    cx: &mut Cx,
) -> Result<Result<String, String>, grantscope_core::oauth::FlowError> {
    let tokens = cx.tokens().await?;
    Ok(tokens
        .refresh_token
        .map(|t| t.expose().to_string())
        .ok_or_else(|| {
            "the login gave no refresh token (is offline_access in --scope?)".to_string()
        }))
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let rt1 = match refresh_token(cx).await? {
            Ok(t) => t,
            Err(why) => return Ok(Verdict::inconclusive(why)),
        };
        let second = cx.refresh("refresh", &rt1).await?;
        let Some(tokens) = second.tokens() else {
            return Ok(Verdict::inconclusive(format!(
                "the refresh itself failed ({})",
                second.describe()
            )));
        };
        let rotated = tokens
            .refresh_token
            .as_ref()
            .is_some_and(|t| t.expose() != rt1);
        let public = cx.target.is_public();
        if cx.policy().is_fapi2() {
            // FAPI 2.0 §5.3.2.1: no rotation (the token is sender-constrained or bound to the
            // client's authentication); rotation loses tokens on a lost response.
            return Ok(if rotated {
                Verdict::warn(
                    "the refresh token rotated; FAPI 2.0 expects no rotation (§5.3.2.1) except in extraordinary circumstances",
                )
            } else {
                Verdict::pass("the refresh token was not rotated, as FAPI 2.0 expects (§5.3.2.1)")
            });
        }
        if !rotated {
            return Ok(if public {
                Verdict::fail(
                    "a public client's refresh token was not rotated (and is not sender-constrained)",
                )
            } else {
                Verdict::info(
                    "the confidential client's refresh token was not rotated (it is bound to the client's authentication)",
                )
            });
        }
        let reuse = cx.refresh("reuse of the old refresh token", &rt1).await?;
        Ok(if reuse.is_tokens() {
            if public {
                Verdict::fail("the refresh token rotated, but the old one still works")
            } else {
                Verdict::warn("the refresh token rotated, but the old one still works")
            }
        } else {
            Verdict::pass(format!(
                "rotated, and the old refresh token was refused ({})",
                reuse.describe()
            ))
        })
    })
}
