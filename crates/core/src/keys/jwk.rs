//! JSON Web Keys: import of a JWK or JWKS that carries a private part (the thumbprints are in
//! `thumbprint.rs`, below the private keys).

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::KeyError;
use super::private::PrivateKey;

/// Reads the one private key in a JWK or JWKS document.
pub fn private_key_from_json(text: &str) -> Result<PrivateKey, KeyError> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| KeyError::Invalid(format!("not JSON: {e}")))?;
    if let Some(keys) = doc.get("keys").and_then(Value::as_array) {
        let private: Vec<&Value> = keys.iter().filter(|k| k.get("d").is_some()).collect();
        return match private.as_slice() {
            [one] => private_key_from_jwk(one),
            [] => Err(KeyError::Invalid(
                "the JWKS holds no private key (no member \"d\"); a public key cannot sign".into(),
            )),
            many => Err(KeyError::Invalid(format!(
                "the JWKS holds {} private keys; put the one to import in its own file",
                many.len()
            ))),
        };
    }
    private_key_from_jwk(&doc)
}

fn member(jwk: &Value, name: &str) -> Result<Vec<u8>, KeyError> {
    let text = jwk.get(name).and_then(Value::as_str).ok_or_else(|| {
        KeyError::Invalid(format!(
            "the JWK lacks member {name:?} (a private key needs its private part)"
        ))
    })?;
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| KeyError::Invalid(format!("JWK member {name:?} is not base64url: {e}")))
}

/// Reads a private JWK (RSA with CRT members, EC P-256/384/521, or OKP Ed25519); its `kid`,
/// when it has one, is kept as the key's.
pub fn private_key_from_jwk(jwk: &Value) -> Result<PrivateKey, KeyError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or("");
    let der: Vec<u8> = match kty {
        "RSA" => {
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: member(jwk, "n")?,
                    e: member(jwk, "e")?,
                },
                d: member(jwk, "d")?,
                p: member(jwk, "p")?,
                q: member(jwk, "q")?,
                dP: member(jwk, "dp")?,
                dQ: member(jwk, "dq")?,
                qInv: member(jwk, "qi")?,
            };
            let pair = RsaKeyPair::from_components(&components).map_err(|e| {
                KeyError::Invalid(format!("the RSA JWK is not a consistent private key ({e})"))
            })?;
            pair.as_der()
                .map_err(|_| KeyError::Crypto("RSA key encoding"))?
                .as_ref()
                .to_vec()
        }
        "EC" => {
            let alg = match jwk.get("crv").and_then(Value::as_str) {
                Some("P-256") => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                Some("P-384") => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                Some("P-521") => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                other => {
                    return Err(KeyError::Invalid(format!(
                        "unsupported EC curve {other:?}; use P-256, P-384 or P-521"
                    )));
                }
            };
            let mut point = vec![4u8];
            point.extend(member(jwk, "x")?);
            point.extend(member(jwk, "y")?);
            let pair =
                EcdsaKeyPair::from_private_key_and_public_key(alg, &member(jwk, "d")?, &point)
                    .map_err(|e| {
                        KeyError::Invalid(format!(
                            "the EC JWK is not a consistent private key ({e})"
                        ))
                    })?;
            pair.to_pkcs8v1()
                .map_err(|_| KeyError::Crypto("EC key encoding"))?
                .as_ref()
                .to_vec()
        }
        "OKP" if jwk.get("crv").and_then(Value::as_str) == Some("X25519") => {
            // An X25519 key (ECDH-ES): its `x` must be the public half of its `d`.
            let d = member(jwk, "d")?;
            let x = member(jwk, "x")?;
            let key = PrivateKey::x25519_from_bytes(&d)?;
            if key.public_jwk_members().get("x").and_then(Value::as_str)
                != Some(crate::keys::base64url(&x).as_str())
            {
                return Err(KeyError::Invalid(
                    "the X25519 JWK is not a consistent key (\"x\" is not the public half of \"d\")"
                        .into(),
                ));
            }
            return Ok(match jwk.get("kid").and_then(Value::as_str) {
                Some(kid) => key.with_kid(kid),
                None => key,
            });
        }
        "OKP" => {
            if jwk.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                return Err(KeyError::Invalid(
                    "unsupported OKP curve; only Ed25519 (signing) and X25519 (encryption) are supported".into(),
                ));
            }
            let pair =
                Ed25519KeyPair::from_seed_and_public_key(&member(jwk, "d")?, &member(jwk, "x")?)
                    .map_err(|e| {
                        KeyError::Invalid(format!("the Ed25519 JWK is not a consistent key ({e})"))
                    })?;
            pair.to_pkcs8v1()
                .map_err(|_| KeyError::Crypto("Ed25519 key encoding"))?
                .as_ref()
                .to_vec()
        }
        "oct" => {
            return Err(KeyError::Invalid(
                "a symmetric (oct) JWK is a shared secret, not a signing key; use it as the \
                 client secret with client_secret_jwt"
                    .into(),
            ));
        }
        other => {
            return Err(KeyError::Invalid(format!(
                "unsupported JWK key type {other:?}; use RSA, EC or OKP"
            )));
        }
    };
    // A `kid` of the file's own is the one the key goes by (a server registered it so).
    let key = PrivateKey::from_pkcs8_der(&der)?;
    Ok(match jwk.get("kid").and_then(Value::as_str) {
        Some(kid) => key.with_kid(kid),
        None => key,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::private::GenerateType;
    use crate::keys::thumbprint::{b64, thumbprint, x5t_s256};
    use serde_json::json;

    #[test]
    fn rfc7638_section_3_1_thumbprint() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(jwk.as_object().unwrap()).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn x5t_s256_of_known_bytes() {
        // SHA-256("abc") from FIPS 180-2, base64url.
        assert_eq!(
            x5t_s256(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    /// A private EC JWK built from a generated key imports to the same key; and RFC 8037's
    /// Ed25519 key imports with its published thumbprint.
    #[test]
    fn ec_and_ed25519_private_jwks_import() {
        use aws_lc_rs::encoding::AsBigEndian as _;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                .unwrap();
        let d = pair.private_key().as_be_bytes().unwrap();
        let generated = PrivateKey::from_pkcs8_der(pkcs8.as_ref()).unwrap();
        let mut ec = generated.public_jwk();
        ec["d"] = json!(b64(d.as_ref()));
        let key = private_key_from_jwk(&ec).unwrap();
        assert_eq!(key.kid(), generated.kid());
        ec["d"] = json!(b64(&[7u8; 32]));
        assert!(
            private_key_from_jwk(&ec).is_err(),
            "d that does not match x/y"
        );
        // RFC 8037 Appendix A.1's Ed25519 key, and its A.3 thumbprint.
        let ed = json!({
            "kty": "OKP", "crv": "Ed25519",
            "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        });
        let key = private_key_from_json(&json!({ "keys": [ed] }).to_string()).unwrap();
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        // A kid of the file's own wins over the thumbprint, which stays known (DPoP's jkt).
        let mut named = ed.clone();
        named["kid"] = json!("registered-1");
        let key = private_key_from_jwk(&named).unwrap();
        assert_eq!(key.kid(), "registered-1");
        assert_eq!(
            key.thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        assert_eq!(key.public_jwk()["kid"], "registered-1");
        // A public JWK cannot sign.
        let public = json!({ "kty": "OKP", "crv": "Ed25519", "x": ed["x"] });
        assert!(private_key_from_jwk(&public).is_err());
    }

    #[test]
    fn rsa_private_jwk_round_trip() {
        // Decompose a generated key's PKCS#8 through aws-lc-rs' PKCS#1 and rebuild it: the JWK
        // members are exactly the PKCS#1 integers.
        let key = PrivateKey::generate(GenerateType::Rsa2048).unwrap();
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["kid"], key.kid());
        let missing = json!({ "kty": "RSA", "n": jwk["n"], "e": jwk["e"], "d": "AQAB" });
        let err = private_key_from_jwk(&missing).unwrap_err().to_string();
        assert!(err.contains("\"p\""), "{err}");
    }

    /// RFC 7748 §6.1's Alice as an X25519 JWK: imported (an encryption key that signs
    /// nothing), its thumbprint over `crv`, `kty`, `x`; a mismatched `x` is refused.
    #[test]
    fn x25519_private_jwk_imports_and_is_checked() {
        let alice = json!({"kty": "OKP", "crv": "X25519",
            "d": "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",
            "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"});
        let key = private_key_from_jwk(&alice).unwrap();
        assert_eq!(key.kind(), crate::keys::KeyKind::X25519);
        assert_eq!(key.public_jwk()["x"], alice["x"]);
        assert!(key.algorithms().is_empty());
        let again = PrivateKey::from_pem(&key.reveal_pkcs8_pem()).unwrap();
        assert_eq!(again.thumbprint(), key.thumbprint());
        let mut wrong = alice.clone();
        wrong["x"] = json!("3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08");
        let err = private_key_from_jwk(&wrong).unwrap_err().to_string();
        assert!(err.contains("X25519"), "{err}");
    }
}
