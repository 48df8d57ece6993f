//! `code.race` (RFC 9700 §4.2.4): ten parallel redemptions of one code on warmed connections;
//! at most one may get tokens.

use tokio::task::JoinSet;

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::{GrantKind, Session};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "code.race",
    title: "A code survives no race",
    group: Group::Codes,
    level: Level::Must,
    reference: "RFC 9700 §4.2.4, RFC 6749 §4.1.2",
    tests: "Ten parallel redemptions of one code on warmed connections: exactly one success passes; several working tokens fail.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: Some("redeems one code ten times at once (a server may revoke that login's tokens)"),
    run,
};

const RACERS: usize = 10;

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let got = cx.code().await?;
        let endpoint = cx.token_endpoint()?;
        let http = cx.target.http.clone();
        // Warm one connection per racer, so the redemptions leave at the same moment.
        let mut warm = JoinSet::new();
        for _ in 0..RACERS {
            let http = http.clone();
            let url = endpoint.clone();
            warm.spawn(async move {
                let _ = Session::new(http)
                    .send("warm a connection", HttpRequest::get(url))
                    .await;
            });
        }
        while warm.join_next().await.is_some() {}
        let mut params = vec![
            (
                "grant_type".to_string(),
                GrantKind::AuthorizationCode.grant_type().to_string(),
            ),
            ("code".to_string(), got.code.clone()),
            (
                "redirect_uri".to_string(),
                got.request.redirect_uri.to_string(),
            ),
        ];
        let verifier = got
            .request
            .code_verifier
            .as_ref()
            .map(|v| v.expose().to_string());
        if let Some(v) = &verifier {
            params.push(("code_verifier".into(), v.clone()));
        }
        let cfg = cx.cfg().clone();
        // Each racer proves the probe's DPoP key, where it has one (a code pushed with a proof
        // is bound to that key).
        let dpop = cx.session.dpop().cloned();
        let mut racing = JoinSet::new();
        for i in 0..RACERS {
            let (http, cfg, endpoint, params, dpop) = (
                http.clone(),
                cfg.clone(),
                endpoint.clone(),
                params.clone(),
                dpop.clone(),
            );
            let (code, verifier) = (got.code.clone(), verifier.clone().unwrap_or_default());
            racing.spawn(async move {
                let mut s = Session::new(http);
                s.set_dpop(dpop);
                let secrets = [
                    (SecretKind::AuthorizationCode, code.as_str()),
                    (SecretKind::PkceVerifier, verifier.as_str()),
                ];
                let resp = s
                    .send_authenticated(
                        &format!("parallel redemption {}", i + 1),
                        &endpoint,
                        &cfg,
                        params,
                        &secrets,
                    )
                    .await;
                (s, resp)
            });
        }
        let mut wins = 0;
        let mut answers = Vec::new();
        while let Some(joined) = racing.join_next().await {
            let Ok((mut s, resp)) = joined else { continue };
            if let Ok(resp) = resp {
                // Classified in the probe's own context, so the tokens are marked.
                let mut racer = Cx {
                    target: cx.target.clone(),
                    probe: cx.probe,
                    session: s,
                    extra: Vec::new(),
                };
                let answer = racer.answer(&resp);
                s = racer.session;
                match answer {
                    Ok(a) if a.is_tokens() => wins += 1,
                    Ok(a) => answers.push(a.describe()),
                    Err(e) => answers.push(e.to_string()),
                }
            }
            cx.extra.extend(s.take_exchanges());
        }
        answers.sort();
        answers.dedup();
        Ok(match wins {
            0 => Verdict::inconclusive(format!(
                "none of the {RACERS} parallel redemptions got tokens ({})",
                answers.join("; ")
            )),
            1 => Verdict::pass(format!(
                "exactly one of {RACERS} parallel redemptions got tokens; the others: {}",
                answers.join("; ")
            )),
            n => Verdict::fail(format!(
                "{n} of {RACERS} parallel redemptions of one code got tokens"
            )),
        })
    })
}
