//! `grants.legacy` (RFC 9700 §2.4, §2.1.2): the password grant and the implicit response
//! types must be off.

use crate::cx::{Cx, Reply, set_param};
use crate::driver::Landing;
use crate::model::{Probe, ProbeFuture};
use crate::policy::Policy;
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::{GrantKind, PkceMode, pkce};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "grants.legacy",
    title: "Legacy grants are off",
    group: Group::LegacyGrants,
    level: Level::Must,
    reference: "RFC 9700 §2.4, §2.1.2",
    tests: "grant_type=password with made-up credentials; response_type=token and id_token token: unsupported_grant_type / unauthorized_client / unsupported_response_type passes; tokens fail; invalid_grant (the grant is on and checked the made-up user) warns under bcp and fails under oauth2.1 and fapi2; under fapi2 code id_token answered fails too.",
    needs: &[],
    logins: 0,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let password = pkce::random_token();
        let params = vec![
            (
                "grant_type".to_string(),
                GrantKind::Password.grant_type().to_string(),
            ),
            (
                "username".to_string(),
                format!("grantscope-probe-{}", pkce::random_token()),
            ),
            ("password".to_string(), password.clone()),
        ];
        let a = cx
            .token(
                "password grant with a made-up user",
                params,
                &[(SecretKind::Password, &password)],
            )
            .await?;
        if a.is_tokens() {
            return Ok(Verdict::fail(
                "the password grant issued tokens for a made-up user",
            ));
        }
        let mut warn = None;
        if a.error() == Some("invalid_grant") && cx.policy() != Policy::Bcp {
            return Ok(Verdict::fail(format!(
                "the password grant is enabled (it checked the made-up user: invalid_grant), which {} removes",
                cx.policy().title()
            )));
        }
        if a.error() == Some("invalid_grant") {
            warn = Some(
                "the password grant is enabled (it checked the made-up user: invalid_grant)"
                    .to_string(),
            );
        }
        let mut said = vec![format!("password: {}", a.describe())];
        // FAPI 2.0 allows only `code`: the hybrid `code id_token` is tried too.
        let types: &[&str] = if cx.policy().is_fapi2() {
            &["token", "id_token token", "code id_token"]
        } else {
            &["token", "id_token token"]
        };
        for &response_type in types {
            let request = cx.auth_request(PkceMode::S256)?;
            let mut url = request.url.clone();
            set_param(&mut url, "response_type", Some(response_type));
            if request.nonce.is_none() {
                set_param(&mut url, "nonce", Some(&pkce::random_token()));
            }
            match cx.authorize(&url).await? {
                Landing::Redirect(to) => {
                    let reply = Reply::from_url(&to);
                    if cx.policy().is_fapi2()
                        && reply.get("error").is_none()
                        && (reply.get("code").is_some() || reply.get("id_token").is_some())
                    {
                        return Ok(Verdict::fail(format!(
                            "response_type={response_type} was answered, and FAPI 2.0 allows only code"
                        )));
                    }
                    if reply.get("access_token").is_some() {
                        return Ok(Verdict::fail(format!(
                            "response_type={response_type} delivered an access token in the redirect"
                        )));
                    }
                    said.push(format!(
                        "{response_type}: {}",
                        reply
                            .get("error")
                            .map(|e| grantscope_core::text::inert(e).to_string())
                            .unwrap_or_else(|| "no token".into())
                    ));
                }
                Landing::Page { status, .. } => {
                    said.push(format!("{response_type}: refused (HTTP {status})"))
                }
                Landing::NoAnswer(w) => said.push(format!("{response_type}: {w}")),
            }
        }
        Ok(match warn {
            Some(w) => Verdict::warn(format!("{w}; {}", said.join("; "))),
            None => Verdict::pass(format!(
                "the legacy grants are refused ({})",
                said.join("; ")
            )),
        })
    })
}
