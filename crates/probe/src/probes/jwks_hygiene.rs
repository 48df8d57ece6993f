//! `jwks.hygiene` (RFC 8725 §3.1–3.2): the published keys and signing algorithms, and the ID
//! token's header.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::http::HttpRequest;

pub static PROBE: Probe = Probe {
    id: "jwks.hygiene",
    title: "Key set hygiene",
    group: Group::Keys,
    level: Level::Must,
    reference: "RFC 8725 §3.1–3.2, RFC 7517",
    tests: "The JWKS, the advertised ID token algorithms and an ID token's header: private members, RSA under 2048 bits, none advertised, or a header alg not advertised fail; HS* advertised for ID tokens or duplicate kids warn. Under fapi2 a signing alg other than PS256/ES256/EdDSA advertised or used fails.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let Some(jwks_uri) = cx.cfg().endpoints.jwks_uri.clone() else {
            return Ok(Verdict::inconclusive("no jwks_uri is known"));
        };
        let resp = cx
            .send("fetch the JWKS", HttpRequest::get(jwks_uri))
            .await?;
        if !resp.is_success() {
            return Ok(Verdict::inconclusive(format!(
                "the JWKS could not be fetched (HTTP {})",
                resp.status
            )));
        }
        let Some(keys) = resp
            .json_value()
            .ok()
            .and_then(|v| v.get("keys").and_then(Value::as_array).cloned())
        else {
            return Ok(Verdict::fail(
                "the jwks_uri does not serve a JSON Web Key Set",
            ));
        };
        let mut fails = Vec::new();
        let mut warns = Vec::new();
        let mut kids = HashSet::new();
        for (i, key) in keys.iter().enumerate() {
            let kid = key.get("kid").and_then(Value::as_str).unwrap_or("");
            let name = if kid.is_empty() {
                format!("key {i}")
            } else {
                format!("key {:?}", grantscope_core::text::inert(kid))
            };
            let private: Vec<&str> = PRIVATE_MEMBERS
                .iter()
                .copied()
                .filter(|m| key.get(*m).is_some())
                .collect();
            if !private.is_empty() {
                fails.push(format!(
                    "{name} publishes private or secret members ({})",
                    private.join(", ")
                ));
            }
            if key.get("kty").and_then(Value::as_str) == Some("RSA") {
                let bits = key
                    .get("n")
                    .and_then(Value::as_str)
                    .and_then(|n| URL_SAFE_NO_PAD.decode(n).ok())
                    .map(|b| b.iter().skip_while(|x| **x == 0).count() * 8)
                    .unwrap_or(0);
                if bits < 2048 {
                    fails.push(format!("{name} is RSA with {bits} bits (under 2048)"));
                }
            }
            if !kid.is_empty() && !kids.insert(kid.to_string()) {
                warns.push(format!(
                    "duplicate kid {:?}",
                    grantscope_core::text::inert(kid)
                ));
            }
        }
        let algs = cx.target.supported("id_token_signing_alg_values_supported");
        if algs.iter().any(|a| a == "none") {
            fails.push("id_token_signing_alg_values_supported advertises none".into());
        }
        let hs: Vec<&String> = algs.iter().filter(|a| a.starts_with("HS")).collect();
        if !hs.is_empty() {
            warns.push(format!(
                "HS* advertised for ID tokens ({})",
                hs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        if cx.policy().is_fapi2() {
            // FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA only, for every JWS.
            for name in [
                "id_token_signing_alg_values_supported",
                "token_endpoint_auth_signing_alg_values_supported",
            ] {
                let other: Vec<String> = cx
                    .target
                    .supported(name)
                    .into_iter()
                    .filter(|a| !crate::policy::FAPI2_ALGS.contains(&a.as_str()))
                    .collect();
                if !other.is_empty() {
                    fails.push(format!(
                        "{name} advertises {} (FAPI 2.0 allows PS256, ES256, EdDSA)",
                        grantscope_core::text::inert(&other.join(", "))
                    ));
                }
            }
        }
        let mut header_note = "no ID token was looked at (openid not in --scope)".to_string();
        if cx.cfg().wants_openid() {
            let tokens = cx.tokens().await?;
            if let Some(id) = &tokens.id_token
                && let Ok(grantscope_core::token::decode::Decoded::Jws(jws)) =
                    grantscope_core::token::decode::decode(id.expose())
            {
                let alg = jws.alg().unwrap_or("").to_string();
                if !algs.is_empty() && !algs.contains(&alg) {
                    fails.push(format!(
                        "the ID token is signed with {:?}, which the metadata does not advertise",
                        grantscope_core::text::inert(&alg)
                    ));
                }
                if cx.policy().is_fapi2() && !crate::policy::FAPI2_ALGS.contains(&alg.as_str()) {
                    fails.push(format!(
                        "the ID token is signed with {:?} (FAPI 2.0 allows PS256, ES256, EdDSA)",
                        grantscope_core::text::inert(&alg)
                    ));
                }
                header_note = format!(
                    "the ID token header alg is {}",
                    grantscope_core::text::inert(&alg)
                );
            }
        }
        Ok(if !fails.is_empty() {
            Verdict::fail(fails.join("; "))
        } else if !warns.is_empty() {
            Verdict::warn(format!("{}; {header_note}", warns.join("; ")))
        } else {
            Verdict::pass(format!(
                "{} key(s), all public and strong enough, no none or HS* advertised; {header_note}",
                keys.len()
            ))
        })
    })
}
