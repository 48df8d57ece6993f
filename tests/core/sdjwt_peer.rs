//! Interop: SD-JWTs made by an independent implementation, the OpenWallet Foundation's
//! `@sd-jwt/core` (tests/sdjwt_peer/make.mjs): flat, nested, recursive, array and decoy
//! disclosures, sha-256 and sha-512, issued and presented, with and without key binding.
//! grantscope's verdict is the library's own on every one, and where both accept, the claims
//! are the same; where the library refuses (another nonce, a Disclosure dropped after binding)
//! grantscope fails the key-binding check that says why.

use std::path::Path;

use grantscope_core::token::jwks::jwks_from_value;
use grantscope_core::token::{
    CheckStatus, InspectOptions, Keys, SdJwtOptions, TokenFormat, inspect_sd_jwt_with_keys,
};
use serde_json::Value;

fn made_by_sd_jwt_core() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/sdjwt_peer/node_modules/@sd-jwt/core")
            .is_dir(),
        "tests/sdjwt_peer/node_modules is missing: run `npm ci --prefix tests/sdjwt_peer` (scripts/test.sh does)"
    );
    let out = std::process::Command::new("node")
        .arg(root.join("tests/sdjwt_peer/make.mjs"))
        .output()
        .expect("node (Node.js 20+) runs the SD-JWT maker");
    assert!(
        out.status.success(),
        "make.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn sd_jwts_from_sd_jwt_core_verify_as_that_library_says() {
    let made = made_by_sd_jwt_core();
    let now = made["now"].as_i64().unwrap();
    let keys = Keys::Jwks(jwks_from_value(&made["issuer_jwk"]).unwrap());
    let options = InspectOptions {
        max_lifetime: None,
        ..InspectOptions::default()
    };
    let cases = made["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 48, "cases made");
    let (mut accepted, mut refused, mut bound, mut decoys) = (0, 0, 0, 0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let sd = SdJwtOptions {
            kb_nonce: case["nonce"].as_str().map(str::to_owned),
            kb_audience: case["aud"].as_str().map(str::to_owned),
            ..SdJwtOptions::default()
        };
        let token = case["token"].as_str().unwrap();
        let i = inspect_sd_jwt_with_keys(token, &keys, &options, &sd, now);
        assert_eq!(i.format, TokenFormat::SdJwt, "{name}");
        let failed: Vec<String> = i
            .failures()
            .map(|c| format!("{}: {}", c.id, c.message))
            .collect();
        let library = &case["library"];
        assert_eq!(
            i.valid,
            library["valid"].as_bool().unwrap(),
            "{name}: the library said {library}, grantscope failed {failed:#?}"
        );
        let report = i.sd_jwt.as_ref().unwrap();
        if report.key_binding.is_some() {
            bound += 1;
        }
        if name.starts_with("decoys") {
            assert!(report.undisclosed > 0, "{name}: decoys counted");
            decoys += 1;
        }
        if i.valid {
            accepted += 1;
            assert_eq!(i.claims, library["claims"], "{name}");
            assert!(
                report.disclosures.iter().all(|d| d.path.is_some()),
                "{name}"
            );
        } else {
            refused += 1;
            let error = library["error"].as_str().unwrap();
            let id = if error.contains("Nonce") {
                "kb.nonce"
            } else {
                "kb.sd_hash"
            };
            assert_eq!(
                i.check(id).map(|c| c.status),
                Some(CheckStatus::Fail),
                "{name}: the library said {error}; grantscope failed {failed:#?}"
            );
        }
    }
    assert_eq!((accepted, refused), (30, 18));
    assert_eq!(bound, 28);
    assert_eq!(decoys, 8);
}

/// The other way round: the SD-JWT VC the sandbox issues (ES256) verifies with `@sd-jwt/core`
/// (tests/sdjwt_peer/verify.mjs), to the claims grantscope's own inspection gives; the same
/// credential with one byte of a Disclosure changed is refused by both.
#[tokio::test]
async fn the_sandbox_credential_verifies_with_sd_jwt_core() {
    use grantscope_sandbox::{SandboxConfig, SigningAlg};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/sdjwt_peer/node_modules/@sd-jwt/core")
            .is_dir(),
        "tests/sdjwt_peer/node_modules is missing: run `npm ci --prefix tests/sdjwt_peer` (scripts/test.sh does)"
    );
    let (handle, _dir) = crate::common::sandbox::start_handle(SandboxConfig {
        signing_alg: SigningAlg::Es256,
        ..SandboxConfig::default()
    })
    .await;
    let holder =
        grantscope_core::keys::PrivateKey::generate(grantscope_core::keys::GenerateType::EcP256)
            .unwrap();
    let token = handle
        .issue_credential("alice", &holder.public_jwk())
        .unwrap();
    let jwks = handle.jwks();
    let issuer_jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "ES256")
        .unwrap()
        .clone();
    let verify = |token: &str| {
        use std::io::Write as _;
        let mut child = std::process::Command::new("node")
            .arg(root.join("tests/sdjwt_peer/verify.mjs"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node (Node.js 20+) runs the SD-JWT verifier");
        let input = serde_json::json!({"token": token, "issuer_jwk": issuer_jwk}).to_string();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "verify.mjs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let library = verify(&token);
    assert_eq!(library["valid"], true, "{library}");
    let keys = Keys::Jwks(jwks_from_value(&jwks).unwrap());
    let now = grantscope_core::timefmt::now_unix();
    let ours = inspect_sd_jwt_with_keys(
        &token,
        &keys,
        &InspectOptions {
            max_lifetime: None,
            ..InspectOptions::default()
        },
        &SdJwtOptions::default(),
        now,
    );
    assert!(ours.valid, "{:?}", ours.failures().collect::<Vec<_>>());
    assert_eq!(ours.claims, library["claims"]);
    assert_eq!(library["claims"]["address"]["country"], "NZ");
    // One Disclosure altered: a digest no longer matches, both refuse.
    let parts: Vec<&str> = token.split('~').collect();
    let first = parts[1];
    let altered_disclosure = format!(
        "{}{}",
        &first[..first.len() - 1],
        if first.ends_with('A') { "B" } else { "A" }
    );
    let altered = token.replacen(first, &altered_disclosure, 1);
    assert_eq!(verify(&altered)["valid"], false);
    let ours = inspect_sd_jwt_with_keys(
        &altered,
        &keys,
        &InspectOptions::default(),
        &SdJwtOptions::default(),
        now,
    );
    assert!(!ours.valid);
}
