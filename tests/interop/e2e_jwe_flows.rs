//! Encryption in flows, end to end against panva's oidc-provider (its `encryption`,
//! `jwtUserinfo` and `jwtIntrospection` features): the test makes two encryption keys with
//! `grantscope key generate --use enc` (RSA and EC P-256), registers a client whose `jwks` holds
//! their public JWKs and which asks for encrypted ID tokens (RSA-OAEP-256 / A256GCM), signed and
//! encrypted userinfo, and signed and encrypted (ECDH-ES) JWT introspection responses; then
//! drives `token authorization-code --decryption-key`, `userinfo` and `introspect --jwt` through
//! the real binary, the test acting as the browser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::cli::Grantscope;
use common::{Provider, TEST_USER, deliver_redirect};
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(60);
const CLIENT: &str = "enc-client";
const SECRET: &str = "enc-client-secret";
const X_CLIENT: &str = "enc-x-client";

fn gs(dir: &Path, args: &[&str]) -> common::cli::Output {
    Grantscope::new(args).config_dir(dir).run(T).unwrap()
}

/// The generated key's public JWK, as `key show --jwks` prints it for registration.
fn enc_jwk(dir: &Path, name: &str, kind: &str) -> Value {
    let out = gs(
        dir,
        &[
            "key", "generate", name, "--type", kind, "--use", "enc", "--json",
        ],
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let shown = gs(dir, &["key", "show", name, "--jwks"]);
    assert_eq!(shown.code(), 0, "{}", shown.stderr);
    let jwks: Value = serde_json::from_str(&shown.stdout).unwrap();
    jwks["keys"][0].clone()
}

struct Setup {
    provider: Provider,
    config: tempfile::TempDir,
}

fn setup() -> Setup {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    let rsa = enc_jwk(dir, "enc-rsa", "rsa-2048");
    let ec = enc_jwk(dir, "enc-ec", "ec-p256");
    let x = enc_jwk(dir, "enc-x", "x25519");
    assert_eq!(
        (&x["kty"], &x["crv"], &x["use"], &x["alg"]),
        (
            &json!("OKP"),
            &json!("X25519"),
            &json!("enc"),
            &json!("ECDH-ES")
        )
    );
    assert_eq!(
        (&rsa["use"], &rsa["alg"], &ec["use"], &ec["alg"]),
        (
            &json!("enc"),
            &json!("RSA-OAEP-256"),
            &json!("enc"),
            &json!("ECDH-ES")
        )
    );
    let client = json!({
        "client_id": CLIENT,
        "client_secret": SECRET,
        "application_type": "native",
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "redirect_uris": ["http://127.0.0.1/callback"],
        "jwks": { "keys": [rsa, ec] },
        "id_token_encrypted_response_alg": "RSA-OAEP-256",
        "id_token_encrypted_response_enc": "A256GCM",
        "userinfo_signed_response_alg": "RS256",
        "userinfo_encrypted_response_alg": "RSA-OAEP-256",
        "userinfo_encrypted_response_enc": "A256GCM",
        "introspection_signed_response_alg": "ES256",
        "introspection_encrypted_response_alg": "ECDH-ES",
        "introspection_encrypted_response_enc": "A128CBC-HS256",
        "authorization_signed_response_alg": "RS256",
        "authorization_encrypted_response_alg": "ECDH-ES",
        "authorization_encrypted_response_enc": "A256GCM",
    });
    // ID tokens encrypted ECDH-ES (direct agreement) on X25519 (RFC 8037) to a key of its own.
    let x_client = json!({
        "client_id": X_CLIENT,
        "client_secret": SECRET,
        "application_type": "native",
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "redirect_uris": ["http://127.0.0.1/callback"],
        "jwks": { "keys": [x] },
        "id_token_encrypted_response_alg": "ECDH-ES",
        "id_token_encrypted_response_enc": "A128GCM",
    });
    let extra = json!([client, x_client]).to_string();
    let provider = Provider::start_with(&[("EXTRA_CLIENTS", extra.as_str())]);
    Setup { provider, config }
}

impl Setup {
    fn connection(&self, decrypt: bool) -> Vec<String> {
        self.connection_of(CLIENT, decrypt)
    }

    fn connection_of(&self, client: &str, decrypt: bool) -> Vec<String> {
        let mut a: Vec<String> = [
            "--issuer",
            self.provider.issuer(),
            "--client-id",
            client,
            "--client-secret",
            SECRET,
        ]
        .map(String::from)
        .to_vec();
        if decrypt {
            let keys: &[&str] = if client == X_CLIENT {
                &["enc-x"]
            } else {
                &["enc-rsa", "enc-ec"]
            };
            for k in keys {
                a.push("--decryption-key".into());
                a.push((*k).into());
            }
        }
        a
    }

    /// Authorization code through the binary, the test acting as the browser.
    fn authorization_code(&self, decrypt: bool) -> Value {
        self.authorization_code_with(decrypt, &[])
    }

    fn authorization_code_with(&self, decrypt: bool, extra: &[&str]) -> Value {
        self.authorization_code_as(CLIENT, decrypt, extra)
    }

    fn authorization_code_as(&self, client: &str, decrypt: bool, extra: &[&str]) -> Value {
        let mut argv: Vec<String> = ["token", "authorization-code"].map(String::from).to_vec();
        argv.extend(self.connection_of(client, decrypt));
        argv.extend(["--scope", "openid profile", "--no-browser", "--json"].map(String::from));
        argv.extend(extra.iter().map(|s| s.to_string()));
        let mut run = Grantscope::new(argv)
            .config_dir(self.config.path())
            .spawn()
            .unwrap();
        let url = run.wait_for_stderr("authorize: ", T).unwrap();
        let redirect = common::complete_login_as(self.provider.issuer(), &url, TEST_USER).unwrap();
        // The listener's page (200, or 400 for a refused answer) is the run's business.
        deliver_redirect(&redirect).unwrap();
        let out = run.wait(T).unwrap();
        out.json()
            .unwrap_or_else(|e| panic!("{e}\nstdout: {}\nstderr: {}", out.stdout, out.stderr))
    }

    fn run(&self, head: &[&str], decrypt: bool, tail: &[&str]) -> common::cli::Output {
        let mut argv: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        argv.extend(self.connection(decrypt));
        argv.extend(tail.iter().map(|s| s.to_string()));
        Grantscope::new(argv)
            .config_dir(self.config.path())
            .run(T)
            .unwrap()
    }
}

fn check<'a>(inspection: &'a Value, id: &str) -> Option<&'a str> {
    inspection["checks"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
}

/// The whole path in one provider start (each start costs seconds): the encrypted ID token
/// is opened with the key `key generate --use enc` made and verified as any ID token; without
/// the key it is reported unverifiable; the encrypted userinfo JWT and the encrypted RFC 9701
/// introspection response are opened and verified, and a wrong key is named.
#[test]
fn encrypted_id_token_userinfo_and_introspection_at_the_provider() {
    let s = setup();

    let doc = s.authorization_code(true);
    assert_eq!(doc["ok"], true, "{doc:#}");
    let id = &doc["id_token"];
    assert_eq!(id["format"], "jwe", "{id:#}");
    assert_eq!(id["header"]["alg"], "RSA-OAEP-256");
    assert_eq!(id["header"]["enc"], "A256GCM");
    assert_eq!(id["jwe"]["decrypted"], true, "{id:#}");
    assert_eq!(id["jwe"]["key"], "enc-rsa");
    assert_eq!(
        id["jwe"]["plaintext"],
        Value::Null,
        "a JWT inside is not plaintext"
    );
    assert_eq!(id["nested"]["format"], "jwt");
    assert_eq!(id["nested"]["signature"]["status"], "verified", "{id:#}");
    assert_eq!(id["valid"], true, "{id:#}");
    assert_eq!(id["verdict"], "valid");
    assert_eq!(check(id, "jwe.decrypt"), Some("pass"));
    assert_eq!(check(id, "nonce"), Some("pass"), "{id:#}");
    assert_eq!(check(id, "aud"), Some("pass"), "{id:#}");
    assert_eq!(id["claims"]["sub"], TEST_USER);
    let access = doc["response"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Userinfo: signed (RS256) and encrypted to the RSA key; verified against the JWKS.
    let out = s.run(&["userinfo", &access], true, &["--json"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let u = out.json().unwrap();
    assert_eq!(u["ok"], true, "{u:#}");
    assert_eq!(u["jwt"]["format"], "jwe", "{u:#}");
    assert_eq!(u["jwt"]["jwe"]["key"], "enc-rsa");
    assert_eq!(
        u["jwt"]["nested"]["signature"]["status"], "verified",
        "{u:#}"
    );
    assert_eq!(u["jwt"]["valid"], true, "{u:#}");
    assert_eq!(u["response"]["sub"], TEST_USER, "{u:#}");
    assert_eq!(check(&u["jwt"], "iss"), Some("pass"), "{u:#}");

    // Without the key the userinfo JWT cannot be believed: exit 1, no response.
    let out = s.run(&["userinfo", &access], false, &["--json"]);
    assert_eq!(out.code(), 1, "{}", out.stdout);
    let u = out.json().unwrap();
    assert_eq!(u["ok"], false);
    assert_eq!(u["response"], Value::Null);
    assert_eq!(u["jwt"]["jwe"]["decrypted"], false);
    assert_eq!(u["error"]["kind"], "response", "{u:#}");
    assert!(
        u["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--decryption-key")
    );

    // RFC 9701: asked for with Accept, signed ES256 and encrypted ECDH-ES to the EC key.
    let out = s.run(&["introspect", &access], true, &["--jwt", "--json"]);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let i = out.json().unwrap();
    assert_eq!(i["ok"], true, "{i:#}");
    assert_eq!(i["active"], true);
    assert_eq!(i["jwt"]["header"]["alg"], "ECDH-ES", "{i:#}");
    assert_eq!(i["jwt"]["jwe"]["key"], "enc-ec");
    assert_eq!(
        i["jwt"]["nested"]["header"]["typ"],
        "token-introspection+jwt"
    );
    assert_eq!(check(&i["jwt"], "introspection.typ"), Some("pass"), "{i:#}");
    assert_eq!(
        check(&i["jwt"], "introspection.token_introspection"),
        Some("pass")
    );
    assert_eq!(i["response"]["client_id"], CLIENT, "{i:#}");
    let accept = i["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["step"] == "introspection")
        .map(|e| e["request"]["headers"]["Accept"].clone())
        .unwrap();
    assert_eq!(accept, "application/token-introspection+jwt");

    // A key of the wrong kind (the RSA key only) does not open the ECDH-ES response: named.
    let mut argv: Vec<&str> = vec!["introspect", &access];
    let conn = s.connection(false);
    argv.extend(conn.iter().map(String::as_str));
    argv.extend(["--decryption-key", "enc-rsa", "--jwt", "--json"]);
    let out = gs(s.config.path(), &argv);
    assert_eq!(out.code(), 1, "{}", out.stdout);
    let i = out.json().unwrap();
    assert_eq!(i["ok"], false);
    assert_eq!(i["response"], Value::Null);
    let detail = i["jwt"]["jwe"]["detail"].as_str().unwrap();
    assert!(detail.contains("enc-rsa"), "{detail}");

    // JARM (query.jwt), signed and encrypted ECDH-ES to the EC key: opened, verified, used.
    let doc = s.authorization_code_with(true, &["--response-mode", "query.jwt"]);
    assert_eq!(doc["ok"], true, "{doc:#}");
    assert_eq!(doc["id_token"]["valid"], true, "{doc:#}");
    // Without the key no parameter of it is used, and the error says why.
    let doc = s.authorization_code_with(false, &["--response-mode", "query.jwt"]);
    assert_eq!(doc["ok"], false, "{doc:#}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("encrypted") && message.contains("--decryption-key"),
        "{message}"
    );

    // X25519 (ECDH-ES), a key `key generate --type x25519` made.
    let doc = s.authorization_code_as(X_CLIENT, true, &[]);
    let id = &doc["id_token"];
    assert_eq!(id["header"]["alg"], "ECDH-ES", "{id:#}");
    assert_eq!(id["header"]["epk"]["crv"], "X25519", "{id:#}");
    assert_eq!(id["jwe"]["key"], "enc-x", "{id:#}");
    assert_eq!(id["valid"], true, "{id:#}");

    // And the ID token without the key: reported, never passed off as valid.
    let doc = s.authorization_code(false);
    let id = &doc["id_token"];
    assert_eq!(id["format"], "jwe", "{id:#}");
    assert_eq!(id["jwe"]["decrypted"], false);
    assert_eq!(id["valid"], false);
    assert_eq!(id["verdict"], "unverifiable", "{id:#}");
}

/// A profile keeps the decryption keys (`profile save --decryption-key`), and a run from it
/// opens the encrypted ID token; the human report shows the envelope and the verdict.
#[test]
fn a_profile_remembers_the_decryption_keys() {
    let s = setup();
    let mut argv: Vec<String> = ["profile", "save", "enc"].map(String::from).to_vec();
    argv.extend(s.connection(true));
    let out = Grantscope::new(argv)
        .config_dir(s.config.path())
        .run(T)
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let shown = gs(s.config.path(), &["profile", "show", "enc", "--json"]);
    let p = shown.json().unwrap();
    assert_eq!(p["decryption_keys"], json!(["enc-rsa", "enc-ec"]), "{p:#}");

    // In the human report this time: the ID token's line shows the envelope, then the verdict.
    let mut run = Grantscope::new([
        "token",
        "authorization-code",
        "--profile",
        "enc",
        "--scope",
        "openid",
        "--no-browser",
    ])
    .config_dir(s.config.path())
    .spawn()
    .unwrap();
    let url = run.wait_for_stderr("authorize: ", T).unwrap();
    let redirect = common::complete_login_as(s.provider.issuer(), &url, TEST_USER).unwrap();
    assert_eq!(deliver_redirect(&redirect).unwrap().0, 200);
    let out = run.wait(T).unwrap();
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let line = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("id_token: "))
        .nth(1)
        .unwrap_or_default();
    assert!(
        line.contains("jwe (JWE RSA-OAEP-256 / A256GCM: decrypted with key enc-rsa")
            && line.contains("inside: jwt")
            && line.ends_with("signature verified, valid)"),
        "{}",
        out.stdout
    );
}
