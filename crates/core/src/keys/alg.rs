//! JWS algorithms (RFC 7518 §3, RFC 8037 for EdDSA) that grantscope signs with, and which key
//! each one needs.

use std::fmt;
use std::str::FromStr;

/// A JWS `alg` grantscope can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 (FAPI's choice for RSA).
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// ECDSA P-521 with SHA-512.
    Es512,
    /// Ed25519 (RFC 8037).
    EdDsa,
    /// HMAC with SHA-256 over a shared secret (`client_secret_jwt`).
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
}

impl JwsAlg {
    /// Every algorithm, in the order they are listed to people.
    pub const ALL: [JwsAlg; 13] = [
        JwsAlg::Rs256,
        JwsAlg::Rs384,
        JwsAlg::Rs512,
        JwsAlg::Ps256,
        JwsAlg::Ps384,
        JwsAlg::Ps512,
        JwsAlg::Es256,
        JwsAlg::Es384,
        JwsAlg::Es512,
        JwsAlg::EdDsa,
        JwsAlg::Hs256,
        JwsAlg::Hs384,
        JwsAlg::Hs512,
    ];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlg::Rs256 => "RS256",
            JwsAlg::Rs384 => "RS384",
            JwsAlg::Rs512 => "RS512",
            JwsAlg::Ps256 => "PS256",
            JwsAlg::Ps384 => "PS384",
            JwsAlg::Ps512 => "PS512",
            JwsAlg::Es256 => "ES256",
            JwsAlg::Es384 => "ES384",
            JwsAlg::Es512 => "ES512",
            JwsAlg::EdDsa => "EdDSA",
            JwsAlg::Hs256 => "HS256",
            JwsAlg::Hs384 => "HS384",
            JwsAlg::Hs512 => "HS512",
        }
    }

    /// Whether the algorithm is an HMAC over a shared secret.
    pub fn is_symmetric(self) -> bool {
        matches!(self, JwsAlg::Hs256 | JwsAlg::Hs384 | JwsAlg::Hs512)
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwsAlg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JwsAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = JwsAlg::ALL.iter().map(|a| a.as_str()).collect();
                format!(
                    "unknown signing algorithm {s:?}; use one of {}",
                    names.join(", ")
                )
            })
    }
}

impl serde::Serialize for JwsAlg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for JwsAlg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in JwsAlg::ALL {
            assert_eq!(alg.as_str().parse::<JwsAlg>(), Ok(alg));
        }
        assert_eq!("eddsa".parse::<JwsAlg>(), Ok(JwsAlg::EdDsa));
        assert!("none".parse::<JwsAlg>().is_err());
    }
}
