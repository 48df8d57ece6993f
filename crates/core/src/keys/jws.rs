//! Compact JWS signing (RFC 7515 §7.1) with a private key or, for HS256/384/512, a shared
//! secret (`client_secret_jwt`, RFC 7523 §2.2 with OIDC Core §9).

use aws_lc_rs::hmac;
use serde_json::{Map, Value};

use super::KeyError;
use super::alg::JwsAlg;
use super::private::PrivateKey;
use super::thumbprint::b64;

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

/// A compact JWS split and decoded, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct ParsedJws {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload as JSON.
    pub claims: Value,
    /// `alg` from the header, if grantscope knows it.
    pub alg: Option<JwsAlg>,
    signing_input: String,
    signature: Vec<u8>,
}

impl ParsedJws {
    /// Splits `b64(header).b64(payload).b64(sig)` and decodes the JSON parts.
    pub fn parse(jws: &str) -> Result<ParsedJws, KeyError> {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = jws.trim().split('.').collect();
        let [h, p, s] = parts.as_slice() else {
            return Err(KeyError::Invalid(format!(
                "a JWS has three dot-separated parts; this has {}",
                parts.len()
            )));
        };
        let decode = |what: &str, part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|e| KeyError::Invalid(format!("the JWS {what} is not base64url: {e}")))
        };
        let header: Map<String, Value> = serde_json::from_slice(&decode("header", h)?)
            .map_err(|e| KeyError::Invalid(format!("the JWS header is not a JSON object: {e}")))?;
        let claims: Value = serde_json::from_slice(&decode("payload", p)?)
            .map_err(|e| KeyError::Invalid(format!("the JWS payload is not JSON: {e}")))?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|a| JwsAlg::ALL.into_iter().find(|x| x.as_str() == a));
        Ok(ParsedJws {
            header,
            claims,
            alg,
            signing_input: format!("{h}.{p}"),
            signature: decode("signature", s)?,
        })
    }

    /// Whether the signature verifies with `signer` under the header's `alg` (which must be
    /// one the signer can make: no `none`, no HS* with a private key).
    pub fn verify(&self, signer: Signer<'_>) -> bool {
        let Some(alg) = self.alg.filter(|a| signer.supports(*a)) else {
            return false;
        };
        match signer {
            Signer::Key(key) => key.verify(alg, self.signing_input.as_bytes(), &self.signature),
            Signer::Secret(secret) => {
                let algorithm = match alg {
                    JwsAlg::Hs256 => hmac::HMAC_SHA256,
                    JwsAlg::Hs384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                let key = hmac::Key::new(algorithm, secret);
                hmac::verify(&key, self.signing_input.as_bytes(), &self.signature).is_ok()
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
        let parsed = ParsedJws::parse(&jwt).unwrap();
        assert_eq!(parsed.claims, claims);
        assert!(parsed.verify(Signer::Secret(secret)));
        assert!(!parsed.verify(Signer::Secret(b"another-secret-of-thirty-two-bytes!!")));
    }
}
