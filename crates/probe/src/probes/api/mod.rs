//! The API catalogue (PROBES.md "API probes"): one file per probe (each a `pub static PROBE:
//! ApiProbe`), and [`API_PROBES`], the registry `probe --api`, its plan, its reports, the
//! sandbox's teaching switches and the docs read. The helpers every probe shares: what it
//! needs ([`needs_jwt`], [`needs_issuer_key`]) and how a set of variants is judged ([`judge`]).

use crate::api_cx::{ApiCx, ApiTarget, Reaction};
use crate::api_host::{AttackerHost, Served};
use crate::model::ApiProbe;
use crate::verdict::{Outcome, Verdict};
use grantscope_core::keys::PrivateKey;
use grantscope_core::oauth::FlowError;
use grantscope_core::token::forge::{AttackId, AttackInputs, Token, attack};

pub(crate) mod alg_none;
pub(crate) mod audience;
pub(crate) mod challenge;
pub(crate) mod claims_tampered;
pub(crate) mod dpop_as_bearer;
pub(crate) mod embedded_jwk;
pub(crate) mod expired;
pub(crate) mod foreign_issuer;
pub(crate) mod hmac_key_confusion;
pub(crate) mod id_token;
pub(crate) mod jku;
pub(crate) mod kid_injection;
pub(crate) mod psychic_signature;
pub(crate) mod signature_invalid;
pub(crate) mod signature_stripped;
pub(crate) mod token_in_query;
pub(crate) mod weak_hmac_secret;
pub(crate) mod x5u;

/// The API catalogue, in the order results are shown (PROBES.md's table).
pub static API_PROBES: &[&ApiProbe] = &[
    &alg_none::PROBE,
    &signature_stripped::PROBE,
    &signature_invalid::PROBE,
    &claims_tampered::PROBE,
    &hmac_key_confusion::PROBE,
    &embedded_jwk::PROBE,
    &jku::PROBE,
    &x5u::PROBE,
    &kid_injection::PROBE,
    &psychic_signature::PROBE,
    &foreign_issuer::PROBE,
    &expired::PROBE,
    &audience::PROBE,
    &id_token::PROBE,
    &token_in_query::PROBE,
    &dpop_as_bearer::PROBE,
    &challenge::PROBE,
    &weak_hmac_secret::PROBE,
];

/// The API probe with this id.
pub fn find_api(id: &str) -> Option<&'static ApiProbe> {
    API_PROBES.iter().copied().find(|p| p.id == id)
}

/// Skip reason of a forgery when the genuine token is not a JWS.
pub(crate) fn needs_jwt(t: &ApiTarget) -> Option<String> {
    t.genuine().err()
}

/// Skip reason of a forgery that needs the issuer's public key.
pub(crate) fn needs_issuer_key(t: &ApiTarget) -> Option<String> {
    needs_jwt(t).or_else(|| t.issuer_keys.as_ref().err().cloned())
}

/// Sends each `(variant, token)` as the genuine token goes and judges them together: any
/// accepted → `accepted` (fail, or warn where the table says so); all refused → pass; else
/// inconclusive, naming the answer that decided nothing.
pub(crate) async fn try_all(
    cx: &mut ApiCx,
    probe: &str,
    variants: Vec<(String, String)>,
    accepted: Outcome,
    what: &str,
) -> Result<Verdict, FlowError> {
    let mut seen = Vec::new();
    for (variant, token) in variants {
        let r = cx.try_token(probe, &variant, &token).await?;
        seen.push((variant, r));
    }
    Ok(judge(&seen, accepted, what))
}

/// Makes every variant of the forgery `id` from the genuine token and tries them
/// ([`try_forgery`]).
pub(crate) async fn forge_and_try(
    cx: &mut ApiCx,
    probe: &str,
    id: AttackId,
    inputs: &AttackInputs<'_>,
    accepted: Outcome,
    what: &str,
) -> Result<Verdict, FlowError> {
    let token = match Token::parse(cx.target.token.expose()) {
        Ok(t) => t,
        Err(e) => return Ok(Verdict::skipped(e.to_string())),
    };
    try_forgery(cx, probe, id, &token, inputs, accepted, what).await
}

/// Makes every variant of the forgery `id` from `token` and sends each as the genuine token
/// goes; judged by [`judge`].
pub(crate) async fn try_forgery(
    cx: &mut ApiCx,
    probe: &str,
    id: AttackId,
    token: &Token,
    inputs: &AttackInputs<'_>,
    accepted: Outcome,
    what: &str,
) -> Result<Verdict, FlowError> {
    let variants = match attack(id, token, inputs) {
        Ok(v) => v,
        Err(e) => {
            return Ok(Verdict::inconclusive(format!(
                "the forgery could not be made: {}",
                grantscope_core::text::inert(&e.to_string())
            )));
        }
    };
    let variants = variants.into_iter().map(|v| (v.name, v.token)).collect();
    try_all(cx, probe, variants, accepted, what).await
}

/// `api.jku` / `api.x5u`: serves the attacker's key document (made by `document` from a fresh
/// key of the token's family) on 127.0.0.1, points the forged header at it, and says whether
/// the API fetched it: accepted → fail; refused but fetched → warn; refused and never fetched
/// → pass.
pub(crate) async fn served_key_probe(
    cx: &mut ApiCx,
    probe: &str,
    id: AttackId,
    file: &str,
    content_type: &'static str,
    document: fn(&PrivateKey) -> Result<String, String>,
    noun: &str,
) -> Result<Verdict, FlowError> {
    let token = match Token::parse(cx.target.token.expose()) {
        Ok(t) => t,
        Err(e) => return Ok(Verdict::skipped(e.to_string())),
    };
    let made = cx
        .target
        .attacker_key()
        .await
        .and_then(|key| document(&key).map(|d| (key, d)));
    let (key, body) = match made {
        Ok(k) => k,
        Err(e) => return Ok(Verdict::inconclusive(e)),
    };
    // A path nobody guesses: only the forged header names it.
    let path = format!("/{}/{file}", grantscope_core::oauth::pkce::random_token());
    let host = match AttackerHost::start(vec![Served {
        path: path.clone(),
        content_type,
        body,
    }])
    .await
    {
        Ok(h) => h,
        Err(e) => return Ok(Verdict::inconclusive(e)),
    };
    let url = host.url(&path).to_string();
    let inputs = AttackInputs {
        attacker_key: Some(&key),
        url: Some(&url),
        ..AttackInputs::default()
    };
    let what = format!("a token whose {id} header points at the attacker's {noun}");
    let verdict = try_forgery(cx, probe, id, &token, &inputs, Outcome::Fail, &what).await?;
    let fetched = host.fetched(&path);
    Ok(match (verdict.outcome, fetched) {
        (Outcome::Fail, true) => Verdict::fail(format!(
            "{}; it fetched the attacker's {noun} at {url} and trusted it",
            verdict.reason
        )),
        (Outcome::Fail, false) => Verdict::fail(format!(
            "{}; it never fetched {url}: it took the token without checking the signature against any key",
            verdict.reason
        )),
        (Outcome::Pass, true) => Verdict::warn(format!(
            "{}, but it fetched the attacker's {noun} at {url}: it follows {id} headers to any host",
            verdict.reason
        )),
        (Outcome::Pass, false) => {
            Verdict::pass(format!("{} and never fetched {url}", verdict.reason))
        }
        (_, true) => Verdict::new(
            verdict.outcome,
            format!("{} (it fetched {url})", verdict.reason),
        ),
        _ => verdict,
    })
}

/// The accepted variants a reason names before it counts the rest.
const MAX_NAMED: usize = 4;

/// Judges what the API did with each variant of `what`.
pub(crate) fn judge(seen: &[(String, Reaction)], accepted: Outcome, what: &str) -> Verdict {
    let taken: Vec<String> = seen
        .iter()
        .filter_map(|(v, r)| match r {
            Reaction::Accepted(s) => Some(format!("{v} (HTTP {s})")),
            _ => None,
        })
        .collect();
    if !taken.is_empty() {
        // A long list (30 key-confusion variants) is cut; the exchanges hold every one.
        let shown = if taken.len() > MAX_NAMED {
            format!(
                "{}; and {} more of the {} variants",
                taken[..MAX_NAMED].join("; "),
                taken.len() - MAX_NAMED,
                seen.len()
            )
        } else {
            taken.join("; ")
        };
        return Verdict::new(accepted, format!("the API accepted {what}: {shown}"));
    }
    if let Some((v, r)) = seen.iter().find(|(_, r)| matches!(r, Reaction::Other(_))) {
        return Verdict::inconclusive(format!(
            "the API answered HTTP {} to {v}: neither accepted (2xx) nor refused (401/403)",
            r.status()
        ));
    }
    let mut statuses: Vec<u16> = seen.iter().map(|(_, r)| r.status()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
    let n = seen.len();
    Verdict::pass(if n == 1 {
        format!("the API refused {what} (HTTP {})", statuses.join("/"))
    } else {
        format!(
            "the API refused all {n} variants of {what} (HTTP {})",
            statuses.join("/")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_api_prefixed() {
        let mut ids: Vec<&str> = API_PROBES.iter().map(|p| p.id).collect();
        assert!(ids.iter().all(|i| i.starts_with("api.")));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), API_PROBES.len());
    }

    #[test]
    fn judging_variants() {
        let refused = vec![
            ("a".to_string(), Reaction::Refused(401)),
            ("b".to_string(), Reaction::Refused(401)),
        ];
        assert_eq!(judge(&refused, Outcome::Fail, "x").outcome, Outcome::Pass);
        let mut one = refused.clone();
        one.push(("c".into(), Reaction::Accepted(200)));
        one.push(("d".into(), Reaction::Other(500)));
        let v = judge(&one, Outcome::Fail, "x");
        assert_eq!(v.outcome, Outcome::Fail);
        assert!(v.reason.contains("c (HTTP 200)"), "{}", v.reason);
        let odd = vec![("d".to_string(), Reaction::Other(400))];
        assert_eq!(
            judge(&odd, Outcome::Fail, "x").outcome,
            Outcome::Inconclusive
        );
    }
}
