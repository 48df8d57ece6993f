//! The attacker's side of a forgery: a fresh key of the token's own family (so a verifier that
//! allows only the issuer's algorithm refuses the forgery for its signature, not for its
//! `alg`), the JWKS a `jku` header points at, and the self-signed certificate an `x5u` header
//! points at.

use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED_SIGNING, ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair,
};
use serde_json::{Value, json};

use super::ForgeError;
use super::edit::Token;
use crate::keys::{self, Certificate, GenerateType, JwsAlg, KeyError, PrivateKey};

/// A fresh key that signs with the token's `alg` when it is asymmetric (RSA 2048 for RS*/PS*,
/// the curve of ES*, Ed25519 for EdDSA); a P-256 key otherwise (HS*, `none`, unknown).
pub fn attacker_key_for(token: &Token) -> Result<PrivateKey, ForgeError> {
    let alg = token.alg().and_then(|a| a.parse::<JwsAlg>().ok());
    let key = match alg {
        Some(
            JwsAlg::Rs256
            | JwsAlg::Rs384
            | JwsAlg::Rs512
            | JwsAlg::Ps256
            | JwsAlg::Ps384
            | JwsAlg::Ps512,
        ) => PrivateKey::generate(GenerateType::Rsa2048)?,
        Some(JwsAlg::EdDsa) => PrivateKey::generate(GenerateType::Ed25519)?,
        Some(JwsAlg::Es384) => ec_key(&ECDSA_P384_SHA384_FIXED_SIGNING)?,
        Some(JwsAlg::Es512) => ec_key(&ECDSA_P521_SHA512_FIXED_SIGNING)?,
        Some(JwsAlg::Es256 | JwsAlg::Hs256 | JwsAlg::Hs384 | JwsAlg::Hs512) | None => {
            PrivateKey::generate(GenerateType::EcP256)?
        }
    };
    Ok(key)
}

fn ec_key(
    algorithm: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm,
) -> Result<PrivateKey, ForgeError> {
    let der = EcdsaKeyPair::generate(algorithm)
        .and_then(|pair| pair.to_pkcs8v1())
        .map_err(|_| KeyError::Crypto("EC key generation"))?;
    Ok(PrivateKey::from_pkcs8_der(der.as_ref())?)
}

/// The JWKS a `jku` header points at: `{"keys": [the key's public JWK]}`.
pub fn attacker_jwks(key: &PrivateKey) -> Value {
    json!({ "keys": [key.public_jwk()] })
}

/// The self-signed certificate over `key` an `x5u` header points at (serve its `pem()`, RFC
/// 7515 §4.1.5).
pub fn attacker_certificate(key: &PrivateKey) -> Result<Certificate, ForgeError> {
    Ok(keys::self_signed(key, "grantscope forged issuer")?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::KeyKind;

    fn token(alg: &str) -> Token {
        Token::from_parts(
            serde_json::from_value(json!({ "alg": alg })).unwrap(),
            json!({}),
        )
    }

    #[test]
    fn the_fresh_key_is_of_the_token_s_family() {
        for (alg, kind) in [
            ("ES384", KeyKind::Ec(keys::Curve::P384)),
            ("ES512", KeyKind::Ec(keys::Curve::P521)),
            ("EdDSA", KeyKind::Ed25519),
            ("HS256", KeyKind::Ec(keys::Curve::P256)),
            ("none", KeyKind::Ec(keys::Curve::P256)),
        ] {
            assert_eq!(attacker_key_for(&token(alg)).unwrap().kind(), kind, "{alg}");
        }
        assert!(matches!(
            attacker_key_for(&token("PS256")).unwrap().kind(),
            KeyKind::Rsa(2048)
        ));
    }

    #[test]
    fn the_served_set_and_certificate_hold_the_key() {
        let key = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let jwks = attacker_jwks(&key);
        assert_eq!(jwks["keys"][0]["kid"], key.kid());
        assert!(jwks["keys"][0].get("d").is_none());
        let cert = attacker_certificate(&key).unwrap();
        assert!(cert.pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(cert.is_self_issued());
    }
}
