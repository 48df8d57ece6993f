//! The policy a run judges by (`probe --policy`, PROBES.md "Policy probes"): the Security BCP
//! (RFC 9700, the default), OAuth 2.1, or the FAPI 2.0 Security Profile. The policy sets each
//! probe's requirement level ([`Policy::level`]) and, inside the probes, the verdict of what one
//! policy forbids and another only discourages ([`Policy::strict`]). Beside the verdicts, at the
//! bottom of the crate.

use crate::verdict::{Level, Verdict};

/// What a run judges the server against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Policy {
    /// RFC 9700, the OAuth 2.0 Security Best Current Practice.
    #[default]
    Bcp,
    /// The OAuth 2.1 draft (the BCP folded into the core).
    OAuth21,
    /// The FAPI 2.0 Security Profile (final, February 2025).
    Fapi2,
}

/// The probes whose level is MUST under fapi2 and SHOULD under the other policies (PROBES.md:
/// a row giving only the pass outcome).
const MUST_UNDER_FAPI2: &[&str] = &[
    "par.required",
    "par.request-uri",
    "client-assertion.audience",
    "client-assertion.claims",
    "client-assertion.alg",
    "dpop.proof",
    "dpop.code-binding",
    "sender-constraint.required",
    "response-type.code-only",
    "params.duplicate",
    "tokens.entropy",
];

impl Policy {
    pub const ALL: [Policy; 3] = [Policy::Bcp, Policy::OAuth21, Policy::Fapi2];

    /// The command-line word (`bcp`, `oauth2.1`, `fapi2`), also the JSON `policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Bcp => "bcp",
            Policy::OAuth21 => "oauth2.1",
            Policy::Fapi2 => "fapi2",
        }
    }

    /// The document the policy stands for, for people.
    pub fn title(self) -> &'static str {
        match self {
            Policy::Bcp => "OAuth 2.0 Security BCP (RFC 9700)",
            Policy::OAuth21 => "OAuth 2.1",
            Policy::Fapi2 => "FAPI 2.0 Security Profile",
        }
    }

    /// The level of probe `id` (whose catalogue level is `base`) under this policy.
    pub fn level(self, id: &str, base: Level) -> Level {
        match (self, id) {
            (Policy::OAuth21 | Policy::Fapi2, "pkce.required") => Level::Must,
            (_, "params.unknown-ignored") => Level::Must,
            (Policy::Fapi2, id) if MUST_UNDER_FAPI2.contains(&id) => Level::Must,
            (_, id) if MUST_UNDER_FAPI2.contains(&id) => Level::Should,
            _ => base,
        }
    }

    /// The verdict of an observation this policy forbids under fapi2 and discourages under the
    /// others (PROBES.md: "the opposite observation is fail under fapi2 and warn under bcp and
    /// oauth2.1").
    pub fn strict(self, reason: impl Into<String>) -> Verdict {
        match self {
            Policy::Fapi2 => Verdict::fail(reason),
            Policy::Bcp | Policy::OAuth21 => Verdict::warn(reason),
        }
    }

    pub fn is_fapi2(self) -> bool {
        self == Policy::Fapi2
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "unknown policy {:?}; the policies are bcp, oauth2.1 and fapi2",
                    grantscope_core::text::inert(s)
                )
            })
    }
}

/// The JWS algorithms FAPI 2.0 allows (§5.4.1).
pub const FAPI2_ALGS: &[&str] = &["PS256", "ES256", "EdDSA", "Ed25519"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_levels_follow_the_table() {
        for p in Policy::ALL {
            assert_eq!(p.as_str().parse::<Policy>(), Ok(p));
        }
        assert!("fapi".parse::<Policy>().is_err());
        assert_eq!(Policy::default(), Policy::Bcp);
        assert_eq!(Policy::Bcp.level("pkce.required", Level::Must), Level::Must);
        assert_eq!(
            Policy::Bcp.level("par.required", Level::Must),
            Level::Should
        );
        assert_eq!(
            Policy::Fapi2.level("par.required", Level::Should),
            Level::Must
        );
        assert_eq!(Policy::Bcp.strict("x").outcome, crate::Outcome::Warn);
        assert_eq!(Policy::Fapi2.strict("x").outcome, crate::Outcome::Fail);
    }
}
