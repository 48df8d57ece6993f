//! Known answers (RFC 7520 §5.1–5.9, RFC 7516 Appendix A.1–A.3, RFC 7518 Appendix C) and the
//! refusals: tampering with each segment, a wrong key, truncation, a decompression bomb, a
//! PBES2 count over the cap and an ephemeral key off its curve.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::keys::Material;
use super::*;

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn rfc7520() -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(include_str!("../../../testdata/jwe/rfc7520.json")).unwrap();
    doc["examples"].as_array().unwrap().clone()
}

fn key_of(example: &Value) -> DecryptionKey {
    match example.get("password").and_then(Value::as_str) {
        Some(password) => DecryptionKey::from_secret("password", password.as_bytes()),
        None => DecryptionKey::from_jwk(&example["key"], "rfc7520").unwrap(),
    }
}

fn example(section: &str) -> (String, DecryptionKey, String) {
    let e = rfc7520()
        .into_iter()
        .find(|e| e["section"] == section)
        .unwrap();
    (
        e["compact"].as_str().unwrap().to_owned(),
        key_of(&e),
        e["plaintext"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn rfc7520_section_5_examples_decrypt_to_their_plaintext() {
    let examples = rfc7520();
    assert_eq!(examples.len(), 9);
    for e in &examples {
        let key = key_of(e);
        let out = decrypt(e["compact"].as_str().unwrap(), std::slice::from_ref(&key))
            .unwrap_or_else(|err| panic!("RFC 7520 §{}: {err}", e["section"]));
        assert_eq!(
            String::from_utf8(out.plaintext).unwrap(),
            e["plaintext"].as_str().unwrap(),
            "§{}",
            e["section"]
        );
        assert_eq!(out.alg.as_str(), e["alg"]);
        assert_eq!(out.enc.as_str(), e["enc"]);
        assert_eq!(out.key, key.label());
        assert_eq!(
            out.warnings.iter().any(|w| w.contains("RFC 8725 §3.2")),
            e["alg"] == "RSA1_5",
            "§{}",
            e["section"]
        );
    }
}

/// RFC 7516 Appendix A.1 (RSA-OAEP, A256GCM), A.2 (RSA1_5, A128CBC-HS256) and A.3 (A128KW,
/// A128CBC-HS256).
#[test]
fn rfc7516_appendix_a_examples() {
    let doc: Value =
        serde_json::from_str(include_str!("../../../testdata/jwe/rfc7516.json")).unwrap();
    let examples = doc["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 3);
    for e in examples {
        let key = DecryptionKey::from_jwk(&e["key"], "rfc7516").unwrap();
        let out = decrypt(e["compact"].as_str().unwrap(), &[key])
            .unwrap_or_else(|err| panic!("RFC 7516 {}: {err}", e["section"]));
        assert_eq!(
            String::from_utf8(out.plaintext).unwrap(),
            e["plaintext"].as_str().unwrap()
        );
        assert_eq!(out.alg.as_str(), e["alg"]);
    }
}

/// RFC 7518 Appendix C: Bob's key with Alice's ephemeral key, "Alice" and "Bob" as party
/// info and A128GCM derive the published key.
#[test]
fn rfc7518_appendix_c_ecdh_es_concat_kdf() {
    let bob = DecryptionKey::from_jwk(
        &json!({"kty": "EC", "crv": "P-256",
            "x": "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
            "y": "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
            "d": "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"}),
        "bob",
    )
    .unwrap();
    let header = json!({"alg": "ECDH-ES", "enc": "A128GCM", "apu": "QWxpY2U", "apv": "Qm9i",
        "epk": {"kty": "EC", "crv": "P-256",
            "x": "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
            "y": "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}});
    let token = format!(
        "{}..{}.{}.{}",
        b64(header.to_string()),
        b64([0u8; 12]),
        b64([0u8; 16]),
        b64([0u8; 16])
    );
    let parts = header::split(&token).unwrap();
    let head = header::read(&parts).unwrap();
    let Material::Agreement(_, private) = &bob.material else {
        panic!("an EC key")
    };
    let epk = head.epk.clone().unwrap();
    let derived: Result<Vec<u8>, ()> = aws_lc_rs::agreement::agree(private, epk.key, (), |z| {
        Ok(wrap::concat_kdf(z, "A128GCM", b"Alice", b"Bob", 16))
    });
    assert_eq!(b64(derived.unwrap()), "VqqN6vgjbSBcIijNcacQGg");
    // And through the whole key step: the derived key is the CEK, which fails only at the tag.
    let err = decrypt(&token, &[bob]).unwrap_err();
    assert!(err.to_string().contains("authentication tag"), "{err}");
}

/// Replaces segment `i` of a compact token.
fn with_segment(token: &str, i: usize, f: impl FnOnce(&str) -> String) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[i] = f(&parts[i]);
    parts.join(".")
}

/// Flips one bit of a base64url segment's bytes.
fn flip(segment: &str) -> String {
    let mut bytes = URL_SAFE_NO_PAD.decode(segment).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    b64(bytes)
}

fn assert_refused(result: Result<Decrypted, JweError>, words: &[&str], plaintext: &str) {
    let err = match result {
        Ok(d) => panic!("decrypted a tampered token: {d:?}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(err.is_invalid(), "{msg}");
    for w in words {
        assert!(msg.contains(w), "{w:?} not in {msg}");
    }
    assert!(!msg.contains(&plaintext[..20]), "plaintext in {msg}");
}

#[test]
fn tampering_with_any_segment_is_refused_with_the_step() {
    for (section, key_step) in [
        ("5.1", "RSA1_5"),
        ("5.2", "RSA-OAEP"),
        ("5.3", "PBES2 key unwrap"),
        ("5.4", "ECDH-ES key unwrap"),
        ("5.7", "AES-GCM key unwrap"),
        ("5.8", "AES key unwrap"),
    ] {
        let (token, key, plaintext) = example(section);
        let keys = [key];
        // The protected header: a member added changes the AAD.
        let altered = with_segment(&token, 0, |h| {
            let mut v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
            v["x"] = json!(1);
            b64(v.to_string())
        });
        // RSA1_5 included: with its encrypted key intact the RSA step succeeds, and the
        // tampering shows at the tag like anywhere else.
        let tag_words: &[&str] = &["authentication tag does not match"];
        assert_refused(decrypt(&altered, &keys), tag_words, &plaintext);
        assert_refused(
            decrypt(&with_segment(&token, 1, flip), &keys),
            &[key_step],
            &plaintext,
        );
        for i in [2, 3, 4] {
            assert_refused(
                decrypt(&with_segment(&token, i, flip), &keys),
                tag_words,
                &plaintext,
            );
        }
    }
    // dir: no encrypted key; tampering shows at the tag.
    let (token, key, plaintext) = example("5.6");
    assert_refused(
        decrypt(&with_segment(&token, 3, flip), &[key]),
        &["authentication tag"],
        &plaintext,
    );
}

#[test]
fn a_wrong_key_says_which_key_failed_where() {
    let (token, _, plaintext) = example("5.8");
    let wrong =
        DecryptionKey::from_jwk(&json!({"kty": "oct", "k": b64([7u8; 16])}), "other").unwrap();
    assert_refused(
        decrypt(&token, &[wrong]),
        &["key other", "AES key unwrap", "integrity check failed"],
        &plaintext,
    );
    let (token, _, plaintext) = example("5.2");
    let rsa = key_of(&rfc7520()[0]);
    assert_refused(decrypt(&token, &[rsa]), &["key rfc7520", "RSA"], &plaintext);
    let (token, _, plaintext) = example("5.3");
    assert_refused(
        decrypt(
            &token,
            &[DecryptionKey::from_secret("guess", b"password".to_vec())],
        ),
        &["key guess", "wrong password?"],
        &plaintext,
    );
}

#[test]
fn truncation_is_refused() {
    let (token, key, plaintext) = example("5.6");
    let keys = [key];
    assert_refused(
        decrypt(&token[..token.len() - 2], &keys),
        &["authentication tag"],
        &plaintext,
    );
    let four: Vec<&str> = token.split('.').take(4).collect();
    assert_refused(
        decrypt(&four.join("."), &keys),
        &["5 dot-separated"],
        &plaintext,
    );
    let no_tag = with_segment(&token, 4, |_| String::new());
    assert_refused(decrypt(&no_tag, &keys), &["empty"], &plaintext);
    let short_ct = with_segment(&token, 3, |c| c[..c.len() - 8].to_owned());
    assert_refused(
        decrypt(&short_ct, &keys),
        &["authentication tag"],
        &plaintext,
    );
}

/// A compact JWE made here: `dir` with A128GCM under `cek`.
fn seal_dir_gcm(header: &Value, cek: &[u8; 16], plaintext: &[u8]) -> String {
    let h = b64(header.to_string());
    let iv = [9u8; 12];
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, cek).unwrap());
    let mut buf = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(h.as_bytes()),
            &mut buf,
        )
        .unwrap();
    format!("{h}..{}.{}.{}", b64(iv), b64(buf), b64(tag.as_ref()))
}

#[test]
fn a_decompression_bomb_is_refused_at_the_cap() {
    let cek = [5u8; 16];
    let key = DecryptionKey::from_jwk(&json!({"kty": "oct", "k": b64(cek)}), "k").unwrap();
    let header = json!({"alg": "dir", "enc": "A128GCM", "zip": "DEF"});
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'a'; 8 * 1024 * 1024], 10);
    assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
    let err = decrypt(
        &seal_dir_gcm(&header, &cek, &bomb),
        std::slice::from_ref(&key),
    )
    .unwrap_err();
    assert!(matches!(err, JweError::Content(_)), "{err}");
    assert!(err.to_string().contains("decompression bomb"), "{err}");
    // The same under the cap inflates.
    let fine = miniz_oxide::deflate::compress_to_vec(b"{\"sub\":\"alice\"}", 6);
    let out = decrypt(&seal_dir_gcm(&header, &cek, &fine), &[key]).unwrap();
    assert_eq!(out.plaintext, b"{\"sub\":\"alice\"}");
}

#[test]
fn a_pbes2_count_over_the_cap_is_refused_before_any_work() {
    for p2c in [json!(1_000_001), json!(4_294_967_296u64), json!(1e30)] {
        let header = json!({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2s": b64([1u8; 16]), "p2c": p2c});
        let token = format!(
            "{}.{}.{}.{}.{}",
            b64(header.to_string()),
            b64([0u8; 24]),
            b64([0u8; 12]),
            b64([0u8; 16]),
            b64([0u8; 16])
        );
        let key = DecryptionKey::from_secret("pw", b"secret".to_vec());
        let err = decrypt(&token, &[key]).unwrap_err();
        assert!(matches!(err, JweError::Refused(_)), "{err}");
        assert!(err.to_string().contains("over 1000000 is refused"), "{err}");
    }
}

#[test]
fn an_ephemeral_key_off_its_curve_is_refused() {
    let (token, key, plaintext) = example("5.5");
    let off = with_segment(&token, 0, |h| {
        let mut v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
        let y = URL_SAFE_NO_PAD
            .decode(v["epk"]["y"].as_str().unwrap())
            .unwrap();
        let mut y = y.clone();
        y[31] ^= 1;
        v["epk"]["y"] = json!(b64(y));
        b64(v.to_string())
    });
    assert_refused(
        decrypt(&off, &[key]),
        &["not a valid point on P-256", "invalid-curve"],
        &plaintext,
    );
}

#[test]
fn keys_are_chosen_by_kid_type_and_alg() {
    let (token, right, plaintext) = example("5.8");
    // No key at all: not invalid, unverifiable.
    let err = decrypt(&token, &[]).unwrap_err();
    assert_eq!(err, JweError::NoKey);
    assert!(!err.is_invalid());
    // Only keys that cannot serve A128KW: each says why.
    let rsa = key_of(&rfc7520()[0]);
    let long =
        DecryptionKey::from_jwk(&json!({"kty": "oct", "k": b64([1u8; 32])}), "long").unwrap();
    let other_alg = DecryptionKey::from_jwk(
        &json!({"kty": "oct", "k": b64([1u8; 16]), "alg": "A128GCMKW"}),
        "gcmkw",
    )
    .unwrap();
    let err = decrypt(&token, &[rsa, long, other_alg]).unwrap_err();
    assert!(!err.is_invalid(), "{err}");
    let msg = err.to_string();
    for w in ["RSA 2048", "needs 16 bytes", "RFC 8725 §3.1"] {
        assert!(msg.contains(w), "{w:?} not in {msg}");
    }
    // A wrong key first, the right one (its kid matches) later: the kid wins the order.
    let wrong =
        DecryptionKey::from_jwk(&json!({"kty": "oct", "k": b64([7u8; 16])}), "wrong").unwrap();
    let out = decrypt(&token, &[wrong, right]).unwrap();
    assert_eq!(String::from_utf8(out.plaintext).unwrap(), plaintext);
    assert_eq!(out.key, "rfc7520");
}

#[test]
fn hostile_headers_are_named() {
    let parts = |header: Value| {
        format!(
            "{}.{}.{}.{}.{}",
            b64(header.to_string()),
            b64([0u8; 24]),
            b64([0u8; 12]),
            b64([0u8; 16]),
            b64([0u8; 16])
        )
    };
    let key = [DecryptionKey::from_secret("k", vec![1u8; 16])];
    for (header, words) in [
        (
            json!({"alg": "none", "enc": "A128GCM"}),
            "unknown key management",
        ),
        (
            json!({"alg": "A128KW", "enc": "A128CBC"}),
            "unknown content encryption",
        ),
        (
            json!({"alg": "A128KW", "enc": "A128GCM", "zip": "GZIP"}),
            "compression",
        ),
        (
            json!({"alg": "A128KW", "enc": "A128GCM", "crit": ["exp"]}),
            "crit",
        ),
        (
            json!({"alg": "A128KW", "enc": "A256CBC-HS512"}),
            "initialisation vector",
        ),
        (
            json!({"alg": "dir", "enc": "A128GCM"}),
            "uses no encrypted key",
        ),
        (json!({"alg": "A128GCMKW", "enc": "A128GCM"}), "\"iv\""),
        (json!({"alg": "ECDH-ES+A128KW", "enc": "A128GCM"}), "epk"),
        (
            json!({"alg": "ECDH-ES+A128KW", "enc": "A128GCM",
                "epk": {"kty": "OKP", "crv": "X25519", "x": b64([1u8; 31])}}),
            "31 bytes",
        ),
        (
            json!({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2c": 1000, "p2s": b64([1u8; 4])}),
            "at least 8",
        ),
    ] {
        let err = decrypt(&parts(header.clone()), &key).unwrap_err();
        assert!(matches!(err, JweError::Refused(_)), "{header}: {err}");
        assert!(
            err.to_string().contains(words),
            "{header}: {words:?} not in {err}"
        );
    }
    let dup = format!(
        "{}.{}.{}.{}.{}",
        b64(r#"{"alg":"A128KW","alg":"dir","enc":"A128GCM"}"#),
        b64([0u8; 24]),
        b64([0u8; 12]),
        b64([0u8; 16]),
        b64([0u8; 16])
    );
    let err = decrypt(&dup, &key).unwrap_err();
    assert!(err.to_string().contains("repeats"), "{err}");
}

/// Every one-character change and every truncation of RFC 7520's nine tokens is refused,
/// without a panic: the tag covers the header, IV and ciphertext, and the key step guards the
/// encrypted key (a changed RSA1_5 key only shows at the tag, by design).
#[test]
fn every_single_character_change_and_truncation_is_refused() {
    let mut tried = 0usize;
    for e in rfc7520() {
        let token = e["compact"].as_str().unwrap();
        let keys = [key_of(&e)];
        // PBES2 (§5.3) derives 8192 iterations per try: every 7th position is enough there.
        let step = if e["alg"] == "PBES2-HS512+A256KW" {
            7
        } else {
            1
        };
        for (i, c) in token.char_indices().step_by(step) {
            let replacement = if c == 'A' { 'B' } else { 'A' };
            let mut mutated = token.to_owned();
            mutated.replace_range(i..=i, &replacement.to_string());
            assert!(
                decrypt(&mutated, &keys).is_err(),
                "§{} position {i}",
                e["section"]
            );
            assert!(
                decrypt(&token[..i], &keys).is_err(),
                "§{} cut at {i}",
                e["section"]
            );
            tried += 2;
        }
    }
    assert!(tried > 10_000, "{tried}");
}
