//! The inspector is strict where the RFCs are strict and clear when it refuses (issue 10). Every
//! token here is signed by an implementation that is not the code under test: the aws-lc-rs
//! signer in `token_support`, or `jose` and Node's crypto (`token_support/jose_corpus.mjs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::token_support;

use grantscope_core::http::{HttpClient, HttpOptions};
use grantscope_core::token::{
    CheckStatus, Inspection, KeySource, Keys, SignatureStatus, TokenFormat, Verdict, inspect,
    inspect_with_keys,
};
use serde_json::{Value, json};
use token_support::*;

fn msg<'a>(i: &'a Inspection, id: &str) -> &'a str {
    i.check(id).map(|c| c.message.as_str()).unwrap_or_else(|| {
        panic!(
            "no check {id}: {}",
            serde_json::to_string_pretty(i).unwrap()
        )
    })
}

#[track_caller]
fn assert_fails(i: &Inspection, id: &str, words: &[&str]) {
    assert!(
        !i.valid,
        "accepted: {}",
        serde_json::to_string_pretty(i).unwrap()
    );
    assert_eq!(i.verdict, Verdict::Invalid);
    let c = i.check(id).unwrap_or_else(|| {
        panic!(
            "no check {id}: {}",
            serde_json::to_string_pretty(&i.checks).unwrap()
        )
    });
    assert_eq!(c.status, CheckStatus::Fail, "{id}: {}", c.message);
    for w in words {
        assert!(
            c.message.contains(w),
            "{id} does not say {w:?}: {}",
            c.message
        );
    }
}

// ---- base64url: no padding, one spelling ----

#[test]
fn padded_segments_are_refused_naming_the_character_and_its_position() {
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    assert_valid(&inspect_with_keys(&token, &f.keys, &opts(), NOW));
    let parts: Vec<&str> = token.split('.').collect();
    // A 256-byte signature is 342 base64url characters: "==" is its padded spelling.
    assert_eq!(parts[2].len(), 342);
    let padded_sig = format!("{}.{}.{}==", parts[0], parts[1], parts[2]);
    let i = inspect_with_keys(&padded_sig, &f.keys, &opts(), NOW);
    assert_fails(
        &i,
        "decode",
        &[
            "signature (segment 3)",
            "'=' at position 343",
            "padding",
            "RFC 7515 §2",
        ],
    );
    assert_eq!(i.signature.status, SignatureStatus::Skipped);

    // Padding on the header or the payload: a header made 1 short of a multiple of 3 bytes.
    let header = r#"{"alg":"RS256","kid":"r1","x":"ab"}"#;
    assert_eq!(header.len() % 3, 2);
    let claims = serde_json::to_string(&good_claims()).unwrap();
    let good = sign_raw(header, &claims, "RS256", &f.key);
    assert_valid(&inspect_with_keys(&good, &f.keys, &opts(), NOW));
    let (h, rest) = good.split_once('.').unwrap();
    let padded = format!("{h}=.{rest}");
    let i = inspect_with_keys(&padded, &f.keys, &opts(), NOW);
    let pos = format!("'=' at position {}", h.len() + 1);
    assert_fails(&i, "decode", &["header (segment 1)", &pos]);

    // Standard base64 instead of base64url, named by character.
    let std_alphabet = token.replacen('-', "+", 1).replacen('_', "/", 1);
    if std_alphabet != token {
        let i = inspect_with_keys(&std_alphabet, &f.keys, &opts(), NOW);
        let m = msg(&i, "decode");
        assert!(
            m.contains("standard base64") && !m.contains("Invalid symbol"),
            "{m}"
        );
    }
    let i = inspect_with_keys(
        &format!("{}.{}+x.{}", parts[0], parts[1], parts[2]),
        &f.keys,
        &opts(),
        NOW,
    );
    let pos = format!("'+' at position {}", parts[1].len() + 1);
    assert_fails(&i, "decode", &["payload (segment 2)", &pos]);
    assert!(!msg(&i, "decode").contains("Invalid symbol 43"));
}

// ---- kid must be a string ----

#[test]
fn a_kid_that_is_not_a_string_fails_the_header() {
    let f = rsa_fixture();
    // A key without kid would be tried if the kid were ignored.
    let keys = keys_of(&jwks(&[f.key.jwk(None)]));
    for kid in [json!(7), json!({"k": "r1"}), json!(["r1"]), json!(null)] {
        let token = sign(&json!({"alg": "RS256", "kid": kid}), &good_claims(), &f.key);
        let i = inspect_with_keys(&token, &keys, &opts(), NOW);
        assert_fails(&i, "kid", &["not a string", "RFC 7515 §4.1.4"]);
        assert_eq!(i.signature.status, SignatureStatus::Invalid);
    }
    let token = sign(&json!({"alg": "RS256"}), &good_claims(), &f.key);
    assert_valid(&inspect_with_keys(&token, &keys, &opts(), NOW));
}

// ---- HS* with an oct key from a JWKS URL ----

#[tokio::test]
async fn hs256_verified_with_an_oct_key_from_a_fetched_jwks_warns_loudly() {
    let corpus = jose_corpus(&good_claims());
    let case = &corpus["hs256_oct"];
    let token = case["token"].as_str().unwrap();
    let url = serve_jwks(case["jwks"].clone()).await;
    let http = HttpClient::new(&HttpOptions::default()).unwrap();
    let source = KeySource::from_uri_or_path(&url);
    let got = inspect(token, &source, &http, &opts(), NOW).await;
    let i = got.inspection;
    assert_eq!(
        i.signature.status,
        SignatureStatus::Verified,
        "{}",
        i.signature.detail
    );
    let c = i
        .check("oct_key_published")
        .expect("a warning about the published secret");
    assert_eq!(c.status, CheckStatus::Warn);
    assert!(c.message.starts_with("ANYONE CAN SIGN"), "{}", c.message);
    assert!(c.message.contains(&url), "{}", c.message);
    assert!(
        i.signature.detail.contains("published"),
        "{}",
        i.signature.detail
    );

    // The same set from a file is the user's own secret: no warning.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, serde_json::to_vec(&case["jwks"]).unwrap()).unwrap();
    let source = KeySource::JwksFile(path);
    let i = inspect(token, &source, &http, &opts(), NOW)
        .await
        .inspection;
    assert_valid(&i);
    assert!(i.check("oct_key_published").is_none());
}

// ---- ES512 (P-521), ES256K, Ed448 ----

#[test]
fn es512_from_jose_verifies_against_its_p521_jwks_and_a_tampered_one_fails() {
    let corpus = jose_corpus(&good_claims());
    let case = &corpus["es512"];
    let token = case["token"].as_str().unwrap();
    let keys = keys_of(&case["jwks"]);
    let i = inspect_with_keys(token, &keys, &opts(), NOW);
    assert_valid(&i);
    assert!(msg(&i, "alg").contains("P-521"), "{}", msg(&i, "alg"));
    assert!(
        i.signature
            .detail
            .contains("EC P-521 key kid \"p521\" (521 bits)"),
        "{}",
        i.signature.detail
    );

    // Tampered payload.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = good_claims();
    claims["sub"] = json!("mallory");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    let i = inspect_with_keys(&forged, &keys, &opts(), NOW);
    assert_fails(&i, "signature", &["does not match"]);
    // Tampered signature.
    let mut sig =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[2])
            .unwrap();
    sig[70] ^= 0x40;
    let forged = format!("{}.{}.{}", parts[0], parts[1], b64(&sig));
    assert_fails(
        &inspect_with_keys(&forged, &keys, &opts(), NOW),
        "signature",
        &[],
    );
    // Signed by another P-521 key (the test signer's) under the same kid.
    let other = Key::ec521();
    let forged = sign(
        &json!({"alg": "ES512", "kid": "p521"}),
        &good_claims(),
        &other,
    );
    assert_fails(
        &inspect_with_keys(&forged, &keys, &opts(), NOW),
        "signature",
        &[],
    );
    // ...which verifies against its own key; and no P-256 key can stand in for P-521.
    assert_valid(&inspect_with_keys(
        &forged,
        &keys_of(&jwks(&[other.jwk(Some("p521"))])),
        &opts(),
        NOW,
    ));
    let p256 = Key::ec256();
    let i = inspect_with_keys(
        &forged,
        &keys_of(&jwks(&[p256.jwk(Some("p521"))])),
        &opts(),
        NOW,
    );
    assert_fails(&i, "key", &["ES512 needs an EC P-521 key"]);
}

#[test]
fn es256k_and_ed448_are_clearly_not_supported() {
    let corpus = jose_corpus(&good_claims());
    let i = inspect_with_keys(
        corpus["es256k"]["token"].as_str().unwrap(),
        &keys_of(&corpus["es256k"]["jwks"]),
        &opts(),
        NOW,
    );
    assert!(!i.valid);
    assert_eq!(i.verdict, Verdict::Unverifiable);
    assert_eq!(i.signature.status, SignatureStatus::Unverifiable);
    assert!(
        i.signature.detail.contains("ES256K") && i.signature.detail.contains("not supported"),
        "{}",
        i.signature.detail
    );

    let i = inspect_with_keys(
        corpus["ed448"]["token"].as_str().unwrap(),
        &keys_of(&corpus["ed448"]["jwks"]),
        &opts(),
        NOW,
    );
    assert!(!i.valid);
    assert_eq!(i.signature.status, SignatureStatus::Unverifiable);
    assert!(
        i.signature.detail.contains("Ed448 is not supported"),
        "{}",
        i.signature.detail
    );
    // The fully-specified alg name, too.
    let t = format!("{}.{}.AAAA", b64(br#"{"alg":"Ed448"}"#), b64(b"{}"));
    let i = inspect_with_keys(&t, &Keys::None, &opts(), NOW);
    assert!(
        i.signature.detail.contains("Ed448 is not supported"),
        "{}",
        i.signature.detail
    );
}

// ---- clear refusals ----

#[test]
fn wrong_signature_lengths_name_both_byte_counts() {
    let corpus = jose_corpus(&good_claims());
    for (case, alg, expected) in [("es256_der", "ES256", 64), ("es512_der", "ES512", 132)] {
        let token = corpus[case]["token"].as_str().unwrap();
        let sig_len = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.rsplit('.').next().unwrap(),
        )
        .unwrap()
        .len();
        let i = inspect_with_keys(token, &keys_of(&corpus[case]["jwks"]), &opts(), NOW);
        let want_found = format!("the signature is {sig_len} bytes");
        let want_expected = format!("{alg} signatures are {expected} bytes");
        assert_fails(
            &i,
            "signature",
            &[&want_found, &want_expected, "r || s", "DER-encoded"],
        );
    }
    // RSA: one byte short of the modulus.
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    bytes.pop();
    let i = inspect_with_keys(&format!("{input}.{}", b64(&bytes)), &f.keys, &opts(), NOW);
    assert_fails(&i, "signature", &["255 bytes", "256-byte signatures"]);
    // HMAC.
    let secret = [9u8; 32];
    let t = sign(
        &json!({"alg": "HS256"}),
        &good_claims(),
        &Key::secret(&secret),
    );
    let (input, _) = t.rsplit_once('.').unwrap();
    let short = format!("{input}.{}", b64([1u8; 20]));
    let keys = Keys::Secret(grantscope_core::token::SharedSecret::new(secret.to_vec()));
    assert_fails(
        &inspect_with_keys(&short, &keys, &opts(), NOW),
        "signature",
        &["20 bytes", "32 bytes"],
    );
}

#[test]
fn jws_json_serialization_is_named() {
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    let p: Vec<&str> = token.split('.').collect();
    let flattened = json!({"protected": p[0], "payload": p[1], "signature": p[2]}).to_string();
    let general = json!({"payload": p[1], "signatures": [{"protected": p[0], "signature": p[2]}]})
        .to_string();
    for doc in [flattened, general] {
        let i = inspect_with_keys(&doc, &f.keys, &opts(), NOW);
        assert_ne!(i.format, TokenFormat::Opaque);
        assert_fails(
            &i,
            "decode",
            &["JWS in the JSON serialization", "RFC 7515 §7.2"],
        );
    }
}

#[test]
fn nested_jwt_is_not_supported_by_name() {
    let f = rsa_fixture();
    let inner = rs256(&f, &good_claims());
    for cty in ["JWT", "jwt", "application/JWT"] {
        let header = json!({"alg": "RS256", "kid": "r1", "cty": cty}).to_string();
        let outer = sign_raw(&header, &inner, "RS256", &f.key);
        let i = inspect_with_keys(&outer, &f.keys, &opts(), NOW);
        let want = format!("cty \"{cty}\"");
        assert_fails(&i, "decode", &["nested JWT", "not supported", &want]);
        assert!(!msg(&i, "decode").contains("not JSON"));
    }
}

#[test]
fn five_segments_without_enc_say_so() {
    let t = format!(
        "{}.{}.{}.{}.{}",
        b64(br#"{"alg":"RSA-OAEP"}"#),
        b64([1u8; 32]),
        b64([2u8; 12]),
        b64(b"ct"),
        b64([3u8; 16])
    );
    let i = inspect_with_keys(&t, &Keys::None, &opts(), NOW);
    assert_eq!(i.format, TokenFormat::Jwe);
    assert_fails(&i, "decode", &["5 segments", "no \"enc\""]);
    assert!(!msg(&i, "decode").contains("enc ?"));
}

#[test]
fn crit_problems_are_named() {
    let f = rsa_fixture();
    let cases: [(Value, &str); 5] = [
        (json!([]), "empty array"),
        (json!("exp"), "crit is a string"),
        (json!([7]), "crit holds a number"),
        (
            json!(["alg"]),
            "\"alg\", a parameter the JWS specification itself defines",
        ),
        (
            json!(["ext"]),
            "\"ext\" but the header has no such parameter",
        ),
    ];
    for (crit, words) in cases {
        let t = sign(
            &json!({"alg": "RS256", "kid": "r1", "crit": crit}),
            &good_claims(),
            &f.key,
        );
        let i = inspect_with_keys(&t, &f.keys, &opts(), NOW);
        assert_eq!(i.signature.status, SignatureStatus::Verified);
        assert_fails(&i, "crit", &[words]);
        assert!(!msg(&i, "crit").contains("crit is an array"));
    }
    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "crit": ["b64"], "b64": false}),
        &good_claims(),
        &f.key,
    );
    assert_fails(
        &inspect_with_keys(&t, &f.keys, &opts(), NOW),
        "crit",
        &["does not understand (b64)"],
    );
}

#[test]
fn a_small_rsa_key_is_refused_for_its_size_by_name() {
    let corpus = jose_corpus(&good_claims());
    for case in ["rs256_1024", "rs256_1024_kid"] {
        let i = inspect_with_keys(
            corpus[case]["token"].as_str().unwrap(),
            &keys_of(&corpus[case]["jwks"]),
            &opts(),
            NOW,
        );
        assert_eq!(i.signature.status, SignatureStatus::Invalid, "{case}");
        for text in [&i.signature.detail, &msg(&i, "key").to_owned()] {
            assert!(
                text.contains("(1024 bits)")
                    && text.contains("refused for its size")
                    && text.contains("2048"),
                "{case}: {text}"
            );
        }
    }
}

#[test]
fn absurd_times_read_as_absurd() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["iat"] = json!(1e300);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_fails(&i, "iat", &["after the year 9999"]);
    assert!(
        !msg(&i, "iat").contains("292471208620"),
        "{}",
        msg(&i, "iat")
    );

    // exp of 1e300 and no iat (nor nbf): a lifetime warning all the same.
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("iat");
    claims.as_object_mut().unwrap().remove("nbf");
    claims["exp"] = json!(1e300);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    let life = i.check("lifetime").expect("a lifetime check");
    assert_eq!(life.status, CheckStatus::Warn);
    assert!(
        life.message.contains("no iat") && life.message.contains("more than 1000 years"),
        "{}",
        life.message
    );
    assert!(
        msg(&i, "exp").contains("practically never expires"),
        "{}",
        msg(&i, "exp")
    );
    assert!(!msg(&i, "exp").contains("292471208620"));
    // A normal exp without iat within the limit: no warning.
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("iat");
    claims.as_object_mut().unwrap().remove("nbf");
    assert!(
        inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW)
            .check("lifetime")
            .is_none()
    );
}

#[test]
fn duplicate_header_members_are_refused() {
    let f = rsa_fixture();
    let claims = serde_json::to_string(&good_claims()).unwrap();
    // serde_json keeps the last copy, so this one verifies as RS256 - and must still fail.
    for header in [
        r#"{"alg":"none","alg":"RS256","kid":"r1"}"#,
        r#"{"alg":"RS256","kid":"r0","kid":"r1"}"#,
    ] {
        let t = sign_raw(header, &claims, "RS256", &f.key);
        let i = inspect_with_keys(&t, &f.keys, &opts(), NOW);
        assert_eq!(i.signature.status, SignatureStatus::Verified, "{header}");
        assert_fails(&i, "duplicate_header", &["more than once", "RFC 7515 §4"]);
    }
    let t = sign_raw(
        r#"{"alg":"RS256","alg":"none","kid":"r1"}"#,
        &claims,
        "RS256",
        &f.key,
    );
    assert_fails(
        &inspect_with_keys(&t, &f.keys, &opts(), NOW),
        "duplicate_header",
        &["\"alg\""],
    );
    // And duplicate claims.
    let dup_claims = claims.replacen('{', r#"{"sub":"admin","#, 1);
    let t = sign_raw(
        r#"{"alg":"RS256","kid":"r1"}"#,
        &dup_claims,
        "RS256",
        &f.key,
    );
    assert_fails(
        &inspect_with_keys(&t, &f.keys, &opts(), NOW),
        "duplicate_claims",
        &["\"sub\""],
    );
}

#[test]
fn x5c_is_flagged_like_jwk_jku_and_x5u() {
    let f = rsa_fixture();
    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "x5c": ["MIIBszCCAVmgAwIBAgIUJ"]}),
        &good_claims(),
        &f.key,
    );
    let i = inspect_with_keys(&t, &f.keys, &opts(), NOW);
    let c = i.check("x5c").expect("an x5c check");
    assert_eq!(c.status, CheckStatus::Warn);
    assert!(
        c.message.contains("certificate chain") && c.message.contains("ignored"),
        "{}",
        c.message
    );
}

#[test]
fn non_string_typ_and_cty_fail_the_header() {
    let f = rsa_fixture();
    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "typ": 1}),
        &good_claims(),
        &f.key,
    );
    assert_fails(
        &inspect_with_keys(&t, &f.keys, &opts(), NOW),
        "typ",
        &["not a string"],
    );
    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "cty": {"a": 1}}),
        &good_claims(),
        &f.key,
    );
    assert_fails(
        &inspect_with_keys(&t, &f.keys, &opts(), NOW),
        "cty",
        &["not a string"],
    );
}

// ---- verdict ----

#[test]
fn verdict_tells_invalid_from_unverifiable_and_opaque() {
    let f = rsa_fixture();
    let good = rs256(&f, &good_claims());
    let cases: [(&str, &Keys, Verdict); 5] = [
        (&good, &f.keys, Verdict::Valid),
        (&good, &Keys::None, Verdict::Unverifiable),
        ("2YotnFZFEjr1zCsicMWpAA", &Keys::None, Verdict::Opaque),
        ("eyJhbGciOiJSUzI1NiJ9.e30=.AA", &f.keys, Verdict::Invalid),
        (
            &sign(
                &json!({"alg": "RS256", "kid": "r1"}),
                &good_claims(),
                &Key::rsa(),
            ),
            &f.keys,
            Verdict::Invalid,
        ),
    ];
    for (token, keys, verdict) in cases {
        let i = inspect_with_keys(token, keys, &opts(), NOW);
        assert_eq!(i.verdict, verdict, "{token}");
        let v = serde_json::to_value(&i).unwrap();
        assert_eq!(v["verdict"], verdict.as_str());
        assert_eq!(v["valid"], verdict == Verdict::Valid);
    }
    // Expired but signed: invalid, not unverifiable.
    let mut claims = good_claims();
    claims["exp"] = json!(NOW - 3600);
    assert_eq!(
        inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW).verdict,
        Verdict::Invalid
    );
    // ...and with no keys an expired token is still invalid: a check failed.
    assert_eq!(
        inspect_with_keys(&rs256(&f, &claims), &Keys::None, &opts(), NOW).verdict,
        Verdict::Invalid
    );
}
