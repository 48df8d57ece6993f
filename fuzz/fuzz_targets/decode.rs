//! The token decoder and the whole pure inspection path must never panic, whatever is pasted.
#![no_main]

use grantscope::token::jwks::jwks_from_value;
use grantscope::token::{InspectOptions, Keys, SharedSecret, TokenKind, decode, inspect_with_keys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = decode(text);
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
    let inspection = inspect_with_keys(text, &keys, &options, 1_795_694_400);
    let _ = serde_json::to_string(&inspection);
});
