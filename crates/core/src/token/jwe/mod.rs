//! Compact JWE (RFC 7516) decryption with every algorithm of RFC 7518, on aws-lc-rs.
//!
//! Hostile input is the normal case here. The token is split and its header typed before any
//! key is touched (`header.rs`: size caps, an `epk` off its curve, a PBES2 count over
//! 1,000,000, unknown algorithms, `crit`); then each fitting key is tried, `kid` matches
//! first (`unwrap.rs`), and the content is authenticated before it is decrypted
//! (`content.rs`) and inflated under a cap. Every failure says which key failed at which
//! step; a failure never returns any of the plaintext.

pub mod alg;
pub mod content;
pub mod header;
pub mod keys;
mod unwrap;
pub mod wrap;

use serde_json::{Map, Value};

pub use alg::{AesSize, ContentEnc, KeyAlg};
pub use keys::{AgreementCurve, DecryptionKey, keys_from_text, load_decryption_keys};

/// Why a JWE was not decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    /// The token is not a well-formed compact JWE, or its header asks for something refused
    /// before any work (an unknown algorithm, `crit`, an off-curve `epk`, a PBES2 count over
    /// the cap).
    #[error("{0}")]
    Refused(String),
    /// No decryption key was given.
    #[error("no decryption key was given: the content cannot be read without the recipient's key")]
    NoKey,
    /// Keys were given, but none may open this token; each with the reason.
    #[error("none of the decryption keys fits this token ({alg}): {}", .skipped.join("; "))]
    NoMatchingKey {
        /// The token's `alg`.
        alg: String,
        /// "KEY: reason" per key.
        skipped: Vec<String>,
    },
    /// Keys were tried and each failed; each with the step and the reason.
    #[error("{}", .attempts.join("; "))]
    Failed {
        /// "KEY: step: reason" per key tried.
        attempts: Vec<String>,
    },
    /// Decrypted and authenticated, but the content is refused (a decompression bomb, bad
    /// DEFLATE data).
    #[error("{0}")]
    Content(String),
}

impl JweError {
    /// Whether the token itself was found wrong (tampered, malformed, hostile), as opposed to
    /// not being checkable (no key given, no key fits).
    pub fn is_invalid(&self) -> bool {
        !matches!(self, JweError::NoKey | JweError::NoMatchingKey { .. })
    }
}

/// A decrypted JWE.
#[derive(Clone)]
pub struct Decrypted {
    /// The protected header.
    pub header: Map<String, Value>,
    /// Its `alg`.
    pub alg: KeyAlg,
    /// Its `enc`.
    pub enc: ContentEnc,
    /// The label of the key that opened it ([`DecryptionKey::label`]).
    pub key: String,
    /// The plaintext (inflated when `zip: DEF`).
    pub plaintext: Vec<u8>,
    /// RFC 8725 hygiene warnings (RSA1_5, a low PBES2 count).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The plaintext is usually a credential (a token): its length only.
        f.debug_struct("Decrypted")
            .field("alg", &self.alg)
            .field("enc", &self.enc)
            .field("key", &self.key)
            .field(
                "plaintext",
                &format_args!("<{} bytes>", self.plaintext.len()),
            )
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// The RFC 8725 warnings a header earns whatever the key: RSA1_5 (§3.2) and a PBES2 count
/// below RFC 7518 §4.8.1.2's recommended minimum of 1000.
pub fn warnings(alg: KeyAlg, p2c: Option<u32>) -> Vec<String> {
    let mut out = Vec::new();
    if alg == KeyAlg::Rsa1_5 {
        out.push(
            "RSA1_5 (RSAES-PKCS1-v1_5) is open to padding-oracle attacks; RFC 8725 §3.2 says not to use it: prefer RSA-OAEP-256 or ECDH-ES".to_owned(),
        );
    }
    if let Some(count) = p2c
        && count < 1000
    {
        out.push(format!(
            "the PBES2 iteration count p2c is {count}; RFC 7518 §4.8.1.2 recommends at least 1000"
        ));
    }
    out
}

/// Decrypts a compact JWE with the first of `keys` that opens it (those whose `kid` is the
/// token's first). See the module docs for what is refused before any key is tried.
pub fn decrypt(token: &str, keys: &[DecryptionKey]) -> Result<Decrypted, JweError> {
    let parts = header::split(token).map_err(JweError::Refused)?;
    let head = header::read(&parts).map_err(JweError::Refused)?;
    if keys.is_empty() {
        return Err(JweError::NoKey);
    }
    let mut ordered: Vec<&DecryptionKey> = Vec::with_capacity(keys.len());
    if let Some(kid) = &head.kid {
        ordered.extend(keys.iter().filter(|k| k.kid() == Some(kid.as_str())));
    }
    ordered.extend(
        keys.iter()
            .filter(|k| head.kid.is_none() || k.kid() != head.kid.as_deref()),
    );
    let mut skipped = Vec::new();
    let mut attempts = Vec::new();
    for key in ordered {
        let name = crate::text::inert(key.label()).into_owned();
        if let Some(why) = unwrap::fits(key, &head) {
            skipped.push(format!("key {name}: {why}"));
            continue;
        }
        let cek = match unwrap::content_key(&head, &parts, key) {
            Ok(cek) => cek,
            Err(why) => {
                attempts.push(format!("key {name}: {why}"));
                continue;
            }
        };
        let opened = content::decrypt(
            head.enc,
            &cek.bytes,
            &parts.iv,
            parts.header_b64.as_bytes(),
            &parts.ciphertext,
            &parts.tag,
        );
        let plaintext = match opened {
            Ok(plaintext) => plaintext,
            Err(content::ContentError::Tag { .. }) if cek.masked => {
                attempts.push(format!(
                    "key {name}: RSA1_5: the encrypted key or the content did not decrypt (the two are deliberately not told apart, RFC 7516 §11.5): the key is not the one the token was encrypted to, or the token was altered"
                ));
                continue;
            }
            Err(e) => {
                attempts.push(format!("key {name}: content decryption: {e}"));
                continue;
            }
        };
        let plaintext = if head.deflate {
            content::inflate(&plaintext).map_err(|e| JweError::Content(e.to_string()))?
        } else {
            plaintext
        };
        return Ok(Decrypted {
            header: parts.header.clone(),
            alg: head.alg,
            enc: head.enc,
            key: key.label().to_owned(),
            plaintext,
            warnings: warnings(head.alg, head.p2c.map(u32::from)),
        });
    }
    if attempts.is_empty() {
        return Err(JweError::NoMatchingKey {
            alg: head.alg.to_string(),
            skipped,
        });
    }
    attempts.extend(skipped);
    Err(JweError::Failed { attempts })
}

#[cfg(test)]
mod tests;
