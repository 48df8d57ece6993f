//! `grantscope inspect` on an SD-JWT (RFC 9901): the RFC's own presentation verified with the
//! issuer key of its A.5 and checked against the verifier's nonce and audience (`--kb-nonce`,
//! `--kb-audience`), in `--json` (DESIGN.md's `sd_jwt` object) and in the human report (the
//! Disclosure table, the processed claims marked); a wrong nonce, or a missing key binding
//! when one is asked for, exits 1 naming the check.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::token_support::run_inspect;

fn rfc() -> Value {
    serde_json::from_str(include_str!(
        "../../crates/core/testdata/sdjwt/rfc9901.json"
    ))
    .unwrap()
}

/// When the RFC's presentations were made, a few seconds later.
const AT: &str = "1748537250";

async fn run(argv: &[&str]) -> (u8, String) {
    let (code, out, _) = run_inspect(argv, b"").await;
    (code, String::from_utf8(out).unwrap())
}

fn issuer_key(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("issuer.json");
    std::fs::write(&path, rfc()["issuer_key"].to_string()).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_rfc_presentation_verifies_with_its_nonce_and_audience() {
    let doc = rfc();
    let token = doc["examples"][1]["token"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = issuer_key(&dir);
    let base = [token, "--jwks-uri", &key, "--now", AT];
    let mut argv = base.to_vec();
    argv.extend([
        "--kb-nonce",
        "1234567890",
        "--kb-audience",
        "https://verifier.example.org",
        "--json",
    ]);
    let (code, out) = run(&argv).await;
    assert_eq!(code, 0, "{out}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["format"], "sd-jwt");
    assert_eq!(j["verdict"], "valid");
    assert_eq!(j["claims"], doc["examples"][1]["processed"]);
    let sd = &j["sd_jwt"];
    assert_eq!(sd["sd_alg"], "sha-256");
    assert_eq!(sd["undisclosed"], 6);
    assert_eq!(sd["disclosures"].as_array().unwrap().len(), 4);
    assert_eq!(sd["disclosures"][0]["name"], "family_name");
    assert_eq!(sd["disclosures"][3]["name"], Value::Null);
    assert_eq!(sd["disclosures"][3]["path"], "/nationalities/0");
    assert!(sd["issuer_claims"]["_sd"].is_array());
    assert_eq!(sd["key_binding"]["signature"]["status"], "verified");
    assert_eq!(sd["key_binding"]["claims"]["nonce"], "1234567890");
    let ids: Vec<&str> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "sd.alg",
        "sd.disclosure",
        "sd.digest-duplicate",
        "sd.disclosure-unreferenced",
        "sd.claim-name",
        "kb.present",
        "kb.typ",
        "kb.signature",
        "kb.sd_hash",
        "kb.nonce",
        "kb.aud",
        "kb.iat",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }

    // The human report: the Disclosure table and the processed claims marked.
    let (code, out) = run(&base).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VALID"), "{out}");
    assert!(
        out.contains("SD-JWT (selective disclosure, RFC 9901)"),
        "{out}"
    );
    assert!(
        out.contains("disclosures  4 presented, 6 digests undisclosed"),
        "{out}"
    );
    assert!(out.contains("[array element]"), "{out}");
    assert!(out.contains("→ /nationalities/0"), "{out}");
    assert!(out.contains("* family_name"), "{out}");
    assert!(out.contains("+ nationalities"), "{out}");
    assert!(out.contains("key binding  verified"), "{out}");
}

#[tokio::test]
async fn a_wrong_nonce_or_a_missing_key_binding_exits_1_naming_the_check() {
    let doc = rfc();
    let bound = doc["examples"][1]["token"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = issuer_key(&dir);
    let (code, out) = run(&[
        bound,
        "--jwks-uri",
        &key,
        "--now",
        AT,
        "--kb-nonce",
        "other",
    ])
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("NOT VALID: failed: kb.nonce"), "{out}");

    // The issued SD-JWT (no key binding) passes unless the verifier asks for key binding.
    let issued = doc["examples"][0]["token"].as_str().unwrap();
    let (code, out) = run(&[issued, "--jwks-uri", &key, "--now", AT]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("key binding  none presented"), "{out}");
    let (code, out) = run(&[
        issued,
        "--jwks-uri",
        &key,
        "--now",
        AT,
        "--kb-audience",
        "https://verifier.example.org",
    ])
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("NOT VALID: failed: kb.present"), "{out}");

    // Without the issuer's key: unverifiable, exit 1, nothing failed.
    let (code, out) = run(&[issued, "--now", AT, "--json"]).await;
    assert_eq!(code, 1);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verdict"], "unverifiable");
}

#[tokio::test]
async fn hostile_disclosures_reach_the_terminal_inert() {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let name = "\u{1b}[2J\u{1b}]0;pwned\u{7}";
    let disclosure = b64(&json!(["salt", name, "\u{202e}txt.exe"]));
    let digest = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(&disclosure));
    let issuer = format!(
        "{}.{}.c2ln",
        b64(&json!({"alg": "ES256", "typ": "example+sd-jwt"})),
        b64(&json!({"_sd": [digest], "iss": "https://issuer.example"}))
    );
    let token = format!("{issuer}~{disclosure}~");
    for json_flag in [false, true] {
        let mut argv = vec![token.as_str(), "--now", AT];
        if json_flag {
            argv.push("--json");
        }
        let (code, out) = run(&argv).await;
        assert_eq!(code, 1, "{out}");
        assert!(!out.contains('\u{1b}'), "raw ESC: {out}");
        assert!(!out.contains('\u{202e}'), "raw bidi override: {out}");
        assert!(!out.contains('\u{7}'), "raw BEL: {out}");
    }
}
