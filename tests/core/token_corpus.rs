//! The token inspector against tokens signed here with throwaway keys: every supported
//! algorithm verifies, and the negative corpus (alg none, algorithm confusion, tampering,
//! unknown kid, bad times, wrong iss/aud/nonce/at_hash, malformed input) never comes out valid,
//! each with the right check failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::token_support;

use grantscope_core::token::claims::left_half_hash;
use grantscope_core::token::{
    CheckStatus, InspectOptions, Inspection, Keys, SharedSecret, SignatureStatus, TokenFormat,
    TokenKind, inspect_with_keys,
};
use serde_json::{Value, json};
use token_support::*;

fn status_of(i: &Inspection, id: &str) -> Option<CheckStatus> {
    i.check(id).map(|c| c.status)
}

/// Asserts the inspection is not valid and that check `id` failed.
#[track_caller]
fn assert_rejected(i: &Inspection, id: &str) {
    assert!(
        !i.valid,
        "accepted: {}",
        serde_json::to_string_pretty(i).unwrap()
    );
    assert_eq!(
        status_of(i, id),
        Some(CheckStatus::Fail),
        "check {id} did not fail: {}",
        serde_json::to_string_pretty(&i.checks).unwrap()
    );
}

#[test]
fn every_supported_algorithm_verifies_against_its_jwks() {
    let rsa = Key::rsa();
    let ec256 = Key::ec256();
    let ec384 = Key::ec384();
    let ed = Key::ed();
    let doc = jwks(&[
        rsa.jwk(Some("rsa")),
        ec256.jwk(Some("p256")),
        ec384.jwk(Some("p384")),
        ed.jwk(Some("ed")),
    ]);
    let keys = keys_of(&doc);
    let cases: [(&str, &str, &Key); 9] = [
        ("RS256", "rsa", &rsa),
        ("RS384", "rsa", &rsa),
        ("RS512", "rsa", &rsa),
        ("PS256", "rsa", &rsa),
        ("PS384", "rsa", &rsa),
        ("PS512", "rsa", &rsa),
        ("ES256", "p256", &ec256),
        ("ES384", "p384", &ec384),
        ("EdDSA", "ed", &ed),
    ];
    for (alg, kid, key) in cases {
        let token = sign(
            &json!({"alg": alg, "kid": kid, "typ": "JWT"}),
            &good_claims(),
            key,
        );
        let i = inspect_with_keys(&token, &keys, &opts(), NOW);
        assert_valid(&i);
        assert_eq!(i.signature.alg.as_deref(), Some(alg));
        assert_eq!(i.signature.kid.as_deref(), Some(kid));
        assert_eq!(status_of(&i, "kid"), Some(CheckStatus::Pass), "{alg}");
        assert_eq!(status_of(&i, "key"), Some(CheckStatus::Pass), "{alg}");
    }
}

#[test]
fn token_without_kid_verifies_with_the_fitting_key() {
    let rsa = Key::rsa();
    let other = Key::rsa();
    let ec = Key::ec256();
    let keys = keys_of(&jwks(&[other.jwk(None), ec.jwk(None), rsa.jwk(None)]));
    let token = sign(&json!({"alg": "RS256"}), &good_claims(), &rsa);
    let i = inspect_with_keys(&token, &keys, &opts(), NOW);
    assert_valid(&i);
    assert_eq!(status_of(&i, "kid"), Some(CheckStatus::Info));
    assert!(i.check("kid").unwrap().message.contains("2 key(s)"));
}

#[test]
fn hmac_verifies_with_the_secret() {
    let secret = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let key = Key::secret(secret);
    for alg in ["HS256", "HS384", "HS512"] {
        let token = sign(&json!({"alg": alg}), &good_claims(), &key);
        let keys = Keys::Secret(SharedSecret::new(secret.to_vec()));
        let i = inspect_with_keys(&token, &keys, &opts(), NOW);
        assert_valid(&i);
        assert_eq!(
            status_of(&i, "hs_key_length"),
            Some(CheckStatus::Pass),
            "{alg}"
        );
        // Also through a JWKS with an oct key.
        let i = inspect_with_keys(&token, &keys_of(&jwks(&[key.jwk(None)])), &opts(), NOW);
        assert_valid(&i);
    }
}

#[test]
fn hmac_without_the_secret_is_unverifiable_never_valid() {
    let token = sign(
        &json!({"alg": "HS256"}),
        &good_claims(),
        &Key::secret(b"s3cret-s3cret-s3cret-s3cret-s3cret"),
    );
    let i = inspect_with_keys(&token, &Keys::None, &opts(), NOW);
    assert!(!i.valid);
    assert_eq!(i.signature.status, SignatureStatus::Unverifiable);
    assert!(
        i.signature.detail.contains("give that secret"),
        "{}",
        i.signature.detail
    );
    assert_eq!(status_of(&i, "signature"), Some(CheckStatus::Warn));
}

#[test]
fn short_hmac_secret_is_flagged() {
    let token = sign(
        &json!({"alg": "HS256"}),
        &good_claims(),
        &Key::secret(b"short"),
    );
    let i = inspect_with_keys(
        &token,
        &Keys::Secret(SharedSecret::new("short")),
        &opts(),
        NOW,
    );
    assert_eq!(i.signature.status, SignatureStatus::Verified);
    assert_eq!(status_of(&i, "hs_key_length"), Some(CheckStatus::Warn));
    assert!(
        i.check("hs_key_length")
            .unwrap()
            .message
            .contains("5 bytes")
    );
}

#[test]
fn wrong_secret_is_invalid() {
    let token = sign(
        &json!({"alg": "HS256"}),
        &good_claims(),
        &Key::secret(&[7; 32]),
    );
    let i = inspect_with_keys(
        &token,
        &Keys::Secret(SharedSecret::new(vec![8; 32])),
        &opts(),
        NOW,
    );
    assert_rejected(&i, "signature");
    assert_eq!(i.signature.status, SignatureStatus::Invalid);
}

#[test]
fn asymmetric_token_without_keys_is_skipped_and_not_valid() {
    let rsa = Key::rsa();
    let token = sign(&json!({"alg": "RS256"}), &good_claims(), &rsa);
    let i = inspect_with_keys(&token, &Keys::None, &opts(), NOW);
    assert!(!i.valid);
    assert_eq!(i.signature.status, SignatureStatus::Skipped);
}

// ---- the negative corpus ----

#[test]
fn alg_none_is_refused() {
    let f = rsa_fixture();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = format!(
            "{}.{}.",
            b64(serde_json::to_vec(&json!({"alg": alg, "kid": "r1"})).unwrap()),
            b64(serde_json::to_vec(&good_claims()).unwrap())
        );
        let i = inspect_with_keys(&token, &f.keys, &opts(), NOW);
        assert_rejected(&i, "alg");
        assert_eq!(i.signature.status, SignatureStatus::Invalid);
        // Even with no keys at all, and with a secret.
        for keys in [Keys::None, Keys::Secret(SharedSecret::new("x"))] {
            let i = inspect_with_keys(&token, &keys, &opts(), NOW);
            assert_rejected(&i, "alg");
        }
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    let f = rsa_fixture();
    let pem = f.key.rsa_public_pem();
    let der_n = f.key.jwk(None)["n"].as_str().unwrap().to_owned();
    for secret in [pem.as_bytes(), der_n.as_bytes()] {
        for header in [
            json!({"alg": "HS256", "kid": "r1"}),
            json!({"alg": "HS256"}),
        ] {
            let token = sign(&header, &good_claims(), &Key::secret(secret));
            let i = inspect_with_keys(&token, &f.keys, &opts(), NOW);
            assert_rejected(&i, "alg");
            assert_eq!(i.signature.status, SignatureStatus::Invalid);
            assert!(
                i.check("alg")
                    .unwrap()
                    .message
                    .contains("algorithm confusion")
            );
        }
    }
}

#[test]
fn tampered_payload_is_invalid() {
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = good_claims();
    claims["sub"] = json!("mallory");
    parts[1] = b64(serde_json::to_vec(&claims).unwrap());
    let i = inspect_with_keys(&parts.join("."), &f.keys, &opts(), NOW);
    assert_rejected(&i, "signature");
    assert_eq!(i.signature.status, SignatureStatus::Invalid);
    assert_eq!(i.claims["sub"], "mallory");
}

#[test]
fn tampered_signature_is_invalid() {
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    bytes[17] ^= 0x01;
    let i = inspect_with_keys(&format!("{input}.{}", b64(&bytes)), &f.keys, &opts(), NOW);
    assert_rejected(&i, "signature");
    // The untampered token passes, so the rejection is the tampering's doing.
    assert_valid(&inspect_with_keys(&token, &f.keys, &opts(), NOW));
}

#[test]
fn unknown_kid_is_signed_by_an_unknown_key() {
    let f = rsa_fixture();
    let token = sign(
        &json!({"alg": "RS256", "kid": "r2"}),
        &good_claims(),
        &f.key,
    );
    let i = inspect_with_keys(&token, &f.keys, &opts(), NOW);
    assert_rejected(&i, "kid");
    assert_eq!(i.signature.status, SignatureStatus::Invalid);
    assert!(
        i.signature.detail.contains("unknown key"),
        "{}",
        i.signature.detail
    );
}

#[test]
fn expired_token() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["iat"] = json!(NOW - 7200);
    claims["nbf"] = json!(NOW - 7200);
    claims["exp"] = json!(NOW - 3600);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_eq!(i.signature.status, SignatureStatus::Verified);
    assert_rejected(&i, "exp");
    assert!(
        i.check("exp")
            .unwrap()
            .message
            .contains("expired 60 min ago")
    );
    assert_eq!(i.expires_in, Some(-3600));
}

#[test]
fn expiry_within_leeway_warns_and_past_it_fails() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["exp"] = json!(NOW - 30);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert!(i.valid);
    assert_eq!(status_of(&i, "exp"), Some(CheckStatus::Warn));
    let strict = InspectOptions {
        leeway: 0,
        ..opts()
    };
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &strict, NOW),
        "exp",
    );
}

#[test]
fn not_yet_valid_token() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["nbf"] = json!(NOW + 600);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_rejected(&i, "nbf");
    assert!(i.check("nbf").unwrap().message.contains("in 10 min"));
}

#[test]
fn issued_in_the_future() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["iat"] = json!(NOW + 600);
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW),
        "iat",
    );
}

#[test]
fn wrong_issuer() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["iss"] = json!("https://evil.example");
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_rejected(&i, "iss");
    assert!(
        i.check("iss")
            .unwrap()
            .message
            .contains("https://evil.example")
    );
}

#[test]
fn issuer_trailing_slash_is_a_mismatch_with_a_hint() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["iss"] = json!(format!("{ISSUER}/"));
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_rejected(&i, "iss");
    assert!(i.check("iss").unwrap().message.contains("trailing slash"));
}

#[test]
fn wrong_audience() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["aud"] = json!(["api-a", "api-b"]);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_rejected(&i, "aud");
    claims["aud"] = json!(["api-a", CLIENT]);
    assert!(inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW).valid);
}

fn id_opts() -> InspectOptions {
    InspectOptions {
        kind: TokenKind::Id,
        nonce: Some("n-0S6_WzA2Mj".into()),
        ..opts()
    }
}

fn id_claims() -> Value {
    let mut c = good_claims();
    c["nonce"] = json!("n-0S6_WzA2Mj");
    c
}

#[test]
fn id_token_passes_with_the_right_nonce() {
    let f = rsa_fixture();
    let i = inspect_with_keys(&rs256(&f, &id_claims()), &f.keys, &id_opts(), NOW);
    assert_valid(&i);
    assert_eq!(status_of(&i, "nonce"), Some(CheckStatus::Pass));
    assert_eq!(status_of(&i, "sub"), Some(CheckStatus::Pass));
}

#[test]
fn wrong_nonce() {
    let f = rsa_fixture();
    let mut claims = id_claims();
    claims["nonce"] = json!("replayed");
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &id_opts(), NOW),
        "nonce",
    );
    claims.as_object_mut().unwrap().remove("nonce");
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &id_opts(), NOW),
        "nonce",
    );
}

#[test]
fn wrong_at_hash() {
    let f = rsa_fixture();
    let access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    let mut claims = id_claims();
    claims["at_hash"] = json!("77QmUPtjPfzWtF2AnpK9RQ");
    let with_at = InspectOptions {
        access_token: Some(access_token.into()),
        ..id_opts()
    };
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &with_at, NOW);
    assert_valid(&i);
    assert_eq!(status_of(&i, "at_hash"), Some(CheckStatus::Pass));
    let swapped = InspectOptions {
        access_token: Some("another-access-token".into()),
        ..id_opts()
    };
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &swapped, NOW),
        "at_hash",
    );
}

#[test]
fn c_hash_and_at_hash_known_answers() {
    // OpenID Connect Core 1.0, Appendix A.6 (RS256, so SHA-256).
    assert_eq!(
        left_half_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").as_deref(),
        Some("77QmUPtjPfzWtF2AnpK9RQ")
    );
    assert_eq!(
        left_half_hash(
            "RS256",
            "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
        )
        .as_deref(),
        Some("LDktKdoQak3Pk0cnXxCltA")
    );
    // SHA-384 and SHA-512 (EdDSA uses SHA-512), computed independently with Python's hashlib.
    assert_eq!(
        left_half_hash("ES384", "jHkWEdUXMU1BwAsC4vtUsZwnNBc").as_deref(),
        Some("Nlia6kwORE0TR6brG6Q1_TjBR1Ro7l6W")
    );
    assert_eq!(
        left_half_hash("EdDSA", "jHkWEdUXMU1BwAsC4vtUsZwnNBc").as_deref(),
        Some("vlIomFdhMO_O6RytbMw-maByAL_IftC5cEmsSIb0R6c")
    );
    assert_eq!(left_half_hash("none", "x"), None);
}

#[test]
fn wrong_c_hash() {
    let f = rsa_fixture();
    let mut claims = id_claims();
    claims["c_hash"] = json!("LDktKdoQak3Pk0cnXxCltA");
    let right = InspectOptions {
        code: Some("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk".into()),
        ..id_opts()
    };
    assert_valid(&inspect_with_keys(
        &rs256(&f, &claims),
        &f.keys,
        &right,
        NOW,
    ));
    let wrong = InspectOptions {
        code: Some("other".into()),
        ..id_opts()
    };
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &wrong, NOW),
        "c_hash",
    );
}

#[test]
fn id_token_azp_and_auth_time() {
    let f = rsa_fixture();
    let mut claims = id_claims();
    claims["aud"] = json!([CLIENT, "other"]);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &id_opts(), NOW);
    assert_eq!(status_of(&i, "azp"), Some(CheckStatus::Warn));
    claims["azp"] = json!("other");
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &id_opts(), NOW),
        "azp",
    );
    claims["azp"] = json!(CLIENT);
    assert_eq!(
        status_of(
            &inspect_with_keys(&rs256(&f, &claims), &f.keys, &id_opts(), NOW),
            "azp"
        ),
        Some(CheckStatus::Pass)
    );

    let max_age = InspectOptions {
        max_age: Some(600),
        ..id_opts()
    };
    let mut claims = id_claims();
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &max_age, NOW),
        "auth_time",
    );
    claims["auth_time"] = json!(NOW - 3600);
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &max_age, NOW),
        "auth_time",
    );
    claims["auth_time"] = json!(NOW - 300);
    assert_valid(&inspect_with_keys(
        &rs256(&f, &claims),
        &f.keys,
        &max_age,
        NOW,
    ));
}

#[test]
fn id_token_requires_sub_and_rejects_access_tokens() {
    let f = rsa_fixture();
    let mut claims = id_claims();
    claims.as_object_mut().unwrap().remove("sub");
    assert_rejected(
        &inspect_with_keys(&rs256(&f, &claims), &f.keys, &id_opts(), NOW),
        "sub",
    );
    let at = sign(
        &json!({"alg": "RS256", "kid": "r1", "typ": "at+jwt"}),
        &id_claims(),
        &f.key,
    );
    assert_rejected(&inspect_with_keys(&at, &f.keys, &id_opts(), NOW), "typ");
}

#[test]
fn access_token_typ_rfc9068() {
    let f = rsa_fixture();
    let access = InspectOptions {
        kind: TokenKind::Access,
        ..opts()
    };
    for typ in ["at+jwt", "application/at+JWT"] {
        let t = sign(
            &json!({"alg": "RS256", "kid": "r1", "typ": typ}),
            &good_claims(),
            &f.key,
        );
        assert_valid(&inspect_with_keys(&t, &f.keys, &access, NOW));
    }
    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "typ": "JWT"}),
        &good_claims(),
        &f.key,
    );
    assert_rejected(&inspect_with_keys(&t, &f.keys, &access, NOW), "typ");
    // Known to be an access token (from the token endpoint): only a warning, still valid.
    let lenient = InspectOptions {
        strict_typ: false,
        ..access
    };
    let i = inspect_with_keys(&t, &f.keys, &lenient, NOW);
    assert_valid(&i);
    assert_eq!(i.check("typ").unwrap().status, CheckStatus::Warn);
}

#[test]
fn bad_base64() {
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    let bad = format!("{}!{}", &token[..5], &token[5..]);
    let i = inspect_with_keys(&bad, &f.keys, &opts(), NOW);
    assert_rejected(&i, "decode");
    assert_eq!(i.format, TokenFormat::Jwt);
    let msg = &i.check("decode").unwrap().message;
    assert!(
        msg.contains("header (segment 1)") && msg.contains("base64url"),
        "{msg}"
    );
}

#[test]
fn two_parts_only() {
    let f = rsa_fixture();
    let token = rs256(&f, &good_claims());
    let two = token.rsplit_once('.').unwrap().0;
    let i = inspect_with_keys(two, &f.keys, &opts(), NOW);
    assert_rejected(&i, "decode");
    assert!(
        i.check("decode")
            .unwrap()
            .message
            .contains("2 dot-separated segments")
    );
}

#[test]
fn key_of_the_wrong_type_or_purpose_is_flagged() {
    let ec256 = Key::ec256();
    let ec384 = Key::ec384();
    // An ES256 token whose kid names a P-384 key.
    let keys = keys_of(&jwks(&[ec384.jwk(Some("k"))]));
    let t = sign(&json!({"alg": "ES256", "kid": "k"}), &good_claims(), &ec256);
    assert_rejected(&inspect_with_keys(&t, &keys, &opts(), NOW), "key");

    // A key published for encryption, or restricted to another algorithm.
    let rsa = Key::rsa();
    for extra in [
        json!({"use": "enc"}),
        json!({"alg": "PS256"}),
        json!({"key_ops": ["encrypt"]}),
    ] {
        let mut jwk = rsa.jwk(Some("r"));
        for (k, v) in extra.as_object().unwrap() {
            jwk[k] = v.clone();
        }
        let keys = keys_of(&jwks(&[jwk]));
        let t = sign(&json!({"alg": "RS256", "kid": "r"}), &good_claims(), &rsa);
        let i = inspect_with_keys(&t, &keys, &opts(), NOW);
        assert_eq!(i.signature.status, SignatureStatus::Verified);
        assert_rejected(&i, "key");
    }
}

#[test]
fn hygiene_warnings_and_crit() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("exp");
    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "jku": "https://evil.example/jwks", "x5u": "https://evil.example/c", "jwk": {"kty": "oct"}}),
        &claims,
        &f.key,
    );
    let i = inspect_with_keys(&t, &f.keys, &opts(), NOW);
    assert!(i.valid, "warnings alone do not invalidate");
    for id in ["exp", "jku", "x5u", "jwk"] {
        assert_eq!(status_of(&i, id), Some(CheckStatus::Warn), "{id}");
    }
    assert_eq!(i.expires_at, None);

    let mut long = good_claims();
    long["exp"] = json!(NOW + 30 * 86_400);
    let i = inspect_with_keys(&rs256(&f, &long), &f.keys, &opts(), NOW);
    assert_eq!(status_of(&i, "lifetime"), Some(CheckStatus::Warn));

    let t = sign(
        &json!({"alg": "RS256", "kid": "r1", "crit": ["exp-ext"], "exp-ext": 1}),
        &good_claims(),
        &f.key,
    );
    assert_rejected(&inspect_with_keys(&t, &f.keys, &opts(), NOW), "crit");
}

#[test]
fn jwe_and_opaque_are_reported_not_validated() {
    let jwe = format!(
        "{}.{}.{}.{}.{}",
        b64(br#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"e1"}"#),
        b64([1u8; 256]),
        b64([2u8; 12]),
        b64(b"ciphertext"),
        b64([3u8; 16])
    );
    let i = inspect_with_keys(&jwe, &Keys::None, &opts(), NOW);
    assert_eq!(i.format, TokenFormat::Jwe);
    assert!(!i.valid);
    assert_eq!(i.header["enc"], "A256GCM");
    assert_eq!(
        i.signature.detail,
        "encrypted, cannot be read without the key"
    );
    assert_eq!(i.claims, Value::Null);

    let i = inspect_with_keys("Bearer 2YotnFZFEjr1zCsicMWpAA", &Keys::None, &opts(), NOW);
    assert_eq!(i.format, TokenFormat::Opaque);
    assert!(!i.valid);
}

#[test]
fn inspection_json_has_exactly_the_design_shape() {
    let f = rsa_fixture();
    let i = inspect_with_keys(&rs256(&f, &good_claims()), &f.keys, &opts(), NOW);
    let v = serde_json::to_value(&i).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "format",
            "header",
            "claims",
            "signature",
            "checks",
            "valid",
            "verdict",
            "expires_at",
            "expires_in"
        ]
    );
    let sig: Vec<&str> = v["signature"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(sig, ["status", "alg", "kid", "detail"]);
    let check: Vec<&str> = v["checks"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(check, ["id", "status", "message"]);
    assert_eq!(v["format"], "jwt");
    assert_eq!(v["signature"]["status"], "verified");
    assert_eq!(v["checks"][0]["status"], "pass");
    assert_eq!(v["valid"], true);
    assert_eq!(v["verdict"], "valid");
    assert_eq!(v["expires_at"], "2026-11-26T12:59:00Z");
    assert_eq!(v["expires_in"], 3540);
    // And it reads back.
    let back: Inspection = serde_json::from_value(v).unwrap();
    assert_eq!(back, i);
}

#[test]
fn malformed_claim_types_fail_their_checks() {
    let f = rsa_fixture();
    let mut claims = good_claims();
    claims["exp"] = json!("tomorrow");
    claims["aud"] = json!(42);
    claims["iss"] = json!(["a"]);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    for id in ["exp", "aud", "iss"] {
        assert_eq!(status_of(&i, id), Some(CheckStatus::Fail), "{id}");
    }
    // Fractional NumericDates are allowed.
    let mut claims = good_claims();
    claims["exp"] = json!((NOW + 100) as f64 + 0.5);
    let i = inspect_with_keys(&rs256(&f, &claims), &f.keys, &opts(), NOW);
    assert_valid(&i);
    assert_eq!(i.expires_in, Some(100));
}
