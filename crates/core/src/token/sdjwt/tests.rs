//! Known answers from RFC 9901 (its §4.2 Disclosures and digests, §5 and Appendix A processed
//! with the issuer key of A.5), and every refusal of §7.1 and §7.3 on SD-JWTs made here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::*;
use crate::keys::{GenerateType, JwsAlg, PrivateKey, Signer, sign_compact};
use crate::token::jwks::jwks_from_value;

fn rfc() -> Value {
    serde_json::from_str(include_str!("../../../testdata/sdjwt/rfc9901.json")).unwrap()
}

fn keys_of(jwk: &Value) -> Keys {
    Keys::Jwks(jwks_from_value(jwk).unwrap())
}

fn check<'a>(v: &'a Verified, id: &str) -> &'a Check {
    v.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {:#?}", v.checks))
}

fn assert_fails(v: &Verified, id: &str, words: &str) {
    let c = check(v, id);
    assert_eq!(c.status, CheckStatus::Fail, "{id}: {}", c.message);
    assert!(c.message.contains(words), "{id}: {}", c.message);
    assert!(!v.valid());
}

fn failures(v: &Verified) -> Vec<String> {
    v.checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect()
}

#[test]
fn the_rfc_disclosure_has_the_rfc_digest_and_its_spellings_the_same_content() {
    let doc = rfc();
    let d = &doc["disclosure_4_2_1"];
    let text = d["disclosure"].as_str().unwrap();
    assert_eq!(HashAlg::Sha256.digest(text), d["digest"].as_str().unwrap());
    let expected = Content::Property {
        salt: "_26bc4LT-ac6q2KI6cBW5es".into(),
        name: "family_name".into(),
        value: json!("Möbius"),
    };
    assert_eq!(parse::content(text).unwrap(), expected);
    for variant in d["variants"].as_array().unwrap() {
        let variant = variant.as_str().unwrap();
        assert_eq!(parse::content(variant).unwrap(), expected, "{variant}");
        // Another spelling is another Disclosure: its digest differs.
        assert_ne!(
            HashAlg::Sha256.digest(variant),
            d["digest"].as_str().unwrap()
        );
    }
    let element = &doc["disclosure_4_2_2"];
    assert_eq!(
        parse::content(element["disclosure"].as_str().unwrap()).unwrap(),
        Content::Element {
            salt: "lklxF5jMYlGTPUovMNIvCA".into(),
            value: json!("FR")
        }
    );
}

#[test]
fn every_disclosure_listed_in_the_rfc_has_its_listed_digest() {
    let doc = rfc();
    let mut n = 0;
    for example in doc["examples"].as_array().unwrap() {
        for d in example["disclosures"].as_array().into_iter().flatten() {
            let text = d["disclosure"].as_str().unwrap();
            assert_eq!(
                HashAlg::Sha256.digest(text),
                d["digest"].as_str().unwrap(),
                "{} {text}",
                example["section"]
            );
            assert!(parse::content(text).is_ok(), "{text}");
            n += 1;
        }
    }
    assert_eq!(n, 10 + 10 + 16 + 27 + 14);
}

/// The RFC's presentations were made at iat 1748537243 (2025-05-29).
const RFC_NOW: i64 = 1_748_537_243;

fn rfc_verify(example: &Value, sd: &SdJwtOptions) -> Verified {
    let doc = rfc();
    verify_sd_jwt(
        example["token"].as_str().unwrap(),
        &keys_of(&doc["issuer_key"]),
        &InspectOptions::default(),
        sd,
        RFC_NOW,
    )
}

#[test]
fn the_rfc_examples_verify_and_process_to_the_claims_the_rfc_shows() {
    let doc = rfc();
    let examples = doc["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 8);
    for example in examples {
        let name = format!("{} {}", example["section"], example["title"]);
        let sd = match example.get("kb_payload") {
            Some(kb) => SdJwtOptions {
                kb_nonce: kb["nonce"].as_str().map(str::to_owned),
                kb_audience: kb["aud"].as_str().map(str::to_owned),
                ..SdJwtOptions::default()
            },
            None => SdJwtOptions::default(),
        };
        let v = rfc_verify(example, &sd);
        assert!(v.valid(), "{name}: {:#?}", failures(&v));
        assert_eq!(v.signature.status, SignatureStatus::Verified, "{name}");
        if let Some(processed) = example.get("processed") {
            assert_eq!(&v.claims, processed, "{name}");
        }
        let placed = v.report.disclosures.iter().filter(|d| d.path.is_some());
        assert_eq!(placed.count(), v.report.disclosures.len(), "{name}");
        let has_kb = example["token"].as_str().unwrap().ends_with('~');
        assert_eq!(v.report.key_binding.is_none(), has_kb, "{name}");
        if let Some(kb) = &v.report.key_binding {
            assert_eq!(kb.signature.status, SignatureStatus::Verified, "{name}");
            if let Some(payload) = example.get("kb_payload") {
                assert_eq!(&kb.claims, payload, "{name}");
            }
        }
    }
}

#[test]
fn the_rfc_section_5_presentation_is_reported_row_by_row() {
    let doc = rfc();
    let v = rfc_verify(&doc["examples"][1], &SdJwtOptions::default());
    let rows: Vec<(Option<&str>, &str)> = v
        .report
        .disclosures
        .iter()
        .map(|d| (d.name.as_deref(), d.path.as_deref().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some("family_name"), "/family_name"),
            (Some("address"), "/address"),
            (Some("given_name"), "/given_name"),
            (None, "/nationalities/0"),
        ]
    );
    assert_eq!(v.report.disclosures[3].value, json!("US"));
    assert_eq!(
        v.report.disclosures[0].digest.as_deref(),
        Some("TGf4oLbgwd5JQaHyKVQZU9UdGE0w5rtDsrZzfUaomLo")
    );
    // 8 digests in _sd, 3 of them disclosed; 2 array elements, 1 disclosed.
    assert_eq!(v.report.undisclosed, 6);
    assert_eq!(v.report.sd_alg, "sha-256");
    assert!(v.report.issuer_claims["_sd"].is_array());
    assert!(v.claims.get("_sd").is_none() && v.claims.get("_sd_alg").is_none());
    // Without the expected nonce, it is shown but not checked.
    assert_eq!(check(&v, "kb.nonce").status, CheckStatus::Info);
    // A.1: decoys are counted with the withheld claims.
    let a1 = rfc_verify(&doc["examples"][2], &SdJwtOptions::default());
    assert_eq!(a1.report.undisclosed, 14);
    // A.3 is an SD-JWT VC.
    let a3 = rfc_verify(&doc["examples"][5], &SdJwtOptions::default());
    assert_eq!(check(&a3, "vc.typ").status, CheckStatus::Pass);
    assert_eq!(check(&a3, "vc.vct").status, CheckStatus::Pass);
    assert_eq!(check(&a3, "vc.not-disclosable").status, CheckStatus::Pass);
}

#[test]
fn the_rfc_presentation_refuses_another_nonce_audience_or_a_stale_iat() {
    let doc = rfc();
    let example = &doc["examples"][1];
    let wrong = SdJwtOptions {
        kb_nonce: Some("other".into()),
        kb_audience: Some("https://evil.example".into()),
        ..SdJwtOptions::default()
    };
    let v = rfc_verify(example, &wrong);
    assert_fails(&v, "kb.nonce", "expected \"other\"");
    assert_fails(&v, "kb.aud", "another verifier");
    let later = verify_sd_jwt(
        example["token"].as_str().unwrap(),
        &keys_of(&doc["issuer_key"]),
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        RFC_NOW + 3600,
    );
    assert_fails(&later, "kb.iat", "older than");
    // Dropping a Disclosure from a bound presentation breaks sd_hash.
    let token = example["token"].as_str().unwrap();
    let parts = parse::split(token).unwrap();
    let fewer = format!(
        "{}~{}~{}",
        parts.issuer_jwt,
        parts.disclosures[1..].join("~"),
        parts.kb_jwt.unwrap()
    );
    let v = verify_sd_jwt(
        &fewer,
        &keys_of(&doc["issuer_key"]),
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        RFC_NOW,
    );
    assert_fails(&v, "kb.sd_hash", "another presentation");
    // The holder's choice without key binding is still valid.
    let chosen = present(token, |i| i != 1).unwrap();
    let v = verify_sd_jwt(
        &chosen,
        &keys_of(&doc["issuer_key"]),
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        RFC_NOW,
    );
    assert!(v.valid(), "{:#?}", failures(&v));
    assert!(v.claims.get("address").is_none());
    // ... unless the verifier asks for key binding.
    let v = verify_sd_jwt(
        &chosen,
        &keys_of(&doc["issuer_key"]),
        &InspectOptions::default(),
        &wrong,
        RFC_NOW,
    );
    assert_fails(&v, "kb.present", "asks for one");
}

// ---- SD-JWTs made here ----

const NOW: i64 = 1_800_000_000;

struct Issuer {
    key: PrivateKey,
    holder: PrivateKey,
}

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

fn prop(salt: &str, name: &str, value: Value) -> String {
    b64(&json!([salt, name, value]).to_string())
}

fn elem(salt: &str, value: Value) -> String {
    b64(&json!([salt, value]).to_string())
}

fn dg(d: &str) -> String {
    HashAlg::Sha256.digest(d)
}

impl Issuer {
    fn new() -> Self {
        Self {
            key: PrivateKey::generate(GenerateType::EcP256).unwrap(),
            holder: PrivateKey::generate(GenerateType::EcP256).unwrap(),
        }
    }

    fn keys(&self) -> Keys {
        keys_of(&self.key.public_jwk())
    }

    fn jwt(&self, typ: &str, payload: &Value) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!(typ));
        sign_compact(&header, payload, Signer::Key(&self.key), JwsAlg::Es256).unwrap()
    }

    /// `payload` gets the holder's cnf and times.
    fn sd_jwt(&self, mut payload: Value, disclosures: &[&str]) -> String {
        payload["iss"] = json!("https://issuer.example");
        payload["iat"] = json!(NOW - 10);
        payload["exp"] = json!(NOW + 3600);
        payload["cnf"] = json!({"jwk": self.holder_jwk()});
        let mut out = self.jwt("example+sd-jwt", &payload);
        for d in disclosures {
            out.push('~');
            out.push_str(d);
        }
        out.push('~');
        out
    }

    fn holder_jwk(&self) -> Value {
        let mut jwk = self.holder.public_jwk();
        jwk.as_object_mut().unwrap().remove("kid");
        jwk
    }

    fn bind_with(&self, sd_jwt: &str, key: &PrivateKey, typ: &str, claims: Value) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!(typ));
        let mut claims = claims;
        if claims.get("sd_hash").is_none() {
            claims["sd_hash"] = json!(HashAlg::Sha256.digest(sd_jwt));
        }
        let kb = sign_compact(&header, &claims, Signer::Key(key), JwsAlg::Es256).unwrap();
        format!("{sd_jwt}{kb}")
    }

    fn bind(&self, sd_jwt: &str) -> String {
        self.bind_with(
            sd_jwt,
            &self.holder,
            "kb+jwt",
            json!({"nonce": "n-1", "aud": "https://verifier.example", "iat": NOW}),
        )
    }

    fn verify(&self, token: &str) -> Verified {
        self.verify_with(token, &SdJwtOptions::default())
    }

    fn verify_with(&self, token: &str, sd: &SdJwtOptions) -> Verified {
        verify_sd_jwt(token, &self.keys(), &InspectOptions::default(), sd, NOW)
    }
}

fn expecting() -> SdJwtOptions {
    SdJwtOptions {
        kb_nonce: Some("n-1".into()),
        kb_audience: Some("https://verifier.example".into()),
        ..SdJwtOptions::default()
    }
}

#[test]
fn nested_recursive_array_and_decoy_disclosures_process_as_the_rfc_says() {
    let is = Issuer::new();
    // §4.2.6: each nationality disclosable, and the whole array too.
    let de = elem("s1", json!("DE"));
    let fr = elem("s2", json!("FR"));
    let uk = elem("s3", json!("UK"));
    let nat = prop(
        "s4",
        "nationalities",
        json!([{"...": dg(&de)}, {"...": dg(&fr)}, {"...": dg(&uk)}]),
    );
    let street = prop("s5", "street_address", json!("Schulstr. 12"));
    let decoy = HashAlg::Sha256.digest("decoy");
    let payload = json!({
        "_sd": [dg(&nat), decoy],
        "address": {"_sd": [dg(&street)], "country": "DE"},
        "sub": "u1",
    });
    let all = is.sd_jwt(payload.clone(), &[&de, &fr, &nat, &street]);
    let v = is.verify(&all);
    assert!(v.valid(), "{:#?}", failures(&v));
    assert_eq!(v.claims["nationalities"], json!(["DE", "FR"]));
    assert_eq!(v.claims["address"]["street_address"], "Schulstr. 12");
    assert_eq!(v.report.undisclosed, 2, "the decoy and UK");
    let paths: Vec<_> = v
        .report
        .disclosures
        .iter()
        .map(|d| d.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            Some("/nationalities/0".into()),
            Some("/nationalities/1".into()),
            Some("/nationalities".into()),
            Some("/address/street_address".into()),
        ]
    );
    // A nationality without its parent Disclosure connects to nothing: refused (§4.2.6).
    let orphan = is.sd_jwt(payload.clone(), &[&de]);
    assert_fails(
        &is.verify(&orphan),
        "sd.disclosure-unreferenced",
        "Disclosure #1 (an array element)",
    );
    // Bound, the same presentation verifies with the verifier's nonce and audience.
    let bound = is.bind(&all);
    let v = is.verify_with(&bound, &expecting());
    assert!(v.valid(), "{:#?}", failures(&v));
    assert_eq!(check(&v, "kb.sd_hash").status, CheckStatus::Pass);
}

#[test]
fn sha_384_and_sha_512_digests_are_understood_and_others_refused() {
    let is = Issuer::new();
    for (alg, name) in [(HashAlg::Sha384, "sha-384"), (HashAlg::Sha512, "sha-512")] {
        let d = prop("s", "email", json!("a@b.example"));
        let payload = json!({"_sd": [alg.digest(&d)], "_sd_alg": name});
        let token = is.bind(&is.sd_jwt(payload, &[&d]));
        // sd_hash was made with sha-256 by `bind`: redo it with the right hash.
        let parts = parse::split(&token).unwrap();
        let token = is.bind_with(
            parts.presentation,
            &is.holder,
            "kb+jwt",
            json!({"nonce": "n-1", "aud": "https://verifier.example", "iat": NOW, "sd_hash": alg.digest(parts.presentation)}),
        );
        let v = is.verify_with(&token, &expecting());
        assert!(v.valid(), "{name}: {:#?}", failures(&v));
        assert_eq!(v.claims["email"], "a@b.example");
    }
    let d = prop("s", "email", json!("a@b.example"));
    let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&d)], "_sd_alg": "md5"}), &[&d]));
    assert_fails(&v, "sd.alg", "\"md5\", which is not supported");
    let v = is.verify(&is.sd_jwt(
        json!({"_sd": [dg(&d)], "address": {"_sd_alg": "sha-256"}}),
        &[&d],
    ));
    assert_fails(&v, "sd.alg", "only be at the top level");
}

#[test]
fn digests_that_appear_twice_are_refused() {
    let is = Issuer::new();
    let d = prop("s", "email", json!("a@b.example"));
    let twice = is.sd_jwt(json!({"_sd": [dg(&d), dg(&d)]}), &[&d]);
    assert_fails(&is.verify(&twice), "sd.digest-duplicate", "appears at");
    // The same digest in an object and in an array.
    let e = elem("s2", json!("x"));
    let across = is.sd_jwt(
        json!({"_sd": [dg(&d)], "list": [{"...": dg(&e)}], "other": {"_sd": [dg(&e)]}}),
        &[&d, &e],
    );
    assert_fails(&is.verify(&across), "sd.digest-duplicate", "again at");
    // A decoy repeated is a duplicate too, though no Disclosure matches it.
    let decoy = dg("decoy");
    let decoys = is.sd_jwt(json!({"_sd": [decoy, decoy]}), &[]);
    assert_fails(&is.verify(&decoys), "sd.digest-duplicate", &decoy);
    // The same Disclosure sent twice.
    let resent = is.sd_jwt(json!({"_sd": [dg(&d)]}), &[&d, &d]);
    assert_fails(
        &is.verify(&resent),
        "sd.digest-duplicate",
        "Disclosures #1 and #2 are the same",
    );
}

#[test]
fn reserved_colliding_and_misplaced_disclosures_are_refused() {
    let is = Issuer::new();
    for name in ["_sd", "..."] {
        let d = prop("s", name, json!(["x"]));
        let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&d)]}), &[&d]));
        assert_fails(&v, "sd.claim-name", "a reserved name");
    }
    let d = prop("s", "sub", json!("other-user"));
    let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&d)], "sub": "u1"}), &[&d]));
    assert_fails(&v, "sd.claim-name", "already has a claim of that name");
    assert_eq!(
        v.claims["sub"], "u1",
        "the plain claim is never overwritten"
    );
    // Two Disclosures of one name in one object.
    let (a, b) = (prop("s1", "x", json!(1)), prop("s2", "x", json!(2)));
    let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&a), dg(&b)]}), &[&a, &b]));
    assert_fails(&v, "sd.claim-name", "Disclosure #2 discloses \"x\"");
    // An array element's Disclosure under _sd, and a property's in an array.
    let e = elem("s", json!("DE"));
    let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&e)]}), &[&e]));
    assert_fails(&v, "sd.disclosure", "only [salt, name, value] fits");
    let p = prop("s", "n", json!("DE"));
    let v = is.verify(&is.sd_jwt(json!({"list": [{"...": dg(&p)}]}), &[&p]));
    assert_fails(&v, "sd.disclosure", "only [salt, value] fits");
    // "..." with company, and _sd that is not an array of strings.
    let v = is.verify(&is.sd_jwt(json!({"list": [{"...": "x", "y": 1}]}), &[]));
    assert_fails(&v, "sd.claim-name", "not exactly");
    let v = is.verify(&is.sd_jwt(json!({"o": {"_sd": "abc"}}), &[]));
    assert_fails(&v, "sd.claim-name", "not an array of digests");
    // A Disclosure that is not [salt, name, value] at all.
    let bad = b64("[\"s\", \"a\", 1, 2]");
    let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&bad)]}), &[&bad]));
    assert_fails(&v, "sd.disclosure", "Disclosure #1: it is an array of 4");
}

#[test]
fn a_disclosure_no_digest_references_is_refused() {
    let is = Issuer::new();
    let d = prop("s", "email", json!("a@b.example"));
    let stranger = prop("s9", "admin", json!(true));
    let v = is.verify(&is.sd_jwt(json!({"_sd": [dg(&d)]}), &[&d, &stranger]));
    assert_fails(
        &v,
        "sd.disclosure-unreferenced",
        "Disclosure #2 (\"admin\") is referenced by no digest",
    );
    assert!(v.claims.get("admin").is_none());
}

#[test]
fn key_binding_is_refused_with_the_wrong_key_typ_hash_nonce_or_audience() {
    let is = Issuer::new();
    let d = prop("s", "email", json!("a@b.example"));
    let sd_jwt = is.sd_jwt(json!({"_sd": [dg(&d)]}), &[&d]);
    let claims = || json!({"nonce": "n-1", "aud": "https://verifier.example", "iat": NOW});

    let other = PrivateKey::generate(GenerateType::EcP256).unwrap();
    let v = is.verify_with(
        &is.bind_with(&sd_jwt, &other, "kb+jwt", claims()),
        &expecting(),
    );
    assert_fails(
        &v,
        "kb.signature",
        "not signed by the holder key in cnf.jwk",
    );
    // Signed by the issuer's key is no better.
    let v = is.verify_with(
        &is.bind_with(&sd_jwt, &is.key, "kb+jwt", claims()),
        &expecting(),
    );
    assert_fails(&v, "kb.signature", "not signed by the holder key");

    let v = is.verify_with(
        &is.bind_with(&sd_jwt, &is.holder, "JWT", claims()),
        &expecting(),
    );
    assert_fails(&v, "kb.typ", "not \"kb+jwt\"");

    let mut wrong_hash = claims();
    wrong_hash["sd_hash"] = json!(dg("something else"));
    let v = is.verify_with(
        &is.bind_with(&sd_jwt, &is.holder, "kb+jwt", wrong_hash),
        &expecting(),
    );
    assert_fails(&v, "kb.sd_hash", "made for another presentation");

    let mut no_nonce = claims();
    no_nonce.as_object_mut().unwrap().remove("nonce");
    let v = is.verify(&is.bind_with(&sd_jwt, &is.holder, "kb+jwt", no_nonce));
    assert_fails(&v, "kb.nonce", "no nonce");

    let mut list_aud = claims();
    list_aud["aud"] = json!(["https://verifier.example"]);
    let v = is.verify_with(
        &is.bind_with(&sd_jwt, &is.holder, "kb+jwt", list_aud),
        &expecting(),
    );
    assert_fails(&v, "kb.aud", "not a single string");

    let mut future = claims();
    future["iat"] = json!(NOW + 3600);
    let v = is.verify(&is.bind_with(&sd_jwt, &is.holder, "kb+jwt", future));
    assert_fails(&v, "kb.iat", "in the future");

    // A nonce written twice: the copies could mean different things to different verifiers.
    let kb_header = b64(r#"{"alg":"ES256","typ":"kb+jwt"}"#);
    let kb_claims = b64(&format!(
        r#"{{"nonce":"n-1","nonce":"n-2","aud":"https://verifier.example","iat":{NOW},"sd_hash":"{}"}}"#,
        dg(&sd_jwt)
    ));
    let input = format!("{kb_header}.{kb_claims}");
    let sig = is.holder.sign(JwsAlg::Es256, input.as_bytes()).unwrap();
    let doubled = format!("{sd_jwt}{input}.{}", URL_SAFE_NO_PAD.encode(sig));
    let v = is.verify(&doubled);
    assert_eq!(check(&v, "kb.signature").status, CheckStatus::Pass);
    assert_fails(&v, "kb.duplicate_claims", "nonce");

    // No cnf at all: nothing to bind to.
    let bare = {
        let mut payload =
            json!({"_sd": [dg(&d)], "iss": "https://issuer.example", "iat": NOW, "exp": NOW + 60});
        payload.as_object_mut().unwrap().remove("cnf");
        format!("{}~{d}~", is.jwt("example+sd-jwt", &payload))
    };
    let v = is.verify(&is.bind_with(&bare, &is.holder, "kb+jwt", claims()));
    assert_fails(&v, "kb.signature", "no cnf claim");

    // The right one passes every check.
    let v = is.verify_with(&is.bind(&sd_jwt), &expecting());
    assert!(v.valid(), "{:#?}", failures(&v));
    for id in [
        "kb.present",
        "kb.typ",
        "kb.signature",
        "kb.sd_hash",
        "kb.nonce",
        "kb.aud",
        "kb.iat",
    ] {
        assert_eq!(check(&v, id).status, CheckStatus::Pass, "{id}");
    }
}

#[test]
fn an_unsigned_or_tampered_issuer_jwt_is_refused() {
    let is = Issuer::new();
    let d = prop("s", "email", json!("a@b.example"));
    let token = is.sd_jwt(json!({"_sd": [dg(&d)]}), &[&d]);
    // alg none.
    let header = b64(r#"{"alg":"none","typ":"example+sd-jwt"}"#);
    let payload = token.split('.').nth(1).unwrap();
    let none = format!("{header}.{payload}.~{d}~");
    let v = is.verify(&none);
    assert_eq!(v.signature.status, SignatureStatus::Invalid);
    assert!(!v.valid());
    // Another issuer's key.
    let other = Issuer::new();
    let v = other.verify(&token);
    assert_eq!(v.signature.status, SignatureStatus::Invalid);
    assert!(!v.valid());
    // Without keys: unverifiable, never valid.
    let v = verify_sd_jwt(
        &token,
        &Keys::None,
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        NOW,
    );
    assert!(!v.valid());
    assert!(failures(&v).is_empty(), "{:#?}", failures(&v));
}

#[test]
fn sd_jwt_vc_rules() {
    let is = Issuer::new();
    let vc = |typ: &str, payload: Value, disclosures: &[&str]| {
        let mut payload = payload;
        payload["iss"] = json!("https://issuer.example");
        payload["iat"] = json!(NOW - 10);
        payload["cnf"] = json!({"jwk": is.holder_jwk()});
        let mut out = is.jwt(typ, &payload);
        for d in disclosures {
            out.push('~');
            out.push_str(d);
        }
        out.push('~');
        out
    };
    let name = prop("s1", "given_name", json!("Erika"));
    let good = vc(
        "dc+sd-jwt",
        json!({"vct": "urn:example:pid", "_sd": [dg(&name)], "exp": NOW + 60}),
        &[&name],
    );
    let v = is.verify(&good);
    assert!(v.valid(), "{:#?}", failures(&v));
    assert_eq!(check(&v, "vc.typ").status, CheckStatus::Pass);

    let exp = prop("s2", "exp", json!(NOW + 60));
    let v = is.verify(&vc(
        "dc+sd-jwt",
        json!({"vct": "urn:example:pid", "_sd": [dg(&exp)]}),
        &[&exp],
    ));
    assert_fails(&v, "vc.not-disclosable", "exp is selectively disclosable");

    let v = is.verify(&vc("dc+sd-jwt", json!({"_sd": [dg(&name)]}), &[&name]));
    assert_fails(&v, "vc.vct", "no vct");

    let v = is.verify(&vc(
        "vc+sd-jwt",
        json!({"vct": "urn:example:pid", "exp": NOW + 60}),
        &[],
    ));
    assert_eq!(check(&v, "vc.typ").status, CheckStatus::Warn);
    assert!(v.valid(), "{:#?}", failures(&v));

    let v = is.verify(&vc("JWT", json!({"vct": "urn:example:pid"}), &[]));
    assert_fails(&v, "vc.typ", "typed dc+sd-jwt");

    // A plain SD-JWT gets no vc.* checks.
    let plain = is.verify(&is.sd_jwt(json!({"_sd": [dg(&name)]}), &[&name]));
    assert!(plain.checks.iter().all(|c| !c.id.starts_with("vc.")));
}

#[test]
fn every_truncation_of_a_bound_presentation_is_refused_without_a_panic() {
    let is = Issuer::new();
    let d = prop("s", "email", json!("a@b.example"));
    let e = elem("s2", json!("DE"));
    let token = is.bind(&is.sd_jwt(
        json!({"_sd": [dg(&d)], "nat": [{"...": dg(&e)}]}),
        &[&d, &e],
    ));
    assert!(is.verify_with(&token, &expecting()).valid());
    let keys = is.keys();
    for cut in 0..token.len() {
        let v = verify_sd_jwt(
            &token[..cut],
            &keys,
            &InspectOptions::default(),
            &expecting(),
            NOW,
        );
        assert!(!v.valid(), "valid when cut at {cut}");
        assert!(
            v.checks.iter().any(|c| c.status == CheckStatus::Fail),
            "cut at {cut}: nothing failed"
        );
    }
}

#[test]
fn hostile_sizes_and_shapes_are_refused_by_name() {
    let big = format!("a.b.c~{}~", "A".repeat(MAX_SD_JWT_BYTES));
    let v = verify_sd_jwt(
        &big,
        &Keys::None,
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        NOW,
    );
    assert!(check(&v, "decode").message.contains("limit"));
    let many = format!("a.b.c{}~", "~x".repeat(MAX_DISCLOSURES + 1));
    let v = verify_sd_jwt(
        &many,
        &Keys::None,
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        NOW,
    );
    assert!(check(&v, "decode").message.contains("limit"));
    for junk in ["~", "~~", "x~", "a.b~", "e30.e30.~~~", "e30.e30.~kb"] {
        let v = verify_sd_jwt(
            junk,
            &Keys::None,
            &InspectOptions::default(),
            &SdJwtOptions::default(),
            NOW,
        );
        assert!(!v.valid(), "{junk}");
    }
    // Deep nesting through Disclosures inside Disclosures stops at the cap.
    let is = Issuer::new();
    let mut disclosures = Vec::new();
    let mut inner = json!("leaf");
    for i in 0..(process::MAX_DEPTH + 8) {
        let d = prop(&format!("s{i}"), "n", inner);
        inner = json!({"_sd": [dg(&d)]});
        disclosures.push(d);
    }
    let refs: Vec<&str> = disclosures.iter().map(String::as_str).collect();
    let v = is.verify(&is.sd_jwt(inner, &refs));
    assert_fails(&v, "sd.disclosure", "nested more than");
}

#[test]
fn detection_needs_a_jwt_before_the_tilde() {
    let doc = rfc();
    assert!(is_sd_jwt(doc["examples"][0]["token"].as_str().unwrap()));
    assert!(is_sd_jwt("eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"));
    assert!(!is_sd_jwt("opaque~token"));
    assert!(!is_sd_jwt("abc.def~ghi"));
    assert!(!is_sd_jwt("eyJhbGciOiJFUzI1NiJ9.e30.c2ln"));
}

#[test]
fn a_thousand_disclosures_in_objects_and_arrays_are_all_placed() {
    let is = Issuer::new();
    let mut disclosures = Vec::new();
    let mut top = Vec::new();
    let mut list = Vec::new();
    for i in 0..500 {
        let d = prop(
            &format!("salt-{i}"),
            &format!("claim_{i}"),
            json!(format!("value {i}")),
        );
        top.push(json!(dg(&d)));
        disclosures.push(d);
        let e = elem(&format!("salt-e{i}"), json!({"n": i}));
        list.push(json!({"...": dg(&e)}));
        disclosures.push(e);
    }
    let refs: Vec<&str> = disclosures.iter().map(String::as_str).collect();
    let token = is.sd_jwt(json!({"_sd": top, "list": list}), &refs);
    assert!(token.len() > 50_000, "{} bytes", token.len());
    let started = std::time::Instant::now();
    let v = is.verify(&token);
    eprintln!(
        "{} Disclosures, {} bytes: verified in {:?}",
        refs.len(),
        token.len(),
        started.elapsed()
    );
    assert!(v.valid(), "{:#?}", failures(&v));
    assert!(v.report.disclosures.iter().all(|d| d.path.is_some()));
    assert_eq!(v.claims["list"].as_array().unwrap().len(), 500);
    assert_eq!(v.claims["claim_499"], "value 499");
}

#[test]
fn every_one_character_change_to_the_rfc_presentation_is_refused() {
    let doc = rfc();
    let example = &doc["examples"][1];
    let token = example["token"].as_str().unwrap();
    let keys = keys_of(&doc["issuer_key"]);
    let sd = SdJwtOptions {
        kb_nonce: Some("1234567890".into()),
        kb_audience: Some("https://verifier.example.org".into()),
        ..SdJwtOptions::default()
    };
    let bytes = token.as_bytes();
    let mut tried = 0;
    for i in 0..bytes.len() {
        for replacement in [b'A', b'~', b'.'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            let v = verify_sd_jwt(&changed, &keys, &InspectOptions::default(), &sd, RFC_NOW);
            assert!(
                !v.valid(),
                "valid with byte {i} set to {}",
                replacement as char
            );
            tried += 1;
        }
    }
    eprintln!("{tried} one-character changes refused");
    assert!(tried > 3 * token.len() - 100);
}
