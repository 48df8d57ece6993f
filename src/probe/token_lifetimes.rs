//! `token.lifetimes` (RFC 9700 §4.10): how long an access token lives.

use std::time::Duration;

use super::cx::Cx;
use super::{Group, Level, Probe, ProbeFuture, Verdict};
use crate::http::HttpRequest;
use crate::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "token.lifetimes",
    title: "Access tokens are short-lived",
    group: Group::Codes,
    level: Level::Should,
    reference: "RFC 9700 §4.10, RFC 6749 §4.1.2",
    tests: "expires_in of the access token from a login: at most 3600 s passes; up to a day warns; more than a day fails. With --slow, when the lifetime is at most two minutes, it waits for the expiry and calls userinfo: still accepted fails.",
    needs: &[],
    logins: 1,
    changes: None,
    run,
};

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
/// The longest lifetime `--slow` waits out.
const WAIT_AT_MOST: f64 = 120.0;

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let tokens = cx.tokens().await?;
        let exp = tokens.expires_in.or_else(|| {
            match crate::token::decode::decode(tokens.access_token.expose()) {
                Ok(crate::token::decode::Decoded::Jws(jws)) => {
                    Some(jws.claims.get("exp")?.as_f64()? - crate::timefmt::now_unix() as f64)
                }
                _ => None,
            }
        });
        // --slow: watch a short-lived token die (at userinfo), 2 s after its expiry.
        if cx.target.slow
            && let (Some(s), Some(userinfo)) = (exp, cx.cfg().endpoints.userinfo_endpoint.clone())
            && s <= WAIT_AT_MOST
        {
            tokio::time::sleep(Duration::from_secs_f64(s.max(0.0) + 2.0)).await;
            let at = tokens.access_token.expose().to_string();
            let req = HttpRequest::get(userinfo)
                .header("Authorization", format!("Bearer {at}"))
                .secret(SecretKind::AccessToken, at);
            let resp = cx
                .send("userinfo after the access token's expiry", req)
                .await?;
            if resp.is_success() {
                return Ok(Verdict::fail(format!(
                    "the access token (expires_in {s:.0} s) was still accepted at userinfo 2 s after its expiry"
                )));
            }
            return Ok(Verdict::pass(format!(
                "the access token lives {s:.0} s, and userinfo refused it after its expiry (HTTP {})",
                resp.status
            )));
        }
        Ok(match exp {
            None => Verdict::warn(
                "the token response has no expires_in and the access token no readable exp",
            ),
            Some(s) if s <= HOUR => {
                Verdict::pass(format!("the access token lives {s:.0} s (at most an hour)"))
            }
            Some(s) if s <= DAY => Verdict::warn(format!(
                "the access token lives {s:.0} s (more than an hour)"
            )),
            Some(s) => Verdict::fail(format!("the access token lives {s:.0} s (more than a day)")),
        })
    })
}
