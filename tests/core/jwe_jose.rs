//! Interop: encrypted tokens made by panva's `jose` (and Node's crypto for RSA1_5) for every
//! `alg`/`enc` pair of RFC 7518, on P-256/384/521 and X25519 for ECDH-ES, open with the
//! recipient's JWK and give back the payload; a signed ID token inside an encrypted one is
//! inspected as usual (verified, its claims at the top level); and any of them with a bit
//! flipped, or opened with another case's key, is refused with no plaintext.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_core::token::jwe::{DecryptionKey, JweError, decrypt};
use grantscope_core::token::{
    CheckStatus, Keys, SignatureStatus, TokenFormat, Verdict, inspect_with_decryption,
};
use serde_json::{Value, json};

use crate::token_support::{NOW, assert_valid, good_claims, jose_jwe, keys_of, opts};

fn key(jwk: &Value) -> DecryptionKey {
    DecryptionKey::from_jwk(jwk, "jose").unwrap()
}

#[test]
fn every_alg_and_enc_from_jose_decrypts_and_tampering_is_refused() {
    let claims = good_claims();
    let made = jose_jwe(&claims);
    let cases = made["cases"].as_array().unwrap();
    // 17 algorithms (ECDH-ES's four on four curves) by 6 encodings, and one zip DEF.
    assert_eq!(cases.len(), (13 + 4 * 4) * 6 + 1, "cases made");
    let expected = serde_json::to_vec(&claims).unwrap();
    let mut pairs = std::collections::BTreeSet::new();
    for (i, case) in cases.iter().enumerate() {
        let name = format!(
            "{} {} {}",
            case["alg"],
            case["enc"],
            case["crv"].as_str().unwrap_or("")
        );
        let token = case["token"].as_str().unwrap();
        let out = decrypt(token, &[key(&case["jwk"])]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.plaintext, expected, "{name}");
        assert_eq!(out.alg.as_str(), case["alg"], "{name}");
        pairs.insert((out.alg.as_str(), out.enc.as_str()));

        // A bit flipped in the ciphertext: refused by the tag, nothing returned.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut ct = URL_SAFE_NO_PAD.decode(&parts[3]).unwrap();
        ct[0] ^= 0x80;
        parts[3] = URL_SAFE_NO_PAD.encode(&ct);
        let err = decrypt(&parts.join("."), &[key(&case["jwk"])]).unwrap_err();
        assert!(err.is_invalid(), "{name}: {err}");
        assert!(!err.to_string().contains("alice"), "{name}: {err}");

        // The same alg's key of the next enc (a block of 29 cases per enc): another key.
        let other = &cases[(i + 29) % (cases.len() - 1)];
        if other["alg"] == case["alg"] && other["crv"] == case["crv"] && other["jwk"] != case["jwk"]
        {
            let err = decrypt(token, &[key(&other["jwk"])]).unwrap_err();
            // Failed at a step, or (dir: the next enc's key has another size) not fitting.
            assert!(
                matches!(
                    err,
                    JweError::Failed { .. } | JweError::NoMatchingKey { .. }
                ),
                "{name} with another key: {err}"
            );
            assert!(err.to_string().contains("key jose"), "{name}: {err}");
        }
    }
    assert_eq!(pairs.len(), 17 * 6, "every alg/enc pair of RFC 7518");
}

#[test]
fn a_signed_id_token_inside_a_jwe_is_inspected_as_usual() {
    let made = jose_jwe(&good_claims());
    let nested = &made["nested"];
    let token = nested["token"].as_str().unwrap();
    let keys = keys_of(&nested["jwks"]);
    let i = inspect_with_decryption(token, &keys, &[key(&nested["jwk"])], &opts(), NOW);
    assert_valid(&i);
    assert_eq!(i.format, TokenFormat::Jwe);
    assert_eq!(i.header["alg"], "RSA-OAEP-256");
    assert_eq!(i.claims["sub"], "alice");
    let doc = serde_json::to_value(&i).unwrap();
    assert_eq!(doc["format"], "jwe");
    assert_eq!(doc["jwe"]["decrypted"], true);
    assert_eq!(doc["jwe"]["key"], "jose");
    assert_eq!(doc["jwe"]["plaintext"], Value::Null);
    assert_eq!(doc["jwe"]["header"], doc["header"]);
    assert_eq!(doc["nested"]["format"], "jwt");
    assert_eq!(doc["nested"]["header"]["alg"], "ES256");
    assert_eq!(doc["nested"]["verdict"], "valid");
    assert_eq!(doc["verdict"], "valid");
    assert_eq!(i.check("jwe.decrypt").unwrap().status, CheckStatus::Pass);

    // Without the signer's keys: decrypted, but the token inside is unverifiable.
    let i = inspect_with_decryption(token, &Keys::None, &[key(&nested["jwk"])], &opts(), NOW);
    assert_eq!(i.verdict, Verdict::Unverifiable);
    assert_eq!(i.signature.status, SignatureStatus::Skipped);
    assert_eq!(i.claims["sub"], "alice");

    // Without the decryption key: the envelope only, unverifiable.
    let i = inspect_with_decryption(token, &keys, &[], &opts(), NOW);
    assert_eq!(i.verdict, Verdict::Unverifiable);
    let doc = serde_json::to_value(&i).unwrap();
    assert_eq!(doc["jwe"]["decrypted"], false);
    assert_eq!(doc["nested"], Value::Null);
    assert_eq!(doc["claims"], Value::Null);

    // With a wrong key: invalid, and the detail names the key and the step.
    // cases[2] is RSA1_5's key, made by Node's crypto: not the recipient's.
    assert_eq!(made["cases"][2]["alg"], "RSA1_5");
    let wrong = DecryptionKey::from_jwk(&made["cases"][2]["jwk"], "other-rsa").unwrap();
    let i = inspect_with_decryption(token, &keys, &[wrong], &opts(), NOW);
    assert_eq!(i.verdict, Verdict::Invalid);
    let doc = serde_json::to_value(&i).unwrap();
    let detail = doc["jwe"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("key other-rsa") && detail.contains("RSA-OAEP-256"),
        "{detail}"
    );
    assert_eq!(i.check("jwe.decrypt").unwrap().status, CheckStatus::Fail);
}

#[test]
fn an_encrypted_payload_that_is_not_a_jws_is_shown_but_unverifiable() {
    let made = jose_jwe(&json!({"sub": "alice", "note": "no signature inside"}));
    let unsigned = &made["unsigned"];
    let i = inspect_with_decryption(
        unsigned["token"].as_str().unwrap(),
        &Keys::None,
        &[key(&unsigned["jwk"])],
        &opts(),
        NOW,
    );
    assert_eq!(i.verdict, Verdict::Unverifiable);
    assert!(!i.valid);
    let doc = serde_json::to_value(&i).unwrap();
    assert_eq!(doc["jwe"]["decrypted"], true);
    let plaintext: Value = serde_json::from_str(doc["jwe"]["plaintext"].as_str().unwrap()).unwrap();
    assert_eq!(plaintext["note"], "no signature inside");
    assert_eq!(doc["nested"], Value::Null);
}
