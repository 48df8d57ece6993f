//! `client-auth.enforced` (RFC 9700 §2.5, RFC 6749 §2.3.1): a confidential client's token
//! requests without its secret, with a wrong one, with it in the query string, and as GET.
//!
//! The requests redeem a made-up code, so no login is needed: a server that authenticates the
//! client first answers `invalid_client`; `invalid_grant` means it accepted the client and went
//! on to look at the code. The probe checks that baseline first (the right secret must get
//! `invalid_grant`), else it is inconclusive.

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

/// The client got past authentication: the server went on to judge the (made-up) code.
fn accepted(a: &Answer) -> bool {
    a.is_tokens() || a.error() == Some("invalid_grant")
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
        if !accepted(&baseline) {
            return Ok(Verdict::inconclusive(format!(
                "with the right secret and a made-up code the server answered {}, not invalid_grant; cannot tell authentication failures apart",
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
        if accepted(&a) {
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
        if accepted(&a) {
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
        if accepted(&a) {
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
        if accepted(&a) {
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
        let interchangeable = if accepted(&a) {
            format!("{method} and {other} are interchangeable here")
        } else {
            format!("only {method} is accepted ({other}: {})", a.describe())
        };
        Ok(Verdict::pass(format!(
            "every unauthenticated request was refused ({}); {interchangeable}",
            refused.join("; ")
        )))
    })
}
