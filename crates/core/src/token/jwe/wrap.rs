//! The building blocks of key management (RFC 7518 §4): AES key unwrap (RFC 3394; aws-lc-rs
//! for AES-128/256, the same algorithm over its AES-192 block cipher for the 192-bit wrap),
//! AES-GCM key unwrap, the Concat KDF of ECDH-ES (§4.6.2, NIST SP 800-56A) and PBES2's PBKDF2
//! (§4.8). Pure functions over bytes; which key and which header members feed them is
//! `unwrap.rs`'s business.

use std::num::NonZeroU32;

use aws_lc_rs::cipher::{AES_192, DecryptingKey, DecryptionContext, UnboundCipherKey};
use aws_lc_rs::digest;
use aws_lc_rs::key_wrap::{AES_128, AES_256, KeyEncryptionKey, KeyWrap as _};
use aws_lc_rs::pbkdf2;

use super::alg::AesSize;
use super::content::{GcmError, gcm_open};

/// The RFC 3394 §2.2.3.1 default initial value.
const KW_IV: [u8; 8] = [0xA6; 8];

/// Why an unwrap failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwrapError {
    /// The wrapped key's length is not 8·(n+1) bytes with n ≥ 2.
    Length,
    /// The integrity check failed: wrong key, or the wrapped key was altered.
    Integrity,
    /// The crypto library refused the key (its size is checked before).
    Key,
}

/// AES key unwrap (RFC 3394 §2.2.2) of `wrapped` with the key-encryption key `kek`, whose
/// length must be `size.bytes()`.
pub fn aes_unwrap(size: AesSize, kek: &[u8], wrapped: &[u8]) -> Result<Vec<u8>, UnwrapError> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return Err(UnwrapError::Length);
    }
    if kek.len() != size.bytes() {
        return Err(UnwrapError::Key);
    }
    match size {
        AesSize::A192 => rfc3394_unwrap_192(kek, wrapped),
        AesSize::A128 | AesSize::A256 => {
            let cipher = if size == AesSize::A128 {
                &AES_128
            } else {
                &AES_256
            };
            let key = KeyEncryptionKey::new(cipher, kek).map_err(|_| UnwrapError::Key)?;
            let mut out = vec![0u8; wrapped.len()];
            let len = key
                .unwrap(wrapped, &mut out)
                .map_err(|_| UnwrapError::Integrity)?
                .len();
            out.truncate(len);
            Ok(out)
        }
    }
}

/// RFC 3394 §2.2.2 (the index-based form) over AES-192 in single blocks: aws-lc-rs's key
/// wrap offers AES-128 and AES-256 only.
fn rfc3394_unwrap_192(kek: &[u8], wrapped: &[u8]) -> Result<Vec<u8>, UnwrapError> {
    let key = UnboundCipherKey::new(&AES_192, kek).map_err(|_| UnwrapError::Key)?;
    let key = DecryptingKey::ecb(key).map_err(|_| UnwrapError::Key)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(wrapped.get(..8).ok_or(UnwrapError::Length)?);
    let mut r: Vec<[u8; 8]> = wrapped
        .get(8..)
        .unwrap_or_default()
        .chunks_exact(8)
        .map(|c| {
            let mut block = [0u8; 8];
            block.copy_from_slice(c);
            block
        })
        .collect();
    let n = r.len() as u64;
    for j in (0..6u64).rev() {
        for i in (1..=r.len()).rev() {
            let t = n * j + i as u64;
            let mut block = [0u8; 16];
            for (k, byte) in t.to_be_bytes().iter().enumerate() {
                block[k] = a[k] ^ byte;
            }
            block[8..].copy_from_slice(&r[i - 1]);
            key.decrypt(&mut block, DecryptionContext::None)
                .map_err(|_| UnwrapError::Key)?;
            a.copy_from_slice(&block[..8]);
            r[i - 1].copy_from_slice(&block[8..]);
        }
    }
    if !constant_time_eq(&a, &KW_IV) {
        return Err(UnwrapError::Integrity);
    }
    Ok(r.concat())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// AES-GCM key unwrap (RFC 7518 §4.7): the encrypted key is GCM ciphertext under `kek` with
/// the header's `iv` and `tag`, no AAD.
pub fn gcm_unwrap(
    size: AesSize,
    kek: &[u8],
    iv: &[u8],
    tag: &[u8],
    encrypted: &[u8],
) -> Result<Vec<u8>, UnwrapError> {
    if iv.len() != 12 || tag.len() != 16 {
        return Err(UnwrapError::Length);
    }
    let mut buffer = encrypted.to_vec();
    match gcm_open(size, kek, iv, b"", tag, &mut buffer) {
        Ok(()) => Ok(buffer),
        Err(e) => {
            buffer.fill(0);
            Err(match e {
                GcmError::Key => UnwrapError::Key,
                GcmError::Tag => UnwrapError::Integrity,
            })
        }
    }
}

/// The Concat KDF of RFC 7518 §4.6.2 over SHA-256: `keydatalen` bytes from the shared secret
/// `z`, with AlgorithmID, PartyUInfo and PartyVInfo length-prefixed and SuppPubInfo the key
/// length in bits.
pub fn concat_kdf(z: &[u8], algorithm_id: &str, apu: &[u8], apv: &[u8], len: usize) -> Vec<u8> {
    let prefixed = |bytes: &[u8]| {
        let mut v = (bytes.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(bytes);
        v
    };
    let mut other = prefixed(algorithm_id.as_bytes());
    other.extend(prefixed(apu));
    other.extend(prefixed(apv));
    other.extend(((len * 8) as u32).to_be_bytes());
    let mut out = Vec::with_capacity(len + 32);
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&other);
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// PBES2's key-encryption key (RFC 7518 §4.8.1.1): PBKDF2 with HMAC-SHA-256/384/512 (by the
/// wrap size) over `password`, salt `alg || 0x00 || p2s`, `count` iterations.
pub fn pbes2_kek(
    size: AesSize,
    alg_name: &str,
    password: &[u8],
    p2s: &[u8],
    count: NonZeroU32,
) -> Vec<u8> {
    let prf = match size {
        AesSize::A128 => pbkdf2::PBKDF2_HMAC_SHA256,
        AesSize::A192 => pbkdf2::PBKDF2_HMAC_SHA384,
        AesSize::A256 => pbkdf2::PBKDF2_HMAC_SHA512,
    };
    let mut salt = alg_name.as_bytes().to_vec();
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut out = vec![0u8; size.bytes()];
    pbkdf2::derive(prf, count, &salt, password, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3394 §4.1–4.3: 128 bits of key data under a 128-, 192- and 256-bit KEK.
    #[test]
    fn rfc3394_section_4_vectors() {
        let data = hex("00112233445566778899AABBCCDDEEFF");
        let kek = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        for (size, wrapped) in [
            (
                AesSize::A128,
                "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5",
            ),
            (
                AesSize::A192,
                "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D",
            ),
            (
                AesSize::A256,
                "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7",
            ),
        ] {
            let kek = &kek[..size.bytes()];
            let mut wrapped = hex(wrapped);
            assert_eq!(aes_unwrap(size, kek, &wrapped).unwrap(), data, "{size:?}");
            wrapped[5] ^= 0x10;
            assert_eq!(
                aes_unwrap(size, kek, &wrapped),
                Err(UnwrapError::Integrity),
                "{size:?}"
            );
            assert_eq!(
                aes_unwrap(size, kek, &wrapped[..16]),
                Err(UnwrapError::Length)
            );
        }
    }

    /// The 192-bit path is RFC 3394 over single AES blocks: the same code with an AES-128 or
    /// AES-256 key would give what aws-lc-rs's own unwrap gives, so check it against longer
    /// key data too (RFC 3394 §4.4: 192 bits of key data under a 192-bit KEK).
    #[test]
    fn rfc3394_section_4_4_longer_key_data() {
        let kek = hex("000102030405060708090A0B0C0D0E0F1011121314151617");
        let wrapped = hex("031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2");
        assert_eq!(
            aes_unwrap(AesSize::A192, &kek, &wrapped).unwrap(),
            hex("00112233445566778899AABBCCDDEEFF0001020304050607")
        );
    }
}
