//! A bounded, deterministic mutation test for the decoder, the inspection path and its human
//! report, the JWKS parser and the token-response parser: tens of thousands of mutated inputs
//! per run, none may panic, and no report may carry a raw control character.
//! It runs in every `cargo test`; the coverage-guided fuzzers live in `fuzz/` (scripts/fuzz.sh).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::token_support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use grantscope_cli::inspect::render_human;
use grantscope_core::oauth::TokenResponse;
use grantscope_core::text::is_active;
use grantscope_core::token::jwks::jwks_from_value;
use grantscope_core::token::{
    InspectOptions, Keys, SharedSecret, TokenKind, decode, inspect_with_keys, parse_jwks,
};
use serde_json::json;
use token_support::*;

/// xorshift64*: a small deterministic generator, so a failure reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b".",
    b"..",
    b"=",
    b"-",
    b"_",
    b"+",
    b"/",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\\u0000",
    b"null",
    b"true",
    b"1e999",
    b"-1",
    b"18446744073709551616",
    b"\xff",
    b"\xc3\xa9",
    b"Bearer ",
    b"eyJ",
    b"e30",
    b"W10",
    b"InN0ciI",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                v.splice(i..i, ins.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(16)).min(len);
                v.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                let chunk = v[a..b].to_vec();
                let at = rng.below(len + 1);
                v.splice(at..at, chunk);
            }
            5 => v.truncate(rng.below(len + 1)),
            6 => {
                // Replace one dot-separated segment with base64url of a JSON-ish fragment.
                let text = String::from_utf8_lossy(&v).into_owned();
                let mut parts: Vec<String> = text.split('.').map(str::to_owned).collect();
                let frag = INTERESTING[rng.below(INTERESTING.len())];
                let i = rng.below(parts.len());
                parts[i] = b64(frag);
                v = parts.join(".").into_bytes();
            }
            _ => {}
        }
    }
    v
}

fn run_cases(name: &str, seeds: &[Vec<u8>], iterations: usize, mut f: impl FnMut(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut crashes = Vec::new();
    for n in 0..iterations {
        let input = mutate(&mut rng, &seeds[n % seeds.len()]);
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            crashes.push(String::from_utf8_lossy(&input).into_owned());
        }
    }
    println!("{name}: {iterations} executions, {} crashes", crashes.len());
    assert!(crashes.is_empty(), "{name} panicked on: {crashes:?}");
}

fn token_seeds() -> Vec<Vec<u8>> {
    let rsa = Key::rsa();
    let secret = Key::secret(b"0123456789abcdef0123456789abcdef");
    let mut claims = good_claims();
    claims["nonce"] = json!("n");
    claims["at_hash"] = json!("x");
    claims["auth_time"] = json!(NOW - 10);
    claims["aud"] = json!([CLIENT, "api"]);
    vec![
        sign(&json!({"alg": "RS256", "kid": "r"}), &claims, &rsa).into_bytes(),
        sign(
            &json!({"alg": "HS256", "typ": "at+jwt", "crit": ["x"]}),
            &claims,
            &secret,
        )
        .into_bytes(),
        format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(b"{}")).into_bytes(),
        // Hostile strings, an ES512 header, a duplicate member.
        sign(
            &json!({"alg": "RS256", "kid": "r\u{1b}[8m\u{202e}", "x5c": ["\u{9b}"]}),
            &json!({"sub": "\r\u{1b}[2KVALID\u{7f}", "exp": 1e300}),
            &rsa,
        )
        .into_bytes(),
        format!(
            "{}.{}.{}",
            b64(br#"{"alg":"ES512","kid":"r","alg":"none"}"#),
            b64(b"{}"),
            b64([7u8; 132])
        )
        .into_bytes(),
        format!(
            "{}..{}.{}.{}",
            b64(br#"{"alg":"dir","enc":"A256GCM"}"#),
            b64(b"iv"),
            b64(b"c"),
            b64(b"t")
        )
        .into_bytes(),
        b"Bearer 2YotnFZFEjr1zCsicMWpAA".to_vec(),
    ]
}

#[test]
fn decoder_and_inspection_survive_mutations() {
    let seeds = token_seeds();
    run_cases("decode", &seeds, 100_000, |input| {
        if let Ok(text) = std::str::from_utf8(input) {
            let _ = decode(text);
        }
    });

    let rsa = Key::rsa();
    let jwks = jwks_from_value(&jwks(&[
        rsa.jwk(Some("r")),
        Key::secret(b"k").jwk(Some("s")),
    ]))
    .unwrap();
    let key_sets = [
        Keys::None,
        Keys::Secret(SharedSecret::new("0123456789abcdef0123456789abcdef")),
        Keys::Jwks(jwks),
    ];
    let mut i = 0usize;
    run_cases("inspect", &seeds, 30_000, |input| {
        i += 1;
        let text = String::from_utf8_lossy(input);
        let options = InspectOptions {
            issuer: Some(ISSUER.into()),
            audience: Some(CLIENT.into()),
            nonce: Some("n".into()),
            access_token: Some("at".into()),
            max_age: Some(60),
            kind: [TokenKind::Unknown, TokenKind::Access, TokenKind::Id][i % 3],
            ..InspectOptions::default()
        };
        let inspection = inspect_with_keys(&text, &key_sets[i % 3], &options, NOW);
        let _ = serde_json::to_string(&inspection).unwrap();
        // The human report of whatever came out holds no raw control character.
        let report = render_human(&inspection, NOW);
        assert!(
            !report.chars().any(|c| c != '\n' && is_active(c)),
            "{report:?}"
        );
        assert!(
            report.starts_with("VALID")
                || report.starts_with("NOT VALID")
                || report.starts_with("OPAQUE")
        );
    });
}

#[test]
fn jwks_parser_survives_mutations() {
    let seeds: Vec<Vec<u8>> = vec![
        serde_json::to_vec(&jwks(&[
            Key::rsa().jwk(Some("r")),
            Key::ec256().jwk(Some("e")),
            Key::ec384().jwk(None),
            Key::ed().jwk(Some("o")),
            Key::secret(b"s").jwk(Some("s")),
        ]))
        .unwrap(),
        br#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA","use":"enc","key_ops":["verify"]}"#
            .to_vec(),
    ];
    run_cases("jwks", &seeds, 60_000, |input| {
        if let Ok(set) = parse_jwks(input) {
            for k in &set.keys {
                let _ = k.describe();
            }
        }
    });
}

#[test]
fn token_response_parser_survives_mutations() {
    let seeds: Vec<Vec<u8>> = vec![
        br#"{"access_token":"abc","token_type":"Bearer","expires_in":3600,"refresh_token":"r","id_token":"x.y.z","scope":"openid"}"#.to_vec(),
        br#"{"access_token":"abc","token_type":"bearer","expires_in":"3600"}"#.to_vec(),
        br#"{"error":"invalid_grant","error_description":"no"}"#.to_vec(),
    ];
    run_cases("token_response", &seeds, 60_000, |input| {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(input) {
            let _ = TokenResponse::from_json(&value);
        }
    });
}
