//! The sandbox's encrypted ID tokens and SD-JWT VCs, through the real binary: `grantscope
//! sandbox --id-token-encryption-key` (a stored `use: enc` key of the config directory)
//! encrypts every ID token; `token authorization-code --decryption-key` opens it and verifies
//! the token inside (without the key it stays unverifiable). With the access token of that
//! flow, `POST /credential` issues an SD-JWT VC for alice that `grantscope inspect --issuer`
//! verifies: every claim disclosed, decoys counted, the VC's rules passing.

use std::io::BufRead as _;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::browser::{Browser, Decision, Login};
use crate::common::cli::Grantscope;
use crate::common::{TestClient, block_on, code_flow_args, deliver_redirect};

const T: Duration = Duration::from_secs(60);

fn gs(dir: &Path, args: &[&str]) -> crate::common::cli::Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

/// The sandbox process, killed when dropped (a failed assertion leaves nothing running).
struct SandboxProcess(std::process::Child);

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `grantscope sandbox` with the config directory `dir` (where its named keys resolve) and
/// `extra`; returns it and its issuer.
fn sandbox(dir: &Path, extra: &[&str]) -> (SandboxProcess, String) {
    let mut child = std::process::Command::new(crate::common::grantscope_bin())
        .args(["sandbox", "--port", "0", "--json"])
        .args(extra)
        .arg("--key-dir")
        .arg(dir.join("sandbox-keys"))
        .env("GRANTSCOPE_CONFIG_DIR", dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let process = SandboxProcess(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let doc: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the sandbox's start line is not JSON ({e}): {line:?}"));
    (process, doc["issuer"].as_str().unwrap().to_owned())
}

/// Runs the authorization code flow of `sandbox-native` as alice through the real binary,
/// with `extra` flags; returns the `--json` document.
fn code_flow(dir: &Path, issuer: &str, extra: &[&str]) -> Value {
    let client = TestClient::public("sandbox-native", "http://127.0.0.1/callback");
    let mut run = Grantscope::new(code_flow_args(issuer, &client, extra))
        .config_dir(dir)
        .spawn()
        .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = block_on(async {
        let mut browser = Browser::new(issuer)?;
        browser
            .authorize(
                &url,
                Login {
                    user: "alice",
                    password: "alice-password",
                },
                Decision::Approve,
            )
            .await
    })
    .unwrap();
    deliver_redirect(&redirect).unwrap();
    let out = run.wait(T).unwrap();
    out.json().unwrap()
}

#[test]
fn encrypted_id_tokens_open_with_the_decryption_key_and_the_credential_verifies() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    for (name, kind, key_use) in [
        ("enc-ec", "ec-p256", "enc"),
        ("other-enc", "rsa-2048", "enc"),
        ("holder", "ec-p256", "sig"),
    ] {
        let out = gs(
            dir,
            &["key", "generate", name, "--type", kind, "--use", key_use],
        );
        assert_eq!(out.code(), 0, "{}", out.stderr);
    }
    let (_sandbox, issuer) = sandbox(dir, &["--id-token-encryption-key", "enc-ec"]);

    // Discovery says what the ID tokens are encrypted with.
    let meta: Value = serde_json::from_str(
        &block_on(async {
            reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
                .await?
                .text()
                .await
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        meta["id_token_encryption_alg_values_supported"],
        json!(["ECDH-ES"])
    );
    assert_eq!(
        meta["id_token_encryption_enc_values_supported"],
        json!(["A256GCM"])
    );

    // With the key: opened, the signed token inside verified against the JWKS.
    let doc = code_flow(dir, &issuer, &["--decryption-key", "enc-ec"]);
    assert_eq!(doc["ok"], true, "{doc:#}");
    let id = &doc["id_token"];
    assert_eq!(id["format"], "jwe", "{id:#}");
    assert_eq!(id["header"]["alg"], "ECDH-ES");
    assert_eq!(id["header"]["enc"], "A256GCM");
    assert_eq!(id["header"]["cty"], "JWT");
    assert_eq!(id["jwe"]["decrypted"], true);
    assert!(
        id["jwe"]["key"].as_str().unwrap().contains("enc-ec"),
        "{id:#}"
    );
    assert_eq!(id["nested"]["signature"]["status"], "verified", "{id:#}");
    assert_eq!(id["verdict"], "valid", "{id:#}");
    assert_eq!(id["claims"]["sub"], "sandbox-user-alice");
    assert_eq!(id["claims"]["aud"], "sandbox-native");

    // Another key cannot open it: refused, never valid, no claims.
    let wrong = code_flow(dir, &issuer, &["--decryption-key", "other-enc"]);
    let id = &wrong["id_token"];
    assert_eq!(id["jwe"]["decrypted"], false, "{id:#}");
    assert_ne!(id["verdict"], "valid");
    assert_eq!(id["claims"], Value::Null);

    // The credential, with the first flow's access token and the holder's public key.
    let access_token = doc["response"]["access_token"].as_str().unwrap().to_owned();
    let shown = gs(dir, &["key", "show", "holder", "--jwks"]);
    let holder: Value = serde_json::from_str::<Value>(&shown.stdout).unwrap()["keys"][0].clone();
    let post = |token: Option<&str>, body: Value| {
        block_on(async {
            let mut req = reqwest::Client::new()
                .post(format!("{issuer}/credential"))
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let text = resp.text().await?;
            Ok::<_, reqwest::Error>((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
        })
        .unwrap()
    };
    let (status, _) = post(None, json!({"holder_jwk": holder}));
    assert_eq!(status, 401, "no token, no credential");
    let (status, answer) = post(Some(&access_token), json!({"holder": holder}));
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = post(Some(&access_token), json!({"holder_jwk": holder}));
    assert_eq!(status, 200, "{answer}");
    let credential = answer["credential"].as_str().unwrap();
    assert!(credential.ends_with('~'));

    let out = gs(dir, &["inspect", credential, "--issuer", &issuer, "--json"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let ins = out.json().unwrap();
    assert_eq!(ins["format"], "sd-jwt");
    assert_eq!(ins["verdict"], "valid", "{ins:#}");
    assert_eq!(ins["header"]["typ"], "dc+sd-jwt");
    assert_eq!(ins["claims"]["vct"], grantscope_sandbox::CREDENTIAL_VCT);
    assert_eq!(ins["claims"]["email"], "alice@example.com");
    assert_eq!(ins["claims"]["address"]["locality"], "Localhost");
    assert_eq!(ins["claims"]["nationalities"], json!(["NZ", "DE"]));
    assert_eq!(ins["claims"]["cnf"]["jwk"], holder);
    let sd = &ins["sd_jwt"];
    assert_eq!(sd["disclosures"].as_array().unwrap().len(), 14);
    // Two decoys beside the claims of the payload and two beside the address's.
    assert_eq!(sd["undisclosed"], 4);
    // Nothing a VC keeps plain came from a Disclosure.
    for plain in ["iss", "exp", "nbf", "cnf", "vct"] {
        assert!(
            ins["sd_jwt"]["issuer_claims"].get(plain).is_some(),
            "{plain}"
        );
    }
    let status_of = |id: &str| {
        ins["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].clone())
            .unwrap_or(Value::Null)
    };
    for id in [
        "vc.typ",
        "vc.vct",
        "vc.not-disclosable",
        "sd.disclosure-unreferenced",
    ] {
        assert_eq!(status_of(id), "pass", "{id}: {ins:#}");
    }
    // The holder withholds the address (and so what is nested in it): still valid, the
    // verifier sees no address.
    let address = sd["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .position(|d| d["name"] == "address")
        .unwrap();
    let nested: Vec<usize> = sd["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/address/"))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(nested.len(), 3);
    let parts: Vec<&str> = credential.trim_end_matches('~').split('~').collect();
    let mut kept = vec![parts[0]];
    for (i, d) in parts[1..].iter().enumerate() {
        if i != address && !nested.contains(&i) {
            kept.push(d);
        }
    }
    let presentation = format!("{}~", kept.join("~"));
    let out = gs(
        dir,
        &["inspect", &presentation, "--issuer", &issuer, "--json"],
    );
    let ins = out.json().unwrap();
    assert_eq!(ins["verdict"], "valid", "{ins:#}");
    assert!(ins["claims"].get("address").is_none());
    assert_eq!(ins["sd_jwt"]["undisclosed"], 3);
}
