//! `client-assertion.claims` (RFC 7523 §3; FAPI 2.0 §5.3.2.1: a future `iat`/`nbf` of up to
//! 10 s accepted, more than 60 s rejected): an assertion whose `exp` is more than 60 s past, one
//! without `sub`, one whose `jti` was used before, one valid from 8 s ahead (`nbf`) and one
//! valid from 70 s ahead. Judged at the token endpoint with a made-up code (the client
//! authentication, not the grant).

use serde_json::json;

use super::client_assertion_audience::{
    at_token, authentication_failed, sign, standard_claims, why_not,
};
use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};

/// A change to an assertion's claims (at `now`).
type Edit = fn(&mut serde_json::Map<String, serde_json::Value>, i64);

pub static PROBE: Probe = Probe {
    id: "client-assertion.claims",
    title: "Client assertion claims are checked",
    group: Group::ClientAuthentication,
    level: Level::Should,
    reference: "RFC 7523 §3; FAPI 2.0 §5.3.2.1",
    tests: "Client assertions with exp more than 60 s past, no sub, a jti used twice, nbf 8 s ahead and nbf 70 s ahead: the expired, subless, replayed and +70 s ones refused and the +8 s one accepted passes; otherwise warn (bcp, oauth2.1) or fail (fapi2). A client that does not authenticate with a JWT is skipped.",
    needs: &[],
    logins: 0,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if let Some(why) = why_not(cx) {
            return Ok(Verdict::skipped(why));
        }
        let now = grantscope_core::timefmt::now_unix();
        // The control: a normal assertion is accepted.
        let normal = sign(cx, &standard_claims(cx), None)?;
        let first = at_token(cx, "a normal client assertion (control)", &normal).await?;
        if authentication_failed(&first) {
            return Ok(Verdict::inconclusive(format!(
                "a normal client assertion was refused ({}): check the client's key and audience",
                first.describe()
            )));
        }
        let mut wrong = Vec::new();
        let mut said = Vec::new();
        // Replayed: the control's assertion again.
        let again = at_token(
            cx,
            "the same client assertion again (jti replayed)",
            &normal,
        )
        .await?;
        if authentication_failed(&again) {
            said.push(format!("replayed jti: {}", again.describe()));
        } else {
            wrong.push("a replayed jti was accepted");
        }
        let cases: [(&str, bool, Edit); 4] = [
            ("exp 120 s past", false, |c, now| {
                c.insert("iat".into(), json!(now - 180));
                c.insert("exp".into(), json!(now - 120));
            }),
            ("no sub", false, |c, _| {
                c.remove("sub");
            }),
            ("nbf 70 s ahead", false, |c, now| {
                c.insert("nbf".into(), json!(now + 70));
                c.insert("exp".into(), json!(now + 130));
            }),
            ("nbf 8 s ahead", true, |c, now| {
                c.insert("nbf".into(), json!(now + 8));
            }),
        ];
        for (what, should_accept, edit) in cases {
            let mut claims = standard_claims(cx);
            edit(&mut claims, now);
            let assertion = sign(cx, &claims, None)?;
            let a = at_token(cx, &format!("client assertion with {what}"), &assertion).await?;
            let accepted = !authentication_failed(&a);
            said.push(format!("{what}: {}", a.describe()));
            match (accepted, should_accept) {
                (true, false) => wrong.push(match what {
                    "exp 120 s past" => "an expired assertion was accepted",
                    "no sub" => "an assertion without sub was accepted",
                    _ => "an assertion valid only 70 s from now was accepted",
                }),
                (false, true) => wrong.push(
                    "an assertion valid from 8 s ahead was refused (FAPI 2.0 asks servers to accept up to 10 s of clock skew)",
                ),
                _ => {}
            }
        }
        Ok(if wrong.is_empty() {
            Verdict::pass(format!(
                "the assertion's claims are checked ({})",
                said.join("; ")
            ))
        } else {
            cx.policy()
                .strict(format!("{} ({})", wrong.join("; "), said.join("; ")))
        })
    })
}
