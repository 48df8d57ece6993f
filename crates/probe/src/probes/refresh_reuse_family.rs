//! `refresh.reuse-revokes-family` (RFC 9700 §4.14.2): after an old refresh token is reused,
//! the newest one must be dead too.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Need, Verdict};

pub static PROBE: Probe = Probe {
    id: "refresh.reuse-revokes-family",
    title: "Refresh reuse revokes the family",
    group: Group::Refresh,
    level: Level::Must,
    reference: "RFC 9700 §4.14.2",
    tests: "Refresh, reuse the old refresh token, then refresh with the newest: refused passes.",
    needs: &[Need::After("refresh.rotation"), Need::Refresh],
    logins: 1,
    slow_logins: 0,
    changes: Some("reuses a rotated refresh token, which should revoke that refresh family"),
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let rt1 = match super::refresh_rotation::refresh_token(cx).await? {
            Ok(t) => t,
            Err(why) => return Ok(Verdict::inconclusive(why)),
        };
        let second = cx.refresh("refresh", &rt1).await?;
        let Some(rt2) = second
            .tokens()
            .and_then(|t| t.refresh_token.as_ref())
            .map(|t| t.expose().to_string())
            .filter(|t| *t != rt1)
        else {
            if cx.policy().is_fapi2() {
                return Ok(Verdict::skipped(
                    "the server does not rotate refresh tokens (as FAPI 2.0 expects): there is no family to revoke",
                ));
            }
            return Ok(Verdict::inconclusive(
                "the refresh did not rotate the refresh token",
            ));
        };
        let reuse = cx.refresh("reuse of the old refresh token", &rt1).await?;
        if reuse.is_tokens() {
            return Ok(Verdict::inconclusive(
                "the old refresh token was accepted again (see refresh.rotation)",
            ));
        }
        let newest = cx
            .refresh("refresh with the newest token after the reuse", &rt2)
            .await?;
        Ok(if newest.is_tokens() {
            Verdict::fail(
                "after a rotated refresh token was reused, the newest one of its family still works",
            )
        } else {
            Verdict::pass(format!(
                "after the reuse, the newest refresh token was refused too ({})",
                newest.describe()
            ))
        })
    })
}
