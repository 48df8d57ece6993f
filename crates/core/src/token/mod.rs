//! Token inspection: decode (JWT / JWE / SD-JWT / opaque), decrypt a JWE with the recipient's keys,
//! verify the signature against a JWKS or a shared secret, check the claims, and report it all
//! as one [`Inspection`]; and the other way round, forge one ([`forge`]: edit, re-sign, attack).
//!
//! GUI-free and, apart from [`inspect()`]'s JWKS fetch, I/O-free: "now" is always a parameter.

pub mod claims;
pub mod decode;
pub mod forge;
pub mod inspect;
pub mod jwe;
pub mod jwks;
pub mod names;
pub mod sdjwt;
pub mod verify;

pub use claims::{Check, CheckStatus, InspectOptions, TokenKind};
pub use decode::{DecodeError, Decoded, Segment, decode};
pub use inspect::{
    Inspected, Inspection, JweEnvelope, JweReport, Lifetime, TokenFormat, Verdict, inspect,
    inspect_decoded, inspect_decrypting, inspect_sd_jwt, inspect_sd_jwt_with_keys,
    inspect_with_decryption, inspect_with_keys,
};
pub use jwks::{Jwk, Jwks, KeySource, KeySourceError, Keys, SharedSecret, parse_jwks};
pub use sdjwt::{SdJwtOptions, SdJwtReport};
pub use verify::{SignatureReport, SignatureStatus};
