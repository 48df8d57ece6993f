//! The key step of RFC 7516 §5.2 (steps 6–10): which of the given keys may open a token
//! (`fits`), and the content-encryption key one of them yields (`content_key`), for every
//! `alg` of RFC 7518.

use aws_lc_rs::agreement;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, Pkcs1PrivateDecryptingKey,
};

use super::alg::{KeyAlg, KeyFamily};
use super::header::{Header, Parts};
use super::keys::{DecryptionKey, Material};
use super::wrap::{UnwrapError, aes_unwrap, concat_kdf, gcm_unwrap, pbes2_kek};

/// The content-encryption key, or (RSA1_5 only) a random stand-in when the RSA step failed:
/// RFC 7516 §11.5 has the failure show up as a tag mismatch, so the two are not told apart.
pub(crate) struct Cek {
    pub bytes: Vec<u8>,
    pub masked: bool,
}

/// Why `key` may not be used for this token (RFC 8725 §3.1: a key is used for one algorithm),
/// or `None` when it may.
pub(crate) fn fits(key: &DecryptionKey, header: &Header) -> Option<String> {
    let alg = header.alg;
    if let Some(restricted) = key.alg()
        && restricted != alg.as_str()
        && !(alg == KeyAlg::Dir && restricted == header.enc.as_str())
    {
        return Some(format!(
            "its JWK \"alg\" is {}, the token's is {alg} (a key serves one algorithm, RFC 8725 §3.1)",
            crate::text::inert(restricted)
        ));
    }
    if let Some(key_use) = key.key_use()
        && key_use != "enc"
    {
        return Some(format!(
            "its JWK \"use\" is {:?}, not \"enc\"",
            crate::text::inert(key_use)
        ));
    }
    let kind = key.kind();
    match (alg.key_family(), &key.material) {
        (KeyFamily::Rsa, Material::Rsa(_)) => None,
        (KeyFamily::Agreement, Material::Agreement(curve, _)) => match &header.epk {
            Some(epk) if epk.curve == *curve => None,
            Some(epk) => Some(format!(
                "it is {kind}; the token's ephemeral key is on {}",
                epk.curve.jwk_name()
            )),
            None => Some("the token has no ephemeral key".into()),
        },
        (KeyFamily::Symmetric, Material::Oct(k)) => {
            let needed = match alg {
                KeyAlg::AesKw(size) | KeyAlg::AesGcmKw(size) => size.bytes(),
                _ => header.enc.cek_len(),
            };
            (k.len() != needed).then(|| {
                format!(
                    "it is {kind}; {alg}{} needs {needed} bytes",
                    if alg == KeyAlg::Dir {
                        format!(" with {}", header.enc)
                    } else {
                        String::new()
                    }
                )
            })
        }
        (KeyFamily::Password, Material::Oct(k)) => {
            k.is_empty().then(|| "the password is empty".to_owned())
        }
        (family, _) => Some(format!(
            "it is {kind}; {alg} needs {}",
            match family {
                KeyFamily::Rsa => "an RSA private key",
                KeyFamily::Agreement => "an EC (P-256/384/521) or X25519 private key",
                KeyFamily::Symmetric => "a shared (oct) key",
                KeyFamily::Password => "a password (an oct key)",
            }
        )),
    }
}

fn unwrap_reason(what: &str, e: UnwrapError) -> String {
    match e {
        UnwrapError::Length => format!("{what}: the encrypted key has an impossible length"),
        UnwrapError::Integrity => format!(
            "{what}: the integrity check failed: the key is not the one the token was encrypted to, or the encrypted key was altered"
        ),
        UnwrapError::Key => format!("{what}: the crypto library refused the key"),
    }
}

/// The content-encryption key `key` yields for this token (the key was checked with [`fits`]).
/// `Err` says which step failed and why.
pub(crate) fn content_key(
    header: &Header,
    parts: &Parts,
    key: &DecryptionKey,
) -> Result<Cek, String> {
    let alg = header.alg;
    let cek_len = header.enc.cek_len();
    let plain = |bytes: Vec<u8>| Cek {
        bytes,
        masked: false,
    };
    let bytes = match (&key.material, alg) {
        (Material::Rsa(rsa), KeyAlg::Rsa1_5) => return Ok(rsa1_5(rsa, parts, cek_len)),
        (Material::Rsa(rsa), KeyAlg::RsaOaep | KeyAlg::RsaOaep256) => {
            let modulus = rsa.key_size_bytes();
            if parts.encrypted_key.len() != modulus {
                return Err(format!(
                    "RSA decryption: the encrypted key is {} bytes, the key's modulus {modulus}: not encrypted to this key",
                    parts.encrypted_key.len()
                ));
            }
            let oaep = OaepPrivateDecryptingKey::new(rsa.clone())
                .map_err(|_| "RSA-OAEP: the crypto library refused the key".to_owned())?;
            let padding = if alg == KeyAlg::RsaOaep {
                &OAEP_SHA1_MGF1SHA1
            } else {
                &OAEP_SHA256_MGF1SHA256
            };
            let mut out = vec![0u8; oaep.min_output_size()];
            let len = oaep
                .decrypt(padding, &parts.encrypted_key, &mut out, None)
                .map_err(|_| {
                    format!(
                        "{alg} decryption of the encrypted key failed: the key is not the one the token was encrypted to, or the encrypted key was altered"
                    )
                })?
                .len();
            out.truncate(len);
            out
        }
        (Material::Oct(k), KeyAlg::Dir) => k.clone(),
        (Material::Oct(k), KeyAlg::AesKw(size)) => aes_unwrap(size, k, &parts.encrypted_key)
            .map_err(|e| unwrap_reason("AES key unwrap", e))?,
        (Material::Oct(k), KeyAlg::AesGcmKw(size)) => {
            gcm_unwrap(size, k, &header.kw_iv, &header.kw_tag, &parts.encrypted_key)
                .map_err(|e| unwrap_reason("AES-GCM key unwrap", e))?
        }
        (Material::Oct(password), KeyAlg::Pbes2(size)) => {
            let count = header
                .p2c
                .ok_or_else(|| "PBES2: no iteration count".to_owned())?;
            let kek = pbes2_kek(size, alg.as_str(), password, &header.p2s, count);
            aes_unwrap(size, &kek, &parts.encrypted_key)
                .map_err(|e| unwrap_reason("PBES2 key unwrap (wrong password?)", e))?
        }
        (Material::Agreement(_, private), KeyAlg::EcdhEs | KeyAlg::EcdhEsKw(_)) => {
            let epk = header
                .epk
                .as_ref()
                .ok_or_else(|| "ECDH-ES: no ephemeral key".to_owned())?;
            let (algorithm_id, len) = match alg {
                KeyAlg::EcdhEsKw(size) => (alg.as_str(), size.bytes()),
                _ => (header.enc.as_str(), cek_len),
            };
            let derived = agreement::agree(
                private,
                epk.key.clone(),
                "ECDH-ES: the key agreement failed (a low-order or invalid ephemeral key?)"
                    .to_owned(),
                |z| Ok(concat_kdf(z, algorithm_id, &header.apu, &header.apv, len)),
            )?;
            match alg {
                KeyAlg::EcdhEsKw(size) => aes_unwrap(size, &derived, &parts.encrypted_key)
                    .map_err(|e| unwrap_reason("ECDH-ES key unwrap", e))?,
                _ => derived,
            }
        }
        _ => return Err(format!("{alg} cannot use a {} key", key.kind())),
    };
    if bytes.len() != cek_len {
        return Err(format!(
            "the content-encryption key is {} bytes; {} needs {cek_len}",
            bytes.len(),
            header.enc
        ));
    }
    Ok(plain(bytes))
}

/// RSAES-PKCS1-v1_5 with the RFC 7516 §11.5 counter-measure to Bleichenbacher's attack: a
/// failed decryption, or a key of the wrong length, yields a random key, so the failure is
/// seen only at the tag, like any wrong key.
fn rsa1_5(rsa: &aws_lc_rs::rsa::PrivateDecryptingKey, parts: &Parts, cek_len: usize) -> Cek {
    let mut random = vec![0u8; cek_len];
    // The system RNG does not fail in practice; were it to, a zero key fails the tag as well.
    let _ = SystemRandom::new().fill(&mut random);
    let masked = Cek {
        bytes: random,
        masked: true,
    };
    let Ok(pkcs1) = Pkcs1PrivateDecryptingKey::new(rsa.clone()) else {
        return masked;
    };
    let mut out = vec![0u8; pkcs1.min_output_size()];
    match pkcs1.decrypt(&parts.encrypted_key, &mut out) {
        Ok(plain) if plain.len() == cek_len => Cek {
            bytes: plain.to_vec(),
            masked: false,
        },
        _ => masked,
    }
}
