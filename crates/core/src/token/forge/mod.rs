//! Token forgery: the workbench under `grantscope forge`, the inspector's token workbench and
//! the API probes. Pure and offline: parse a compact JWS into header, claims and signature
//! ([`Token`]), edit them, re-encode, re-sign ([`Signing`]: a private key, an HMAC secret or
//! `none`), and make each forgery of PROBES.md's "API probes" table ([`attack`]).
//!
//! Everything given here is untrusted: sizes are capped ([`MAX_TOKEN_BYTES`]), nothing panics,
//! and errors say what was wrong as data ([`ForgeError`], [`ForgeInput`]), never naming a face's
//! flag.

mod attack;
mod attacker;
mod der;
mod edit;
mod issuer_key;

pub use attack::{
    AttackId, AttackInputs, KID_PATH, KID_SQL, KID_SQL_KEY, Variant, attack, hmac_verifies,
};
pub use attacker::{attacker_certificate, attacker_jwks, attacker_key_for};
pub use edit::{Signing, Token, value_from_text};
pub use issuer_key::IssuerKey;

use crate::keys::KeyError;

/// The largest token (in bytes, as pasted) the workbench reads.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// An input an attack needs that was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeInput {
    /// The issuer's public key (for HMAC key confusion).
    IssuerKey,
    /// A private key of the attacker's (for `jku` / `x5u`: the key the served set holds).
    AttackerKey,
    /// The URL the `jku` / `x5u` header points at.
    Url,
    /// The `iss` a foreign issuer's token carries.
    AttackerIssuer,
}

impl ForgeInput {
    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ForgeInput::IssuerKey => "the issuer's public key",
            ForgeInput::AttackerKey => "a private key to sign with",
            ForgeInput::Url => "the URL the header points at",
            ForgeInput::AttackerIssuer => "the issuer URL the forged token claims",
        }
    }
}

/// Why a token could not be read, edited, signed or forged.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// Nothing was given.
    #[error("the token is empty")]
    Empty,
    /// Over [`MAX_TOKEN_BYTES`].
    #[error("the token is {len} bytes; the workbench reads at most {max}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Five parts: encrypted.
    #[error(
        "this is an encrypted token (JWE, five parts); only a signed token (JWS) can be forged"
    )]
    Jwe,
    /// Not three dot-separated parts.
    #[error("a signed token (JWS) has three dot-separated parts; this has {0}")]
    Parts(usize),
    /// A part is not base64url.
    #[error("the token's {0} is not base64url")]
    Base64(&'static str),
    /// A part is not the JSON it must be.
    #[error("the token's {part} is not a JSON {wanted}: {detail}")]
    Json {
        /// Which part.
        part: &'static str,
        /// What it must be.
        wanted: &'static str,
        /// The parser's words.
        detail: String,
    },
    /// Claims can be edited only in an object payload.
    #[error("the token's payload is {0}, not a JSON object: its claims cannot be edited")]
    ClaimsNotObject(&'static str),
    /// A claim or header name that cannot be used.
    #[error("{0}")]
    BadName(String),
    /// There is no signature to change.
    #[error("the token has no signature to change")]
    NoSignature,
    /// An input the attack needs is missing.
    #[error("this forgery needs {}", .0.describe())]
    Missing(ForgeInput),
    /// The issuer's key cannot be used.
    #[error("the issuer's key cannot be used: {0}")]
    IssuerKey(String),
    /// Signing failed, or the key cannot sign with the algorithm.
    #[error(transparent)]
    Key(#[from] KeyError),
}
