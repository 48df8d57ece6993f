//! `refresh.client-bound` (RFC 9700 §4.14.2, RFC 6749 §10.4): a refresh token works only for
//! the client it was issued to.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Need, Verdict};
use grantscope_core::oauth::AuthMethod;

pub static PROBE: Probe = Probe {
    id: "refresh.client-bound",
    title: "Refresh tokens are bound to the client",
    group: Group::Refresh,
    level: Level::Must,
    reference: "RFC 9700 §4.14.2, RFC 6749 §10.4",
    tests: "Refresh with another client's credentials (second client); refresh a confidential client's token without client authentication: refused passes.",
    needs: &[Need::SecondClient, Need::Refresh],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let Some(second) = cx.target.second_client.clone() else {
            return Ok(Verdict::skipped("needs a second client"));
        };
        let rt = match super::refresh_rotation::refresh_token(cx).await? {
            Ok(t) => t,
            Err(why) => return Ok(Verdict::inconclusive(why)),
        };
        let mut other = cx.cfg().clone();
        other.client_id = second.client_id.clone();
        other.client_secret = second.client_secret.clone();
        // A second client with a secret authenticates the usual way for one; without one it
        // uses this client's method (a private_key_jwt pair registered with the same key).
        if second.client_secret.is_some() {
            other.auth_method = None;
        }
        let answer = cx
            .refresh_with("refresh as the second client", &other, &rt)
            .await?;
        if answer.is_tokens() {
            return Ok(Verdict::fail(
                "another client refreshed this client's refresh token",
            ));
        }
        let mut said = format!("the second client was refused ({})", answer.describe());
        if !cx.target.is_public() {
            let mut bare = cx.cfg().clone();
            bare.client_secret = None;
            bare.auth_method = Some(AuthMethod::None);
            let answer = cx
                .refresh_with("refresh without client authentication", &bare, &rt)
                .await?;
            if answer.is_tokens() {
                return Ok(Verdict::fail(
                    "a confidential client's refresh token was refreshed without client authentication",
                ));
            }
            said.push_str(&format!(
                "; without client authentication too ({})",
                answer.describe()
            ));
        }
        Ok(Verdict::pass(said))
    })
}
