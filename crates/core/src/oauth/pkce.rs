//! Proof Key for Code Exchange (RFC 7636): verifiers from a CSPRNG and their challenges.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The unreserved characters a verifier may use (RFC 7636 §4.1).
const VERIFIER_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Default verifier length: the maximum strength the RFC allows at a common size.
pub const DEFAULT_VERIFIER_LEN: usize = 64;

/// A fresh verifier of `len` characters (clamped to the RFC's 43..=128) from the OS CSPRNG.
pub fn new_verifier(len: usize) -> String {
    let len = len.clamp(43, 128);
    // ThreadRng is a CSPRNG (ChaCha) seeded from the OS.
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..VERIFIER_CHARS.len());
            char::from(VERIFIER_CHARS[i])
        })
        .collect()
}

/// `BASE64URL(SHA256(ASCII(verifier)))`, the S256 challenge.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether a verifier is well-formed per RFC 7636 §4.1 (length and characters).
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && verifier.bytes().all(|b| VERIFIER_CHARS.contains(&b))
}

/// 32 random bytes, base64url: for `state` and `nonce`.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_valid_verifier(verifier));
    }

    #[test]
    fn verifiers_are_well_formed_and_distinct() {
        let a = new_verifier(DEFAULT_VERIFIER_LEN);
        let b = new_verifier(DEFAULT_VERIFIER_LEN);
        assert_eq!(a.len(), 64);
        assert!(is_valid_verifier(&a));
        assert_ne!(a, b);
        assert_eq!(new_verifier(10).len(), 43);
        assert_eq!(new_verifier(500).len(), 128);
        assert!(!is_valid_verifier("short"));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&format!("{}!", "a".repeat(50))));
    }
}
