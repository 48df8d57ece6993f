//! `headers` (RFC 9700 §2.6, §4.16, RFC 6749 §5.1): no CORS at the authorization endpoint,
//! no `*` with credentials at the token endpoint, `no-store` on token responses, frame
//! protection on the login page.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::{Exchange, HttpRequest};
use grantscope_core::oauth::PkceMode;

pub static PROBE: Probe = Probe {
    id: "headers",
    title: "Security headers",
    group: Group::TransportAndHeaders,
    level: Level::Must,
    reference: "RFC 9700 §2.6, §4.16, RFC 6749 §5.1",
    tests: "Origin: on authorize and token; Cache-Control on token responses; frame protection on the login page: no CORS at authorize, no * with credentials at token, no-store passes; no frame protection warns.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

const ORIGIN: &str = "https://grantscope-probe.invalid";

fn header(ex: &Exchange, name: &str) -> Option<String> {
    ex.response_view(false)?
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let mut fails = Vec::new();
        let mut warns = Vec::new();
        let request = cx.auth_request(PkceMode::S256)?;
        let req = HttpRequest::get(request.url.clone()).header("Origin", ORIGIN);
        cx.send("authorization request with Origin", req).await?;
        let authorize = cx.session.exchanges().last().cloned();
        if let Some(ex) = &authorize
            && let Some(acao) = header(ex, "access-control-allow-origin")
        {
            fails.push(format!(
                "the authorization endpoint answers with CORS (Access-Control-Allow-Origin: {})",
                grantscope_core::text::inert(&acao)
            ));
        }
        // The login page (when the server shows one): frame protection.
        if let Some(ex) = &authorize
            && ex.status() == Some(200)
        {
            let xfo = header(ex, "x-frame-options");
            let csp =
                header(ex, "content-security-policy").filter(|c| c.contains("frame-ancestors"));
            if xfo.is_none() && csp.is_none() {
                warns.push(
                    "the login page has neither X-Frame-Options nor CSP frame-ancestors"
                        .to_string(),
                );
            }
        }
        // CORS at the token endpoint is visible without credentials.
        let endpoint = cx.token_endpoint()?;
        let req = HttpRequest::post_form(
            endpoint,
            &[
                ("grant_type", "authorization_code"),
                ("code", "grantscope-probe"),
            ],
        )
        .header("Origin", ORIGIN);
        cx.send("token request with Origin (no credentials)", req)
            .await?;
        if let Some(ex) = cx.session.exchanges().last().cloned()
            && header(&ex, "access-control-allow-origin").as_deref() == Some("*")
            && header(&ex, "access-control-allow-credentials").as_deref() == Some("true")
        {
            fails.push("the token endpoint allows any origin with credentials".into());
        }
        let got = cx.code().await?;
        let answer = cx.redeem_got("token request", &got).await?;
        let Some(ex) = cx.session.exchanges().last().cloned() else {
            return Ok(Verdict::inconclusive("the token request was not recorded"));
        };
        if answer.is_tokens() {
            let cc = header(&ex, "cache-control").unwrap_or_default();
            if !cc.to_ascii_lowercase().contains("no-store") {
                fails.push(format!(
                    "the token response is cacheable (Cache-Control: {:?})",
                    grantscope_core::text::inert(&cc)
                ));
            }
        } else {
            return Ok(Verdict::inconclusive(format!(
                "the token request failed ({}); its headers were not judged",
                answer.describe()
            )));
        }
        Ok(if !fails.is_empty() {
            Verdict::fail(fails.join("; "))
        } else if !warns.is_empty() {
            Verdict::warn(warns.join("; "))
        } else {
            Verdict::pass(
                "no CORS at authorize, no * with credentials at token, Cache-Control: no-store on tokens",
            )
        })
    })
}
