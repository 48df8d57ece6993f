//! `client-auth.enforced` (RFC 9700 §2.5, RFC 6749 §2.3.1): a confidential client's token
//! requests without its secret, with a wrong one, with it in the query string, and as GET.
//!
//! The requests redeem a made-up code, so no login is needed. The baseline (the right secret)
//! tells what a server says once it has accepted the client and gone on to judge the code
//! (`invalid_grant` by RFC 6749, but `invalid_code` and others are seen); each variant is judged
//! against that answer, not against one error code: the same answer means the client got past
//! authentication. A baseline that is itself an authentication failure (`invalid_client`,
//! HTTP 401) leaves nothing to compare with: inconclusive.

use crate::cx::{Answer, Cx};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Need, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::{AuthMethod, GrantKind, pkce};
use grantscope_core::secret::{ClientSecret, SecretKind};

pub static PROBE: Probe = Probe {
    id: "client-auth.enforced",
    title: "Client authentication is enforced",
    group: Group::ClientAuthentication,
    level: Level::Must,
    reference: "RFC 9700 §2.5, RFC 6749 §2.3.1",
    tests: "Confidential client: no secret, wrong secret, secret in the query string, token request as GET: all refused passes, any accepted fails; whether post and basic are interchangeable is said in the reason. Public client: skipped.",
    needs: &[Need::Confidential],
    logins: 0,
    slow_logins: 0,
    changes: None,
    run,
};

/// The client got past authentication: tokens, or the same answer as the authenticated
/// baseline (the server went on to judge the made-up code).
fn accepted(a: &Answer, baseline: &Answer) -> bool {
    match (a, baseline) {
        (Answer::Tokens { .. }, _) => true,
        (
            Answer::Refused {
                status,
                error,
                description,
            },
            Answer::Refused {
                status: b_status,
                error: b_error,
                description: b_description,
            },
        ) => {
            // The same status and code; and the same description where both have one (a
            // server that says invalid_request to both tells them apart in its words).
            status == b_status
                && error == b_error
                && (description.is_none()
                    || b_description.is_none()
                    || description == b_description)
        }
        (Answer::Refused { .. }, Answer::Tokens { .. }) => false,
    }
}

/// Whether an answer says the client itself was refused (RFC 6749 §5.2 `invalid_client`,
/// or HTTP 401): a baseline like that cannot tell the variants apart.
fn authentication_failed(a: &Answer) -> bool {
    matches!(a, Answer::Refused { status: 401, .. }) || a.error() == Some("invalid_client")
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let cfg = cx.cfg().clone();
        let method = cfg.effective_auth_method();
        if cx.target.is_public() {
            return Ok(Verdict::skipped(
                "a public client has no client authentication to enforce",
            ));
        }
        if !matches!(
            method,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        ) {
            return Ok(Verdict::skipped(format!(
                "probes only secret-based client authentication, not {method}"
            )));
        }
        let code = format!("grantscope-probe-{}", pkce::random_token());
        let params = vec![
            (
                "grant_type".to_string(),
                GrantKind::AuthorizationCode.grant_type().to_string(),
            ),
            ("code".to_string(), code.clone()),
            (
                "redirect_uri".to_string(),
                cx.target.redirect_uri.to_string(),
            ),
        ];
        let baseline = cx
            .token(
                "baseline: the right secret, a made-up code",
                params.clone(),
                &[],
            )
            .await?;
        if authentication_failed(&baseline) {
            return Ok(Verdict::inconclusive(format!(
                "with the right secret and a made-up code the server answered {}, an authentication failure: check the client's secret and method; nothing to compare the variants with",
                baseline.describe()
            )));
        }
        let mut refused = Vec::new();
        let mut bare = cfg.clone();
        bare.client_secret = None;
        bare.auth_method = Some(AuthMethod::None);
        let a = cx
            .token_with("no secret", &bare, params.clone(), &[])
            .await?;
        if accepted(&a, &baseline) {
            return Ok(Verdict::fail(format!(
                "a token request without the client secret was accepted ({})",
                a.describe()
            )));
        }
        refused.push(format!("no secret: {}", a.describe()));
        let mut wrong = cfg.clone();
        wrong.client_secret = Some(ClientSecret::new(format!("wrong-{}", pkce::random_token())));
        let a = cx
            .token_with("wrong secret", &wrong, params.clone(), &[])
            .await?;
        if accepted(&a, &baseline) {
            return Ok(Verdict::fail(format!(
                "a token request with a wrong client secret was accepted ({})",
                a.describe()
            )));
        }
        refused.push(format!("wrong secret: {}", a.describe()));
        let secret = cfg
            .client_secret
            .as_ref()
            .map(|s| s.expose().to_string())
            .unwrap_or_default();
        let endpoint = cx.token_endpoint()?;
        let mut in_query = endpoint.clone();
        in_query
            .query_pairs_mut()
            .append_pair("client_id", &cfg.client_id)
            .append_pair("client_secret", &secret);
        let req = HttpRequest::post_form(in_query, &params)
            .secret(SecretKind::ClientSecret, secret.clone());
        let resp = cx.send("secret in the query string", req).await?;
        let a = cx.answer(&resp)?;
        if accepted(&a, &baseline) {
            return Ok(Verdict::fail(format!(
                "the client secret was accepted in the URL query string ({})",
                a.describe()
            )));
        }
        refused.push(format!("secret in the query: {}", a.describe()));
        let mut as_get = endpoint.clone();
        as_get.query_pairs_mut().extend_pairs(params.iter());
        let mut req = HttpRequest::get(as_get).secret(SecretKind::ClientSecret, secret.clone());
        req = req.header(
            "Authorization",
            grantscope_core::oauth::client_auth::basic_header(&cfg.client_id, &secret),
        );
        let resp = cx.send("token request as GET", req).await?;
        let a = cx.answer(&resp)?;
        if accepted(&a, &baseline) {
            return Ok(Verdict::fail(format!(
                "a token request sent as GET was accepted ({})",
                a.describe()
            )));
        }
        refused.push(format!("GET: {}", a.describe()));
        let mut swapped = cfg.clone();
        let other = if method == AuthMethod::ClientSecretBasic {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::ClientSecretBasic
        };
        swapped.auth_method = Some(other);
        let a = cx
            .token_with(
                &format!("the same secret by {other}"),
                &swapped,
                params.clone(),
                &[],
            )
            .await?;
        let interchangeable = if accepted(&a, &baseline) {
            format!("{method} and {other} are interchangeable here")
        } else {
            format!("only {method} is accepted ({other}: {})", a.describe())
        };
        if cx.policy().is_fapi2() {
            // FAPI 2.0 §5.3.2.1: private_key_jwt or mutual TLS only.
            return Ok(Verdict::fail(format!(
                "the server accepted {method} for this client (baseline {}), and FAPI 2.0 allows only private_key_jwt or mutual TLS; {interchangeable}",
                baseline.describe()
            )));
        }
        Ok(Verdict::pass(format!(
            "every unauthenticated request was answered otherwise than the authenticated baseline ({}) ({}); {interchangeable}",
            baseline.describe(),
            refused.join("; ")
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, error: &str) -> Answer {
        Answer::Refused {
            status,
            error: Some(error.to_owned()),
            description: None,
        }
    }

    fn said(status: u16, error: &str, description: &str) -> Answer {
        Answer::Refused {
            status,
            error: Some(error.to_owned()),
            description: Some(description.to_owned()),
        }
    }

    #[test]
    fn variants_are_judged_against_the_baseline_not_one_error_code() {
        // A server that says invalid_code to an authenticated client with a made-up code.
        let baseline = refused(400, "invalid_code");
        assert!(!authentication_failed(&baseline));
        assert!(accepted(&refused(400, "invalid_code"), &baseline));
        assert!(!accepted(&refused(401, "invalid_client"), &baseline));
        assert!(!accepted(&refused(400, "invalid_grant"), &baseline));
        // The usual server.
        let baseline = refused(400, "invalid_grant");
        assert!(accepted(&refused(400, "invalid_grant"), &baseline));
        assert!(!accepted(&refused(400, "invalid_request"), &baseline));
        // The same code in other words: another answer (jmondi says invalid_request to a
        // made-up code and to a secret in the query string alike).
        let baseline = said(
            400,
            "invalid_request",
            "Cannot verify the authorization code",
        );
        assert!(!accepted(
            &said(400, "invalid_request", "Client authentication failed"),
            &baseline
        ));
        assert!(accepted(
            &said(
                400,
                "invalid_request",
                "Cannot verify the authorization code"
            ),
            &baseline
        ));
        // The right secret refused: nothing to compare with.
        assert!(authentication_failed(&refused(401, "invalid_client")));
        assert!(authentication_failed(&refused(400, "invalid_client")));
    }
}
