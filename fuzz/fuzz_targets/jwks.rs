//! The JWKS parser must never panic on a hostile key set.
#![no_main]

use grantscope::token::parse_jwks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(jwks) = parse_jwks(data) {
        for key in &jwks.keys {
            let _ = key.describe();
        }
    }
});
