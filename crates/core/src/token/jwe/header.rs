//! Reading a compact JWE before any key is touched: the five segments with a size cap on each,
//! the protected header's members typed and checked (`alg`, `enc`, `zip`, `crit`, and what
//! the `alg` needs: `epk` on its curve, `p2s`/`p2c` within bounds, `iv`/`tag` of the right
//! length), so hostile input is refused before any work is done on it.

use std::num::NonZeroU32;

use aws_lc_rs::agreement::{ParsedPublicKey, UnparsedPublicKey};
use serde_json::{Map, Value};

use super::alg::{ContentEnc, KeyAlg};
use super::keys::AgreementCurve;
use crate::token::decode::{Segment, b64, duplicate_members, normalize};

/// A compact JWE longer than this is refused (its ciphertext would exceed the 1 MiB body cap).
pub const MAX_COMPACT: usize = 2 * 1024 * 1024;
/// The protected header's base64url segment.
const MAX_HEADER: usize = 16 * 1024;
/// An RSA-8192 encrypted key is 1024 bytes; wrapped keys are far smaller.
const MAX_ENCRYPTED_KEY: usize = 1024;
/// The ciphertext, in bytes.
pub const MAX_CIPHERTEXT: usize = 1024 * 1024;
/// Above this PBES2 iteration count the token is refused before any derivation (DESIGN.md).
pub const MAX_P2C: u32 = 1_000_000;
/// `apu`, `apv` and `p2s`, in bytes.
const MAX_PARTY_INFO: usize = 1024;

/// A compact JWE split and base64url-decoded.
#[derive(Clone)]
pub struct Parts {
    /// The protected header segment as received: the AAD.
    pub header_b64: String,
    /// The protected header.
    pub header: Map<String, Value>,
    /// Segment 2.
    pub encrypted_key: Vec<u8>,
    /// Segment 3.
    pub iv: Vec<u8>,
    /// Segment 4.
    pub ciphertext: Vec<u8>,
    /// Segment 5.
    pub tag: Vec<u8>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("header", &self.header)
            .field("encrypted_key", &self.encrypted_key.len())
            .field("iv", &self.iv.len())
            .field("ciphertext", &self.ciphertext.len())
            .field("tag", &self.tag.len())
            .finish()
    }
}

/// The ephemeral public key of ECDH-ES, already parsed (so on its curve).
#[derive(Debug, Clone)]
pub struct Epk {
    /// Its curve.
    pub curve: AgreementCurve,
    /// The point, as aws-lc-rs parsed and validated it.
    pub key: ParsedPublicKey,
}

/// The protected header, typed.
#[derive(Debug, Clone)]
pub struct Header {
    /// `alg`.
    pub alg: KeyAlg,
    /// `enc`.
    pub enc: ContentEnc,
    /// `zip: DEF`.
    pub deflate: bool,
    /// `kid`.
    pub kid: Option<String>,
    /// `epk` (ECDH-ES only).
    pub epk: Option<Epk>,
    /// `apu`, decoded (empty when absent).
    pub apu: Vec<u8>,
    /// `apv`, decoded.
    pub apv: Vec<u8>,
    /// `p2s` (PBES2 only).
    pub p2s: Vec<u8>,
    /// `p2c` (PBES2 only).
    pub p2c: Option<NonZeroU32>,
    /// `iv` (AES-GCM key wrap only).
    pub kw_iv: Vec<u8>,
    /// `tag` (AES-GCM key wrap only).
    pub kw_tag: Vec<u8>,
}

/// Splits and decodes a compact JWE; every error names the part that is wrong.
pub fn split(token: &str) -> Result<Parts, String> {
    let token = normalize(token);
    if token.len() > MAX_COMPACT {
        return Err(format!(
            "the token is {} bytes; a compact JWE over {MAX_COMPACT} bytes is refused",
            token.len()
        ));
    }
    let segments: Vec<&str> = token.split('.').collect();
    let [header, key, iv, ciphertext, tag] = segments[..] else {
        return Err(format!(
            "a compact JWE has 5 dot-separated segments; this has {}",
            segments.len()
        ));
    };
    if header.is_empty() {
        return Err("the protected header (segment 1) is empty".into());
    }
    if header.len() > MAX_HEADER {
        return Err(format!(
            "the protected header (segment 1) is {} characters; over {MAX_HEADER} is refused",
            header.len()
        ));
    }
    let decoded = |part: &str, segment: Segment, max: usize| -> Result<Vec<u8>, String> {
        // base64url is 4 characters per 3 bytes: check before decoding anything.
        if part.len() / 4 * 3 > max + 3 {
            return Err(format!("the {segment} is over {max} bytes: refused"));
        }
        b64(part, segment).map_err(|e| e.to_string())
    };
    let header_bytes = decoded(header, Segment::Header, MAX_HEADER)?;
    let header_map = match serde_json::from_slice::<Value>(&header_bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err("the protected header (segment 1) is JSON but not an object".into()),
        Err(e) => return Err(format!("the protected header (segment 1) is not JSON: {e}")),
    };
    let duplicates = duplicate_members(&header_bytes);
    if !duplicates.is_empty() {
        return Err(format!(
            "the protected header repeats member(s) {} (parsers disagree on which copy counts): refused",
            duplicates.join(", ")
        ));
    }
    for (part, segment) in [
        (iv, Segment::Iv),
        (ciphertext, Segment::Ciphertext),
        (tag, Segment::Tag),
    ] {
        if part.is_empty() {
            return Err(format!("the {segment} is empty (truncated?)"));
        }
    }
    Ok(Parts {
        header_b64: header.to_owned(),
        header: header_map,
        encrypted_key: decoded(key, Segment::EncryptedKey, MAX_ENCRYPTED_KEY)?,
        iv: decoded(iv, Segment::Iv, 64)?,
        ciphertext: decoded(ciphertext, Segment::Ciphertext, MAX_CIPHERTEXT)?,
        tag: decoded(tag, Segment::Tag, 64)?,
    })
}

fn string<'a>(header: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("the header member {name:?} is not a string")),
    }
}

fn bytes_member(
    header: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<Vec<u8>>, String> {
    let Some(text) = string(header, name)? else {
        return Ok(None);
    };
    if text.len() / 4 * 3 > max + 3 {
        return Err(format!("the header member {name:?} is over {max} bytes"));
    }
    b64(text, Segment::Header)
        .map(Some)
        .map_err(|e| format!("the header member {name:?} is not base64url: {e}"))
}

/// Types the protected header and refuses what must not be worked on: an unknown `alg` or
/// `enc`, a `zip` other than `DEF`, any `crit`, an `epk` off its curve, a `p2c` over
/// [`MAX_P2C`], and missing members the `alg` needs. The IV and tag lengths are checked
/// against `enc` here too.
pub fn read(parts: &Parts) -> Result<Header, String> {
    let h = &parts.header;
    let alg_name = string(h, "alg")?
        .ok_or("the protected header has no \"alg\" (RFC 7516 §4.1.1 requires one)")?;
    let alg = KeyAlg::parse(alg_name).ok_or_else(|| {
        format!(
            "unknown key management algorithm \"alg\": {:?}; RFC 7518 §4.1 lists RSA1_5, RSA-OAEP, RSA-OAEP-256, A*KW, dir, ECDH-ES(+A*KW), A*GCMKW and PBES2-*",
            crate::text::inert(alg_name)
        )
    })?;
    let enc_name = string(h, "enc")?
        .ok_or("the protected header has no \"enc\" (RFC 7516 §4.1.2 requires one)")?;
    let enc = ContentEnc::parse(enc_name).ok_or_else(|| {
        format!(
            "unknown content encryption \"enc\": {:?}; RFC 7518 §5.1 lists A128CBC-HS256, A192CBC-HS384, A256CBC-HS512, A128GCM, A192GCM and A256GCM",
            crate::text::inert(enc_name)
        )
    })?;
    let deflate = match string(h, "zip")? {
        None => false,
        Some("DEF") => true,
        Some(other) => {
            return Err(format!(
                "unknown compression \"zip\": {:?}; only DEF is defined (RFC 7516 §4.1.3)",
                crate::text::inert(other)
            ));
        }
    };
    if let Some(crit) = h.get("crit") {
        return Err(format!(
            "the header marks {} as critical (\"crit\"): no JWE extension is understood here, so it must be refused (RFC 7516 §4.1.13)",
            crate::text::inert(&crit.to_string())
        ));
    }
    if parts.iv.len() != enc.iv_len() {
        return Err(format!(
            "the initialisation vector is {} bytes; {enc} needs {}",
            parts.iv.len(),
            enc.iv_len()
        ));
    }
    if parts.tag.len() != enc.tag_len() {
        return Err(format!(
            "the authentication tag is {} bytes; {enc} needs {} (truncated?)",
            parts.tag.len(),
            enc.tag_len()
        ));
    }
    let direct = matches!(alg, KeyAlg::Dir | KeyAlg::EcdhEs);
    if direct && !parts.encrypted_key.is_empty() {
        return Err(format!(
            "{alg} uses no encrypted key, but segment 2 holds {} bytes (RFC 7516 §5.2 step 10)",
            parts.encrypted_key.len()
        ));
    }
    if !direct && parts.encrypted_key.is_empty() {
        return Err(format!(
            "{alg} needs an encrypted key, but segment 2 is empty"
        ));
    }
    let mut header = Header {
        alg,
        enc,
        deflate,
        kid: string(h, "kid")?.map(str::to_owned),
        epk: None,
        apu: bytes_member(h, "apu", MAX_PARTY_INFO)?.unwrap_or_default(),
        apv: bytes_member(h, "apv", MAX_PARTY_INFO)?.unwrap_or_default(),
        p2s: Vec::new(),
        p2c: None,
        kw_iv: Vec::new(),
        kw_tag: Vec::new(),
    };
    match alg {
        KeyAlg::EcdhEs | KeyAlg::EcdhEsKw(_) => header.epk = Some(epk(h)?),
        KeyAlg::Pbes2(_) => {
            let count = h
                .get("p2c")
                .ok_or("PBES2 needs the iteration count \"p2c\" in the header")?;
            let too_many = |count: &dyn std::fmt::Display| {
                format!(
                    "the PBES2 iteration count p2c is {count}; over {MAX_P2C} is refused before any key derivation (a denial of service)"
                )
            };
            let Some(count) = count.as_u64() else {
                return Err(match count.as_f64() {
                    Some(f) if f > f64::from(MAX_P2C) => too_many(&f),
                    _ => "the PBES2 iteration count \"p2c\" is not a positive integer".into(),
                });
            };
            if count > u64::from(MAX_P2C) {
                return Err(too_many(&count));
            }
            header.p2c = Some(
                u32::try_from(count)
                    .ok()
                    .and_then(NonZeroU32::new)
                    .ok_or("the PBES2 iteration count \"p2c\" is 0")?,
            );
            let salt = bytes_member(h, "p2s", MAX_PARTY_INFO)?
                .ok_or("PBES2 needs the salt input \"p2s\" in the header")?;
            if salt.len() < 8 {
                return Err(format!(
                    "the PBES2 salt input p2s is {} bytes; RFC 7518 §4.8.1.1 requires at least 8",
                    salt.len()
                ));
            }
            header.p2s = salt;
        }
        KeyAlg::AesGcmKw(_) => {
            header.kw_iv = bytes_member(h, "iv", 64)?
                .ok_or("AES-GCM key wrap needs the header member \"iv\"")?;
            header.kw_tag = bytes_member(h, "tag", 64)?
                .ok_or("AES-GCM key wrap needs the header member \"tag\"")?;
            if header.kw_iv.len() != 12 || header.kw_tag.len() != 16 {
                return Err(format!(
                    "the key wrap's \"iv\" is {} bytes and \"tag\" {} bytes; {alg} needs 12 and 16",
                    header.kw_iv.len(),
                    header.kw_tag.len()
                ));
            }
        }
        KeyAlg::Rsa1_5 | KeyAlg::RsaOaep | KeyAlg::RsaOaep256 | KeyAlg::AesKw(_) | KeyAlg::Dir => {}
    }
    Ok(header)
}

/// The `epk` member: a public JWK on P-256/384/521 or X25519, with coordinates of the curve's
/// size, and (for the NIST curves) a point on the curve: a point off it would leak the
/// recipient's private key bit by bit (the invalid-curve attack, RFC 8725 §3.4).
fn epk(h: &Map<String, Value>) -> Result<Epk, String> {
    let obj = h
        .get("epk")
        .and_then(Value::as_object)
        .ok_or("ECDH-ES needs the ephemeral public key \"epk\" (a JWK object) in the header")?;
    let text = |name: &str| obj.get(name).and_then(Value::as_str).unwrap_or_default();
    let curve = AgreementCurve::from_jwk(text("kty"), text("crv")).ok_or_else(|| {
        format!(
            "the ephemeral key epk is kty {:?} crv {:?}; ECDH-ES here runs on EC P-256/384/521 or OKP X25519",
            crate::text::inert(text("kty")),
            crate::text::inert(text("crv"))
        )
    })?;
    if obj.contains_key("d") {
        return Err("the ephemeral key epk carries a private part \"d\": refused".into());
    }
    let coordinate = |name: &str| -> Result<Vec<u8>, String> {
        let bytes = b64(text(name), Segment::Header)
            .map_err(|e| format!("the epk member {name:?} is not base64url: {e}"))?;
        if bytes.len() != curve.coordinate_len() {
            return Err(format!(
                "the epk member {name:?} is {} bytes; on {} it is {}",
                bytes.len(),
                curve.jwk_name(),
                curve.coordinate_len()
            ));
        }
        Ok(bytes)
    };
    let bytes = if curve == AgreementCurve::X25519 {
        coordinate("x")?
    } else {
        let mut point = vec![4u8];
        point.extend(coordinate("x")?);
        point.extend(coordinate("y")?);
        point
    };
    let key = ParsedPublicKey::try_from(UnparsedPublicKey::new(curve.algorithm(), &bytes))
        .map_err(|_| {
            format!(
                "the ephemeral key epk is not a valid point on {}: refused (an off-curve point is the invalid-curve attack, RFC 8725 §3.4)",
                curve.jwk_name()
            )
        })?;
    Ok(Epk { curve, key })
}
