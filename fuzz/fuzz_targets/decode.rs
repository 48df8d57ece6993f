//! The token decoder, the whole pure inspection path and the human report must never panic,
//! whatever is pasted, and the report must never carry a raw control character, escape
//! sequence or bidi override (only the line feeds that end its lines).
#![no_main]

use grantscope_cli::inspect::render_human;
use grantscope_core::text::{inert, is_active};
use grantscope_core::token::jwks::jwks_from_value;
use grantscope_core::token::{InspectOptions, Keys, SharedSecret, TokenKind, decode, inspect_with_keys};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_694_400;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = decode(text);
    assert!(!inert(text).chars().any(is_active));
    // The first byte picks the keys and options, so claim checks and verification paths run
    // on decodable inputs too.
    let selector = data.first().copied().unwrap_or(0);
    let keys = match selector % 3 {
        0 => Keys::None,
        1 => Keys::Secret(SharedSecret::new(b"0123456789abcdef0123456789abcdef".to_vec())),
        _ => Keys::Jwks(
            jwks_from_value(&serde_json::json!({"keys": [
                {"kty": "EC", "kid": "k", "crv": "P-256",
                 "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                 "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                {"kty": "EC", "kid": "p521", "crv": "P-521",
                 "x": "ATPshyTi5Zmt4w0GuB0H-9Yq6NjdcDDHImHwBxHOm5jAzXtVzqlGpBvU6CJ0kFjnDroZCzeupi7j5UDAfTqdwGcz",
                 "y": "AIouPzOdg__ybGtviT0hyaJhgKfKWgvBkN6Hbdo9Ed-JDoCgHEi6wKMZQEwDg_O2BeYetw-6K6id97K9bMOcG9PJ"},
                {"kty": "oct", "kid": "s", "k": "c2VjcmV0"}
            ]}))
            .unwrap_or_default(),
        ),
    };
    let options = InspectOptions {
        issuer: Some("https://as.example".into()),
        audience: Some("client".into()),
        nonce: (selector & 4 != 0).then(|| "n".into()),
        access_token: (selector & 8 != 0).then(|| "at".into()),
        code: (selector & 8 != 0).then(|| "code".into()),
        max_age: (selector & 16 != 0).then_some(60),
        kind: match selector >> 6 {
            0 => TokenKind::Unknown,
            1 => TokenKind::Access,
            _ => TokenKind::Id,
        },
        ..InspectOptions::default()
    };
    let inspection = inspect_with_keys(text, &keys, &options, NOW);
    let _ = serde_json::to_string(&inspection);
    let report = render_human(&inspection, NOW);
    assert!(
        !report.chars().any(|c| c != '\n' && is_active(c)),
        "raw control in the report: {report:?}"
    );
    assert!(report.starts_with("VALID") || report.starts_with("NOT VALID"));
    let json = grantscope_core::text::to_json_pretty(&inspection).unwrap_or_default();
    assert!(!json.chars().any(|c| c != '\n' && is_active(c)));
});
