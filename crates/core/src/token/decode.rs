//! Decoding a token without trusting it: compact JWS (a JWT), compact JWE (only the protected
//! header is readable) and opaque tokens.
//!
//! The decoder accepts what people paste around a token (surrounding whitespace, a leading
//! `Bearer `, quotes) but nothing inside it that the RFCs do not allow: every segment is RFC 7515
//! §2 base64url *without padding* and with the unused bits of its last character zero, so one
//! token has exactly one spelling (revocation and replay lists key on it). A wrong character is
//! named with its position. Duplicate JSON members in the header or the claims (a known parser
//! differential) are recorded for the checks to refuse. The JSON serialization of JWS/JWE, nested
//! JWTs (`cty: JWT`) and five segments without `enc` are refused by name.
//!
//! Malformed input becomes a [`DecodeError`] that names the part that is wrong. It never panics,
//! whatever the input; the fuzz target in `fuzz/` holds it to that.

use std::collections::HashSet;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::URL_SAFE_NO_PAD};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// base64url that tolerates `=` padding, for JWK members (`n`, `e`, `x`, `k`): keys come from
/// the configured issuer, not from the token, and a padded JWKS is a publisher's slip.
const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// At most this many duplicate members are listed per segment.
const MAX_DUPLICATES: usize = 8;

/// Which dot-separated part of a compact token something refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// JWS segment 1 / JWE segment 1: the (protected) header.
    Header,
    /// JWS segment 2: the payload (the claims of a JWT).
    Payload,
    /// JWS segment 3: the signature.
    Signature,
    /// JWE segment 2: the encrypted content-encryption key.
    EncryptedKey,
    /// JWE segment 3: the initialisation vector.
    Iv,
    /// JWE segment 4: the ciphertext.
    Ciphertext,
    /// JWE segment 5: the authentication tag.
    Tag,
}

impl Segment {
    /// 1-based position in the compact serialisation.
    pub fn position(self) -> usize {
        match self {
            Segment::Header => 1,
            Segment::Payload | Segment::EncryptedKey => 2,
            Segment::Signature | Segment::Iv => 3,
            Segment::Ciphertext => 4,
            Segment::Tag => 5,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
            Segment::EncryptedKey => "encrypted key",
            Segment::Iv => "initialisation vector",
            Segment::Ciphertext => "ciphertext",
            Segment::Tag => "authentication tag",
        }
    }
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (segment {})", self.name(), self.position())
    }
}

/// Why a token could not be decoded. Each variant names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Nothing left after trimming whitespace and `Bearer `.
    #[error("the token is empty")]
    Empty,
    /// The token looks like a JWT (its first segment is a JSON header) but has the wrong number
    /// of segments.
    #[error(
        "the token has {found} dot-separated segments; a signed JWT (JWS) has 3 and an encrypted one (JWE) has 5"
    )]
    SegmentCount {
        /// Segments found.
        found: usize,
    },
    /// A segment that must not be empty is empty.
    #[error("the {segment} is empty")]
    EmptySegment {
        /// The empty segment.
        segment: Segment,
    },
    /// A segment is not base64url.
    #[error("the {segment} is not valid base64url: {detail}")]
    BadBase64 {
        /// The segment.
        segment: Segment,
        /// What the base64 decoder said (position and character).
        detail: String,
    },
    /// A segment that must hold JSON does not.
    #[error("the {segment} is not JSON: {detail}")]
    NotJson {
        /// The segment.
        segment: Segment,
        /// What the JSON parser said.
        detail: String,
    },
    /// A segment holds JSON, but not a JSON object.
    #[error("the {segment} is JSON but not an object (it is {found})")]
    NotObject {
        /// The segment.
        segment: Segment,
        /// The JSON type found: "an array", "a string", ...
        found: &'static str,
    },
    /// A JWS or JWE in the JSON serialization instead of the compact one.
    #[error(
        "this is a {kind} in the JSON serialization ({rfc}), not a compact token; grantscope reads only the compact serialization (base64url segments joined by dots) that OAuth and OpenID Connect use"
    )]
    JsonSerialization {
        /// "JWS" or "JWE".
        kind: &'static str,
        /// Where the serialization is defined.
        rfc: &'static str,
    },
    /// The input is some other JSON object.
    #[error("the input is a JSON object, not a token{hint}")]
    JsonDocument {
        /// What it might be, e.g. " (a token response? inspect its access_token or id_token)".
        hint: &'static str,
    },
    /// A nested JWT: the payload is itself a JWT (RFC 7519 §5.2).
    #[error(
        "nested JWT (the header says cty \"{cty}\": the payload is itself a signed or encrypted JWT, RFC 7519 §5.2): not supported"
    )]
    NestedJwt {
        /// The `cty` value, as written.
        cty: String,
    },
    /// Five segments, but the header has no `enc`: neither a JWE nor a JWS.
    #[error(
        "the token has 5 segments like an encrypted JWT (JWE), but its header has no \"enc\" string (RFC 7516 §4.1.2 requires one): it is neither a valid JWE nor a JWS"
    )]
    JweWithoutEnc,
}

impl DecodeError {
    /// The segment the error is about, if it is about one.
    pub fn segment(&self) -> Option<Segment> {
        match self {
            DecodeError::Empty
            | DecodeError::SegmentCount { .. }
            | DecodeError::JsonSerialization { .. }
            | DecodeError::JsonDocument { .. } => None,
            DecodeError::NestedJwt { .. } | DecodeError::JweWithoutEnc => Some(Segment::Header),
            DecodeError::EmptySegment { segment }
            | DecodeError::BadBase64 { segment, .. }
            | DecodeError::NotJson { segment, .. }
            | DecodeError::NotObject { segment, .. } => Some(*segment),
        }
    }
}

/// A decoded compact JWS: a JWT whose signature has not been checked yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    /// The JOSE header, in the order it was written.
    pub header: Map<String, Value>,
    /// The claims (the payload as a JSON object).
    pub claims: Map<String, Value>,
    /// `base64url(header) || '.' || base64url(payload)`, exactly as received: what was signed.
    pub signing_input: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// Header member names that occur more than once (paths like `jwk.kty` for nested ones).
    /// `header` keeps the last value of each; other parsers keep the first.
    pub duplicate_header: Vec<String>,
    /// Claim names that occur more than once, likewise.
    pub duplicate_claims: Vec<String>,
}

impl Jws {
    /// The `alg` header parameter, if it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The `kid` header parameter, if it is a string (see [`Jws::kid_is_malformed`]).
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// Whether the header has a `kid` that is not a string (RFC 7515 §4.1.4 says it is one).
    pub fn kid_is_malformed(&self) -> bool {
        self.header.get("kid").is_some_and(|v| !v.is_string())
    }

    /// The signature in unpadded base64url (what `jsonwebtoken::crypto::verify` takes).
    pub fn signature_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.signature)
    }
}

/// A compact JWE: only the protected header can be read without the decryption key.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwe {
    /// The protected header.
    pub header: Map<String, Value>,
}

/// What a token turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A signed JWT.
    Jws(Jws),
    /// An encrypted JWT.
    Jwe(Jwe),
    /// Anything else: a reference token only its server can interpret.
    Opaque {
        /// Length of the token in bytes (the token itself is a credential: not kept here).
        len: usize,
    },
}

/// Strips what people paste around a token: whitespace, a `Bearer ` prefix (any case), quotes.
pub fn normalize(input: &str) -> &str {
    let mut s = input.trim();
    if s.eq_ignore_ascii_case("bearer") {
        return "";
    }
    if let Some(prefix) = s.get(..7)
        && prefix.eq_ignore_ascii_case("bearer ")
    {
        s = s[7..].trim_start();
    }
    for quote in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(quote) && s.ends_with(quote) {
            s = s[1..s.len() - 1].trim();
        }
    }
    s
}

/// Decodes a token as pasted. See the module docs for what is accepted.
pub fn decode(input: &str) -> Result<Decoded, DecodeError> {
    let token = normalize(input);
    if token.is_empty() {
        return Err(DecodeError::Empty);
    }
    if token.starts_with('{')
        && let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(token)
    {
        return Err(json_document_error(&doc));
    }
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [header, payload, signature] => decode_jws(header, payload, signature).map(Decoded::Jws),
        [header, key, iv, ciphertext, tag] => {
            decode_jwe(header, key, iv, ciphertext, tag).map(Decoded::Jwe)
        }
        [_] => Ok(Decoded::Opaque { len: token.len() }),
        [first, ..] => {
            // A dotted token whose first segment is a JOSE header was meant to be a JWT;
            // anything else (e.g. `ya29.xxxx`) is an opaque token that happens to contain dots.
            if decode_object(first, Segment::Header).is_ok() {
                Err(DecodeError::SegmentCount { found: parts.len() })
            } else {
                Ok(Decoded::Opaque { len: token.len() })
            }
        }
        [] => Err(DecodeError::Empty),
    }
}

/// Names a JSON object pasted instead of a token.
fn json_document_error(doc: &Map<String, Value>) -> DecodeError {
    let has = |k: &str| doc.contains_key(k);
    if has("payload") && (has("signatures") || has("signature")) {
        DecodeError::JsonSerialization {
            kind: "JWS",
            rfc: "RFC 7515 §7.2",
        }
    } else if has("ciphertext") && (has("protected") || has("iv") || has("recipients")) {
        DecodeError::JsonSerialization {
            kind: "JWE",
            rfc: "RFC 7516 §7.2",
        }
    } else if has("access_token") || has("id_token") || has("refresh_token") {
        DecodeError::JsonDocument {
            hint: " (a token response? inspect its access_token or id_token)",
        }
    } else if has("keys") || has("kty") {
        DecodeError::JsonDocument {
            hint: " (a key set? give it as the keys to verify with, not as the token)",
        }
    } else {
        DecodeError::JsonDocument {
            hint: " (a JWT is three base64url segments joined by dots)",
        }
    }
}

fn decode_jws(header: &str, payload: &str, signature: &str) -> Result<Jws, DecodeError> {
    let (header_map, duplicate_header) = decode_object(header, Segment::Header)?;
    if let Some(cty) = header_map.get("cty").and_then(Value::as_str) {
        let lower = cty.to_ascii_lowercase();
        if lower == "jwt" || lower == "application/jwt" {
            return Err(DecodeError::NestedJwt {
                cty: cty.to_owned(),
            });
        }
    }
    let (claims, duplicate_claims) = decode_object(payload, Segment::Payload)?;
    let signature = b64(signature, Segment::Signature)?;
    Ok(Jws {
        header: header_map,
        claims,
        signing_input: format!("{header}.{payload}"),
        signature,
        duplicate_header,
        duplicate_claims,
    })
}

fn decode_jwe(
    header: &str,
    key: &str,
    iv: &str,
    ciphertext: &str,
    tag: &str,
) -> Result<Jwe, DecodeError> {
    let (header, _) = decode_object(header, Segment::Header)?;
    if !header.get("enc").is_some_and(Value::is_string) {
        return Err(DecodeError::JweWithoutEnc);
    }
    // The encrypted key is empty for direct encryption ("alg": "dir"); the rest must be present.
    b64(key, Segment::EncryptedKey)?;
    for (part, segment) in [
        (iv, Segment::Iv),
        (ciphertext, Segment::Ciphertext),
        (tag, Segment::Tag),
    ] {
        if part.is_empty() {
            return Err(DecodeError::EmptySegment { segment });
        }
        b64(part, segment)?;
    }
    Ok(Jwe { header })
}

/// Decodes one segment of a compact JWS or JWE: RFC 7515 §2 base64url, no padding, no
/// character outside `A-Z a-z 0-9 - _`, and the unused low bits of the last character zero.
/// On failure the error names the first offending character and its position (1-based, in
/// characters, within the segment).
pub fn b64(part: &str, segment: Segment) -> Result<Vec<u8>, DecodeError> {
    let bad = |detail: String| DecodeError::BadBase64 { segment, detail };
    for (i, c) in part.chars().enumerate() {
        let pos = i + 1;
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' => {}
            '=' => {
                return Err(bad(format!(
                    "'=' at position {pos} is padding, and base64url in a JWS has none (RFC 7515 §2): a padded token is another spelling of the same token, so it is refused"
                )));
            }
            '+' | '/' => {
                return Err(bad(format!(
                    "'{c}' at position {pos} is standard base64, not base64url (which uses '-' and '_' where base64 has '+' and '/')"
                )));
            }
            other => {
                return Err(bad(format!(
                    "{} at position {pos} is not a base64url character (A-Z, a-z, 0-9, '-', '_')",
                    char_name(other)
                )));
            }
        }
    }
    if part.len() % 4 == 1 {
        return Err(bad(format!(
            "{} characters cannot be base64url: the last character would carry only 6 bits, less than a byte (truncated?)",
            part.len()
        )));
    }
    URL_SAFE_NO_PAD.decode(part).map_err(|e| {
        bad(match e {
            base64::DecodeError::InvalidLastSymbol(offset, byte) => format!(
                "the last character '{}' at position {} has low bits set that encode nothing: a non-canonical spelling of the same bytes, refused (one token, one spelling)",
                char::from(byte),
                offset + 1
            ),
            other => other.to_string(),
        })
    })
}

/// `'x'` for a visible character, `U+XXXX` (and the character) otherwise, for messages.
pub fn char_name(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else if crate::text::is_active(c) || c.is_whitespace() || c.is_control() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}' (U+{:04X})", u32::from(c))
    }
}

/// base64url-decodes a JWK member, tolerating `=` padding (see [`B64URL_LENIENT`]).
pub fn b64_lenient(part: &str) -> Option<Vec<u8>> {
    B64URL_LENIENT.decode(part).ok()
}

/// Decodes a segment that must hold a JSON object; also returns its duplicate member names.
fn decode_object(
    part: &str,
    segment: Segment,
) -> Result<(Map<String, Value>, Vec<String>), DecodeError> {
    if part.is_empty() {
        return Err(DecodeError::EmptySegment { segment });
    }
    let bytes = b64(part, segment)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| DecodeError::NotJson {
        segment,
        detail: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok((map, duplicate_members(&bytes))),
        other => Err(DecodeError::NotObject {
            segment,
            found: json_type(&other),
        }),
    }
}

/// The member names that occur twice or more in one object of the JSON text `bytes`, as paths
/// (`alg`, `jwk.kty`, `aud[1].x`), at most [`MAX_DUPLICATES`]. `serde_json::Value` silently
/// keeps the last copy, so this reads the raw text a second time.
pub fn duplicate_members(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = DuplicateFinder {
        path: String::new(),
        found: &mut found,
    }
    .deserialize(&mut de);
    found
}

struct DuplicateFinder<'a> {
    path: String,
    found: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for DuplicateFinder<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateFinder<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let found = self.found;
        let mut i = 0usize;
        while seq
            .next_element_seed(DuplicateFinder {
                path: format!("{}[{i}]", self.path),
                found: &mut *found,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let found = self.found;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) && found.len() < MAX_DUPLICATES && !found.contains(&path) {
                found.push(path.clone());
            }
            map.next_value_seed(DuplicateFinder {
                path,
                found: &mut *found,
            })?;
        }
        Ok(())
    }
}

/// "an array", "a string", ... for messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn jwt(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", enc(header), enc(payload), enc("sig"))
    }

    #[test]
    fn decodes_jws_with_bearer_and_whitespace() {
        let t = jwt(r#"{"alg":"RS256","kid":"k1"}"#, r#"{"sub":"alice"}"#);
        let Ok(Decoded::Jws(jws)) = decode(&format!("  Bearer  {t}\n")) else {
            panic!("not a JWS");
        };
        assert_eq!(jws.alg(), Some("RS256"));
        assert_eq!(jws.kid(), Some("k1"));
        assert_eq!(jws.claims.get("sub"), Some(&Value::from("alice")));
        assert_eq!(jws.signature, b"sig");
        assert_eq!(
            jws.signing_input,
            t.rsplit_once('.').map(|x| x.0).unwrap_or("")
        );
    }

    #[test]
    fn header_order_is_preserved() {
        let t = jwt(r#"{"typ":"JWT","alg":"HS256"}"#, "{}");
        let Ok(Decoded::Jws(jws)) = decode(&t) else {
            panic!("not a JWS");
        };
        let keys: Vec<&String> = jws.header.keys().collect();
        assert_eq!(keys, ["typ", "alg"]);
    }

    #[test]
    fn quoted_and_lowercase_bearer() {
        let t = jwt(r#"{"alg":"HS256"}"#, "{}");
        assert!(matches!(
            decode(&format!("bearer \"{t}\"")),
            Ok(Decoded::Jws(_))
        ));
    }

    #[test]
    fn decodes_jwe_header_only() {
        let t = format!(
            "{}..{}.{}.{}",
            enc(r#"{"alg":"dir","enc":"A256GCM"}"#),
            enc("iv"),
            enc("ct"),
            enc("tag")
        );
        let Ok(Decoded::Jwe(jwe)) = decode(&t) else {
            panic!("not a JWE");
        };
        assert_eq!(jwe.header.get("enc"), Some(&Value::from("A256GCM")));
    }

    #[test]
    fn opaque_tokens() {
        assert_eq!(
            decode("2YotnFZFEjr1zCsicMWpAA"),
            Ok(Decoded::Opaque { len: 22 })
        );
        // Dotted but not JOSE.
        assert_eq!(decode("ya29.a0AfH6SM"), Ok(Decoded::Opaque { len: 13 }));
    }

    #[test]
    fn two_parts_of_a_jwt_is_a_segment_count_error() {
        let t = jwt(r#"{"alg":"RS256"}"#, "{}");
        let two = t.rsplit_once('.').map(|x| x.0).unwrap_or("");
        assert_eq!(decode(two), Err(DecodeError::SegmentCount { found: 2 }));
    }

    #[test]
    fn errors_name_the_segment() {
        let h = enc(r#"{"alg":"RS256"}"#);
        let p = enc("{}");
        let cases = [
            (format!("{h}.{p}!.x"), Segment::Payload, "base64url"),
            (format!("e$J.{p}.x"), Segment::Header, "base64url"),
            (
                format!("{h}.{}.x", enc("not json")),
                Segment::Payload,
                "not JSON",
            ),
            (
                format!("{h}.{}.x", enc("[1]")),
                Segment::Payload,
                "an array",
            ),
            (format!("{h}.{p}.a*b"), Segment::Signature, "base64url"),
            (format!(".{p}.x"), Segment::Header, "empty"),
            (format!("{h}.{p}"), Segment::Header, ""),
        ];
        for (token, segment, words) in &cases[..6] {
            let err = decode(token).err();
            assert_eq!(
                err.as_ref().and_then(DecodeError::segment),
                Some(*segment),
                "{token}"
            );
            let msg = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(words), "{msg}");
            assert!(
                msg.contains(&format!("segment {}", segment.position())),
                "{msg}"
            );
        }
        assert!(matches!(
            decode(&cases[6].0),
            Err(DecodeError::SegmentCount { found: 2 })
        ));
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(decode("   "), Err(DecodeError::Empty));
        assert_eq!(decode("Bearer "), Err(DecodeError::Empty));
        assert_eq!(decode("\"\""), Err(DecodeError::Empty));
    }

    #[test]
    fn jwe_missing_ciphertext() {
        let t = format!(
            "{}..{}..{}",
            enc(r#"{"alg":"dir","enc":"A128GCM"}"#),
            enc("iv"),
            enc("tag")
        );
        assert_eq!(
            decode(&t),
            Err(DecodeError::EmptySegment {
                segment: Segment::Ciphertext
            })
        );
    }

    #[test]
    fn padding_and_non_canonical_spellings_are_refused_by_position() {
        let h = enc(r#"{"alg":"HS256"}"#);
        let t = format!("{h}.e30=.{}", enc("s"));
        let msg = decode(&t).unwrap_err().to_string();
        assert!(
            msg.contains("payload (segment 2)") && msg.contains("'=' at position 4"),
            "{msg}"
        );
        // "e31" decodes to the same "{}" as "e30" only if trailing bits are ignored.
        let msg = decode(&format!("{h}.e31.{}", enc("s")))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("'1' at position 3") && msg.contains("non-canonical"),
            "{msg}"
        );
        let msg = decode(&format!("{h}.e30.ab+c")).unwrap_err().to_string();
        assert!(
            msg.contains("'+' at position 3") && msg.contains("standard base64"),
            "{msg}"
        );
        let msg = decode(&format!("{h}.e30.ab\u{1b}c"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("U+001B at position 3"), "{msg}");
        let msg = decode(&format!("{h}.e30.abcde")).unwrap_err().to_string();
        assert!(msg.contains("5 characters"), "{msg}");
    }

    #[test]
    fn duplicate_members_are_found_at_any_depth() {
        assert_eq!(
            duplicate_members(
                br#"{"alg":"RS256","x":{"a":1,"a":2},"alg":"none","l":[{"b":1,"b":1}]}"#
            ),
            ["x.a", "alg", "l[0].b"]
        );
        assert!(duplicate_members(br#"{"a":{"a":1},"b":[1,2]}"#).is_empty());
        let t = format!(
            "{}.{}.{}",
            enc(r#"{"alg":"RS256","alg":"none"}"#),
            enc(r#"{"s":1,"s":2}"#),
            enc("s")
        );
        let Ok(Decoded::Jws(jws)) = decode(&t) else {
            panic!("not a JWS");
        };
        assert_eq!(jws.duplicate_header, ["alg"]);
        assert_eq!(jws.duplicate_claims, ["s"]);
        assert_eq!(jws.alg(), Some("none"), "serde_json keeps the last copy");
    }

    #[test]
    fn json_serializations_nested_jwts_and_jwe_without_enc_are_named() {
        let msg = decode(r#"{"payload":"e30","protected":"e30","signature":"AA"}"#)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("JWS in the JSON serialization"), "{msg}");
        let msg = decode(r#" {"protected":"e30","iv":"AA","ciphertext":"AA","tag":"AA"} "#)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("JWE in the JSON serialization"), "{msg}");
        let msg = decode(r#"{"access_token":"x"}"#).unwrap_err().to_string();
        assert!(msg.contains("token response"), "{msg}");
        let inner = jwt(r#"{"alg":"HS256"}"#, "{}");
        let nested = format!(
            "{}.{}.{}",
            enc(r#"{"alg":"HS256","cty":"JWT"}"#),
            enc(&inner),
            enc("s")
        );
        let msg = decode(&nested).unwrap_err().to_string();
        assert!(
            msg.contains("nested JWT") && msg.contains("not supported"),
            "{msg}"
        );
        let five = format!(
            "{}.{}.{}.{}.{}",
            enc(r#"{"alg":"RSA-OAEP"}"#),
            enc("k"),
            enc("iv"),
            enc("ct"),
            enc("tag")
        );
        assert_eq!(decode(&five), Err(DecodeError::JweWithoutEnc));
    }

    #[test]
    fn non_ascii_never_panics() {
        for s in [
            "Bearé",
            "bearer",
            "é.é.é",
            "\u{0}",
            "....",
            "Béarer x.y.z",
            "'",
            "\"",
        ] {
            let _ = decode(s);
        }
    }
}
