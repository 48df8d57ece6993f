//! Compact JWS signing (RFC 7515 §7.1) with a private key or, for HS256/384/512, a shared
//! secret (`client_secret_jwt`, RFC 7523 §2.2 with OIDC Core §9).

use aws_lc_rs::hmac;
use serde_json::{Map, Value};

use super::KeyError;
use super::alg::JwsAlg;
use super::jwk::b64;
use super::private::PrivateKey;

/// What signs a JWS.
#[derive(Clone, Copy)]
pub enum Signer<'a> {
    /// A private key (RSA, EC, Ed25519).
    Key(&'a PrivateKey),
    /// A shared secret, for HMAC.
    Secret(&'a [u8]),
}

impl std::fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Key(key) => f.debug_tuple("Key").field(key).finish(),
            Signer::Secret(_) => f.write_str("Secret(<redacted>)"),
        }
    }
}

impl Signer<'_> {
    /// The algorithm used when none is asked for: the key's own, or HS256 for a secret.
    pub fn default_alg(&self) -> JwsAlg {
        match self {
            Signer::Key(key) => key.default_alg(),
            Signer::Secret(_) => JwsAlg::Hs256,
        }
    }

    /// Whether this signer can produce `alg`.
    pub fn supports(&self, alg: JwsAlg) -> bool {
        match self {
            Signer::Key(key) => key.supports(alg),
            Signer::Secret(_) => alg.is_symmetric(),
        }
    }

    fn sign(&self, alg: JwsAlg, input: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Signer::Key(key) => key.sign(alg, input),
            Signer::Secret(secret) => {
                let algorithm = match alg {
                    JwsAlg::Hs256 => hmac::HMAC_SHA256,
                    JwsAlg::Hs384 => hmac::HMAC_SHA384,
                    JwsAlg::Hs512 => hmac::HMAC_SHA512,
                    other => {
                        return Err(KeyError::Invalid(format!(
                            "{other} needs a private key; a client secret signs only HS256, HS384 or HS512"
                        )));
                    }
                };
                if secret.is_empty() {
                    return Err(KeyError::Invalid(
                        "the client secret is empty; HMAC needs a secret".into(),
                    ));
                }
                let key = hmac::Key::new(algorithm, secret);
                Ok(hmac::sign(&key, input).as_ref().to_vec())
            }
        }
    }
}

/// Signs `claims` under `header` (whose `alg` is set to `alg`): `b64(header).b64(claims).b64(sig)`.
pub fn sign_compact(
    header: &Map<String, Value>,
    claims: &Value,
    signer: Signer<'_>,
    alg: JwsAlg,
) -> Result<String, KeyError> {
    if !signer.supports(alg) {
        return Err(match signer {
            Signer::Key(key) => KeyError::AlgMismatch {
                alg,
                kind: key.kind(),
            },
            Signer::Secret(_) => KeyError::Invalid(format!(
                "{alg} needs a private key; a client secret signs only HS256, HS384 or HS512"
            )),
        });
    }
    let mut header = header.clone();
    header.insert("alg".into(), Value::String(alg.as_str().into()));
    let header = serde_json::to_vec(&Value::Object(header))
        .map_err(|_| KeyError::Crypto("JWS header encoding"))?;
    let claims = serde_json::to_vec(claims).map_err(|_| KeyError::Crypto("JWS claims encoding"))?;
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let signature = signer.sign(alg, input.as_bytes())?;
    Ok(format!("{input}.{}", b64(&signature)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hs256_matches_an_independent_implementation() {
        let secret = b"a-shared-secret-of-thirty-two-bytes!";
        let claims = json!({ "sub": "x" });
        let jwt =
            sign_compact(&Map::new(), &claims, Signer::Secret(secret), JwsAlg::Hs256).unwrap();
        let key = jsonwebtoken::DecodingKey::from_secret(secret);
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Value>(&jwt, &key, &validation).unwrap();
        assert_eq!(data.claims, claims);
        assert!(sign_compact(&Map::new(), &claims, Signer::Secret(secret), JwsAlg::Es256).is_err());
    }
}
