//! The lifecycle measurement behind `grantscope watch`: a series of probes ("does the server
//! still accept this token?") turned into a verdict measured against the server, compared with
//! the moment the token was revoked or its `exp`: "revoked at 12:00:03.120, rejected from
//! 12:00:03.410 (290 ms later)".
//!
//! Pure: the probes carry their own timestamps (unix milliseconds), so the GUI's lifecycle lab
//! and the tests use the same code without a clock or a network.

use serde::{Deserialize, Serialize};

use crate::timefmt::rfc3339_millis;

/// One question to the server about the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// When the answer arrived, RFC 3339 with milliseconds.
    pub at: String,
    /// The same instant in unix milliseconds.
    pub at_ms: i64,
    /// `true` accepted (active / 2xx), `false` rejected (inactive / 401), `null` the probe failed.
    pub accepted: Option<bool>,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// What the server said, in short.
    pub detail: String,
    /// Round-trip time of the probe.
    pub elapsed_ms: u64,
}

impl Probe {
    /// A probe answered at `at_ms`.
    pub fn new(
        at_ms: i64,
        accepted: Option<bool>,
        status: Option<u16>,
        detail: impl Into<String>,
        elapsed_ms: u64,
    ) -> Self {
        Self {
            at: rfc3339_millis(at_ms),
            at_ms,
            accepted,
            status,
            detail: detail.into(),
            elapsed_ms,
        }
    }
}

/// What the rejection is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    /// The moment the revocation request was answered.
    Revocation,
    /// The token's `exp`.
    Expiry,
}

/// The outcome of a watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchVerdict {
    /// What the rejection is measured against, if anything.
    pub reference: Option<Reference>,
    /// The reference instant (RFC 3339 with milliseconds).
    pub reference_at: Option<String>,
    /// The last probe that was accepted before the first rejection (or the last one at all).
    pub last_accepted_at: Option<String>,
    /// The first probe that was rejected.
    pub first_rejected_at: Option<String>,
    /// Milliseconds from the reference to the first rejection (negative: rejected before it).
    pub lag_ms: Option<i64>,
    /// Whether the server was seen rejecting the token.
    pub rejected: bool,
    /// Whether the server accepted the token again after rejecting it.
    pub flapped: bool,
    /// The measurement in one sentence.
    pub summary: String,
}

fn ms_phrase(ms: i64) -> String {
    let abs = ms.unsigned_abs();
    if abs < 10_000 {
        format!("{abs} ms")
    } else {
        format!("{:.1} s", abs as f64 / 1000.0)
    }
}

/// Judges a series of probes (in time order). `revoked_at_ms` wins over `exp` (unix seconds) as
/// the reference.
pub fn verdict(probes: &[Probe], revoked_at_ms: Option<i64>, exp: Option<i64>) -> WatchVerdict {
    let (reference, reference_ms) = match (revoked_at_ms, exp) {
        (Some(r), _) => (Some(Reference::Revocation), Some(r)),
        (None, Some(e)) => (Some(Reference::Expiry), Some(e.saturating_mul(1000))),
        (None, None) => (None, None),
    };
    let first_rejected = probes.iter().position(|p| p.accepted == Some(false));
    let last_accepted = match first_rejected {
        Some(i) => probes[..i].iter().rev().find(|p| p.accepted == Some(true)),
        None => probes.iter().rev().find(|p| p.accepted == Some(true)),
    };
    let flapped =
        first_rejected.is_some_and(|i| probes[i..].iter().any(|p| p.accepted == Some(true)));
    let rejected_probe = first_rejected.map(|i| &probes[i]);
    let lag_ms = match (rejected_probe, reference_ms) {
        (Some(p), Some(r)) => Some(p.at_ms.saturating_sub(r)),
        _ => None,
    };
    let what = match reference {
        Some(Reference::Revocation) => "revoked",
        Some(Reference::Expiry) => "exp",
        None => "",
    };
    let mut summary = match (rejected_probe, reference_ms) {
        (Some(p), Some(r)) => {
            let lag = p.at_ms.saturating_sub(r);
            let relation = if lag >= 0 {
                format!("{} later", ms_phrase(lag))
            } else {
                format!("{} before it", ms_phrase(lag))
            };
            format!(
                "{what} at {}, rejected from {} ({relation})",
                rfc3339_millis(r),
                p.at
            )
        }
        (Some(p), None) => format!("rejected from {}", p.at),
        (None, Some(r)) => match probes.iter().rev().find(|p| p.accepted == Some(true)) {
            Some(last) if last.at_ms >= r => format!(
                "{what} at {}, still accepted at {} ({} later)",
                rfc3339_millis(r),
                last.at,
                ms_phrase(last.at_ms - r)
            ),
            Some(last) => format!(
                "accepted on every probe, last at {} ({what} at {})",
                last.at,
                rfc3339_millis(r)
            ),
            None => format!("no probe got an answer ({what} at {})", rfc3339_millis(r)),
        },
        (None, None) => match last_accepted {
            Some(last) => format!("accepted on every probe, last at {}", last.at),
            None => "no probe got an answer".to_owned(),
        },
    };
    if rejected_probe.is_some()
        && let Some(last) = last_accepted
    {
        summary.push_str(&format!("; last accepted at {}", last.at));
    }
    if flapped {
        summary.push_str("; accepted AGAIN after being rejected (inconsistent servers or caches)");
    }
    WatchVerdict {
        reference,
        reference_at: reference_ms.map(rfc3339_millis),
        last_accepted_at: last_accepted.map(|p| p.at.clone()),
        first_rejected_at: rejected_probe.map(|p| p.at.clone()),
        lag_ms,
        rejected: rejected_probe.is_some(),
        flapped,
        summary,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const T: i64 = 1_795_694_403_000; // 2026-11-26T12:00:03.000Z

    fn p(at_ms: i64, accepted: Option<bool>) -> Probe {
        Probe::new(at_ms, accepted, Some(200), "", 5)
    }

    #[test]
    fn revocation_lag_is_measured_from_the_revocation() {
        let probes = [
            p(T, Some(true)),
            p(T + 200, Some(true)),
            p(T + 410, Some(false)),
        ];
        let v = verdict(&probes, Some(T + 120), Some(T / 1000 + 3600));
        assert_eq!(v.reference, Some(Reference::Revocation));
        assert_eq!(v.lag_ms, Some(290));
        assert!(v.rejected && !v.flapped);
        assert_eq!(
            v.summary,
            "revoked at 2026-11-26T12:00:03.120Z, rejected from 2026-11-26T12:00:03.410Z (290 ms later); last accepted at 2026-11-26T12:00:03.200Z"
        );
    }

    #[test]
    fn expiry_reference_and_still_accepted_after_exp() {
        let exp = T / 1000;
        let probes = [p(T - 1000, Some(true)), p(T + 1500, Some(true))];
        let v = verdict(&probes, None, Some(exp));
        assert_eq!(v.reference, Some(Reference::Expiry));
        assert!(!v.rejected);
        assert!(
            v.summary
                .contains("still accepted at 2026-11-26T12:00:04.500Z (1500 ms later)"),
            "{}",
            v.summary
        );

        let probes = [p(T - 1000, Some(true)), p(T + 800, Some(false))];
        let v = verdict(&probes, None, Some(exp));
        assert_eq!(v.lag_ms, Some(800));
        assert!(
            v.summary.starts_with("exp at 2026-11-26T12:00:03.000Z"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn rejected_before_exp_is_negative_lag() {
        let v = verdict(&[p(T, Some(false))], None, Some(T / 1000 + 20));
        assert_eq!(v.lag_ms, Some(-20_000));
        assert!(v.summary.contains("20.0 s before it"), "{}", v.summary);
    }

    #[test]
    fn flapping_and_failed_probes() {
        let probes = [p(T, None), p(T + 1, Some(false)), p(T + 2, Some(true))];
        let v = verdict(&probes, None, None);
        assert!(v.flapped);
        assert_eq!(v.last_accepted_at, None);
        assert!(v.summary.contains("AGAIN"));
        let v = verdict(&[p(T, None)], None, None);
        assert_eq!(v.summary, "no probe got an answer");
        assert!(!v.rejected);
    }
}
