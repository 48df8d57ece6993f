//! `grantscope forge` through the real binary: a sandbox token edited and re-signed with a
//! stored key or a secret, then verified by `grantscope inspect`; the forgeries' headers; the
//! HMAC key confusion keyed with the issuer's key as discovered from a running sandbox, and
//! checked against a PEM made independently; and every bad input refused with exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::token_support::{Key, hmac_sign, jwks, sign};

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::TestProvider as _;
use common::cli::{Grantscope, Output};
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(60);

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

/// An access token from the sandbox's confidential client (client credentials).
fn sandbox_token(sb: &common::Sandbox) -> String {
    let mut args = vec![
        "token".to_string(),
        "client-credentials".into(),
        "--issuer".into(),
        sb.issuer().to_string(),
        "--json".into(),
    ];
    args.extend(sb.machine_client().cli_args());
    let out = Grantscope::new(args).run(T).unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    out.json().unwrap()["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn part(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[test]
fn a_token_re_signed_with_a_stored_key_verifies_with_that_key_and_not_the_issuer_s() {
    let sb = common::Sandbox::start();
    let token = sandbox_token(&sb);
    let dir = tempfile::tempdir().unwrap();
    let made = run(
        dir.path(),
        &["key", "generate", "mine", "--type", "ec-p256"],
    );
    assert_eq!(made.code(), 0, "{}", made.stderr);
    let out = run(
        dir.path(),
        &[
            "forge",
            &token,
            "--set",
            "sub=mallory",
            "--set",
            r#"aud=["a","b"]"#,
            "--set",
            "exp=4102444800",
            "--unset",
            "client_id",
            "--sign-with",
            "mine",
        ],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let forged = out.stdout.trim().to_owned();
    let header = part(&forged, 0);
    let claims = part(&forged, 1);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["sub"], "mallory");
    assert_eq!(claims["aud"], json!(["a", "b"]));
    assert_eq!(claims["exp"], 4_102_444_800_i64);
    assert!(claims.get("client_id").is_none());
    assert_eq!(claims["iss"], part(&token, 1)["iss"]);

    // The key's public JWKS verifies it ...
    let shown = run(dir.path(), &["key", "show", "mine", "--jwks"]);
    let jwks_file = dir.path().join("mine.jwks.json");
    std::fs::write(&jwks_file, &shown.stdout).unwrap();
    let jwks: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    let inspect = run(
        dir.path(),
        &[
            "inspect",
            &forged,
            "--jwks-uri",
            jwks_file.to_str().unwrap(),
            "--json",
        ],
    );
    let doc = inspect.json().unwrap();
    assert_eq!(doc["signature"]["status"], "verified", "{doc:#}");
    // ... and the issuer's keys do not.
    let inspect = run(
        dir.path(),
        &["inspect", &forged, "--issuer", sb.issuer(), "--json"],
    );
    assert_eq!(inspect.code(), 1, "{}", inspect.stderr);
    assert_ne!(inspect.json().unwrap()["signature"]["status"], "verified");
}

#[test]
fn a_secret_re_signature_verifies_and_the_secret_is_never_printed() {
    let sb = common::Sandbox::start();
    let token = sandbox_token(&sb);
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-forging-secret-of-forty-eight-bytes-0123456789";
    let out = run(
        dir.path(),
        &[
            "forge",
            &token,
            "--set",
            "scope=admin",
            "--secret",
            secret,
            "--alg",
            "HS384",
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    let doc = out.json().unwrap();
    let row = &doc[0];
    assert_eq!(row["variant"], "forge");
    assert_eq!(row["header"]["alg"], "HS384");
    assert_eq!(row["claims"]["scope"], "admin");
    let forged = row["token"].as_str().unwrap();
    // Independently of grantscope: HMAC-SHA384 over the signing input with aws-lc-rs.
    let (input, sig) = forged.rsplit_once('.').unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.decode(sig).unwrap(),
        hmac_sign("HS384", secret.as_bytes(), input.as_bytes())
    );
    let inspect = run(
        dir.path(),
        &["inspect", forged, "--secret", secret, "--json"],
    );
    let doc = inspect.json().unwrap();
    assert_eq!(doc["signature"]["status"], "verified", "{doc:#}");
    assert_eq!(doc["claims"]["scope"], "admin");

    // --alg none: unsecured, empty signature; the inspector refuses it.
    let out = run(dir.path(), &["forge", &token, "--alg", "none"]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let none = out.stdout.trim();
    assert!(none.ends_with('.'), "{none}");
    assert_eq!(part(none, 0)["alg"], "none");
    let inspect = run(dir.path(), &["inspect", none, "--issuer", sb.issuer()]);
    assert_eq!(inspect.code(), 1, "{}", inspect.stdout);

    // Edited without a new signature: the old one is kept, and the command says so.
    let out = run(dir.path(), &["forge", &token, "--jose-header", "typ=JWT"]);
    assert_eq!(out.code(), 0);
    assert!(
        out.stderr.contains("old signature was kept"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stdout.trim().rsplit_once('.').unwrap().1,
        token.rsplit_once('.').unwrap().1
    );
}

#[test]
fn attacks_give_one_token_a_line_with_the_expected_headers() {
    let sb = common::Sandbox::start();
    let token = sandbox_token(&sb);
    let kid = part(&token, 0)["kid"].clone();
    let dir = tempfile::tempdir().unwrap();
    let attack = |id: &str, extra: &[&str]| {
        let mut args = vec!["forge", token.as_str(), "--attack", id];
        args.extend_from_slice(extra);
        let out = run(dir.path(), &args);
        assert_eq!(out.code(), 0, "{id}: {}", out.stderr);
        out
    };
    let none = attack("alg-none", &[]);
    let lines: Vec<&str> = none.stdout.lines().collect();
    assert_eq!(lines.len(), 4);
    let algs: Vec<Value> = lines.iter().map(|l| part(l, 0)["alg"].clone()).collect();
    assert_eq!(
        algs,
        [json!("none"), json!("None"), json!("NONE"), json!("nOnE")]
    );
    assert!(lines.iter().all(|l| l.ends_with('.')));

    let doc = attack("embedded-jwk", &["--json"]).json().unwrap();
    let header = &doc[0]["header"];
    assert_eq!(doc[0]["variant"], "embedded-jwk");
    assert_eq!(header["jwk"]["kid"], header["kid"]);
    assert_ne!(header["kid"], kid);
    assert!(header["jwk"].get("d").is_none());
    // The embedded key verifies the forgery.
    let jwks_file = dir.path().join("embedded.json");
    std::fs::write(&jwks_file, json!({"keys": [header["jwk"]]}).to_string()).unwrap();
    let forged = doc[0]["token"].as_str().unwrap();
    let inspect = run(
        dir.path(),
        &[
            "inspect",
            forged,
            "--jwks-uri",
            jwks_file.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(inspect.json().unwrap()["signature"]["status"], "verified");

    let doc = attack("kid-injection", &["--json"]).json().unwrap();
    assert_eq!(doc[0]["header"]["kid"], "../../../../dev/null");
    assert_eq!(doc[0]["header"]["alg"], "HS256");
    assert!(
        doc[1]["header"]["kid"]
            .as_str()
            .unwrap()
            .contains("UNION SELECT")
    );

    let doc = attack("psychic-signature", &["--json"]).json().unwrap();
    assert_eq!(doc[0]["header"]["alg"], "ES256");
    let sig = doc[0]["token"]
        .as_str()
        .unwrap()
        .rsplit_once('.')
        .unwrap()
        .1;
    assert_eq!(URL_SAFE_NO_PAD.decode(sig).unwrap(), vec![0u8; 64]);

    let doc = attack("claims-tampered", &["--json"]).json().unwrap();
    let old_sig = token.rsplit_once('.').unwrap().1;
    for row in doc.as_array().unwrap() {
        assert!(row["token"].as_str().unwrap().ends_with(old_sig));
    }
    let stripped = attack("signature-stripped", &[]);
    assert!(stripped.stdout.lines().next().unwrap().ends_with('.'));
    let invalid = attack("signature-invalid", &[]);
    assert_ne!(invalid.stdout.trim(), token);

    // The issuer's key from the running sandbox's discovery: 3 HS algorithms × 5 forms × kid
    // and no kid for an RSA issuer.
    let doc = attack("hmac-key-confusion", &["--issuer", sb.issuer(), "--json"])
        .json()
        .unwrap();
    let rows = doc.as_array().unwrap();
    assert_eq!(rows.len(), 30, "{doc:#}");
    let first = &rows[0];
    assert_eq!(first["variant"], "hmac-key-confusion/HS256/spki-pem/kid");
    assert_eq!(first["header"]["kid"], kid);
    assert_eq!(first["claims"], part(&token, 1));
    assert!(rows.iter().any(|r| r["header"].get("kid").is_none()));
}

#[test]
fn hmac_key_confusion_is_keyed_with_the_pem_as_openssl_writes_it() {
    // An issuer key made by aws-lc-rs in the test, its PEM written from aws-lc-rs's own DER.
    let issuer = Key::rsa();
    let dir = tempfile::tempdir().unwrap();
    let jwks_file = dir.path().join("issuer.json");
    std::fs::write(&jwks_file, jwks(&[issuer.jwk(Some("r1"))]).to_string()).unwrap();
    let token = sign(
        &json!({"alg": "RS256", "kid": "r1", "typ": "at+jwt"}),
        &json!({"iss": "https://as.example", "sub": "alice"}),
        &issuer,
    );
    let out = run(
        dir.path(),
        &[
            "forge",
            &token,
            "--attack",
            "hmac-key-confusion",
            "--jwks-uri",
            jwks_file.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let doc = out.json().unwrap();
    let pem = issuer.rsa_public_pem();
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
    let find = |name: &str| {
        doc.as_array()
            .unwrap()
            .iter()
            .find(|r| r["variant"] == name)
            .unwrap_or_else(|| panic!("no {name} in {doc:#}"))["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (name, alg, secret) in [
        (
            "hmac-key-confusion/HS256/spki-pem/kid",
            "HS256",
            pem.clone(),
        ),
        (
            "hmac-key-confusion/HS512/spki-pem-no-final-newline/no-kid",
            "HS512",
            pem.trim_end().to_owned(),
        ),
    ] {
        let forged = find(name);
        let (input, sig) = forged.rsplit_once('.').unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(sig).unwrap(),
            hmac_sign(alg, secret.as_bytes(), input.as_bytes()),
            "{name}"
        );
    }
    // The inspector, given the PEM as the shared secret (a file, its newline removed),
    // verifies the variant without the final newline.
    let pem_file = dir.path().join("issuer.pem");
    std::fs::write(&pem_file, &pem).unwrap();
    let forged = find("hmac-key-confusion/HS256/spki-pem-no-final-newline/kid");
    let inspect = run(
        dir.path(),
        &[
            "inspect",
            &forged,
            "--secret-file",
            pem_file.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(
        inspect.json().unwrap()["signature"]["status"],
        "verified",
        "{}",
        inspect.stdout
    );
}

#[test]
fn bad_input_is_refused_with_exit_2_and_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let token = sign(
        &json!({"alg": "HS256"}),
        &json!({"sub": "alice"}),
        &Key::secret(b"a-secret-of-thirty-two-bytes-long!!"),
    );
    let jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aaaa.bbbb.cccc";
    for (args, words) in [
        (vec!["forge", "not-a-jwt"], "three dot-separated parts"),
        (vec!["forge", jwe], "encrypted"),
        (
            vec!["forge", &token, "--set", "sub"],
            "--set takes NAME=VALUE",
        ),
        (vec!["forge", &token, "--set", "=x"], "name cannot be empty"),
        (
            vec!["forge", &token, "--attack", "nope"],
            "unknown forgery \"nope\"",
        ),
        (
            vec!["forge", &token, "--attack", "hmac-key-confusion"],
            "needs the issuer's public key: pass --jwks-uri or --issuer",
        ),
        (vec!["forge", &token, "--attack", "jku"], "probe --api"),
        (
            vec!["forge", &token, "--alg", "RS256"],
            "alone it takes only `none`",
        ),
        (
            vec!["forge", &token, "--secret", "s", "--alg", "ES256"],
            "--secret signs HS256, HS384 or HS512",
        ),
        (
            vec!["forge", &token, "--sign-with", "no-such-key"],
            "no key named",
        ),
        (
            vec!["forge", &token, "--sign-with", "x", "--secret", "s"],
            "cannot be used with",
        ),
    ] {
        let out = run(dir.path(), &args);
        assert_eq!(out.code(), 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(words), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(!out.stderr.contains("panicked"));
    }
}
