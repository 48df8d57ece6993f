//! Throwaway keys and a JWS signer for the token tests, built on aws-lc-rs directly (not on the
//! code under test), so a verified signature really was made by an independent signer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512, RsaKeyPair,
    RsaPublicKeyComponents,
};
use aws_lc_rs::{hmac, signature::RsaEncoding};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use grantscope_core::token::jwks::jwks_from_value;
use grantscope_core::token::{InspectOptions, Inspection, Keys, SignatureStatus, Verdict};
use serde_json::{Value, json};

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key of one kind.
pub enum Key {
    Rsa(RsaKeyPair),
    Ec256(EcdsaKeyPair),
    Ec384(EcdsaKeyPair),
    Ec521(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Secret(Vec<u8>),
}

impl Key {
    pub fn rsa() -> Self {
        Key::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).unwrap())
    }
    pub fn ec256() -> Self {
        Key::Ec256(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())
    }
    pub fn ec384() -> Self {
        Key::Ec384(EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap())
    }
    pub fn ec521() -> Self {
        Key::Ec521(EcdsaKeyPair::generate(&ECDSA_P521_SHA512_FIXED_SIGNING).unwrap())
    }
    pub fn ed() -> Self {
        Key::Ed(Ed25519KeyPair::generate().unwrap())
    }
    pub fn secret(s: &[u8]) -> Self {
        Key::Secret(s.to_vec())
    }

    /// Signs `input` with `alg` (which must fit the key).
    pub fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Key::Rsa(kp) => {
                let enc: &'static dyn RsaEncoding = match alg {
                    "RS256" => &RSA_PKCS1_SHA256,
                    "RS384" => &RSA_PKCS1_SHA384,
                    "RS512" => &RSA_PKCS1_SHA512,
                    "PS256" => &RSA_PSS_SHA256,
                    "PS384" => &RSA_PSS_SHA384,
                    "PS512" => &RSA_PSS_SHA512,
                    other => panic!("{other} with an RSA key"),
                };
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(enc, &rng, input, &mut sig).unwrap();
                sig
            }
            Key::Ec256(kp) | Key::Ec384(kp) | Key::Ec521(kp) => {
                kp.sign(&rng, input).unwrap().as_ref().to_vec()
            }
            Key::Ed(kp) => kp.sign(input).as_ref().to_vec(),
            Key::Secret(s) => hmac_sign(alg, s, input),
        }
    }

    /// The public JWK (for `oct`, the secret itself).
    pub fn jwk(&self, kid: Option<&str>) -> Value {
        let mut jwk = match self {
            Key::Rsa(kp) => {
                let c = RsaPublicKeyComponents::<Vec<u8>>::from(kp.public_key());
                json!({"kty": "RSA", "n": b64(&c.n), "e": b64(&c.e)})
            }
            Key::Ec256(kp) | Key::Ec384(kp) | Key::Ec521(kp) => {
                let point = kp.public_key().as_ref();
                let size = (point.len() - 1) / 2;
                let crv = match size {
                    32 => "P-256",
                    48 => "P-384",
                    _ => "P-521",
                };
                json!({"kty": "EC", "crv": crv,
                       "x": b64(&point[1..=size]), "y": b64(&point[1 + size..])})
            }
            Key::Ed(kp) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(kp.public_key().as_ref())})
            }
            Key::Secret(s) => json!({"kty": "oct", "k": b64(s)}),
        };
        if let Some(kid) = kid {
            jwk["kid"] = Value::from(kid);
        }
        jwk
    }

    /// The RSA public key as PEM (SubjectPublicKeyInfo): what an attacker uses as HMAC secret.
    pub fn rsa_public_pem(&self) -> String {
        let Key::Rsa(kp) = self else {
            panic!("not RSA")
        };
        let der = kp.public_key().as_der().unwrap();
        let body = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }
}

pub fn hmac_sign(alg: &str, secret: &[u8], input: &[u8]) -> Vec<u8> {
    let algo = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        other => panic!("{other} is not HMAC"),
    };
    hmac::sign(&hmac::Key::new(algo, secret), input)
        .as_ref()
        .to_vec()
}

/// A compact JWS of the raw JSON texts `header` and `claims` (so they can hold what
/// `serde_json::Value` cannot, such as duplicate members), signed by `key` with `alg`.
pub fn sign_raw(header: &str, claims: &str, alg: &str, key: &Key) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let sig = key.sign(alg, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// Tokens made by `jose` and Node's crypto (tests/token_support/jose_corpus.mjs), with their
/// public key sets: `{"es512": {"token", "jwks"}, "es512_der", "es256_der", "rs256_1024",
/// "rs256_1024_kid", "es256k", "ed448", "hs256_oct"}`. Fails when the npm test peers are
/// missing (scripts/test.sh installs them).
pub fn jose_corpus(claims: &Value) -> Value {
    run_jose_script("jose_corpus.mjs", "the jose corpus", claims)
}

/// Runs `tests/token_support/SCRIPT` with Node, `claims` as JSON on its stdin; its stdout as
/// JSON. The scripts use the `jose` installed for `tests/sandbox_verify`.
fn run_jose_script(script: &str, what: &str, claims: &Value) -> Value {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/sandbox_verify/node_modules/jose").is_dir(),
        "tests/sandbox_verify/node_modules is missing: run `npm ci --prefix tests/sandbox_verify` (scripts/test.sh does)"
    );
    let mut child = std::process::Command::new("node")
        .arg(root.join("tests/token_support").join(script))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("node (Node.js 20+) runs {what}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(claims).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Encrypted tokens made by `jose` and Node's crypto (tests/token_support/jose_jwe.mjs) with
/// `claims` as their payload: `{"cases": [{alg, enc, crv, zip, token, jwk}], "nested": {token,
/// jwk, jwks}, "unsigned": {token, jwk}}`, `jwk` the recipient's private key. Fails when the
/// npm test peers are missing (scripts/test.sh installs them).
pub fn jose_jwe(claims: &Value) -> Value {
    run_jose_script("jose_jwe.mjs", "the jose JWE maker", claims)
}

/// Serves `doc` at `http://127.0.0.1:PORT/jwks` for the rest of the test; returns the URL.
pub async fn serve_jwks(doc: Value) -> String {
    use axum::{Json, Router, routing::get};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let app = Router::new().route("/jwks", get(move || async move { Json(doc.clone()) }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A compact JWS of `header` and `claims`, signed by `key` with the header's `alg`.
pub fn sign(header: &Value, claims: &Value, key: &Key) -> String {
    let input = format!(
        "{}.{}",
        b64(serde_json::to_vec(header).unwrap()),
        b64(serde_json::to_vec(claims).unwrap())
    );
    let alg = header["alg"].as_str().unwrap();
    let sig = key.sign(alg, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// A JWKS document from JWKs.
pub fn jwks(keys: &[Value]) -> Value {
    json!({ "keys": keys })
}

/// A fixed "now" for the tests: 2026-11-26T12:00:00Z.
pub const NOW: i64 = 1_795_694_400;

pub const ISSUER: &str = "https://as.example";
pub const CLIENT: &str = "client-1";

/// Claims of a token that is fine at [`NOW`].
pub fn good_claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "alice",
        "aud": CLIENT,
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "exp": NOW + 3540,
        "jti": "j1"
    })
}

/// The inspection options of the corpus tests: the expected issuer and audience.
pub fn opts() -> InspectOptions {
    InspectOptions {
        issuer: Some(ISSUER.into()),
        audience: Some(CLIENT.into()),
        ..InspectOptions::default()
    }
}

/// The inspector's keys from a JWKS document.
pub fn keys_of(jwks_doc: &Value) -> Keys {
    Keys::Jwks(jwks_from_value(jwks_doc).unwrap())
}

/// Asserts the inspection is valid: verdict, signature verified, no failed check.
#[track_caller]
pub fn assert_valid(i: &Inspection) {
    assert!(
        i.valid,
        "rejected: {}",
        serde_json::to_string_pretty(i).unwrap()
    );
    assert_eq!(i.verdict, Verdict::Valid);
    assert_eq!(i.signature.status, SignatureStatus::Verified);
    assert_eq!(i.failures().count(), 0);
}

/// A throwaway RSA key (`kid` r1) and the inspector's keys holding its public half.
pub struct RsaFixture {
    pub key: Key,
    pub keys: Keys,
}

pub fn rsa_fixture() -> RsaFixture {
    let key = Key::rsa();
    let keys = keys_of(&jwks(&[key.jwk(Some("r1"))]));
    RsaFixture { key, keys }
}

/// `claims` signed RS256 with the fixture's key (`kid` r1).
pub fn rs256(f: &RsaFixture, claims: &Value) -> String {
    sign(&json!({"alg": "RS256", "kid": "r1"}), claims, &f.key)
}

/// The arguments of `grantscope inspect`, parsed as the command line does.
#[derive(clap::Parser)]
pub struct InspectCli {
    #[command(flatten)]
    pub args: grantscope_cli::inspect::InspectArgs,
}

/// `grantscope inspect ARGV` run in-process through its argument parser, with `stdin`; the
/// exit code and what it wrote on stdout and stderr, as bytes.
pub async fn run_inspect(argv: &[&str], mut stdin: &[u8]) -> (u8, Vec<u8>, Vec<u8>) {
    let mut full = vec!["inspect"];
    full.extend_from_slice(argv);
    let cli = <InspectCli as clap::Parser>::try_parse_from(full).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = grantscope_cli::inspect::execute(cli.args, &mut stdin, &mut out, &mut err).await;
    (code, out, err)
}
