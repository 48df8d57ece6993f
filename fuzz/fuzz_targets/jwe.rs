//! The JWE parser and decryptor must never panic and never hang, whatever is pasted: the keys
//! are RFC 7520's (RSA, EC P-384/P-256, the AES keys and the PBES2 password), so inputs that
//! mutate its examples reach every key-management and content path. A decryption that fails
//! says why in text free of raw control characters, and so does the human report of the
//! whole inspection.
#![no_main]

use std::sync::OnceLock;

use grantscope_cli::inspect::render_human;
use grantscope_core::text::is_active;
use grantscope_core::token::jwe::{DecryptionKey, decrypt};
use grantscope_core::token::{InspectOptions, Keys, inspect_with_decryption};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_694_400;

fn keys() -> &'static [DecryptionKey] {
    static KEYS: OnceLock<Vec<DecryptionKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../crates/core/testdata/jwe/rfc7520.json"))
                .unwrap_or_default();
        let mut keys = Vec::new();
        for example in doc["examples"].as_array().into_iter().flatten() {
            if let Some(password) = example["password"].as_str() {
                keys.push(DecryptionKey::from_secret("password", password.as_bytes()));
            } else if let Ok(key) = DecryptionKey::from_jwk(&example["key"], "rfc7520") {
                keys.push(key);
            }
        }
        keys
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match decrypt(text, keys()) {
        Ok(d) => assert!(!d.key.is_empty()),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.chars().any(is_active), "raw control in {msg:?}");
        }
    }
    let inspection =
        inspect_with_decryption(text, &Keys::None, keys(), &InspectOptions::default(), NOW);
    let report = render_human(&inspection, NOW);
    assert!(
        !report.chars().any(|c| c != '\n' && is_active(c)),
        "raw control in the report: {report:?}"
    );
    let json = grantscope_core::text::to_json_pretty(&inspection).unwrap_or_default();
    assert!(!json.chars().any(|c| c != '\n' && is_active(c)));
});
