//! Decoding a token without trusting it: compact JWS (a JWT), compact JWE (only the protected
//! header is readable) and opaque tokens.
//!
//! The decoder accepts what people paste (surrounding whitespace, a leading `Bearer `, quotes)
//! and turns malformed input into a [`DecodeError`] that names the part that is wrong. It never
//! panics, whatever the input; the fuzz target in `fuzz/` holds it to that.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

/// base64url that tolerates `=` padding (some servers add it) but nothing else non-canonical.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
}

impl DecodeError {
    /// The segment the error is about, if it is about one.
    pub fn segment(&self) -> Option<Segment> {
        match self {
            DecodeError::Empty | DecodeError::SegmentCount { .. } => None,
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
}

impl Jws {
    /// The `alg` header parameter, if it is a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The `kid` header parameter, if it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
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

fn decode_jws(header: &str, payload: &str, signature: &str) -> Result<Jws, DecodeError> {
    let header_map = decode_object(header, Segment::Header)?;
    let claims = decode_object(payload, Segment::Payload)?;
    let signature = b64(signature, Segment::Signature)?;
    Ok(Jws {
        header: header_map,
        claims,
        signing_input: format!("{header}.{payload}"),
        signature,
    })
}

fn decode_jwe(
    header: &str,
    key: &str,
    iv: &str,
    ciphertext: &str,
    tag: &str,
) -> Result<Jwe, DecodeError> {
    let header = decode_object(header, Segment::Header)?;
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

/// base64url-decodes one segment, naming it on failure.
pub fn b64(part: &str, segment: Segment) -> Result<Vec<u8>, DecodeError> {
    B64URL.decode(part).map_err(|e| DecodeError::BadBase64 {
        segment,
        detail: e.to_string(),
    })
}

fn decode_object(part: &str, segment: Segment) -> Result<Map<String, Value>, DecodeError> {
    if part.is_empty() {
        return Err(DecodeError::EmptySegment { segment });
    }
    let bytes = b64(part, segment)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| DecodeError::NotJson {
        segment,
        detail: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(DecodeError::NotObject {
            segment,
            found: json_type(&other),
        }),
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
        let t = format!("{}..{}..{}", enc(r#"{"alg":"dir"}"#), enc("iv"), enc("tag"));
        assert_eq!(
            decode(&t),
            Err(DecodeError::EmptySegment {
                segment: Segment::Ciphertext
            })
        );
    }

    #[test]
    fn padded_base64_is_tolerated() {
        let t = format!("{}.{}.{}", enc(r#"{"alg":"HS256"}"#), "e30=", enc("s"));
        assert!(matches!(decode(&t), Ok(Decoded::Jws(_))));
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
