//! The SD-JWT parser and verifier must never panic and never hang, whatever is pasted: the
//! issuer key is RFC 9901's (A.5) and the seeds are its examples, so mutated inputs reach the
//! Disclosure decoding, the recursive processing and the key-binding checks with a signature
//! that verifies. Every report, human or JSON, stays free of raw control characters.
#![no_main]

use std::sync::OnceLock;

use grantscope_cli::inspect::render_human;
use grantscope_core::text::is_active;
use grantscope_core::token::jwks::jwks_from_value;
use grantscope_core::token::sdjwt::{present, verify_sd_jwt};
use grantscope_core::token::{InspectOptions, Keys, SdJwtOptions, inspect_sd_jwt_with_keys};
use libfuzzer_sys::fuzz_target;

/// When the RFC's presentations were made.
const NOW: i64 = 1_748_537_243;

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let doc: serde_json::Value = serde_json::from_str(include_str!(
            "../../crates/core/testdata/sdjwt/rfc9901.json"
        ))
        .unwrap_or_default();
        jwks_from_value(&doc["issuer_key"]).map_or(Keys::None, Keys::Jwks)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sd = SdJwtOptions {
        kb_nonce: Some("1234567890".into()),
        kb_audience: Some("https://verifier.example.org".into()),
        ..SdJwtOptions::default()
    };
    let verified = verify_sd_jwt(text, keys(), &InspectOptions::default(), &sd, NOW);
    for check in &verified.checks {
        assert!(!check.shown_message().chars().any(is_active));
    }
    // The holder's choice of every other Disclosure is an SD-JWT again, checked the same way.
    if let Some(fewer) = present(text, |i| i % 2 == 0) {
        let _ = verify_sd_jwt(&fewer, keys(), &InspectOptions::default(), &sd, NOW);
    }
    let inspection = inspect_sd_jwt_with_keys(text, keys(), &InspectOptions::default(), &sd, NOW);
    let report = render_human(&inspection, NOW);
    assert!(
        !report.chars().any(|c| c != '\n' && is_active(c)),
        "raw control in the report: {report:?}"
    );
    let json = grantscope_core::text::to_json_pretty(&inspection).unwrap_or_default();
    assert!(!json.chars().any(|c| c != '\n' && is_active(c)));
});
