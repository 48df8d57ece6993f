//! `code.reuse-revokes` (RFC 9700 §4.2.4): after a code is presented twice, the tokens of its
//! first redemption should be dead.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Need, Verdict};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "code.reuse-revokes",
    title: "Code reuse revokes its tokens",
    group: Group::Codes,
    level: Level::Should,
    reference: "RFC 9700 §4.2.4",
    tests: "After a second redemption, the first access token (userinfo or introspection) and refresh token: both dead passes; either working warns.",
    needs: &[Need::After("code.single-use")],
    logins: 1,
    slow_logins: 0,
    changes: Some("revokes the tokens of one login by presenting its code twice"),
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let got = cx.code().await?;
        let first = cx.redeem_got("first redemption", &got).await?;
        let Some(tokens) = first.tokens().cloned() else {
            return Ok(Verdict::inconclusive(format!(
                "the first redemption already failed ({})",
                first.describe()
            )));
        };
        let second = cx.redeem_got("second redemption", &got).await?;
        if second.is_tokens() {
            return Ok(Verdict::inconclusive(
                "the code was accepted twice (see code.single-use)",
            ));
        }
        let at = tokens.access_token.expose().to_string();
        let mut alive = Vec::new();
        let mut checked = Vec::new();
        if let Some(userinfo) = cx.cfg().endpoints.userinfo_endpoint.clone() {
            let resp = cx
                .use_token("userinfo with the first access token", &userinfo, &at)
                .await?;
            checked.push(format!("userinfo HTTP {}", resp.status));
            if resp.is_success() {
                alive.push("the first access token still works at userinfo");
            }
        } else if let Some(introspection) = cx.cfg().endpoints.introspection_endpoint.clone() {
            let cfg = cx.cfg().clone();
            let resp = cx
                .session
                .send_authenticated(
                    "introspect the first access token",
                    &introspection,
                    &cfg,
                    vec![("token".into(), at.clone())],
                    &[(SecretKind::AccessToken, &at)],
                )
                .await?;
            let active = resp
                .json_value()
                .ok()
                .and_then(|v| v.get("active").and_then(|a| a.as_bool()));
            checked.push(format!(
                "introspection HTTP {} active={active:?}",
                resp.status
            ));
            if active == Some(true) {
                alive.push("introspection says the first access token is active");
            }
        }
        if let Some(rt) = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_string())
        {
            let answer = cx
                .refresh("refresh with the first refresh token", &rt)
                .await?;
            checked.push(format!("refresh {}", answer.describe()));
            if answer.is_tokens() {
                alive.push("the first refresh token still refreshes");
            }
        }
        if checked.is_empty() {
            return Ok(Verdict::inconclusive(
                "no userinfo, introspection or refresh token to check the first tokens with",
            ));
        }
        Ok(if alive.is_empty() {
            Verdict::pass(format!(
                "after the reuse the first tokens are dead ({})",
                checked.join(", ")
            ))
        } else {
            Verdict::warn(format!(
                "after the code was reused, {}",
                alive.join(" and ")
            ))
        })
    })
}
