//! The API catalogue (PROBES.md "API probes"): one file per probe (each a `pub static PROBE:
//! ApiProbe`), and [`API_PROBES`], the registry `probe --api`, its plan, its reports, the
//! sandbox's teaching switches and the docs read. The helpers every probe shares: what it
//! needs ([`needs_jwt`], [`needs_issuer_key`]) and how a set of variants is judged ([`judge`]).

use crate::api_cx::{ApiCx, ApiTarget, Reaction};
use crate::model::ApiProbe;
use crate::verdict::{Outcome, Verdict};
use grantscope_core::oauth::FlowError;

pub(crate) mod audience;
pub(crate) mod challenge;
pub(crate) mod dpop_as_bearer;
pub(crate) mod expired;
pub(crate) mod id_token;
pub(crate) mod token_in_query;
pub(crate) mod weak_hmac_secret;

/// The API catalogue, in the order results are shown (PROBES.md's table).
pub static API_PROBES: &[&ApiProbe] = &[
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
        return Verdict::new(
            accepted,
            format!("the API accepted {what}: {}", taken.join("; ")),
        );
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
        assert_eq!(judge(&odd, Outcome::Fail, "x").outcome, Outcome::Inconclusive);
    }
}
