//! `dpop.enforced` (RFC 9449, RFC 9700 §2.2.1): when the server advertises DPoP, a bound token
//! must not be usable without its key: the same proof twice, a proof for another method or
//! URL, a resource call without `ath`, a resource call with a valid proof by another key than
//! the token's `cnf.jkt`, and the bound token sent as a Bearer token are refused.
//!
//! The token requests go through the session's DPoP support; the one tampered proof of each
//! step is put in by the session's step gate (the exchange keeps the original beside it).

use std::sync::Arc;

use crate::cx::{Answer, Cx};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::FlowError;
use grantscope_core::oauth::dpop::{DpopKey, DpopState};
use grantscope_core::oauth::step::{Decision, Gate, Pending};
use grantscope_core::secret::SecretKind;

pub static PROBE: Probe = Probe {
    id: "dpop.enforced",
    title: "DPoP binding is enforced",
    group: Group::TransportAndHeaders,
    level: Level::Must,
    reference: "RFC 9700 §2.2.1, RFC 9449",
    tests: "When advertised: tokens with a proof; the same proof again; a proof with the wrong htm or htu; a resource call without ath; a resource call with a proof by another key; the bound token used as Bearer: all refused and the token bound (token_type DPoP, cnf.jkt when readable) passes. Not advertised: skipped.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

/// A gate that replaces the `DPoP` header of every request with `proof` (also
/// `dpop.proof`'s way to send its malformed proofs).
pub(super) fn with_proof(proof: String) -> Gate {
    Arc::new(move |pending| {
        let proof = proof.clone();
        Box::pin(async move {
            match pending {
                Pending::Request { mut request, .. } => {
                    request
                        .headers
                        .retain(|(k, _)| !k.eq_ignore_ascii_case("dpop"));
                    request.headers.push(("DPoP".into(), proof));
                    Decision::Edited(request)
                }
                Pending::Authorize { .. } => Decision::Send,
            }
        })
    })
}

/// A refresh whose proof is replaced by `proof`.
async fn refresh_with_proof(
    cx: &mut Cx,
    step: &str,
    rt: &str,
    proof: String,
) -> Result<Answer, FlowError> {
    cx.session.set_gate(Some(with_proof(proof)));
    let answer = cx.refresh(step, rt).await;
    cx.session.set_gate(None);
    answer
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if cx
            .target
            .supported("dpop_signing_alg_values_supported")
            .is_empty()
        {
            return Ok(Verdict::skipped(
                "the server does not advertise DPoP (dpop_signing_alg_values_supported)",
            ));
        }
        let key = DpopKey::generate()?;
        let jkt = key.jkt();
        let state = Arc::new(DpopState::new(key));
        cx.session.set_dpop(Some(state.clone()));
        let got = cx.code().await?;
        let answer = cx
            .redeem_got("token request with a DPoP proof", &got)
            .await?;
        let Some(tokens) = answer.tokens().cloned() else {
            return Ok(Verdict::inconclusive(format!(
                "the token request with a proof failed ({})",
                answer.describe()
            )));
        };
        if !tokens
            .token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("dpop"))
        {
            return Ok(Verdict::fail(format!(
                "a token request with a DPoP proof got a {} token, not a DPoP-bound one",
                grantscope_core::text::inert(
                    tokens.token_type.as_deref().unwrap_or("(no token_type)")
                )
            )));
        }
        let at = tokens.access_token.expose().to_string();
        let mut said = vec!["token_type DPoP".to_string()];
        if let Ok(grantscope_core::token::decode::Decoded::Jws(jws)) =
            grantscope_core::token::decode::decode(&at)
        {
            let bound = jws
                .claims
                .get("cnf")
                .and_then(|c| c.get("jkt"))
                .and_then(|j| j.as_str());
            if bound != Some(jkt.as_str()) {
                return Ok(Verdict::fail(
                    "the DPoP access token's cnf.jkt is not the proof key's thumbprint",
                ));
            }
            said.push("cnf.jkt matches".into());
        }
        let used = cx.session.exchanges().last().and_then(|e| {
            e.request_view(false)
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("dpop"))
                .map(|(_, v)| v.clone())
        });
        let endpoint = cx.token_endpoint()?;
        let now = grantscope_core::timefmt::now_unix();
        let nonce = state.nonce_for(&endpoint);
        if let Some(rt) = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_string())
        {
            let mut tampered = Vec::new();
            if let Some(old) = used {
                tampered.push(("the same proof again", old));
            }
            tampered.push((
                "htm GET",
                state
                    .key
                    .proof("GET", &endpoint, None, nonce.as_deref(), now)?,
            ));
            let mut elsewhere = endpoint.clone();
            elsewhere.set_path(&format!(
                "{}/grantscope-probe",
                endpoint.path().trim_end_matches('/')
            ));
            tampered.push((
                "htu of another URL",
                state
                    .key
                    .proof("POST", &elsewhere, None, nonce.as_deref(), now)?,
            ));
            for (what, proof) in tampered {
                let a = refresh_with_proof(cx, &format!("refresh with {what}"), &rt, proof).await?;
                if a.is_tokens() {
                    return Ok(Verdict::fail(format!("a refresh with {what} was accepted")));
                }
                said.push(format!("{what}: {}", a.describe()));
            }
        } else {
            said.push("no refresh token to test proofs at the token endpoint with".into());
        }
        if let Some(userinfo) = cx.cfg().endpoints.userinfo_endpoint.clone() {
            let call = |proof: Option<String>, scheme: &str| {
                let mut req = HttpRequest::get(userinfo.clone())
                    .header("Authorization", format!("{scheme} {at}"))
                    .secret(SecretKind::AccessToken, at.clone());
                if let Some(p) = proof {
                    req = req.header("DPoP", p);
                }
                req
            };
            let rnonce = state.nonce_for(&userinfo);
            let good = state
                .key
                .proof("GET", &userinfo, Some(&at), rnonce.as_deref(), now)?;
            let mut resp = cx
                .send(
                    "userinfo with the bound token and a proof",
                    call(Some(good), "DPoP"),
                )
                .await?;
            if resp.status == 401
                && let Some(n) = resp.header("dpop-nonce").map(str::to_string)
            {
                state.remember_nonce(&userinfo, &n);
                let good = state
                    .key
                    .proof("GET", &userinfo, Some(&at), Some(&n), now)?;
                resp = cx
                    .send("userinfo with the server's nonce", call(Some(good), "DPoP"))
                    .await?;
            }
            if !resp.is_success() {
                said.push(format!(
                    "userinfo refused even the proper proof (HTTP {}), resource checks skipped",
                    resp.status
                ));
            } else {
                let rnonce = state.nonce_for(&userinfo);
                let no_ath = state
                    .key
                    .proof("GET", &userinfo, None, rnonce.as_deref(), now)?;
                let r = cx
                    .send(
                        "userinfo with a proof without ath",
                        call(Some(no_ath), "DPoP"),
                    )
                    .await?;
                if r.is_success() {
                    return Ok(Verdict::fail("userinfo accepted a DPoP proof without ath"));
                }
                said.push(format!("no ath: HTTP {}", r.status));
                // A well-formed proof, with ath, by a key other than the token's cnf.jkt
                // (RFC 9449 §7.1: the resource must check the binding, not just the proof).
                let stranger = DpopKey::generate()?;
                let rnonce = state.nonce_for(&userinfo);
                let foreign =
                    stranger.proof("GET", &userinfo, Some(&at), rnonce.as_deref(), now)?;
                let r = cx
                    .send(
                        "userinfo with a proof by another key",
                        call(Some(foreign), "DPoP"),
                    )
                    .await?;
                if r.is_success() {
                    return Ok(Verdict::fail(
                        "userinfo accepted the DPoP-bound token with a valid proof signed by another key than its cnf.jkt (RFC 9449 §7.1)",
                    ));
                }
                said.push(format!("another key's proof: HTTP {}", r.status));
                let r = cx
                    .send("the bound token as a Bearer token", call(None, "Bearer"))
                    .await?;
                if r.is_success() {
                    return Ok(Verdict::fail(
                        "the DPoP-bound access token was accepted as a Bearer token",
                    ));
                }
                said.push(format!("as Bearer: HTTP {}", r.status));
            }
        }
        Ok(Verdict::pass(format!(
            "the token is bound and every tampered use was refused ({})",
            said.join("; ")
        )))
    })
}
