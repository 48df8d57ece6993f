//! `revocation.client-bound` (RFC 7009 §2.1): "The authorization server first validates the
//! client credentials … and then verifies whether the token was issued to the client making the
//! revocation request." Another client revokes this client's tokens; they must still work.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Need, Verdict};
use grantscope_core::oauth::FlowError;
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "revocation.client-bound",
    title: "Only the owner can revoke a token",
    group: Group::Refresh,
    level: Level::Must,
    reference: "RFC 7009 §2.1",
    tests: "The second client revokes this client's access and refresh tokens: the tokens still work afterwards (at userinfo or introspection, and a refresh) passes, whatever the revocation's status; a token that stopped working fails.",
    needs: &[Need::SecondClient],
    logins: 1,
    slow_logins: 0,
    changes: Some(
        "asks the server to revoke a fresh login's tokens with the second client's credentials (a faulty server revokes them)",
    ),
    run,
};

/// Whether the access token still works: userinfo, else introspection by its own client.
async fn access_alive(cx: &mut Cx, at: &str, when: &str) -> Result<Option<bool>, FlowError> {
    if let Some(userinfo) = cx.cfg().endpoints.userinfo_endpoint.clone() {
        let resp = cx
            .use_token(
                &format!("userinfo with the access token {when}"),
                &userinfo,
                at,
            )
            .await?;
        return Ok(Some(resp.is_success()));
    }
    if let Some(introspection) = cx.cfg().endpoints.introspection_endpoint.clone() {
        let cfg = cx.cfg().clone();
        let resp = cx
            .session
            .send_authenticated(
                &format!("introspect the access token {when}"),
                &introspection,
                &cfg,
                vec![("token".into(), at.to_string())],
                &[(SecretKind::AccessToken, at)],
            )
            .await?;
        return Ok(resp
            .json_value()
            .ok()
            .and_then(|v| v.get("active").and_then(|a| a.as_bool())));
    }
    Ok(None)
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let Some(second) = cx.target.second_client.clone() else {
            return Ok(Verdict::skipped("needs a second client"));
        };
        let Some(revocation) = cx.cfg().endpoints.revocation_endpoint.clone() else {
            return Ok(Verdict::skipped(
                "the server names no revocation endpoint (revocation_endpoint)",
            ));
        };
        let tokens = cx.tokens().await?;
        let at = tokens.access_token.expose().to_string();
        let rt = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_string());
        if access_alive(cx, &at, "before the revocation").await? == Some(false) {
            return Ok(Verdict::inconclusive(
                "the fresh access token does not work even before any revocation",
            ));
        }
        let mut other = cx.cfg().clone();
        other.client_id = second.client_id.clone();
        other.client_secret = second.client_secret.clone();
        // A second client with a secret authenticates the usual way for one; without one it
        // uses this client's method (a private_key_jwt pair registered with the same key).
        if second.client_secret.is_some() {
            other.auth_method = None;
        }
        let mut said = Vec::new();
        for (what, token, kind) in [
            ("access token", Some(at.clone()), SecretKind::AccessToken),
            ("refresh token", rt.clone(), SecretKind::RefreshToken),
        ] {
            let Some(token) = token else { continue };
            let resp = cx
                .session
                .send_authenticated(
                    &format!("revoke the {what} as the second client"),
                    &revocation,
                    &other,
                    vec![("token".into(), token.clone())],
                    &[(kind, &token)],
                )
                .await?;
            said.push(format!("revoking the {what}: HTTP {}", resp.status));
        }
        let mut dead = Vec::new();
        match access_alive(cx, &at, "after the other client's revocation").await? {
            Some(false) => dead.push("the access token stopped working"),
            Some(true) => said.push("the access token still works".into()),
            None => said.push("no userinfo or introspection to check the access token".into()),
        }
        if let Some(rt) = &rt {
            let answer = cx
                .refresh("refresh after the other client's revocation", rt)
                .await?;
            if answer.is_tokens() {
                said.push("the refresh token still refreshes".into());
            } else {
                dead.push("the refresh token stopped working");
            }
        }
        Ok(if !dead.is_empty() {
            Verdict::fail(format!(
                "another client revoked this client's tokens: {} ({})",
                dead.join(" and "),
                said.join("; ")
            ))
        } else if said.iter().any(|s| s.contains("still")) {
            Verdict::pass(format!(
                "the other client's revocation changed nothing ({})",
                said.join("; ")
            ))
        } else {
            Verdict::inconclusive(format!(
                "nothing could be checked after the revocation ({})",
                said.join("; ")
            ))
        })
    })
}
