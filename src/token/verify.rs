//! Signature verification of a decoded JWS against loaded [`Keys`], with the algorithm policy:
//! `alg: none` is refused, an HS* token is refused when the issuer's keys are asymmetric
//! (algorithm confusion, RFC 8725 §2.1), a key whose `kty`/`crv`/`use`/`alg` does not fit the
//! token is flagged, and an HS* token without its secret is `unverifiable`, never `verified`.
//!
//! Only the raw signature is checked here (`jsonwebtoken::crypto::verify`, aws-lc-rs backend);
//! the claims are judged by [`crate::token::claims`].

use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::{Deserialize, Serialize};

use crate::token::claims::{Check, CheckStatus};
use crate::token::decode::Jws;
use crate::token::jwks::{Jwk, Jwks, KeyType, Keys, SharedSecret};

/// The verdict on a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureStatus {
    /// The signature matches a key that fits the token.
    Verified,
    /// The signature is wrong, refused by policy, or made by no key of the issuer.
    Invalid,
    /// It cannot be checked with what was given (e.g. an HS* token without the secret).
    Unverifiable,
    /// No key was given, so the signature was not checked.
    Skipped,
}

/// The `signature` object of an inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureReport {
    /// The verdict.
    pub status: SignatureStatus,
    /// The header's `alg`, as written.
    pub alg: Option<String>,
    /// The header's `kid`.
    pub kid: Option<String>,
    /// Why, in words.
    pub detail: String,
}

/// The outcome of verification: the report and the checks it produced (`alg`, `kid`, `key`,
/// `hs_key_length`, `signature`).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The `signature` object.
    pub report: SignatureReport,
    /// Checks about the algorithm and the key.
    pub checks: Vec<Check>,
}

/// Hash size in bytes of an HMAC algorithm, for the RFC 7518 §3.2 key length rule.
fn hmac_hash_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::HS256 => Some(32),
        Algorithm::HS384 => Some(48),
        Algorithm::HS512 => Some(64),
        _ => None,
    }
}

/// A short description of an algorithm, for the `alg` check.
fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HMAC with SHA-256 (shared secret)",
        Algorithm::HS384 => "HMAC with SHA-384 (shared secret)",
        Algorithm::HS512 => "HMAC with SHA-512 (shared secret)",
        Algorithm::RS256 => "RSASSA-PKCS1-v1_5 with SHA-256",
        Algorithm::RS384 => "RSASSA-PKCS1-v1_5 with SHA-384",
        Algorithm::RS512 => "RSASSA-PKCS1-v1_5 with SHA-512",
        Algorithm::PS256 => "RSASSA-PSS with SHA-256",
        Algorithm::PS384 => "RSASSA-PSS with SHA-384",
        Algorithm::PS512 => "RSASSA-PSS with SHA-512",
        Algorithm::ES256 => "ECDSA P-256 with SHA-256",
        Algorithm::ES384 => "ECDSA P-384 with SHA-384",
        Algorithm::EdDSA => "EdDSA (Ed25519)",
        _ => "a JWS algorithm",
    }
}

/// Why a key cannot verify a token with `alg`, if it cannot.
fn key_mismatch(key: &Jwk, alg: Algorithm) -> Option<String> {
    let needed = match alg.family() {
        AlgorithmFamily::Hmac => (KeyType::Oct, None),
        AlgorithmFamily::Rsa => (KeyType::Rsa, None),
        AlgorithmFamily::Ec => (
            KeyType::Ec,
            Some(if alg == Algorithm::ES256 {
                "P-256"
            } else {
                "P-384"
            }),
        ),
        AlgorithmFamily::Ed => (KeyType::Okp, Some("Ed25519")),
    };
    let fits = key.kty == needed.0 && needed.1.is_none_or(|crv| key.crv.as_deref() == Some(crv));
    if !fits {
        let wanted = match needed.1 {
            Some(crv) => format!("an {} {crv} key", needed.0.as_str()),
            None => format!("an {} key", needed.0.as_str()),
        };
        return Some(format!(
            "{alg:?} needs {wanted}, but the {} does not fit",
            key.describe()
        ));
    }
    if key.kty == KeyType::Rsa && key.bits < 2048 {
        return Some(format!(
            "the {} is shorter than 2048 bits and is refused",
            key.describe()
        ));
    }
    None
}

/// Problems with a key's declared purpose (`use`, `alg`, `key_ops`) for verifying `alg`.
fn key_purpose_problems(key: &Jwk, alg: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(key_use) = &key.key_use
        && key_use != "sig"
    {
        problems.push(format!(
            "the {} is published for \"use\": \"{key_use}\", not for signatures",
            key.describe()
        ));
    }
    if let Some(key_alg) = &key.alg
        && key_alg != alg
    {
        problems.push(format!(
            "the {} is declared for \"alg\": \"{key_alg}\" but the token says {alg}",
            key.describe()
        ));
    }
    if let Some(ops) = &key.key_ops
        && !ops.iter().any(|op| op == "verify")
    {
        problems.push(format!(
            "the {} does not allow \"verify\" in its key_ops",
            key.describe()
        ));
    }
    problems
}

fn crypto_verify(jws: &Jws, key: &DecodingKey, alg: Algorithm) -> bool {
    jsonwebtoken::crypto::verify(&jws.signature_b64(), jws.signing_input.as_bytes(), key, alg)
        .unwrap_or(false)
}

struct Builder {
    alg: Option<String>,
    kid: Option<String>,
    checks: Vec<Check>,
}

impl Builder {
    fn check(&mut self, id: &str, status: CheckStatus, message: impl Into<String>) {
        self.checks.push(Check::new(id, status, message));
    }

    fn finish(mut self, status: SignatureStatus, detail: impl Into<String>) -> Verification {
        let detail = detail.into();
        let check_status = match status {
            SignatureStatus::Verified => CheckStatus::Pass,
            SignatureStatus::Invalid => CheckStatus::Fail,
            SignatureStatus::Unverifiable => CheckStatus::Warn,
            SignatureStatus::Skipped => CheckStatus::Info,
        };
        self.check("signature", check_status, detail.clone());
        Verification {
            report: SignatureReport {
                status,
                alg: self.alg,
                kid: self.kid,
                detail,
            },
            checks: self.checks,
        }
    }
}

/// Verifies the signature of `jws` with `keys`.
pub fn verify(jws: &Jws, keys: &Keys) -> Verification {
    let mut b = Builder {
        alg: jws.header.get("alg").map(|v| match v.as_str() {
            Some(s) => s.to_owned(),
            None => v.to_string(),
        }),
        kid: jws.kid().map(str::to_owned),
        checks: Vec::new(),
    };
    let Some(alg_str) = jws.alg() else {
        b.check(
            "alg",
            CheckStatus::Fail,
            "the header has no \"alg\" string: the token cannot say how it is signed",
        );
        return b.finish(SignatureStatus::Invalid, "no algorithm in the header");
    };
    if alg_str.eq_ignore_ascii_case("none") {
        b.check(
            "alg",
            CheckStatus::Fail,
            "alg \"none\" means the token is not signed at all; anyone could have written it (refused)",
        );
        return b.finish(
            SignatureStatus::Invalid,
            "unsigned token (alg none) is refused",
        );
    }
    let Ok(alg) = alg_str.parse::<Algorithm>() else {
        b.check(
            "alg",
            CheckStatus::Warn,
            format!("alg \"{alg_str}\" is not one grantscope can verify (RS*, PS*, ES256/384, EdDSA, HS*)"),
        );
        return b.finish(
            SignatureStatus::Unverifiable,
            format!("algorithm \"{alg_str}\" is not supported"),
        );
    };
    if let Keys::Unavailable(reason) = keys {
        b.check(
            "alg",
            CheckStatus::Pass,
            format!("{alg_str}: {}", alg_name(alg)),
        );
        return b.finish(
            SignatureStatus::Unverifiable,
            format!("the keys could not be loaded: {reason}"),
        );
    }
    match alg.family() {
        AlgorithmFamily::Hmac => verify_hmac(b, jws, keys, alg, alg_str),
        _ => verify_asymmetric(b, jws, keys, alg, alg_str),
    }
}

fn verify_hmac(
    mut b: Builder,
    jws: &Jws,
    keys: &Keys,
    alg: Algorithm,
    alg_str: &str,
) -> Verification {
    let hash_len = hmac_hash_len(alg).unwrap_or(32);
    let length_check = |b: &mut Builder, len: usize| {
        if len < hash_len {
            b.check(
                "hs_key_length",
                CheckStatus::Warn,
                format!(
                    "the shared secret is {len} bytes; {alg_str} needs at least {hash_len} (RFC 7518 §3.2), short secrets can be guessed offline"
                ),
            );
        } else {
            b.check(
                "hs_key_length",
                CheckStatus::Pass,
                format!("the shared secret is {len} bytes (at least {hash_len})"),
            );
        }
    };
    match keys {
        Keys::None | Keys::Unavailable(_) => {
            b.check(
                "alg",
                CheckStatus::Pass,
                format!("{alg_str}: {}", alg_name(alg)),
            );
            b.finish(
                SignatureStatus::Unverifiable,
                format!("{alg_str} is signed with a shared secret; give the secret (--secret) to verify it"),
            )
        }
        Keys::Secret(secret) => {
            b.check(
                "alg",
                CheckStatus::Pass,
                format!("{alg_str}: {}", alg_name(alg)),
            );
            length_check(&mut b, secret.len());
            if verify_with_secret(jws, secret, alg) {
                b.finish(
                    SignatureStatus::Verified,
                    "signature matches the shared secret",
                )
            } else {
                b.finish(
                    SignatureStatus::Invalid,
                    "signature does not match the shared secret (wrong secret, or the token was altered)",
                )
            }
        }
        Keys::Jwks(jwks) => {
            let oct: Vec<&Jwk> = jwks
                .keys
                .iter()
                .filter(|k| k.kty == KeyType::Oct)
                .filter(|k| jws.kid().is_none_or(|kid| k.kid.as_deref() == Some(kid)))
                .collect();
            if oct.is_empty() {
                if jwks.has_asymmetric() {
                    b.check(
                        "alg",
                        CheckStatus::Fail,
                        format!(
                            "algorithm confusion: the token says {alg_str} (a shared secret) but the issuer's keys are public keys; anyone can sign {alg_str} with a public key as the secret (RFC 8725 §2.1). Refused"
                        ),
                    );
                    return b.finish(
                        SignatureStatus::Invalid,
                        format!("{alg_str} refused: the key set holds only asymmetric keys"),
                    );
                }
                b.check(
                    "alg",
                    CheckStatus::Pass,
                    format!("{alg_str}: {}", alg_name(alg)),
                );
                return b.finish(
                    SignatureStatus::Unverifiable,
                    format!("{alg_str} needs the shared secret, and the JWKS has no symmetric key for it"),
                );
            }
            b.check(
                "alg",
                CheckStatus::Pass,
                format!("{alg_str}: {}", alg_name(alg)),
            );
            for key in oct {
                if crypto_verify(jws, key.decoding_key(), alg) {
                    length_check(&mut b, key.bits / 8);
                    key_checks(&mut b, key, alg_str);
                    return b.finish(
                        SignatureStatus::Verified,
                        format!("signature matches the {}", key.describe()),
                    );
                }
            }
            b.finish(
                SignatureStatus::Invalid,
                "signature matches no symmetric key of the JWKS",
            )
        }
    }
}

fn verify_with_secret(jws: &Jws, secret: &SharedSecret, alg: Algorithm) -> bool {
    crypto_verify(jws, &DecodingKey::from_secret(secret.as_bytes()), alg)
}

fn key_checks(b: &mut Builder, key: &Jwk, alg_str: &str) {
    let problems = key_purpose_problems(key, alg_str);
    if problems.is_empty() {
        b.check(
            "key",
            CheckStatus::Pass,
            format!("the {} fits {alg_str}", key.describe()),
        );
    } else {
        b.check("key", CheckStatus::Fail, problems.join("; "));
    }
    if key.private {
        b.check(
            "key_private",
            CheckStatus::Warn,
            format!(
                "the {} is published with its private part (\"d\"): anyone can sign with it",
                key.describe()
            ),
        );
    }
}

fn origin_phrase(jwks: &Jwks) -> String {
    let mut s = match &jwks.origin {
        Some(origin) => format!("the JWKS from {origin}"),
        None => "the JWKS".to_owned(),
    };
    if jwks.refetched {
        s.push_str(" (fetched again in case the keys were rotated)");
    }
    s
}

fn verify_asymmetric(
    mut b: Builder,
    jws: &Jws,
    keys: &Keys,
    alg: Algorithm,
    alg_str: &str,
) -> Verification {
    b.check(
        "alg",
        CheckStatus::Pass,
        format!("{alg_str}: {}", alg_name(alg)),
    );
    let jwks = match keys {
        Keys::None | Keys::Unavailable(_) => {
            return b.finish(
                SignatureStatus::Skipped,
                "no key given: pass --issuer, --jwks-uri or a JWKS file to verify the signature",
            );
        }
        Keys::Secret(_) => {
            return b.finish(
                SignatureStatus::Unverifiable,
                format!("{alg_str} needs the issuer's public key (a JWKS), but a shared secret was given"),
            );
        }
        Keys::Jwks(jwks) => jwks,
    };
    let candidates: Vec<&Jwk> = match jws.kid() {
        Some(kid) => {
            let found: Vec<&Jwk> = jwks.by_kid(kid).collect();
            if found.is_empty() {
                if let Some(skipped) = jwks.skipped.iter().find(|s| s.kid.as_deref() == Some(kid)) {
                    b.check(
                        "kid",
                        CheckStatus::Warn,
                        format!(
                            "the key kid \"{kid}\" in {} cannot be used: {}",
                            origin_phrase(jwks),
                            skipped.reason
                        ),
                    );
                    return b.finish(
                        SignatureStatus::Unverifiable,
                        format!("the key kid \"{kid}\" is not usable: {}", skipped.reason),
                    );
                }
                b.check(
                    "kid",
                    CheckStatus::Fail,
                    format!(
                        "no key with kid \"{kid}\" in {}: the token was signed by a key the issuer does not publish (rotated out, or not the issuer's)",
                        origin_phrase(jwks)
                    ),
                );
                return b.finish(
                    SignatureStatus::Invalid,
                    format!("signed by an unknown key (kid \"{kid}\")"),
                );
            }
            b.check(
                "kid",
                CheckStatus::Pass,
                format!("key kid \"{kid}\" found in {}", origin_phrase(jwks)),
            );
            found
        }
        None => {
            let fitting: Vec<&Jwk> = jwks
                .keys
                .iter()
                .filter(|k| key_mismatch(k, alg).is_none())
                .collect();
            b.check(
                "kid",
                CheckStatus::Info,
                format!(
                    "the token names no key (no kid); trying the {} key(s) of {} that fit {alg_str}",
                    fitting.len(),
                    origin_phrase(jwks)
                ),
            );
            if fitting.is_empty() {
                return b.finish(
                    SignatureStatus::Invalid,
                    format!("no key in {} can verify {alg_str}", origin_phrase(jwks)),
                );
            }
            fitting
        }
    };
    let mut mismatches = Vec::new();
    let mut tried = 0usize;
    for key in &candidates {
        if let Some(why) = key_mismatch(key, alg) {
            mismatches.push(why);
            continue;
        }
        tried += 1;
        if crypto_verify(jws, key.decoding_key(), alg) {
            key_checks(&mut b, key, alg_str);
            return b.finish(
                SignatureStatus::Verified,
                format!("signature matches the {}", key.describe()),
            );
        }
    }
    if tried == 0 {
        b.check("key", CheckStatus::Fail, mismatches.join("; "));
        return b.finish(
            SignatureStatus::Invalid,
            format!("the key named by the token cannot verify {alg_str}"),
        );
    }
    let detail = if candidates.len() == 1 {
        format!(
            "signature does not match the {} (the token was altered or signed by another key)",
            candidates[0].describe()
        )
    } else {
        format!(
            "signature matches none of the {tried} keys tried (the token was altered or signed by another key)"
        )
    };
    b.finish(SignatureStatus::Invalid, detail)
}
