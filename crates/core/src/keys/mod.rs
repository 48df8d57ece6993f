//! Keys and certificates for client authentication: generation (aws-lc-rs; certificates with
//! rcgen on the same crypto stack), import from PEM, JWK or JWKS with the private part, the
//! RFC 7638 thumbprint as `kid`, the public JWKS and `x5t#S256`, compact JWS signing, and the
//! named store under the config directory.
//!
//! A private key is never printed: [`PrivateKey`]'s `Debug` is redacted and its PEM comes out
//! only through [`PrivateKey::reveal_pkcs8_pem`].

mod alg;
mod cert;
mod jwk;
mod jws;
mod pem;
mod private;
mod store;
mod thumbprint;

use std::path::PathBuf;

pub use alg::JwsAlg;
pub use cert::{CertUse, Certificate, TestCa, self_signed, self_signed_server};
pub use jwk::{private_key_from_json, private_key_from_jwk};
pub use jws::{ParsedJws, Signer, sign_compact};
pub(crate) use pem::encode as pem_encode;
pub use private::{Curve, GenerateType, KeyKind, PrivateKey};
pub use store::{KeyStore, KeyUse, StoredKey, read_key_file, validate_name};
pub use thumbprint::{b64 as base64url, thumbprint, x5t_s256};

/// Why a key could not be made, read, stored or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing through the atomic store failed.
    #[error("{0}")]
    Store(String),
    /// The bytes are not a usable key or certificate.
    #[error("{0}")]
    Invalid(String),
    /// The key cannot sign with the algorithm asked for.
    #[error("a {kind} key cannot sign {alg}")]
    AlgMismatch {
        /// The algorithm asked for.
        alg: JwsAlg,
        /// The key's kind.
        kind: KeyKind,
    },
    /// No key of that name in the store, and no such file.
    #[error("no key named {name:?} in {dir} and no such file (see `grantscope key list`)")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The store directory.
        dir: PathBuf,
    },
    /// A key of that name exists already.
    #[error("a key named {0:?} exists already; delete it first or choose another name")]
    Exists(String),
    /// The name is not allowed.
    #[error(
        "invalid key name {0:?}: use 1-64 letters, digits, '.', '_' or '-', not starting with '.'"
    )]
    BadName(String),
    /// No config directory to keep keys in.
    #[error("no config directory could be found for the keys; set GRANTSCOPE_CONFIG_DIR")]
    NoConfigDir,
    /// The crypto library failed.
    #[error("{0} failed in the crypto library")]
    Crypto(&'static str),
}
