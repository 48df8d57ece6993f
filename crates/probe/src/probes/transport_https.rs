//! `transport.https` (RFC 9700 §2.6): every metadata URL is https, and the token endpoint
//! does not answer over plain http.

use serde_json::Value;

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::GrantKind;

pub static PROBE: Probe = Probe {
    id: "transport.https",
    title: "Endpoints are https only",
    group: Group::TransportAndHeaders,
    level: Level::Must,
    reference: "RFC 9700 §2.6, RFC 6749 §3.1",
    tests: "Every metadata URL is https; the token request repeated over http (without credentials): https only passes, an OAuth answer over http fails; a loopback http issuer is inconclusive.",
    needs: &[],
    logins: 0,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let issuer = cx.target.config.endpoints.issuer.clone();
        if let Some(i) = &issuer
            && i.scheme() == "http"
            && grantscope_core::oauth::loopback::is_loopback(i)
        {
            return Ok(Verdict::inconclusive(
                "the issuer is a loopback http address (a local test server); transport security cannot be judged",
            ));
        }
        let Some(meta) = cx.target.discovery.as_ref().map(|d| d.metadata.clone()) else {
            return Ok(Verdict::inconclusive(
                "no discovery metadata to read the URLs from",
            ));
        };
        let mut plain = Vec::new();
        if let Value::Object(m) = &meta {
            for (k, v) in m {
                if let Some(s) = v.as_str()
                    && s.starts_with("http://")
                {
                    plain.push(k.clone());
                }
            }
        }
        if !plain.is_empty() {
            return Ok(Verdict::fail(format!(
                "metadata URLs over plain http: {}",
                plain.join(", ")
            )));
        }
        let mut url = cx.token_endpoint()?;
        if url.set_scheme("http").is_err() || url.set_port(None).is_err() {
            return Ok(Verdict::pass("every metadata URL is https"));
        }
        let req = HttpRequest::post_form(
            url,
            &[("grant_type", GrantKind::ClientCredentials.grant_type())],
        );
        match cx
            .send("token request over http (no credentials)", req)
            .await
        {
            Err(_) => Ok(Verdict::pass(
                "every metadata URL is https, and the token endpoint does not answer over http",
            )),
            Ok(resp) if (300..400).contains(&resp.status) => Ok(Verdict::pass(
                "every metadata URL is https; http redirects (and the client does not follow)",
            )),
            Ok(resp) => {
                let oauth = resp
                    .json_value()
                    .ok()
                    .is_some_and(|v| v.get("error").is_some() || v.get("access_token").is_some());
                Ok(if oauth {
                    Verdict::fail(format!(
                        "the token endpoint answers OAuth requests over plain http (HTTP {})",
                        resp.status
                    ))
                } else {
                    Verdict::pass(format!(
                        "every metadata URL is https; http answers HTTP {} without OAuth",
                        resp.status
                    ))
                })
            }
        }
    })
}
