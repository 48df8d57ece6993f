//! `grantscope key ...`: generate, import, list, show and delete the named signing keys and
//! certificates used for `private_key_jwt`, mutual TLS and JWT-bearer assertions, and the
//! encryption keys (`generate --use enc`) providers encrypt ID tokens, userinfo, JARM and
//! introspection responses to. The public JWKS and the certificate are printed ready to paste
//! into a client registration; the private key only with `show NAME --reveal-private`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use grantscope_core::keys::{
    GenerateType, KeyError, KeyStore, KeyUse, PrivateKey, StoredKey, self_signed,
    self_signed_server,
};

/// `key generate --type`: a type the core generates for signing (and RSA/EC encryption), or
/// X25519, which only receives encrypted tokens (ECDH-ES).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// RSA, EC or Ed25519.
    Generate(GenerateType),
    /// X25519 (RFC 8037 OKP), for ECDH-ES.
    X25519,
}

impl std::str::FromStr for KeyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("x25519") {
            return Ok(KeyType::X25519);
        }
        s.parse::<GenerateType>()
            .map(KeyType::Generate)
            .map_err(|e| format!("{e} (or x25519 for an encryption key)"))
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum KeyCommand {
    /// Generate a key (and, with --cert, a self-signed certificate) and store it under NAME.
    Generate {
        /// The name to store the key under.
        name: String,
        /// rsa-2048, rsa-3072, ec-p256, ec-p384, ec-p521, ed25519 (signing only) or x25519
        /// (encryption only).
        #[arg(long = "type", value_name = "TYPE")]
        key_type: KeyType,
        /// sig (default): a signing key; enc: a key to receive encrypted tokens (JWE), whose
        /// public JWK says `use: enc` and `alg` RSA-OAEP-256 (RSA) or ECDH-ES (EC). Use it
        /// with --decryption-key NAME.
        #[arg(long = "use", value_name = "sig|enc", default_value = "sig")]
        key_use: KeyUse,
        /// Also make a self-signed certificate (for mutual TLS or a provider that registers one).
        #[arg(long)]
        cert: bool,
        /// The certificate's common name (default: NAME).
        #[arg(long, value_name = "COMMON_NAME", requires = "cert")]
        subject: Option<String>,
        /// The certificate also serves TLS for this host (an IP address or DNS name, e.g.
        /// 127.0.0.1; repeatable): the CIBA ping listener's `--notification-cert`.
        #[arg(long, value_name = "HOST", requires = "cert")]
        san: Vec<String>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List the stored keys.
    List {
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show a key: its type, kid (RFC 7638 thumbprint), algorithms and public JWK.
    Show {
        /// The stored key's name.
        name: String,
        /// Print only the public JWKS, ready to paste into a client registration.
        #[arg(long, conflicts_with_all = ["cert", "reveal_private"])]
        jwks: bool,
        /// Print only the certificate chain (PEM).
        #[arg(long, conflicts_with = "reveal_private")]
        cert: bool,
        /// Print the PRIVATE key (PKCS#8 PEM). Only when you mean to move it elsewhere.
        #[arg(long)]
        reveal_private: bool,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Import a private key from a PEM file (PKCS#8, PKCS#1 or SEC1, optionally followed by its
    /// certificates) or a JWK / JWKS file that holds the private part.
    Import {
        /// The name to store the key under.
        name: String,
        /// The key file (PEM, JWK or JWKS).
        file: PathBuf,
        /// sig (default) or enc: a key a provider encrypts to (see `generate --use`); an
        /// X25519 key is always enc.
        #[arg(long = "use", value_name = "sig|enc", default_value = "sig")]
        key_use: KeyUse,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Delete a stored key and its certificate.
    Delete {
        /// The stored key's name.
        name: String,
    },
}

fn fail(e: &KeyError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(match e {
        KeyError::Io { .. } | KeyError::Store(_) | KeyError::Crypto(_) => 1,
        _ => 2,
    })
}

/// One key as JSON (public data only).
pub fn summary_json(stored: &StoredKey) -> Value {
    let key = &stored.key;
    json!({
        "name": stored.name,
        "type": key.kind().to_string(),
        "use": stored.key_use.as_str(),
        "kid": key.kid(),
        "thumbprint": key.thumbprint(),
        "alg": stored.encryption_alg().unwrap_or(key.default_alg().as_str()),
        "algorithms": key.algorithms().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "certificate": stored.certs.first().map(|c| json!({
            "subject_cn": c.subject_common_name(),
            "self_signed": c.is_self_issued(),
            "x5t#S256": c.x5t_s256(),
            "chain_length": stored.certs.len(),
        })),
        "jwks": stored.public_jwks(),
    })
}

fn print_summary(stored: &StoredKey, store: &KeyStore) {
    let key = &stored.key;
    let mut out = crate::out::Stdout;
    let _ = writeln!(out, "name:       {}", stored.name);
    let _ = writeln!(out, "type:       {}", key.kind());
    if key.kid() == key.thumbprint() {
        let _ = writeln!(out, "kid:        {} (RFC 7638 thumbprint)", key.kid());
    } else {
        let _ = writeln!(out, "kid:        {} (its JWK file's)", key.kid());
        let _ = writeln!(out, "thumbprint: {} (RFC 7638)", key.thumbprint());
    }
    match stored.encryption_alg() {
        Some(alg) => {
            let _ = writeln!(
                out,
                "use:        enc (receives encrypted tokens: {alg}; --decryption-key {})",
                stored.name
            );
        }
        None => {
            let algs: Vec<&str> = key.algorithms().iter().map(|a| a.as_str()).collect();
            let _ = writeln!(
                out,
                "algorithms: {} (default {})",
                algs.join(", "),
                key.default_alg()
            );
        }
    }
    match stored.certs.first() {
        Some(cert) => {
            let cn = cert.subject_common_name().unwrap_or_default();
            let kind = if cert.is_self_issued() {
                "self-signed"
            } else {
                "issued"
            };
            let _ = writeln!(
                out,
                "certificate: CN={} ({kind})",
                grantscope_core::http::excerpt(&cn, 80)
            );
            let _ = writeln!(out, "x5t#S256:   {}", cert.x5t_s256());
        }
        None => {
            let _ = writeln!(out, "certificate: none");
        }
    }
    let _ = writeln!(out, "stored in:  {}", store.dir().display());
    let _ = writeln!(out, "public JWKS (paste into the client registration):");
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&stored.public_jwks()).unwrap_or_default()
    );
}

/// Writes to stdout; a closed pipe (`| head`) ends the command quietly ([`crate::out`]).
fn out(text: &str) {
    let _ = crate::out::Stdout.write_all(text.as_bytes());
}

fn print_json(value: &Value) {
    out(&format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    ));
}

pub fn run(cmd: KeyCommand) -> ExitCode {
    let store = match KeyStore::open_default() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    match run_in(&store, cmd) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn run_in(store: &KeyStore, cmd: KeyCommand) -> Result<ExitCode, KeyError> {
    match cmd {
        KeyCommand::Generate {
            name,
            key_type,
            key_use,
            cert,
            subject,
            san,
            json,
        } => {
            grantscope_core::keys::validate_name(&name)?;
            if store.contains(&name) {
                return Err(KeyError::Exists(name));
            }
            let (key, key_use) = match key_type {
                KeyType::Generate(t) => (PrivateKey::generate(t)?, key_use),
                // X25519 receives only: --use enc is implied, and it signs no certificate.
                KeyType::X25519 if cert => {
                    return Err(KeyError::Invalid(
                        "an X25519 key cannot sign a certificate; leave out --cert".into(),
                    ));
                }
                KeyType::X25519 => (PrivateKey::generate_x25519()?, KeyUse::Enc),
            };
            let cn = subject.as_deref().unwrap_or(&name);
            let hosts: Vec<&str> = san
                .iter()
                .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
                .collect();
            let certs = match (cert, hosts.is_empty()) {
                (false, _) => Vec::new(),
                (true, true) => vec![self_signed(&key, cn)?],
                (true, false) => vec![self_signed_server(&key, cn, &hosts)?],
            };
            store.save_for(&name, &key, &certs, key_use)?;
            let stored = store.load(&name)?;
            if json {
                print_json(&summary_json(&stored));
            } else {
                print_summary(&stored, store);
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::List { json } => {
            let mut rows = Vec::new();
            for name in store.list()? {
                match store.load(&name) {
                    Ok(stored) => rows.push(Ok(stored)),
                    Err(e) => rows.push(Err((name, e))),
                }
            }
            if json {
                let doc: Vec<Value> = rows
                    .iter()
                    .map(|row| match row {
                        Ok(stored) => summary_json(stored),
                        Err((name, e)) => json!({ "name": name, "error": e.to_string() }),
                    })
                    .collect();
                print_json(&json!(doc));
            } else if rows.is_empty() {
                out(&format!(
                    "no keys in {} (grantscope key generate NAME --type ec-p256)\n",
                    store.dir().display()
                ));
            } else {
                for row in &rows {
                    match row {
                        Ok(s) => out(&format!(
                            "{:<24} {:<10} {} kid {}{}\n",
                            s.name,
                            s.key.kind().to_string(),
                            s.key_use.as_str(),
                            s.key.kid(),
                            if s.certs.is_empty() {
                                ""
                            } else {
                                "  +certificate"
                            }
                        )),
                        Err((name, e)) => out(&format!("{name:<24} unreadable: {e}\n")),
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Show {
            name,
            jwks,
            cert,
            reveal_private,
            json,
        } => {
            let stored = store.load(&name)?;
            if jwks {
                print_json(&stored.public_jwks());
            } else if cert {
                if stored.certs.is_empty() {
                    eprintln!(
                        "error: key {name:?} has no certificate (generate one with --cert, or import a PEM that holds it)"
                    );
                    return Ok(ExitCode::from(2));
                }
                out(&stored.certs_pem());
            } else if reveal_private {
                eprintln!(
                    "warning: printing the PRIVATE key of {name:?}; anyone who sees it can act as this client"
                );
                out(&stored.key.reveal_pkcs8_pem());
            } else if json {
                print_json(&summary_json(&stored));
            } else {
                print_summary(&stored, store);
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Import {
            name,
            file,
            key_use,
            json,
        } => {
            let stored = store.import_for(&name, &file, key_use)?;
            if json {
                print_json(&summary_json(&stored));
            } else {
                print_summary(&stored, store);
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Delete { name } => {
            store.delete(&name)?;
            out(&format!("deleted key {name}\n"));
            Ok(ExitCode::SUCCESS)
        }
    }
}
