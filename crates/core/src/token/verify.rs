//! Signature verification of a decoded JWS against loaded [`Keys`], with the algorithm policy:
//! `alg: none` is refused, an HS* token is refused when the issuer's keys are asymmetric
//! (algorithm confusion, RFC 8725 §2.1), a key whose `kty`/`crv`/`use`/`alg` does not fit the
//! token is flagged, RSA keys under 2048 bits are refused by size, an HS* token without its
//! secret is `unverifiable`, never `verified`, and an HS* token checked against an `oct` key
//! from a JWKS fetched over the network is verified but warned about loudly (a published
//! secret lets anyone sign). A `kid` that is not a string fails the header (RFC 7515 §4.1.4).
//! A signature of the wrong length is refused with both byte counts (the common mistake: a
//! DER-encoded ECDSA signature instead of JWS's fixed-size `r || s`).
//!
//! Only the raw signature is checked here: `jsonwebtoken::crypto::verify` (aws-lc-rs backend)
//! for RS*, PS*, ES256, ES384, EdDSA and HS*, and aws-lc-rs directly for ES512 (P-521), which
//! `jsonwebtoken` lacks. ES256K and Ed448 are named as not supported. The claims are judged by
//! [`crate::token::claims`].

use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED, UnparsedPublicKey};
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

impl SignatureReport {
    /// The detail for display, [inert](crate::text::inert): it may quote the token's `kid`.
    pub fn shown_detail(&self) -> std::borrow::Cow<'_, str> {
        crate::text::inert(&self.detail)
    }
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

/// A JWS algorithm grantscope verifies: one `jsonwebtoken` knows, or ES512.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Jwt(Algorithm),
    /// ECDSA P-521 with SHA-512 (RFC 7518 §3.4), verified with aws-lc-rs.
    Es512,
}

impl Alg {
    fn parse(s: &str) -> Option<Alg> {
        if s == "ES512" {
            return Some(Alg::Es512);
        }
        s.parse::<Algorithm>().ok().map(Alg::Jwt)
    }

    fn family(self) -> AlgorithmFamily {
        match self {
            Alg::Jwt(a) => a.family(),
            Alg::Es512 => AlgorithmFamily::Ec,
        }
    }

    /// The curve an EC or OKP key must be on.
    fn curve(self) -> Option<&'static str> {
        match self {
            Alg::Jwt(Algorithm::ES256) => Some("P-256"),
            Alg::Jwt(Algorithm::ES384) => Some("P-384"),
            Alg::Es512 => Some("P-521"),
            Alg::Jwt(Algorithm::EdDSA) => Some("Ed25519"),
            Alg::Jwt(_) => None,
        }
    }

    /// The length every signature of this algorithm has, whatever the key, and how it is made
    /// up (RSA's length depends on the modulus and is checked per key).
    fn fixed_signature_len(self) -> Option<(usize, &'static str)> {
        Some(match self {
            Alg::Jwt(Algorithm::HS256) => (32, "an HMAC-SHA-256"),
            Alg::Jwt(Algorithm::HS384) => (48, "an HMAC-SHA-384"),
            Alg::Jwt(Algorithm::HS512) => (64, "an HMAC-SHA-512"),
            Alg::Jwt(Algorithm::ES256) => (64, "r || s, 32 bytes each, RFC 7518 §3.4"),
            Alg::Jwt(Algorithm::ES384) => (96, "r || s, 48 bytes each, RFC 7518 §3.4"),
            Alg::Es512 => (132, "r || s, 66 bytes each, RFC 7518 §3.4"),
            Alg::Jwt(Algorithm::EdDSA) => (64, "Ed25519, RFC 8037 §3.1"),
            Alg::Jwt(_) => return None,
        })
    }
}

/// Why a token's `alg` is not verified, when it is a JOSE algorithm grantscope knows of.
fn unsupported_reason(alg: &str) -> Option<&'static str> {
    Some(match alg {
        "ES256K" => "ES256K (ECDSA on secp256k1, RFC 8812) is not supported",
        "Ed448" => "Ed448 is not supported (EdDSA with Ed25519 keys is)",
        "Ed25519" => {
            "the fully-specified name Ed25519 is not supported (EdDSA with an Ed25519 key is)"
        }
        _ => return None,
    })
}

/// Hash size in bytes of an HMAC algorithm, for the RFC 7518 §3.2 key length rule.
fn hmac_hash_len(alg: Alg) -> Option<usize> {
    match alg {
        Alg::Jwt(Algorithm::HS256) => Some(32),
        Alg::Jwt(Algorithm::HS384) => Some(48),
        Alg::Jwt(Algorithm::HS512) => Some(64),
        _ => None,
    }
}

/// A short description of an algorithm, for the `alg` check.
fn alg_name(alg: Alg) -> &'static str {
    let Alg::Jwt(alg) = alg else {
        return "ECDSA P-521 with SHA-512";
    };
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

/// Why a key cannot verify a token with `alg`, if it cannot (type, curve, RSA size).
fn key_mismatch(key: &Jwk, alg: Alg, alg_str: &str) -> Option<String> {
    let kty = match alg.family() {
        AlgorithmFamily::Hmac => KeyType::Oct,
        AlgorithmFamily::Rsa => KeyType::Rsa,
        AlgorithmFamily::Ec => KeyType::Ec,
        AlgorithmFamily::Ed => KeyType::Okp,
    };
    let crv = alg.curve();
    let fits = key.kty == kty && crv.is_none_or(|crv| key.crv.as_deref() == Some(crv));
    if !fits {
        let wanted = match crv {
            Some(crv) => format!("an {} {crv} key", kty.as_str()),
            None => format!("an {} key", kty.as_str()),
        };
        return Some(format!(
            "{alg_str} needs {wanted}, but the {} does not fit",
            key.describe()
        ));
    }
    if key.kty == KeyType::Rsa && key.bits < 2048 {
        return Some(format!(
            "the {} is refused for its size: RSA keys must be at least 2048 bits (RFC 7518 §3.3)",
            key.describe()
        ));
    }
    None
}

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

/// Checks the signature of `jws` with one key.
fn crypto_verify(jws: &Jws, key: &Jwk, alg: Alg) -> bool {
    match alg {
        Alg::Jwt(alg) => jwt_verify(jws, key.decoding_key(), alg),
        Alg::Es512 => key.ec_point().is_some_and(|point| {
            UnparsedPublicKey::new(&ECDSA_P521_SHA512_FIXED, point)
                .verify(jws.signing_input.as_bytes(), &jws.signature)
                .is_ok()
        }),
    }
}

fn jwt_verify(jws: &Jws, key: &DecodingKey, alg: Algorithm) -> bool {
    jsonwebtoken::crypto::verify(&jws.signature_b64(), jws.signing_input.as_bytes(), key, alg)
        .unwrap_or(false)
}

/// Why the signature cannot be right for `alg` whatever the key, from its length alone.
fn wrong_length(jws: &Jws, alg: Alg, alg_str: &str) -> Option<String> {
    let (expected, shape) = alg.fixed_signature_len()?;
    let found = jws.signature.len();
    if found == expected {
        return None;
    }
    let mut msg = format!(
        "the signature is {found} bytes, but {alg_str} signatures are {expected} bytes ({shape})"
    );
    if alg.family() == AlgorithmFamily::Ec && jws.signature.first() == Some(&0x30) {
        msg.push_str(
            "; this one starts with 0x30, so it looks DER-encoded (ASN.1 SEQUENCE), which JWS does not use",
        );
    }
    Some(msg)
}

/// Why an RSA signature cannot be from `key`, from its length: it is as long as the modulus.
fn wrong_rsa_length(jws: &Jws, key: &Jwk) -> Option<String> {
    let modulus = key.bits.div_ceil(8);
    let found = jws.signature.len();
    (key.kty == KeyType::Rsa && found != modulus).then(|| {
        format!(
            "the signature is {found} bytes, but the {} makes {modulus}-byte signatures",
            key.describe()
        )
    })
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

    fn alg_ok(&mut self, alg: Alg, alg_str: &str) {
        self.check(
            "alg",
            CheckStatus::Pass,
            format!("{alg_str}: {}", alg_name(alg)),
        );
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
    if let Some(kid) = jws.header.get("kid").filter(|v| !v.is_string()) {
        b.check(
            "kid",
            CheckStatus::Fail,
            format!(
                "kid is {}, not a string (RFC 7515 §4.1.4): the header is malformed, and a verifier that ignores it could pick any key (refused)",
                crate::token::decode::json_type(kid)
            ),
        );
        return b.finish(
            SignatureStatus::Invalid,
            "malformed header: kid is not a string",
        );
    }
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
    let Some(alg) = Alg::parse(alg_str) else {
        let reason = unsupported_reason(alg_str).map_or_else(
            || format!("alg \"{alg_str}\" is not supported"),
            str::to_owned,
        );
        b.check(
            "alg",
            CheckStatus::Warn,
            format!(
                "{reason}: grantscope verifies RS256/384/512, PS256/384/512, ES256/384/512, EdDSA (Ed25519) and HS256/384/512"
            ),
        );
        return b.finish(
            SignatureStatus::Unverifiable,
            format!("{reason}, so the signature cannot be checked"),
        );
    };
    if let Keys::Unavailable(reason) = keys {
        b.alg_ok(alg, alg_str);
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

fn verify_hmac(mut b: Builder, jws: &Jws, keys: &Keys, alg: Alg, alg_str: &str) -> Verification {
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
            b.alg_ok(alg, alg_str);
            b.finish(
                SignatureStatus::Unverifiable,
                format!("{alg_str} is signed with a shared secret; give that secret to verify it"),
            )
        }
        Keys::Secret(secret) => {
            b.alg_ok(alg, alg_str);
            length_check(&mut b, secret.len());
            if let Some(why) = wrong_length(jws, alg, alg_str) {
                return b.finish(SignatureStatus::Invalid, why);
            }
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
                b.alg_ok(alg, alg_str);
                return b.finish(
                    SignatureStatus::Unverifiable,
                    format!("{alg_str} needs the shared secret, and the JWKS has no symmetric key for it"),
                );
            }
            b.alg_ok(alg, alg_str);
            if jwks.fetched {
                b.check(
                    "oct_key_published",
                    CheckStatus::Warn,
                    format!(
                        "ANYONE CAN SIGN: the {alg_str} secret comes from {}, fetched over the network; a shared secret published at a URL is no secret, so a signature made with it proves nothing about who made the token. A JWKS must hold only public keys",
                        origin_phrase(jwks)
                    ),
                );
            }
            if let Some(why) = wrong_length(jws, alg, alg_str) {
                return b.finish(SignatureStatus::Invalid, why);
            }
            for key in oct {
                if crypto_verify(jws, key, alg) {
                    length_check(&mut b, key.bits / 8);
                    key_checks(&mut b, key, alg_str);
                    let published = if jwks.fetched {
                        ", a secret published to anyone (see oct_key_published)"
                    } else {
                        ""
                    };
                    return b.finish(
                        SignatureStatus::Verified,
                        format!("signature matches the {}{published}", key.describe()),
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

fn verify_with_secret(jws: &Jws, secret: &SharedSecret, alg: Alg) -> bool {
    match alg {
        Alg::Jwt(alg) => jwt_verify(jws, &DecodingKey::from_secret(secret.as_bytes()), alg),
        Alg::Es512 => false,
    }
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
    alg: Alg,
    alg_str: &str,
) -> Verification {
    b.alg_ok(alg, alg_str);
    let jwks = match keys {
        Keys::None | Keys::Unavailable(_) => {
            return b.finish(
                SignatureStatus::Skipped,
                "no key given: give the issuer, a JWKS URI or a JWKS file to verify the signature",
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
                .filter(|k| key_mismatch(k, alg, alg_str).is_none())
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
                return no_fitting_key(b, jwks, alg, alg_str);
            }
            fitting
        }
    };
    if let Some(why) = wrong_length(jws, alg, alg_str) {
        return b.finish(SignatureStatus::Invalid, why);
    }
    let mut mismatches = Vec::new();
    let mut length_problems = Vec::new();
    let mut tried = 0usize;
    for key in &candidates {
        if let Some(why) = key_mismatch(key, alg, alg_str) {
            mismatches.push(why);
            continue;
        }
        tried += 1;
        if let Some(why) = wrong_rsa_length(jws, key) {
            length_problems.push(why);
            continue;
        }
        if crypto_verify(jws, key, alg) {
            key_checks(&mut b, key, alg_str);
            return b.finish(
                SignatureStatus::Verified,
                format!("signature matches the {}", key.describe()),
            );
        }
    }
    if tried == 0 {
        let why = mismatches.join("; ");
        b.check("key", CheckStatus::Fail, why.clone());
        return b.finish(
            SignatureStatus::Invalid,
            format!("the key named by the token cannot verify {alg_str}: {why}"),
        );
    }
    if length_problems.len() == tried {
        return b.finish(SignatureStatus::Invalid, length_problems.join("; "));
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

/// The verdict when the token names no key and no key of the set fits `alg`: says why each
/// key of the right type was refused (an RSA key's size, an EC key's curve) and which keys
/// were skipped when the set was read.
fn no_fitting_key(mut b: Builder, jwks: &Jwks, alg: Alg, alg_str: &str) -> Verification {
    let kty = match alg.family() {
        AlgorithmFamily::Hmac => KeyType::Oct,
        AlgorithmFamily::Rsa => KeyType::Rsa,
        AlgorithmFamily::Ec => KeyType::Ec,
        AlgorithmFamily::Ed => KeyType::Okp,
    };
    // Keys of the right type were refused for their size or curve: say so, key by key.
    let mut reasons: Vec<String> = jwks
        .keys
        .iter()
        .filter(|k| k.kty == kty)
        .filter_map(|k| key_mismatch(k, alg, alg_str))
        .collect();
    if reasons.is_empty() {
        reasons.push(format!(
            "it holds {} usable key(s), none of them an {}",
            jwks.keys.len(),
            match alg.curve() {
                Some(crv) => format!("{} {crv} key", kty.as_str()),
                None => format!("{} key", kty.as_str()),
            }
        ));
    }
    reasons.extend(jwks.skipped.iter().map(|s| match &s.kid {
        Some(kid) => format!("key kid \"{kid}\" was skipped: {}", s.reason),
        None => format!("a key without kid was skipped: {}", s.reason),
    }));
    let why = reasons.join("; ");
    b.check("key", CheckStatus::Fail, why.clone());
    b.finish(
        SignatureStatus::Invalid,
        format!(
            "no key in {} can verify {alg_str}: {why}",
            origin_phrase(jwks)
        ),
    )
}
