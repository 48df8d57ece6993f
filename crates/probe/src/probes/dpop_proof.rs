//! `dpop.proof` (RFC 9449 §4.3, §7): the negative proof catalogue. Each proof is sent at the
//! token endpoint with a made-up code, so the proof is judged, not the grant: a proof the server
//! accepts gets the same answer as the valid one (the baseline, `invalid_grant`); a refused one
//! gets another (`invalid_dpop_proof`). At userinfo, a bound token with a proof whose `ath`
//! hashes another token.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use url::Url;

use crate::cx::{Answer, Cx};
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::keys::{GenerateType, JwsAlg, PrivateKey, Signer, sign_compact};
use grantscope_core::oauth::dpop::{DpopKey, DpopState, htu};
use grantscope_core::oauth::{FlowError, GrantKind, pkce};

pub static PROBE: Probe = Probe {
    id: "dpop.proof",
    title: "Malformed DPoP proofs are refused",
    group: Group::TransportAndHeaders,
    level: Level::Should,
    reference: "RFC 9449 §4.3, §7",
    tests: "Proofs without typ or with typ JWT, with a private key in jwk, alg none, a bad signature, htm GET or none, htu of another URL or none, iat an hour ago, no jti, each with a made-up code, judged against a valid proof's answer; a login's accepted proof replayed; at userinfo, an ath of another token: all refused passes. An htu differing only by a query must be accepted: refused is info. No DPoP advertised: skipped.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

/// The proof's parts, changed by a variant before signing.
struct Parts {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

fn b64(bytes: &[u8]) -> String {
    grantscope_core::keys::base64url(bytes)
}

/// Signs `parts` with `key` (ES256); `alg none` leaves the signature empty.
fn signed(key: &PrivateKey, parts: &Parts, none: bool) -> Result<String, FlowError> {
    if none {
        let mut header = parts.header.clone();
        header.insert("alg".into(), json!("none"));
        let h = serde_json::to_vec(&Value::Object(header)).unwrap_or_default();
        let c = serde_json::to_vec(&Value::Object(parts.claims.clone())).unwrap_or_default();
        return Ok(format!("{}.{}.", b64(&h), b64(&c)));
    }
    sign_compact(
        &parts.header,
        &Value::Object(parts.claims.clone()),
        Signer::Key(key),
        JwsAlg::Es256,
    )
    .map_err(|e| FlowError::Config(e.to_string()))
}

/// A made-up code's token request with `proof`.
async fn send(cx: &mut Cx, step: &str, proof: String) -> Result<Answer, FlowError> {
    let params = vec![
        (
            "grant_type".to_string(),
            GrantKind::AuthorizationCode.grant_type().to_string(),
        ),
        (
            "code".to_string(),
            format!("grantscope-probe-{}", pkce::random_token()),
        ),
        (
            "redirect_uri".to_string(),
            cx.target.redirect_uri.to_string(),
        ),
    ];
    cx.session
        .set_gate(Some(super::dpop_enforced::with_proof(proof)));
    let answer = cx.token(step, params, &[]).await;
    cx.session.set_gate(None);
    answer
}

fn same(a: &Answer, b: &Answer) -> bool {
    match (a, b) {
        (
            Answer::Refused {
                status: s1,
                error: e1,
                ..
            },
            Answer::Refused {
                status: s2,
                error: e2,
                ..
            },
        ) => s1 == s2 && e1 == e2,
        _ => a.is_tokens() && b.is_tokens(),
    }
}

/// The nonce a refused answer asks for (`use_dpop_nonce` with a `DPoP-Nonce` header).
fn asked_nonce(cx: &Cx) -> Option<String> {
    let last = cx.session.exchanges().last()?;
    let view = last.response_view(false)?;
    view.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("dpop-nonce"))
        .map(|(_, v)| v.clone())
}

type Edit = fn(&mut Parts, &Url, i64);

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if !cx.target.advertises_dpop() {
            return Ok(Verdict::skipped(
                "the server does not advertise DPoP (dpop_signing_alg_values_supported)",
            ));
        }
        cx.session.set_dpop(None);
        let endpoint = cx.token_endpoint()?;
        let key = PrivateKey::generate(GenerateType::EcP256)
            .map_err(|e| FlowError::Config(e.to_string()))?;
        let mut jwk = key.public_jwk();
        if let Some(m) = jwk.as_object_mut() {
            m.remove("kid");
            m.remove("use");
            m.remove("alg");
        }
        let mut nonce: Option<String> = None;
        let parts = |nonce: &Option<String>| {
            let mut header = Map::new();
            header.insert("typ".into(), json!("dpop+jwt"));
            header.insert("jwk".into(), jwk.clone());
            let mut claims = Map::new();
            claims.insert("jti".into(), json!(pkce::random_token()));
            claims.insert("htm".into(), json!("POST"));
            claims.insert("htu".into(), json!(htu(&endpoint)));
            claims.insert("iat".into(), json!(grantscope_core::timefmt::now_unix()));
            if let Some(n) = nonce {
                claims.insert("nonce".into(), json!(n));
            }
            Parts { header, claims }
        };
        // The baseline: a valid proof (with the server's nonce when it asks for one).
        let valid = signed(&key, &parts(&nonce), false)?;
        let mut baseline = send(cx, "a valid proof with a made-up code (baseline)", valid).await?;
        if baseline.error() == Some("use_dpop_nonce")
            && let Some(n) = asked_nonce(cx)
        {
            nonce = Some(n);
            let valid = signed(&key, &parts(&nonce), false)?;
            baseline = send(
                cx,
                "a valid proof with the server's nonce (baseline)",
                valid,
            )
            .await?;
        }
        if matches!(
            baseline.error(),
            Some("invalid_dpop_proof" | "use_dpop_nonce")
        ) {
            return Ok(Verdict::inconclusive(format!(
                "even a valid proof was refused ({}), so the refusals below would prove nothing",
                baseline.describe()
            )));
        }
        let variants: [(&str, bool, Edit); 10] = [
            ("no typ", false, |p, _, _| {
                p.header.remove("typ");
            }),
            ("typ JWT", false, |p, _, _| {
                p.header.insert("typ".into(), json!("JWT"));
            }),
            ("a private key in jwk", false, |p, _, _| {
                if let Some(Value::Object(j)) = p.header.get_mut("jwk") {
                    j.insert("d".into(), json!(b64(&[7u8; 32])));
                }
            }),
            ("alg none", true, |_, _, _| {}),
            ("htm GET", false, |p, _, _| {
                p.claims.insert("htm".into(), json!("GET"));
            }),
            ("no htm", false, |p, _, _| {
                p.claims.remove("htm");
            }),
            ("htu of another URL", false, |p, u, _| {
                let mut other = u.clone();
                other.set_path(&format!(
                    "{}/grantscope-probe",
                    u.path().trim_end_matches('/')
                ));
                p.claims.insert("htu".into(), json!(htu(&other)));
            }),
            ("no htu", false, |p, _, _| {
                p.claims.remove("htu");
            }),
            ("iat an hour ago", false, |p, _, now| {
                p.claims.insert("iat".into(), json!(now - 3600));
            }),
            ("no jti", false, |p, _, _| {
                p.claims.remove("jti");
            }),
        ];
        let now = grantscope_core::timefmt::now_unix();
        let mut accepted = Vec::new();
        let mut said = Vec::new();
        for (what, none, edit) in variants {
            let mut p = parts(&nonce);
            edit(&mut p, &endpoint, now);
            let proof = signed(&key, &p, none)?;
            let a = send(cx, &format!("a proof with {what}"), proof).await?;
            if same(&a, &baseline) {
                accepted.push(what.to_string());
            } else {
                said.push(format!("{what}: {}", a.describe()));
            }
        }
        // A bad signature: a valid proof with its signature changed.
        let good = signed(&key, &parts(&nonce), false)?;
        let bad = match good.rsplit_once('.') {
            Some((input, sig)) => {
                let mut sig: Vec<char> = sig.chars().collect();
                let i = sig.len() / 2;
                if let Some(c) = sig.get_mut(i) {
                    *c = if *c == 'A' { 'B' } else { 'A' };
                }
                format!("{input}.{}", sig.into_iter().collect::<String>())
            }
            None => good,
        };
        let a = send(cx, "a proof with a bad signature", bad).await?;
        if same(&a, &baseline) {
            accepted.push("a bad signature".into());
        } else {
            said.push(format!("a bad signature: {}", a.describe()));
        }
        // An htu that differs only by a query must be accepted (RFC 9449 §4.3).
        let mut p = parts(&nonce);
        p.claims.insert(
            "htu".into(),
            json!(format!("{}?grantscope=1", htu(&endpoint))),
        );
        let a = send(
            cx,
            "a proof whose htu has a query",
            signed(&key, &p, false)?,
        )
        .await?;
        let query_refused = !same(&a, &baseline);
        // A login with a proof: its accepted proof replayed (a server may remember only the
        // proofs of requests it accepted), then at userinfo a proof whose ath hashes another
        // token.
        let state = Arc::new(DpopState::new(DpopKey::generate()?));
        cx.session.set_dpop(Some(state.clone()));
        let tokens = cx.tokens().await?;
        let used = cx.session.exchanges().last().and_then(|e| {
            e.request_view(false)
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("dpop"))
                .map(|(_, v)| v.clone())
        });
        cx.session.set_dpop(None);
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_string());
        match (used, refresh) {
            // With a real grant (a server may check replays only once the grant is found).
            (Some(used), Some(rt)) => {
                cx.session
                    .set_gate(Some(super::dpop_enforced::with_proof(used)));
                let a = cx
                    .refresh(
                        "refresh with the redemption's accepted proof again (replayed)",
                        &rt,
                    )
                    .await;
                cx.session.set_gate(None);
                let a = a?;
                if a.is_tokens() {
                    accepted.push("a replayed proof".into());
                } else {
                    said.push(format!("replayed: {}", a.describe()));
                }
            }
            (Some(used), None) => {
                let a = send(cx, "the redemption's accepted proof again (replayed)", used).await?;
                if same(&a, &baseline) {
                    accepted.push("a replayed proof (with a made-up code)".into());
                } else {
                    said.push(format!("replayed: {}", a.describe()));
                }
            }
            _ => said.push("the redemption's proof could not be read back to replay".into()),
        }
        if let Some(userinfo) = cx.cfg().endpoints.userinfo_endpoint.clone() {
            cx.session.set_dpop(Some(state.clone()));
            let at = tokens.access_token.expose().to_string();
            let good = cx
                .use_token("userinfo with the bound token (control)", &userinfo, &at)
                .await?;
            if good.is_success() {
                let other = format!("{at}x");
                let proof = state.proof_for("GET", &userinfo, Some(&other))?;
                let req = grantscope_core::http::HttpRequest::get(userinfo.clone())
                    .header("Authorization", format!("DPoP {at}"))
                    .header("DPoP", proof)
                    .secret(grantscope_core::secret::SecretKind::AccessToken, at.clone());
                let r = cx
                    .send("userinfo with an ath of another token", req)
                    .await?;
                if r.is_success() {
                    accepted.push("an ath of another token at userinfo".into());
                } else {
                    said.push(format!("wrong ath at userinfo: HTTP {}", r.status));
                }
            } else {
                said.push(format!(
                    "userinfo refused even the proper proof (HTTP {}), ath not checked",
                    good.status
                ));
            }
        }
        let note = if query_refused {
            format!(
                "; an htu differing only by a query was refused ({}), which RFC 9449 §4.3 says to accept",
                a.describe()
            )
        } else {
            String::new()
        };
        Ok(if !accepted.is_empty() {
            cx.policy().strict(format!(
                "malformed DPoP proofs were accepted: {}{note}",
                accepted.join(", ")
            ))
        } else if query_refused {
            Verdict::info(format!(
                "every malformed proof was refused ({}){note}",
                said.join("; ")
            ))
        } else {
            Verdict::pass(format!(
                "every malformed proof was refused ({})",
                said.join("; ")
            ))
        })
    })
}
