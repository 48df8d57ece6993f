//! The token-response parser must never panic on what a server sends.
#![no_main]

use grantscope_core::oauth::TokenResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = TokenResponse::from_json(&value);
    }
});
