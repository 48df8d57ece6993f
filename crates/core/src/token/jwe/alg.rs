//! The JWE algorithms of RFC 7518: key management (`alg`, §4) and content encryption (`enc`,
//! §5), with the sizes each one fixes (key, IV, tag).

use std::fmt;

/// An AES key size, shared by the key wraps, the GCM modes and PBES2's derived key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AesSize {
    /// AES-128.
    A128,
    /// AES-192.
    A192,
    /// AES-256.
    A256,
}

impl AesSize {
    /// The key length in bytes: 16, 24 or 32.
    pub fn bytes(self) -> usize {
        match self {
            AesSize::A128 => 16,
            AesSize::A192 => 24,
            AesSize::A256 => 32,
        }
    }
}

/// A key management algorithm (`alg`), RFC 7518 §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    /// RSAES-PKCS1-v1_5 (RFC 8725 §3.2 advises against it).
    Rsa1_5,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    RsaOaep,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    RsaOaep256,
    /// AES key wrap (RFC 3394) with a shared key of this size.
    AesKw(AesSize),
    /// The shared key is the content-encryption key.
    Dir,
    /// ECDH-ES: the agreed key is the content-encryption key.
    EcdhEs,
    /// ECDH-ES, then AES key wrap with the agreed key.
    EcdhEsKw(AesSize),
    /// AES-GCM key wrap (`iv` and `tag` in the header).
    AesGcmKw(AesSize),
    /// PBES2 (PBKDF2 with HMAC-SHA-256/384/512), then AES key wrap of 128/192/256 bits.
    Pbes2(AesSize),
}

impl KeyAlg {
    /// Every key management algorithm of RFC 7518, in its order.
    pub const ALL: [KeyAlg; 17] = [
        KeyAlg::Rsa1_5,
        KeyAlg::RsaOaep,
        KeyAlg::RsaOaep256,
        KeyAlg::AesKw(AesSize::A128),
        KeyAlg::AesKw(AesSize::A192),
        KeyAlg::AesKw(AesSize::A256),
        KeyAlg::Dir,
        KeyAlg::EcdhEs,
        KeyAlg::EcdhEsKw(AesSize::A128),
        KeyAlg::EcdhEsKw(AesSize::A192),
        KeyAlg::EcdhEsKw(AesSize::A256),
        KeyAlg::AesGcmKw(AesSize::A128),
        KeyAlg::AesGcmKw(AesSize::A192),
        KeyAlg::AesGcmKw(AesSize::A256),
        KeyAlg::Pbes2(AesSize::A128),
        KeyAlg::Pbes2(AesSize::A192),
        KeyAlg::Pbes2(AesSize::A256),
    ];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Rsa1_5 => "RSA1_5",
            KeyAlg::RsaOaep => "RSA-OAEP",
            KeyAlg::RsaOaep256 => "RSA-OAEP-256",
            KeyAlg::AesKw(AesSize::A128) => "A128KW",
            KeyAlg::AesKw(AesSize::A192) => "A192KW",
            KeyAlg::AesKw(AesSize::A256) => "A256KW",
            KeyAlg::Dir => "dir",
            KeyAlg::EcdhEs => "ECDH-ES",
            KeyAlg::EcdhEsKw(AesSize::A128) => "ECDH-ES+A128KW",
            KeyAlg::EcdhEsKw(AesSize::A192) => "ECDH-ES+A192KW",
            KeyAlg::EcdhEsKw(AesSize::A256) => "ECDH-ES+A256KW",
            KeyAlg::AesGcmKw(AesSize::A128) => "A128GCMKW",
            KeyAlg::AesGcmKw(AesSize::A192) => "A192GCMKW",
            KeyAlg::AesGcmKw(AesSize::A256) => "A256GCMKW",
            KeyAlg::Pbes2(AesSize::A128) => "PBES2-HS256+A128KW",
            KeyAlg::Pbes2(AesSize::A192) => "PBES2-HS384+A192KW",
            KeyAlg::Pbes2(AesSize::A256) => "PBES2-HS512+A256KW",
        }
    }

    /// The algorithm of that exact name (JOSE names are case-sensitive).
    pub fn parse(name: &str) -> Option<KeyAlg> {
        KeyAlg::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// What kind of key opens it.
    pub fn key_family(self) -> KeyFamily {
        match self {
            KeyAlg::Rsa1_5 | KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => KeyFamily::Rsa,
            KeyAlg::EcdhEs | KeyAlg::EcdhEsKw(_) => KeyFamily::Agreement,
            KeyAlg::AesKw(_) | KeyAlg::Dir | KeyAlg::AesGcmKw(_) => KeyFamily::Symmetric,
            KeyAlg::Pbes2(_) => KeyFamily::Password,
        }
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of private key an `alg` needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// An RSA private key.
    Rsa,
    /// An EC (P-256/384/521) or X25519 private key, for ECDH-ES.
    Agreement,
    /// A shared key (`oct`) of the exact size.
    Symmetric,
    /// A password (an `oct` key's bytes).
    Password,
}

/// A content encryption algorithm (`enc`), RFC 7518 §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEnc {
    /// AES-CBC with HMAC-SHA-2 (§5.2): A128CBC-HS256, A192CBC-HS384, A256CBC-HS512.
    CbcHs(AesSize),
    /// AES-GCM (§5.3): A128GCM, A192GCM, A256GCM.
    Gcm(AesSize),
}

impl ContentEnc {
    /// Every content encryption algorithm of RFC 7518.
    pub const ALL: [ContentEnc; 6] = [
        ContentEnc::CbcHs(AesSize::A128),
        ContentEnc::CbcHs(AesSize::A192),
        ContentEnc::CbcHs(AesSize::A256),
        ContentEnc::Gcm(AesSize::A128),
        ContentEnc::Gcm(AesSize::A192),
        ContentEnc::Gcm(AesSize::A256),
    ];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentEnc::CbcHs(AesSize::A128) => "A128CBC-HS256",
            ContentEnc::CbcHs(AesSize::A192) => "A192CBC-HS384",
            ContentEnc::CbcHs(AesSize::A256) => "A256CBC-HS512",
            ContentEnc::Gcm(AesSize::A128) => "A128GCM",
            ContentEnc::Gcm(AesSize::A192) => "A192GCM",
            ContentEnc::Gcm(AesSize::A256) => "A256GCM",
        }
    }

    /// The algorithm of that exact name.
    pub fn parse(name: &str) -> Option<ContentEnc> {
        ContentEnc::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// The content-encryption key length in bytes (CBC-HS: the MAC key and the AES key).
    pub fn cek_len(self) -> usize {
        match self {
            ContentEnc::CbcHs(size) => 2 * size.bytes(),
            ContentEnc::Gcm(size) => size.bytes(),
        }
    }

    /// The initialisation vector length in bytes.
    pub fn iv_len(self) -> usize {
        match self {
            ContentEnc::CbcHs(_) => 16,
            ContentEnc::Gcm(_) => 12,
        }
    }

    /// The authentication tag length in bytes.
    pub fn tag_len(self) -> usize {
        match self {
            ContentEnc::CbcHs(size) => size.bytes(),
            ContentEnc::Gcm(_) => 16,
        }
    }
}

impl fmt::Display for ContentEnc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for alg in KeyAlg::ALL {
            assert_eq!(KeyAlg::parse(alg.as_str()), Some(alg));
        }
        for enc in ContentEnc::ALL {
            assert_eq!(ContentEnc::parse(enc.as_str()), Some(enc));
        }
        assert_eq!(KeyAlg::parse("rsa-oaep"), None);
        assert_eq!(KeyAlg::parse("none"), None);
        assert_eq!(ContentEnc::parse("A128CBC"), None);
    }

    #[test]
    fn sizes_follow_rfc_7518() {
        let e = ContentEnc::parse("A256CBC-HS512").unwrap();
        assert_eq!((e.cek_len(), e.iv_len(), e.tag_len()), (64, 16, 32));
        let e = ContentEnc::parse("A192GCM").unwrap();
        assert_eq!((e.cek_len(), e.iv_len(), e.tag_len()), (24, 12, 16));
    }
}
