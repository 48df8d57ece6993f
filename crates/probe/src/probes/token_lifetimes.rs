//! `token.lifetimes` (RFC 9700 §4.10, RFC 6749 §4.1.2): how long an access token lives, and
//! with `--slow` how long an authorization code lives.
//!
//! The code lifetime is measured on a ladder: one code is redeemed at once (the control), then
//! one code per rung is redeemed when it is that many seconds old, until one is refused. The
//! bounds are honest whatever the machine's speed: "more than L s" is the age, counted from
//! when the code came back, at which a code was last sent and accepted; "at most U s" is the
//! age, counted from before its authorization request was sent, at which a code's refusal
//! arrived.

use std::time::{Duration, Instant};

use crate::cx::{Cx, Got};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Outcome, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::FlowError;
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "token.lifetimes",
    title: "Access tokens and codes are short-lived",
    group: Group::Codes,
    level: Level::Should,
    reference: "RFC 9700 §4.10, RFC 6749 §4.1.2",
    tests: "expires_in of the access token from a login: at most 3600 s passes; up to a day warns; more than a day fails. With --slow: when the lifetime is at most two minutes, it waits for the expiry and calls userinfo (still accepted fails); and it measures the authorization code's lifetime, redeeming one code each at 1, 2, 4, 8, 15, 30, 45, 60, 90, 120, 300, 600 and 660 s until one is refused (still accepted after 10 minutes warns; under fapi2 still accepted after 60 s fails).",
    needs: &[],
    logins: 1,
    slow_logins: SLOW_LOGINS,
    changes: None,
    run,
};

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
/// The longest lifetime `--slow` waits out.
const WAIT_AT_MOST: f64 = 120.0;
/// RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
const CODE_AT_MOST: f64 = 600.0;

/// The ages (seconds) at which `--slow` redeems one code each, after the control.
pub const CODE_LADDER: [f64; 13] = [
    1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 45.0, 60.0, 90.0, 120.0, 300.0, 600.0, 660.0,
];

/// Logins `--slow` adds to this probe (the control and one code per rung).
pub const SLOW_LOGINS: u32 = CODE_LADDER.len() as u32 + 1;

/// What the code ladder found.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeLifetime {
    /// A code was refused: it lives more than `more_than` s (0 when no rung was accepted) and
    /// at most `at_most` s.
    Bounded {
        more_than: f64,
        at_most: f64,
        refusal: String,
    },
    /// Every rung was accepted; the oldest code redeemed was this old.
    Longer { than: f64 },
    /// Nothing could be measured (the reason).
    Unmeasured(String),
}

/// FAPI 2.0 §5.3.2.1: an authorization code lives at most 60 seconds.
const FAPI2_CODE_AT_MOST: f64 = 60.0;

impl CodeLifetime {
    /// Whether a code was seen accepted when older than `secs`.
    pub fn alive_after(&self, secs: f64) -> bool {
        match self {
            CodeLifetime::Bounded { more_than, .. } => *more_than > secs,
            CodeLifetime::Longer { than } => *than > secs,
            CodeLifetime::Unmeasured(_) => false,
        }
    }

    /// The sentence the verdict's reason carries, and whether it is a warning.
    pub fn words(&self) -> (String, bool) {
        match self {
            CodeLifetime::Bounded {
                more_than,
                at_most,
                refusal,
            } => (
                format!(
                    "the authorization code lives more than {more_than:.1} s and at most {at_most:.1} s (refused with {refusal})"
                ),
                *more_than > CODE_AT_MOST,
            ),
            CodeLifetime::Longer { than } => (
                format!(
                    "an authorization code was still accepted {than:.1} s after it was issued (RFC 6749 §4.1.2 recommends at most 10 minutes)"
                ),
                true,
            ),
            CodeLifetime::Unmeasured(why) => {
                (format!("the code lifetime was not measured: {why}"), false)
            }
        }
    }
}

/// A code and the times around its authorization request.
struct Timed {
    got: Got,
    /// Just before its authorization request was sent (the code is younger than this).
    asked: Instant,
    /// When it came back (the code is at least this old).
    came: Instant,
}

async fn timed_code(cx: &mut Cx) -> Result<Timed, FlowError> {
    let asked = Instant::now();
    let got = cx.code().await?;
    Ok(Timed {
        got,
        asked,
        came: Instant::now(),
    })
}

/// Measures the authorization code's lifetime on [`CODE_LADDER`].
pub async fn measure_code_lifetime(cx: &mut Cx) -> Result<CodeLifetime, FlowError> {
    // The control: a fresh code redeemed at once must work, or a refusal proves nothing.
    let control = match timed_code(cx).await {
        Ok(t) => t,
        Err(FlowError::Redirect(why)) => return Ok(CodeLifetime::Unmeasured(why)),
        Err(e) => return Err(e),
    };
    let answer = cx
        .redeem_got("redeem a fresh code at once (control)", &control.got)
        .await?;
    if !answer.is_tokens() {
        return Ok(CodeLifetime::Unmeasured(format!(
            "a fresh code was refused ({})",
            answer.describe()
        )));
    }
    // One code per rung, all asked for now, each redeemed when it is the rung's age.
    let mut codes = Vec::new();
    for _ in CODE_LADDER {
        match timed_code(cx).await {
            Ok(t) => codes.push(t),
            Err(FlowError::Redirect(_)) if !codes.is_empty() => break,
            Err(FlowError::Redirect(why)) => return Ok(CodeLifetime::Unmeasured(why)),
            Err(e) => return Err(e),
        }
    }
    let mut more_than = 0.0_f64;
    for (rung, code) in CODE_LADDER.iter().zip(&codes) {
        let due = code.came + Duration::from_secs_f64(*rung);
        tokio::time::sleep_until(due.into()).await;
        let sent_age = code.came.elapsed().as_secs_f64();
        let answer = cx
            .redeem_got(&format!("redeem a code {rung:.0} s old"), &code.got)
            .await?;
        if answer.is_tokens() {
            more_than = more_than.max(sent_age);
            continue;
        }
        return Ok(CodeLifetime::Bounded {
            more_than,
            at_most: code.asked.elapsed().as_secs_f64(),
            refusal: answer.describe(),
        });
    }
    Ok(CodeLifetime::Longer { than: more_than })
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let verdict = access_token_verdict(cx).await?;
        if !cx.target.slow {
            return Ok(verdict);
        }
        let lifetime = measure_code_lifetime(cx).await?;
        let (words, warns) = lifetime.words();
        // FAPI 2.0 §5.3.2.1: codes live at most 60 seconds.
        let fapi_fails = cx.policy().is_fapi2() && lifetime.alive_after(FAPI2_CODE_AT_MOST);
        let outcome = match verdict.outcome {
            _ if fapi_fails => Outcome::Fail,
            Outcome::Pass if warns => Outcome::Warn,
            other => other,
        };
        Ok(Verdict::new(
            outcome,
            format!("{}; {words}", verdict.reason),
        ))
    })
}

async fn access_token_verdict(cx: &mut Cx) -> Result<Verdict, FlowError> {
    let tokens = cx.tokens().await?;
    let exp = tokens.expires_in.or_else(|| {
        match grantscope_core::token::decode::decode(tokens.access_token.expose()) {
            Ok(grantscope_core::token::decode::Decoded::Jws(jws)) => {
                Some(jws.claims.get("exp")?.as_f64()? - grantscope_core::timefmt::now_unix() as f64)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lifetime_words_warn_only_beyond_ten_minutes() {
        let short = CodeLifetime::Bounded {
            more_than: 30.2,
            at_most: 45.9,
            refusal: "HTTP 400 invalid_grant".into(),
        };
        let (words, warns) = short.words();
        assert!(!warns);
        assert!(
            words.contains("more than 30.2 s and at most 45.9 s"),
            "{words}"
        );
        assert!(words.contains("invalid_grant"), "{words}");
        let long = CodeLifetime::Bounded {
            more_than: 600.4,
            at_most: 660.9,
            refusal: "HTTP 400".into(),
        };
        assert!(long.words().1);
        assert!(CodeLifetime::Longer { than: 661.0 }.words().1);
        assert!(!CodeLifetime::Unmeasured("no code".into()).words().1);
    }

    #[test]
    fn the_ladder_climbs_past_ten_minutes() {
        assert!(CODE_LADDER.windows(2).all(|w| w[0] < w[1]));
        assert!(CODE_LADDER.last().is_some_and(|l| *l > CODE_AT_MOST));
    }
}
