//! The JWKS parser must never panic on a hostile key set, and neither must verifying fixed
//! tokens against what it yields, nor the human report of those inspections (which must stay
//! free of raw control characters whatever the keys' `kid`s say).
#![no_main]

use grantscope_cli::inspect::render_human;
use grantscope_core::text::is_active;
use grantscope_core::token::{InspectOptions, Keys, inspect_with_keys, parse_jwks};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_694_400;

/// Tokens of each family (their signatures are not valid for any key: the paths up to the
/// signature check are what is exercised).
const TOKENS: [&str; 5] = [
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AAAA",
    "eyJhbGciOiJFUzUxMiIsImtpZCI6InA1MjEifQ.eyJzdWIiOiJhIn0.AAAA",
    "eyJhbGciOiJIUzI1NiIsImtpZCI6InMifQ.eyJzdWIiOiJhIn0.AAAA",
    "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.AAAA",
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJhIn0.AAAA",
];

fuzz_target!(|data: &[u8]| {
    if let Ok(jwks) = parse_jwks(data) {
        for key in &jwks.keys {
            let _ = key.describe();
        }
        let keys = Keys::Jwks(jwks);
        for token in TOKENS {
            let i = inspect_with_keys(token, &keys, &InspectOptions::default(), NOW);
            let report = render_human(&i, NOW);
            assert!(!report.chars().any(|c| c != '\n' && is_active(c)), "{report:?}");
        }
    }
});
