//! Encrypting an ID token to a client's public key (OpenID Connect Core §10.2, RFC 7516 compact
//! JWE): RSA-OAEP-256 for an RSA key, ECDH-ES (direct key agreement, RFC 7518 §4.6) for an EC
//! (P-256/384/521) or X25519 key; the content always A256GCM. The signed token is nested
//! (`cty: JWT`), signed first, then encrypted, as OIDC Core §10.2 orders it.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_core::token::jwe::wrap::concat_kdf;
use serde_json::{Map, Value, json};

/// The content encryption the sandbox uses.
pub const ENC: &str = "A256GCM";

/// The key-management algorithm the sandbox uses for `jwk`: RSA-OAEP-256 for RSA, ECDH-ES for
/// EC and X25519; None for a key that cannot receive (a symmetric or Ed25519 key).
pub fn alg_for(jwk: &Value) -> Option<&'static str> {
    match (
        jwk.get("kty")?.as_str()?,
        jwk.get("crv").and_then(Value::as_str),
    ) {
        ("RSA", _) => Some("RSA-OAEP-256"),
        ("EC", Some("P-256" | "P-384" | "P-521")) | ("OKP", Some("X25519")) => Some("ECDH-ES"),
        _ => None,
    }
}

/// The key of a registered `jwks` that ID tokens are encrypted to with `alg`: a public key of
/// that kind whose `use` is `enc` or absent.
pub fn encryption_key_in(jwks: Option<&Value>, alg: &str) -> Option<Value> {
    jwks?
        .get("keys")?
        .as_array()?
        .iter()
        .filter(|k| {
            k.get("use")
                .and_then(Value::as_str)
                .is_none_or(|u| u == "enc")
        })
        .find(|k| alg_for(k) == Some(alg) && check_recipient(k).is_ok())
        .cloned()
}

/// Checks that `jwk` is a public key the sandbox can encrypt to (and holds no private part).
pub fn check_recipient(jwk: &Value) -> Result<(), String> {
    let Some(map) = jwk.as_object() else {
        return Err("the encryption key is not a JWK object".into());
    };
    if ["d", "p", "q", "k"].iter().any(|m| map.contains_key(*m)) {
        return Err("the encryption key holds private members: give its public JWK".into());
    }
    if map
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "enc")
    {
        return Err("the key's use is not enc: it is not meant to receive encrypted tokens".into());
    }
    if alg_for(jwk).is_none() {
        return Err(
            "the encryption key must be RSA, EC (P-256, P-384, P-521) or OKP X25519".into(),
        );
    }
    // Encrypt once to prove the key is usable before it is relied on.
    encrypt_to(jwk, b"probe", None).map(|_| ())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn member(jwk: &Value, name: &str) -> Result<Vec<u8>, String> {
    let text = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the JWK has no \"{name}\""))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| format!("the JWK's \"{name}\" is not base64url"))
}

/// Encrypts `plaintext` to the public `jwk` as a compact JWE (`enc` A256GCM), its protected
/// header carrying `cty` when given and the key's `kid`.
pub fn encrypt_to(jwk: &Value, plaintext: &[u8], cty: Option<&str>) -> Result<String, String> {
    let alg = alg_for(jwk).ok_or("the key type cannot receive encrypted tokens")?;
    let rng = SystemRandom::new();
    let mut header = Map::new();
    header.insert("alg".into(), json!(alg));
    header.insert("enc".into(), json!(ENC));
    if let Some(cty) = cty {
        header.insert("cty".into(), json!(cty));
    }
    if let Some(kid) = jwk.get("kid").and_then(Value::as_str) {
        header.insert("kid".into(), json!(kid));
    }
    let (cek, encrypted_key) = if alg == "RSA-OAEP-256" {
        let n = member(jwk, "n")?;
        let e = member(jwk, "e")?;
        let public: aws_lc_rs::rsa::PublicEncryptingKey = PublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        }
        .try_into()
        .map_err(|_| "the RSA key was refused (too small or malformed)".to_owned())?;
        let oaep = OaepPublicEncryptingKey::new(public)
            .map_err(|_| "the RSA key cannot do OAEP".to_owned())?;
        let mut cek = vec![0u8; 32];
        rng.fill(&mut cek).map_err(|_| "no randomness".to_owned())?;
        let mut out = vec![0u8; oaep.ciphertext_size()];
        let wrapped = oaep
            .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut out, None)
            .map_err(|_| "RSA-OAEP-256 encryption failed".to_owned())?
            .to_vec();
        (cek, wrapped)
    } else {
        let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or_default();
        let (algorithm, peer) = match crv {
            "X25519" => (&agreement::X25519, member(jwk, "x")?),
            curve => {
                let algorithm = match curve {
                    "P-256" => &agreement::ECDH_P256,
                    "P-384" => &agreement::ECDH_P384,
                    _ => &agreement::ECDH_P521,
                };
                let mut point = vec![4u8];
                point.extend(member(jwk, "x")?);
                point.extend(member(jwk, "y")?);
                (algorithm, point)
            }
        };
        let ephemeral = EphemeralPrivateKey::generate(algorithm, &rng)
            .map_err(|_| "no ephemeral key".to_owned())?;
        let public = ephemeral
            .compute_public_key()
            .map_err(|_| "no ephemeral public key".to_owned())?;
        let epk = if crv == "X25519" {
            json!({"kty": "OKP", "crv": "X25519", "x": b64(public.as_ref())})
        } else {
            let coords = &public.as_ref()[1..];
            let half = coords.len() / 2;
            json!({"kty": "EC", "crv": crv, "x": b64(&coords[..half]), "y": b64(&coords[half..])})
        };
        header.insert("epk".into(), epk);
        let cek = agreement::agree_ephemeral(
            ephemeral,
            UnparsedPublicKey::new(algorithm, &peer),
            "the ECDH agreement failed (is the key on its curve?)".to_owned(),
            |z| Ok(concat_kdf(z, ENC, &[], &[], 32)),
        )?;
        (cek, Vec::new())
    };
    let header_b64 = b64(Value::Object(header).to_string().as_bytes());
    let mut iv = [0u8; 12];
    rng.fill(&mut iv).map_err(|_| "no randomness".to_owned())?;
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &cek).map_err(|_| "AES-256-GCM key".to_owned())?,
    );
    let mut data = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut data,
        )
        .map_err(|_| "AES-256-GCM encryption failed".to_owned())?;
    Ok(format!(
        "{header_b64}.{}.{}.{}.{}",
        b64(&encrypted_key),
        b64(&iv),
        b64(&data),
        b64(tag.as_ref())
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use grantscope_core::keys::{GenerateType, PrivateKey};
    use grantscope_core::token::jwe::{DecryptionKey, decrypt};

    /// What the sandbox encrypts, the core's decryptor opens, for each kind of key.
    #[test]
    fn the_core_opens_what_the_sandbox_encrypts() {
        for kind in ["rsa-2048", "ec-p256", "ec-p384", "ec-p521", "x25519"] {
            let key = match kind {
                "x25519" => PrivateKey::generate_x25519().unwrap(),
                other => PrivateKey::generate(other.parse::<GenerateType>().unwrap()).unwrap(),
            };
            let jwk = key.public_jwk();
            let token = encrypt_to(&jwk, b"eyJhbGciOi.payload.sig", Some("JWT")).unwrap();
            let dk = DecryptionKey::from_private_key(&key, kind).unwrap();
            let opened = decrypt(&token, &[dk]).unwrap();
            assert_eq!(opened.plaintext, b"eyJhbGciOi.payload.sig", "{kind}");
            assert_eq!(opened.header["cty"], "JWT");
            assert_eq!(opened.enc.as_str(), ENC);
        }
        let ed = PrivateKey::generate("ed25519".parse().unwrap()).unwrap();
        assert!(check_recipient(&ed.public_jwk()).is_err());
    }
}
