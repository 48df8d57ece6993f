//! `token.lifetimes` (RFC 9700 §4.10): how long an access token lives.

use super::cx::Cx;
use super::{Group, Level, Probe, ProbeFuture, Verdict};

pub static PROBE: Probe = Probe {
    id: "token.lifetimes",
    title: "Access tokens are short-lived",
    group: Group::Codes,
    level: Level::Should,
    reference: "RFC 9700 §4.10, RFC 6749 §4.1.2",
    tests: "expires_in of the access token from a login: at most 3600 s passes; up to a day warns; more than a day fails. (Measuring the expiry and the code lifetime is not done yet.)",
    needs: &[],
    logins: 1,
    changes: None,
    run,
};

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

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
