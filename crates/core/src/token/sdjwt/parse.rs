//! Splitting a compact SD-JWT (`<issuer-jwt>~<disclosure>~…~[<kb-jwt>]`, RFC 9901 §4) and
//! decoding each Disclosure (§4.2.1, §4.2.2), under size caps: the input is hostile until the
//! checks say otherwise. Nothing here trusts or judges the issuer-signed JWT.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::token::decode::{char_name, duplicate_members, json_type};

/// The largest SD-JWT read (bytes): a PID with a portrait stays far below it.
pub const MAX_SD_JWT_BYTES: usize = 2 * 1024 * 1024;
/// The most Disclosures read.
pub const MAX_DISCLOSURES: usize = 4096;

/// A hash algorithm of `_sd_alg` (IANA "Named Information Hash Algorithm" names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// `sha-256`, the default (§4.1.1).
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl HashAlg {
    /// Reads an `_sd_alg` value (case-sensitive, §4.1.1).
    pub fn parse(name: &str) -> Option<HashAlg> {
        match name {
            "sha-256" => Some(HashAlg::Sha256),
            "sha-384" => Some(HashAlg::Sha384),
            "sha-512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// Its `_sd_alg` name.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha-256",
            HashAlg::Sha384 => "sha-384",
            HashAlg::Sha512 => "sha-512",
        }
    }

    /// `base64url(HASH(ascii))`: a Disclosure's digest (§4.2.3) or an `sd_hash` (§4.3.1).
    pub fn digest(self, ascii: &str) -> String {
        let bytes: Vec<u8> = match self {
            HashAlg::Sha256 => Sha256::digest(ascii).to_vec(),
            HashAlg::Sha384 => Sha384::digest(ascii).to_vec(),
            HashAlg::Sha512 => Sha512::digest(ascii).to_vec(),
        };
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// The parts of a compact SD-JWT, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts<'a> {
    /// The issuer-signed JWT.
    pub issuer_jwt: &'a str,
    /// The Disclosures, in the order sent.
    pub disclosures: Vec<&'a str>,
    /// The key-binding JWT, when the last part is not empty.
    pub kb_jwt: Option<&'a str>,
    /// What the KB-JWT's `sd_hash` is computed over: everything up to and including the last
    /// `~` (§4.3.1).
    pub presentation: &'a str,
}

/// Splits a compact SD-JWT (already [normalized](crate::token::decode::normalize)); `Err`
/// says why it is not one.
pub fn split(token: &str) -> Result<Parts<'_>, String> {
    if token.len() > MAX_SD_JWT_BYTES {
        return Err(format!(
            "the SD-JWT is {} bytes, over the {MAX_SD_JWT_BYTES}-byte limit: refused unread",
            token.len()
        ));
    }
    let Some(last_tilde) = token.rfind('~') else {
        return Err("there is no '~': not an SD-JWT (RFC 9901 §4)".to_owned());
    };
    let presentation = &token[..=last_tilde];
    let tail = &token[last_tilde + 1..];
    let mut pieces = token[..last_tilde].split('~');
    let issuer_jwt = pieces.next().unwrap_or_default();
    let disclosures: Vec<&str> = pieces.collect();
    if disclosures.len() > MAX_DISCLOSURES {
        return Err(format!(
            "{} Disclosures, over the limit of {MAX_DISCLOSURES}: refused unread",
            disclosures.len()
        ));
    }
    if issuer_jwt.is_empty() {
        return Err("the issuer-signed JWT before the first '~' is empty".to_owned());
    }
    if !tail.is_empty() && tail.matches('.').count() != 2 {
        return Err(format!(
            "the part after the last '~' is neither empty nor a key-binding JWT (three dot-separated parts): an SD-JWT without key binding ends with '~' (RFC 9901 §4); was it cut short? ({} characters)",
            tail.len()
        ));
    }
    Ok(Parts {
        issuer_jwt,
        disclosures,
        kb_jwt: (!tail.is_empty()).then_some(tail),
        presentation,
    })
}

/// What a Disclosure holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// `[salt, name, value]`: an object property (§4.2.1).
    Property {
        /// The salt.
        salt: String,
        /// The claim name.
        name: String,
        /// The claim value.
        value: Value,
    },
    /// `[salt, value]`: an array element (§4.2.2).
    Element {
        /// The salt.
        salt: String,
        /// The element.
        value: Value,
    },
}

impl Content {
    /// The salt.
    pub fn salt(&self) -> &str {
        match self {
            Content::Property { salt, .. } | Content::Element { salt, .. } => salt,
        }
    }

    /// The disclosed value.
    pub fn value(&self) -> &Value {
        match self {
            Content::Property { value, .. } | Content::Element { value, .. } => value,
        }
    }
}

/// Decodes one Disclosure: base64url without padding, UTF-8 JSON, an array of 3 (property) or
/// 2 (array element) with a string salt and name, no duplicate member names in the value (a
/// parser differential). `Err` says what is wrong.
pub fn content(disclosure: &str) -> Result<Content, String> {
    if disclosure.is_empty() {
        return Err("it is empty (two '~' in a row)".to_owned());
    }
    if let Some((i, c)) = disclosure
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "{} at position {} is not a base64url character (A-Z, a-z, 0-9, '-', '_'; no padding)",
            char_name(c),
            i + 1
        ));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(disclosure)
        .map_err(|e| format!("it is not base64url: {e}"))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| "it is not UTF-8 text".to_owned())?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("it is not JSON: {e}"))?;
    let Value::Array(mut items) = value else {
        return Err(format!("it is {}, not a JSON array", json_type(&value)));
    };
    let duplicates = duplicate_members(&bytes);
    if !duplicates.is_empty() {
        return Err(format!(
            "its value repeats the member name(s) {}: parsers disagree on which copy counts, refused",
            duplicates.join(", ")
        ));
    }
    let salt_of = |v: &Value| -> Result<String, String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("its salt is {}, not a string", json_type(v)))
    };
    match items.len() {
        3 => {
            let value = items.pop().unwrap_or_default();
            let name = items.pop().unwrap_or_default();
            let salt = salt_of(&items[0])?;
            let Value::String(name) = name else {
                return Err(format!(
                    "its claim name is {}, not a string",
                    json_type(&name)
                ));
            };
            Ok(Content::Property { salt, name, value })
        }
        2 => {
            let value = items.pop().unwrap_or_default();
            let salt = salt_of(&items[0])?;
            Ok(Content::Element { salt, value })
        }
        n => Err(format!(
            "it is an array of {n}, not [salt, name, value] (an object property) or [salt, value] (an array element)"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn split_tells_the_parts_apart() {
        let p = split("a.b.c~d1~d2~").unwrap();
        assert_eq!(p.issuer_jwt, "a.b.c");
        assert_eq!(p.disclosures, ["d1", "d2"]);
        assert_eq!(p.kb_jwt, None);
        assert_eq!(p.presentation, "a.b.c~d1~d2~");
        let p = split("a.b.c~x.y.z").unwrap();
        assert!(p.disclosures.is_empty());
        assert_eq!(p.kb_jwt, Some("x.y.z"));
        assert_eq!(p.presentation, "a.b.c~");
        let err = split("a.b.c~d1~d2").unwrap_err();
        assert!(err.contains("cut short"), "{err}");
        assert!(split("~d1~").is_err());
    }

    #[test]
    fn disclosures_of_the_wrong_shape_say_why() {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for (json, why) in [
            ("[\"s\"]", "array of 1"),
            ("[\"s\", \"n\", 1, 2]", "array of 4"),
            ("[1, \"n\", 1]", "salt is a number"),
            ("[\"s\", 5, 1]", "claim name is a number"),
            ("{\"a\": 1}", "an object, not a JSON array"),
            (
                "[\"s\", \"n\", {\"a\": 1, \"a\": 2}]",
                "repeats the member name",
            ),
            ("not json", "not JSON"),
        ] {
            let err = content(&enc(json)).unwrap_err();
            assert!(err.contains(why), "{json}: {err}");
        }
        assert!(content("").unwrap_err().contains("empty"));
        assert!(content("WyJ=").unwrap_err().contains("'='"));
    }
}
