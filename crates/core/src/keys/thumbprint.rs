//! RFC 7638 JWK thumbprints, the `x5t#S256` certificate thumbprint (RFC 8705 §3.1), and the
//! base64url encoding they and every JWK member use: the
//! bottom of `keys`, below both the private keys (whose `kid` is a thumbprint) and the JWK
//! import (which builds private keys).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::KeyError;

/// base64url without padding (RFC 7515 §2).
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members, in
/// lexicographic order, with no whitespace, base64url-encoded.
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, KeyError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("");
    let required: &[&str] = match kty {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "oct" => &["k", "kty"],
        other => {
            return Err(KeyError::Invalid(format!(
                "cannot compute a thumbprint for key type {other:?}"
            )));
        }
    };
    let mut members = BTreeMap::new();
    for name in required {
        let value = jwk
            .get(*name)
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Invalid(format!("the {kty} JWK lacks member {name:?}")))?;
        members.insert(*name, value);
    }
    // BTreeMap serialises in key order: exactly the RFC 7638 §3.3 canonical form.
    let canonical =
        serde_json::to_string(&members).map_err(|_| KeyError::Crypto("thumbprint encoding"))?;
    Ok(b64(&Sha256::digest(canonical.as_bytes())))
}

/// `x5t#S256`: base64url of the SHA-256 of the certificate's DER (RFC 8705 §3.1).
pub fn x5t_s256(cert_der: &[u8]) -> String {
    b64(&Sha256::digest(cert_der))
}
