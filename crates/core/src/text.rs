//! Untrusted text made inert for display: what a token or a server sent must never drive the
//! terminal (or the GUI's text layout) of the person reading it.
//!
//! [`inert`] shows every character that could act instead of being read as an escape like
//! `\u{1b}`: the C0 controls (U+0000–U+001F, including CR, LF, TAB, BEL and ESC, so no escape
//! sequence can start), DEL (U+007F), the C1 controls (U+0080–U+009F, among them the 8-bit CSI
//! U+009B), the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
//! and the bidi marks (U+200E, U+200F, U+061C), and the Unicode line and paragraph separators
//! (U+2028, U+2029). Everything else, including other non-ASCII text, is kept as it is.
//!
//! A backslash is not escaped: `\u{1b}` written literally in a token and a real ESC look the same
//! after [`inert`], and both are harmless. Where the exact value matters, the JSON output (see
//! [`to_json_pretty`]) spells every such character unambiguously.
//!
//! The CLI's human reports pass every token- or server-supplied string through [`inert`]; the
//! GUI must do the same for the labels it shows (header and claim keys and values, `kid`,
//! check messages, signature details).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// Whether `c` must not reach a terminal raw.
pub fn is_active(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{61c}'
        | '\u{2028}' | '\u{2029}')
}

/// `s` with every [active](is_active) character shown as `\u{XX}` (lowercase hex, as Rust
/// writes it). Borrows when there is nothing to escape.
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_active) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_active(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`inert`] for a block of text shown on several lines (a raw HTTP message, pretty JSON): line
/// feeds and tabs stay what they are, a CR before an LF is dropped (HTTP's CRLF), and every
/// other [active](is_active) character is escaped as by [`inert`].
pub fn inert_multiline(s: &str) -> Cow<'_, str> {
    let keeps = |c: char| c == '\n' || c == '\t';
    if !s.chars().any(|c| is_active(c) && !keeps(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if is_active(c) && !keeps(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A copy of `value` whose strings (object keys included) are all [`inert`]: what a JSON tree
/// view shows. Numbers, booleans and null are unchanged. Two keys that differ only by active
/// characters cannot collide: escaping is injective on strings without backslashes, and a
/// colliding key keeps the first value and gains a ` (duplicate)` suffix on the next.
pub fn inert_json(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(inert(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(inert_json).collect()),
        Value::Object(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                let mut key = inert(k).into_owned();
                while out.contains_key(&key) {
                    key.push_str(" (duplicate)");
                }
                out.insert(key, inert_json(v));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Pretty JSON in which every [active](is_active) character inside a string is written as a
/// `\uXXXX` escape, so the document is the same JSON value but safe to print on a terminal
/// (`serde_json` itself escapes only U+0000–U+001F).
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let raw = serde_json::to_string_pretty(value)?;
    if !raw.chars().any(is_active) {
        return Ok(raw);
    }
    // Outside strings, serde_json writes only ASCII structure and whitespace (LF, spaces), so an
    // active character other than LF can only be inside a string; LF is never raw in a string.
    let mut out = String::with_capacity(raw.len() + 32);
    for c in raw.chars() {
        if is_active(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn multiline_text_keeps_its_lines_and_escapes_the_rest() {
        let raw = "HTTP/1.1 200 OK\r\nX: a\tb\r\n\r\n{\n  \"k\": \"\u{1b}[31m\r\u{202e}\"\n}";
        assert_eq!(
            inert_multiline(raw),
            "HTTP/1.1 200 OK\nX: a\tb\n\n{\n  \"k\": \"\\u{1b}[31m\\u{d}\\u{202e}\"\n}"
        );
        assert!(matches!(inert_multiline("a\nb\tc"), Cow::Borrowed(_)));
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "alice",
            "https://as.example/",
            "é ü 東京 🙂",
            "a\\u{1b}b",
        ] {
            assert!(matches!(inert(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn every_active_character_is_escaped() {
        let mut all: Vec<char> = (0u32..=0x1f)
            .chain(0x7f..=0x9f)
            .filter_map(char::from_u32)
            .collect();
        all.extend(['\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}']);
        all.extend(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']);
        all.extend(['\u{200e}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}']);
        for c in all {
            let s = format!("a{c}b");
            let shown = inert(&s);
            assert_eq!(shown, format!("a\\u{{{:x}}}b", u32::from(c)));
            assert!(!shown.chars().any(is_active));
        }
        assert_eq!(inert("\u{1b}[8mhidden\u{7}"), "\\u{1b}[8mhidden\\u{7}");
        assert_eq!(inert("x\r\ny\t"), "x\\u{d}\\u{a}y\\u{9}");
        assert_eq!(inert("\u{9b}2J"), "\\u{9b}2J");
    }

    #[test]
    fn neighbours_of_the_ranges_are_kept() {
        for c in [
            ' ', '~', '\u{a0}', '\u{2027}', '\u{202f}', '\u{2065}', '\u{206a}', '\u{200d}',
        ] {
            let s = c.to_string();
            assert_eq!(inert(&s), s.as_str(), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn json_values_and_keys_are_made_inert() {
        let v =
            serde_json::json!({"k\u{1b}": ["\u{202e}x", 1, null, {"\u{7}": true}], "k\\u{1b}": 2});
        let shown = inert_json(&v);
        assert_eq!(shown["k\\u{1b}"][0], "\\u{202e}x");
        assert_eq!(shown["k\\u{1b}"][3]["\\u{7}"], true);
        assert_eq!(shown["k\\u{1b} (duplicate)"], 2);
    }

    #[test]
    fn json_output_escapes_active_characters_and_reads_back_the_same() {
        let v =
            serde_json::json!({"claim": "\u{1b}[2J\u{7f}\u{85}\u{9b}\u{202e}\u{2066}\r\n\u{1}"});
        let text = to_json_pretty(&v).unwrap();
        assert!(!text.chars().any(|c| is_active(c) && c != '\n'), "{text:?}");
        assert!(
            text.contains("\\u007f") && text.contains("\\u202e"),
            "{text}"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
