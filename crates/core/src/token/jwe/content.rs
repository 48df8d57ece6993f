//! Content decryption (RFC 7518 §5): AES-CBC with HMAC-SHA-2, tag checked in constant time
//! *before* anything is decrypted, and AES-GCM; then `zip: DEF` inflation with its output
//! capped while it inflates. A failure never hands back any of the plaintext.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{self, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

use super::alg::{AesSize, ContentEnc};

/// At most this many bytes come out of `zip: DEF` (DESIGN.md: 1 MiB).
pub const MAX_INFLATED: usize = 1024 * 1024;

/// Why the content could not be decrypted (the key step succeeded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// The authentication tag does not match: tampered (header, IV, ciphertext or tag) or the
    /// wrong content-encryption key.
    #[error(
        "the authentication tag does not match ({enc}): the header, IV, ciphertext or tag was altered, or the key is not the one it was encrypted to"
    )]
    Tag {
        /// The `enc`.
        enc: ContentEnc,
    },
    /// The CBC padding is wrong although the tag matched (only a broken encryptor does this).
    #[error("the tag matched but the CBC padding is invalid ({enc}): the encryptor is broken")]
    Padding {
        /// The `enc`.
        enc: ContentEnc,
    },
    /// A length the algorithm fixes is wrong.
    #[error("{what} is {found} bytes; {enc} needs {expected}")]
    Length {
        /// What was measured.
        what: &'static str,
        /// The `enc`.
        enc: ContentEnc,
        /// Bytes found.
        found: usize,
        /// What was expected, in words.
        expected: String,
    },
    /// `zip: DEF` output over the cap.
    #[error(
        "the compressed content inflates to more than {MAX_INFLATED} bytes (zip DEF): refused as a decompression bomb"
    )]
    Bomb,
    /// `zip: DEF` content that is not raw DEFLATE.
    #[error("the decrypted content is not valid DEFLATE data (zip DEF): {0}")]
    Inflate(String),
    /// The crypto library refused a key (sizes are checked first, so this is unexpected).
    #[error("the crypto library refused the {0}")]
    Crypto(&'static str),
}

fn aes(size: AesSize) -> &'static cipher::Algorithm {
    match size {
        AesSize::A128 => &cipher::AES_128,
        AesSize::A192 => &cipher::AES_192,
        AesSize::A256 => &cipher::AES_256,
    }
}

/// Decrypts `ciphertext` with the content-encryption key `cek`. `aad` is the ASCII of the
/// protected header's base64url segment (RFC 7516 §5.2 step 14).
pub fn decrypt(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, ContentError> {
    let length = |what, found, expected: usize| ContentError::Length {
        what,
        enc,
        found,
        expected: expected.to_string(),
    };
    if cek.len() != enc.cek_len() {
        return Err(length(
            "the content-encryption key",
            cek.len(),
            enc.cek_len(),
        ));
    }
    if iv.len() != enc.iv_len() {
        return Err(length("the initialisation vector", iv.len(), enc.iv_len()));
    }
    if tag.len() != enc.tag_len() {
        return Err(length("the authentication tag", tag.len(), enc.tag_len()));
    }
    match enc {
        ContentEnc::CbcHs(size) => cbc_hs(enc, size, cek, iv, aad, ciphertext, tag),
        ContentEnc::Gcm(size) => gcm(enc, size, cek, iv, aad, ciphertext, tag),
    }
}

/// RFC 7518 §5.2.2.2: MAC over `AAD || IV || C || AL`, its first half the tag.
fn cbc_hs(
    enc: ContentEnc,
    size: AesSize,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, ContentError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(ContentError::Length {
            what: "the ciphertext",
            enc,
            found: ciphertext.len(),
            expected: "a positive multiple of 16".into(),
        });
    }
    let (mac_key, enc_key) = cek.split_at(size.bytes());
    let algorithm = match size {
        AesSize::A128 => hmac::HMAC_SHA256,
        AesSize::A192 => hmac::HMAC_SHA384,
        AesSize::A256 => hmac::HMAC_SHA512,
    };
    let key = hmac::Key::new(algorithm, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ciphertext);
    let al = (aad.len() as u64).saturating_mul(8).to_be_bytes();
    ctx.update(&al);
    let full = ctx.sign();
    let computed = full.as_ref().get(..size.bytes()).unwrap_or_default();
    verify_slices_are_equal(computed, tag).map_err(|_| ContentError::Tag { enc })?;

    let key = UnboundCipherKey::new(aes(size), enc_key)
        .map_err(|_| ContentError::Crypto("AES-CBC key"))?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(key)
        .map_err(|_| ContentError::Crypto("AES-CBC key"))?;
    let iv: [u8; 16] = iv.try_into().map_err(|_| ContentError::Crypto("IV"))?;
    let mut buffer = ciphertext.to_vec();
    let len = match key.decrypt(&mut buffer, DecryptionContext::Iv128(FixedLength::from(iv))) {
        Ok(plain) => plain.len(),
        Err(_) => {
            buffer.fill(0);
            return Err(ContentError::Padding { enc });
        }
    };
    buffer.truncate(len);
    Ok(buffer)
}

fn gcm(
    enc: ContentEnc,
    size: AesSize,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, ContentError> {
    let mut buffer = ciphertext.to_vec();
    match gcm_open(size, cek, iv, aad, tag, &mut buffer) {
        Ok(()) => Ok(buffer),
        Err(e) => {
            // Whatever the library left in the buffer never leaves this function.
            buffer.fill(0);
            Err(match e {
                GcmError::Tag => ContentError::Tag { enc },
                GcmError::Key => ContentError::Crypto("AES-GCM key"),
            })
        }
    }
}

/// Why an AES-GCM open failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GcmError {
    /// The key or nonce was refused (sizes are checked by the callers).
    Key,
    /// The tag does not match.
    Tag,
}

/// Opens AES-GCM in place with a separate 16-byte tag. On `Err` the buffer's content is
/// undefined: callers wipe and drop it.
pub(crate) fn gcm_open(
    size: AesSize,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    tag: &[u8],
    buffer: &mut [u8],
) -> Result<(), GcmError> {
    let algorithm = match size {
        AesSize::A128 => &aead::AES_128_GCM,
        AesSize::A192 => &aead::AES_192_GCM,
        AesSize::A256 => &aead::AES_256_GCM,
    };
    let key = UnboundKey::new(algorithm, key).map_err(|_| GcmError::Key)?;
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| GcmError::Key)?;
    LessSafeKey::new(key)
        .open_in_place_separate_tag(nonce, Aad::from(aad), tag, buffer)
        .map(|_| ())
        .map_err(|_| GcmError::Tag)
}

/// Inflates raw DEFLATE (RFC 1951) content, refusing output over [`MAX_INFLATED`]: the cap
/// is checked while inflating, so a bomb stops at the cap, never at its full size.
pub fn inflate(compressed: &[u8]) -> Result<Vec<u8>, ContentError> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_with_limit};
    decompress_to_vec_with_limit(compressed, MAX_INFLATED).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => ContentError::Bomb,
        status => ContentError::Inflate(format!("{status:?}")),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn inflate_is_capped_while_inflating() {
        // 2 MiB of zeros compresses to about 2 KB.
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 2 * MAX_INFLATED], 9);
        assert!(bomb.len() < 10_000, "{}", bomb.len());
        assert_eq!(inflate(&bomb), Err(ContentError::Bomb));
        let small = miniz_oxide::deflate::compress_to_vec(b"hello", 6);
        assert_eq!(inflate(&small).unwrap(), b"hello");
        assert!(matches!(
            inflate(b"\xff\xff\xff"),
            Err(ContentError::Inflate(_))
        ));
    }
}
