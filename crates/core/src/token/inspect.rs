//! The inspection report: decode + verify + check claims, in the JSON shape DESIGN.md fixes
//! (`inspect --json`, and embedded in `token --json`).
//!
//! [`inspect_with_keys`] is pure (keys already loaded, `now` given): the GUI and the tests call
//! it without a network. [`inspect`] loads keys from a [`KeySource`] first (fetching a JWKS,
//! and once more on an unknown `kid`) and returns the HTTP exchanges it made.
//!
//! A JWE is reported as layers: the envelope (its protected header, which key opened it, why
//! not) in [`JweEnvelope`], and the token inside inspected as usual, whose claims, signature
//! and checks stand at the top level ([`inspect_decrypting`], [`inspect_with_decryption`]).
//!
//! An SD-JWT (RFC 9901, told by its `~`) is reported with the issuer-signed JWT's header and
//! signature, the Processed SD-JWT Payload as its claims, and the disclosures and key binding
//! in [`SdJwtReport`] (`sd_jwt` in the JSON; [`crate::token::sdjwt`] does the work).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Exchange, HttpClient};
use crate::timefmt::rfc3339;
use crate::token::claims::{
    Check, CheckStatus, InspectOptions, check_claims, next_time_boundary, numeric_date, time_checks,
};
use crate::token::decode::{DecodeError, Decoded, decode, normalize};
use crate::token::jwe::{self, Decrypted, DecryptionKey, JweError, KeyAlg};
use crate::token::jwks::{KeySource, KeySourceError, Keys, load_keys};
use crate::token::sdjwt::{self, SdJwtOptions, SdJwtReport};
use crate::token::verify::{SignatureReport, SignatureStatus, verify};

/// What the token looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// A signed JWT (compact JWS), or something malformed that tried to be one.
    Jwt,
    /// An encrypted JWT (compact JWE).
    Jwe,
    /// A selective-disclosure JWT (RFC 9901): issuer-signed JWT, Disclosures, optional
    /// key-binding JWT, joined by `~`.
    #[serde(rename = "sd-jwt")]
    SdJwt,
    /// A reference token only the server can interpret.
    Opaque,
}

/// The one-word outcome of an inspection (`verdict` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The signature is verified and no check failed (`valid` is true).
    Valid,
    /// Something is wrong: a check failed, the signature is invalid, or the token is malformed.
    Invalid,
    /// Nothing failed, but the signature could not be checked (no key, no secret, an
    /// unsupported algorithm, an encrypted token).
    Unverifiable,
    /// An opaque (reference) token: only its server can judge it; introspect it.
    Opaque,
}

impl Verdict {
    /// The JSON spelling: `valid`, `invalid`, `unverifiable`, `opaque`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unverifiable => "unverifiable",
            Verdict::Opaque => "opaque",
        }
    }

    fn of(format: TokenFormat, signature: SignatureStatus, checks: &[Check], valid: bool) -> Self {
        if valid {
            Verdict::Valid
        } else if format == TokenFormat::Opaque {
            Verdict::Opaque
        } else if signature == SignatureStatus::Invalid
            || checks.iter().any(|c| c.status == CheckStatus::Fail)
        {
            Verdict::Invalid
        } else {
            Verdict::Unverifiable
        }
    }
}

/// The inspection of one token. Serialises exactly to DESIGN.md's shape.
///
/// Its strings are the token's own, unescaped. To show them, use the `shown_*` methods (or
/// [`crate::text::inert`]): they escape control characters, escape sequences and bidi overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// jwt, jwe or opaque.
    pub format: TokenFormat,
    /// The JOSE header (object), or null when there is none or it could not be read.
    pub header: Value,
    /// The claims (object), or null.
    pub claims: Value,
    /// The signature verdict.
    pub signature: SignatureReport,
    /// The checklist, in a stable order: decode, algorithm and key, signature, time, claims,
    /// header hygiene.
    pub checks: Vec<Check>,
    /// True only when the signature is verified and no check failed.
    pub valid: bool,
    /// `valid`, `invalid`, `unverifiable` or `opaque`: `valid: false` alone does not tell an
    /// invalid token from one that could not be checked.
    pub verdict: Verdict,
    /// `exp` as RFC 3339, when there is one.
    pub expires_at: Option<String>,
    /// Seconds from `now` to `exp` (negative once expired).
    pub expires_in: Option<i64>,
    /// For a JWE: the envelope and the inspection of the token inside (`jwe` and `nested` in
    /// the JSON); absent for any other token.
    #[serde(flatten, default)]
    pub envelope: Option<JweEnvelope>,
    /// For an SD-JWT: the issuer-signed payload, the disclosures and the key binding (`sd_jwt`
    /// in the JSON); absent for any other token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd_jwt: Option<SdJwtReport>,
}

/// The layers of a JWE inspection (DESIGN.md, "JWE").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JweEnvelope {
    /// The envelope.
    pub jwe: JweReport,
    /// The full inspection of the JWT inside, when the payload is one.
    pub nested: Option<Box<Inspection>>,
}

/// What opening a JWE gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JweReport {
    /// The protected header (the same as the inspection's `header`).
    pub header: Value,
    /// Whether it was decrypted and authenticated.
    pub decrypted: bool,
    /// The key that opened it (its store name, or its file and `kid`).
    pub key: Option<String>,
    /// The decrypted payload when it is UTF-8 and not a JWT; never any part of a payload that
    /// failed to decrypt.
    pub plaintext: Option<String>,
    /// What happened: which key opened it, or why none did (each key tried, the step, the
    /// reason).
    pub detail: String,
}

/// The times a lifetime bar needs, read from the claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// `iat`.
    pub issued_at: Option<i64>,
    /// `nbf`.
    pub not_before: Option<i64>,
    /// `exp`.
    pub expires_at: Option<i64>,
}

impl Inspection {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }

    /// The check with this id, if present.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The header for display: every string, key or value, made [inert](crate::text::inert).
    pub fn shown_header(&self) -> Value {
        crate::text::inert_json(&self.header)
    }

    /// The claims for display, likewise.
    pub fn shown_claims(&self) -> Value {
        crate::text::inert_json(&self.claims)
    }

    /// Runs the clock-dependent checks (`exp`, `nbf`, `iat`) again at `now` with the options
    /// the inspection was made with, and with them `valid`, `verdict` and `expires_in`: a
    /// report kept on screen stays true as time passes (the signature is not checked again).
    /// Only checks already in the report are replaced, in place.
    pub fn retime(&mut self, options: &InspectOptions, now: i64) {
        if let Some(nested) = self
            .envelope
            .as_mut()
            .and_then(|envelope| envelope.nested.as_mut())
        {
            nested.retime(options, now);
        }
        let Some(claims) = self.claims.as_object() else {
            return;
        };
        if self.checks.iter().any(|c| c.id == "decode") {
            return;
        }
        for fresh in time_checks(claims, options, now) {
            if let Some(old) = self.checks.iter_mut().find(|c| c.id == fresh.id) {
                *old = fresh;
            }
        }
        let exp = numeric_date(claims, "exp").and_then(Result::ok);
        let bound = self.sd_jwt.as_ref().is_none_or(|sd| {
            sd.key_binding
                .as_ref()
                .is_none_or(|kb| kb.signature.status == SignatureStatus::Verified)
        });
        self.valid = self.signature.status == SignatureStatus::Verified
            && bound
            && !self.checks.iter().any(|c| c.status == CheckStatus::Fail);
        self.verdict = Verdict::of(self.format, self.signature.status, &self.checks, self.valid);
        self.expires_in = exp.map(|e| e.saturating_sub(now));
    }

    /// When [`retime`](Self::retime) would next change a check's status (after `now`).
    pub fn next_time_boundary(&self, options: &InspectOptions, now: i64) -> Option<i64> {
        self.claims
            .as_object()
            .and_then(|c| next_time_boundary(c, options, now))
    }

    /// `iat`, `nbf`, `exp` as unix seconds (for the lifetime bar and countdown).
    pub fn lifetime(&self) -> Lifetime {
        let read = |name: &str| {
            self.claims
                .as_object()
                .and_then(|c| numeric_date(c, name))
                .and_then(Result::ok)
        };
        Lifetime {
            issued_at: read("iat"),
            not_before: read("nbf"),
            expires_at: read("exp"),
        }
    }
}

fn skipped(detail: &str) -> SignatureReport {
    SignatureReport {
        status: SignatureStatus::Skipped,
        alg: None,
        kid: None,
        detail: detail.to_owned(),
    }
}

/// Inspects `token` with keys already loaded, at `now` (unix seconds). Pure and total: any
/// input, however malformed, yields an inspection (with a failing `decode` check).
pub fn inspect_with_keys(
    token: &str,
    keys: &Keys,
    options: &InspectOptions,
    now: i64,
) -> Inspection {
    inspect_decoded_with_keys(token, decode(token), keys, &[], options, now)
}

/// [`inspect_with_keys`] that also opens a JWE with `decryption` (the recipient's private
/// keys) and inspects the token inside with `keys`. Pure and total, like it.
pub fn inspect_with_decryption(
    token: &str,
    keys: &Keys,
    decryption: &[DecryptionKey],
    options: &InspectOptions,
    now: i64,
) -> Inspection {
    inspect_decoded_with_keys(token, decode(token), keys, decryption, options, now)
}

/// Inspects the SD-JWT `token` with the issuer's `keys` and what the verifier expects of the
/// key binding (`sd`), at `now`. Pure and total like [`inspect_with_keys`] (which calls it,
/// with no key-binding expectations, for any token [`sdjwt::is_sd_jwt`] recognises).
pub fn inspect_sd_jwt_with_keys(
    token: &str,
    keys: &Keys,
    options: &InspectOptions,
    sd: &SdJwtOptions,
    now: i64,
) -> Inspection {
    let verified = sdjwt::verify_sd_jwt(token, keys, options, sd, now);
    let valid = verified.valid();
    let verdict = Verdict::of(
        TokenFormat::SdJwt,
        verified.signature.status,
        &verified.checks,
        valid,
    );
    let exp = verified
        .claims
        .as_object()
        .and_then(|c| numeric_date(c, "exp"))
        .and_then(Result::ok);
    Inspection {
        format: TokenFormat::SdJwt,
        header: verified.header,
        claims: verified.claims,
        signature: verified.signature,
        checks: verified.checks,
        valid,
        verdict,
        expires_at: exp.map(rfc3339),
        expires_in: exp.map(|e| e.saturating_sub(now)),
        envelope: None,
        sd_jwt: Some(verified.report),
    }
}

/// The compact JWT inside a decrypted JWE: when `cty` says JWT (RFC 7519 §5.2), or the
/// payload is a compact JWS. A nested JWE is not opened again.
fn nested_jwt(decrypted: &Decrypted) -> Option<&str> {
    let text = std::str::from_utf8(&decrypted.plaintext).ok()?;
    let cty_jwt = decrypted
        .header
        .get("cty")
        .and_then(Value::as_str)
        .is_some_and(|cty| {
            cty.eq_ignore_ascii_case("jwt") || cty.eq_ignore_ascii_case("application/jwt")
        });
    (cty_jwt || matches!(decode(text), Ok(Decoded::Jws(_)))).then_some(text)
}

/// The inspection of a JWE: the envelope's checks (`jwe.decrypt`, RFC 8725's `jwe.alg`), then
/// the token inside's header-to-claims report at the top level when there is one.
fn jwe_inspection(
    header: serde_json::Map<String, Value>,
    outcome: Result<Decrypted, JweError>,
    nested: Option<Inspection>,
) -> Inspection {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(KeyAlg::parse);
    let alg_name = header.get("alg").and_then(Value::as_str).map(str::to_owned);
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    let p2c = header
        .get("p2c")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok());
    let mut checks: Vec<Check> = alg
        .map(|alg| jwe::warnings(alg, p2c))
        .unwrap_or_default()
        .into_iter()
        .map(|w| Check::new("jwe.alg", CheckStatus::Warn, w))
        .collect();
    let header = Value::Object(header);
    let (report, plaintext_note) = match &outcome {
        Err(err) => {
            let status = match err {
                JweError::NoKey => CheckStatus::Info,
                JweError::NoMatchingKey { .. } => CheckStatus::Warn,
                _ => CheckStatus::Fail,
            };
            checks.insert(0, Check::new("jwe.decrypt", status, err.to_string()));
            (
                JweReport {
                    header: header.clone(),
                    decrypted: false,
                    key: None,
                    plaintext: None,
                    detail: err.to_string(),
                },
                None,
            )
        }
        Ok(d) => {
            let detail = format!(
                "decrypted with key {} ({} / {}{})",
                d.key,
                d.alg,
                d.enc,
                if d.header.get("zip").is_some() {
                    ", inflated"
                } else {
                    ""
                }
            );
            checks.insert(
                0,
                Check::new("jwe.decrypt", CheckStatus::Pass, detail.clone()),
            );
            let plaintext = match (&nested, std::str::from_utf8(&d.plaintext)) {
                (None, Ok(text)) => Some(text.to_owned()),
                _ => None,
            };
            let note = nested.is_none().then(|| {
                format!(
                    "the decrypted payload ({} bytes) is not a JWT: there is no signature or claim to check",
                    d.plaintext.len()
                )
            });
            (
                JweReport {
                    header: header.clone(),
                    decrypted: true,
                    key: Some(d.key.clone()),
                    plaintext,
                    detail,
                },
                note,
            )
        }
    };
    if let Some(note) = plaintext_note {
        checks.push(Check::new("jwe.payload", CheckStatus::Info, note));
    }
    match nested {
        Some(inner) => {
            checks.extend(inner.checks.iter().cloned());
            let valid = inner.valid && !checks.iter().any(|c| c.status == CheckStatus::Fail);
            let verdict = if valid { Verdict::Valid } else { inner.verdict };
            Inspection {
                format: TokenFormat::Jwe,
                header,
                claims: inner.claims.clone(),
                signature: inner.signature.clone(),
                checks,
                valid,
                verdict,
                expires_at: inner.expires_at.clone(),
                expires_in: inner.expires_in,
                envelope: Some(JweEnvelope {
                    jwe: report,
                    nested: Some(Box::new(inner)),
                }),
                sd_jwt: None,
            }
        }
        None => {
            let detail = match &outcome {
                Err(JweError::NoKey) => "encrypted, cannot be read without the key".to_owned(),
                Err(_) => "not decrypted: the token inside cannot be checked".to_owned(),
                Ok(_) => "the decrypted payload is not a signed JWT: nothing to verify".to_owned(),
            };
            let verdict = Verdict::of(TokenFormat::Jwe, SignatureStatus::Skipped, &checks, false);
            Inspection {
                format: TokenFormat::Jwe,
                header,
                claims: Value::Null,
                signature: SignatureReport {
                    status: SignatureStatus::Skipped,
                    alg: alg_name,
                    kid,
                    detail,
                },
                checks,
                valid: false,
                verdict,
                expires_at: None,
                expires_in: None,
                envelope: Some(JweEnvelope {
                    jwe: report,
                    nested: None,
                }),
                sd_jwt: None,
            }
        }
    }
}

/// [`inspect_with_keys`] over a token already decoded (`decoded` is `decode(token)`): the one
/// decoding is handed on, never done twice. `token` only names the format of one that failed.
fn inspect_decoded_with_keys(
    token: &str,
    decoded: Result<Decoded, DecodeError>,
    keys: &Keys,
    decryption: &[DecryptionKey],
    options: &InspectOptions,
    now: i64,
) -> Inspection {
    if sdjwt::is_sd_jwt(token) {
        return inspect_sd_jwt_with_keys(token, keys, options, &SdJwtOptions::default(), now);
    }
    match decoded {
        Err(err) => {
            let format = match &err {
                DecodeError::JweWithoutEnc | DecodeError::JsonSerialization { kind: "JWE", .. } => {
                    TokenFormat::Jwe
                }
                DecodeError::JsonSerialization { .. } | DecodeError::JsonDocument { .. } => {
                    TokenFormat::Jwt
                }
                _ if normalize(token).matches('.').count() == 4 => TokenFormat::Jwe,
                _ => TokenFormat::Jwt,
            };
            Inspection {
                format,
                header: Value::Null,
                claims: Value::Null,
                signature: skipped("the token could not be decoded"),
                checks: vec![Check::new("decode", CheckStatus::Fail, err.to_string())],
                valid: false,
                verdict: Verdict::Invalid,
                expires_at: None,
                expires_in: None,
                envelope: None,
                sd_jwt: None,
            }
        }
        Ok(Decoded::Opaque { len }) => Inspection {
            format: TokenFormat::Opaque,
            header: Value::Null,
            claims: Value::Null,
            signature: skipped("an opaque token has no signature to check"),
            checks: vec![Check::new(
                "format",
                CheckStatus::Info,
                format!(
                    "opaque token ({len} characters): only the server can say what it means; introspect it"
                ),
            )],
            valid: false,
            verdict: Verdict::Opaque,
            expires_at: None,
            expires_in: None,
            envelope: None,
            sd_jwt: None,
        },
        Ok(Decoded::Jwe(jwe)) => {
            let outcome = jwe::decrypt(token, decryption);
            let nested = match &outcome {
                Ok(d) => nested_jwt(d).map(|inner| {
                    inspect_decoded_with_keys(inner, decode(inner), keys, &[], options, now)
                }),
                Err(_) => None,
            };
            jwe_inspection(jwe.header, outcome, nested)
        }
        Ok(Decoded::Jws(jws)) => {
            let verification = verify(&jws, keys);
            let mut checks = verification.checks;
            checks.extend(check_claims(&jws, options, now));
            let exp = numeric_date(&jws.claims, "exp").and_then(Result::ok);
            let valid = verification.report.status == SignatureStatus::Verified
                && !checks.iter().any(|c| c.status == CheckStatus::Fail);
            let verdict = Verdict::of(TokenFormat::Jwt, verification.report.status, &checks, valid);
            Inspection {
                format: TokenFormat::Jwt,
                header: Value::Object(jws.header),
                claims: Value::Object(jws.claims),
                signature: verification.report,
                checks,
                valid,
                verdict,
                expires_at: exp.map(rfc3339),
                expires_in: exp.map(|e| e.saturating_sub(now)),
                envelope: None,
                sd_jwt: None,
            }
        }
    }
}

/// An inspection together with how its keys were obtained.
#[derive(Debug)]
pub struct Inspected {
    /// The report.
    pub inspection: Inspection,
    /// HTTP exchanges made to load keys (JWKS fetches), in order.
    pub exchanges: Vec<Exchange>,
    /// Set when the key source failed: the inspection then says `unverifiable`.
    pub key_error: Option<KeySourceError>,
}

/// Loads keys from `source` (for a JWKS URL: fetched, and fetched once more when the token's
/// `kid` is unknown) and inspects `token` at `now`.
pub async fn inspect(
    token: &str,
    source: &KeySource,
    client: &HttpClient,
    options: &InspectOptions,
    now: i64,
) -> Inspected {
    inspect_decoded(token, decode(token), source, client, options, now).await
}

/// [`inspect`] over a token the caller decoded already (`decoded` is `decode(token)`, e.g. to
/// choose the key source by its `alg`): the decoding is handed on, never done again.
pub async fn inspect_decoded(
    token: &str,
    decoded: Result<Decoded, DecodeError>,
    source: &KeySource,
    client: &HttpClient,
    options: &InspectOptions,
    now: i64,
) -> Inspected {
    if sdjwt::is_sd_jwt(token) {
        return inspect_sd_jwt(
            token,
            source,
            client,
            options,
            &SdJwtOptions::default(),
            now,
        )
        .await;
    }
    let kid = match &decoded {
        Ok(Decoded::Jws(jws)) => jws.kid().map(str::to_owned),
        // Nothing to verify: do not touch the network.
        _ => {
            return Inspected {
                inspection: inspect_decoded_with_keys(
                    token,
                    decoded,
                    &Keys::None,
                    &[],
                    options,
                    now,
                ),
                exchanges: Vec::new(),
                key_error: None,
            };
        }
    };
    let mut exchanges = Vec::new();
    match load_keys(source, client, kid.as_deref(), &mut exchanges).await {
        Ok(keys) => Inspected {
            inspection: inspect_decoded_with_keys(token, decoded, &keys, &[], options, now),
            exchanges,
            key_error: None,
        },
        Err(err) => {
            let unavailable = Keys::Unavailable(err.to_string());
            Inspected {
                inspection: inspect_decoded_with_keys(
                    token,
                    decoded,
                    &unavailable,
                    &[],
                    options,
                    now,
                ),
                exchanges,
                key_error: Some(err),
            }
        }
    }
}

/// Loads the issuer's keys from `source` (by the issuer-signed JWT's `kid`) and inspects the
/// SD-JWT `token` with what the verifier expects of the key binding (`sd`), at `now`.
pub async fn inspect_sd_jwt(
    token: &str,
    source: &KeySource,
    client: &HttpClient,
    options: &InspectOptions,
    sd: &SdJwtOptions,
    now: i64,
) -> Inspected {
    let kid = sdjwt::issuer_kid(token);
    let mut exchanges = Vec::new();
    let (keys, key_error) = match load_keys(source, client, kid.as_deref(), &mut exchanges).await {
        Ok(keys) => (keys, None),
        Err(err) => (Keys::Unavailable(err.to_string()), Some(err)),
    };
    Inspected {
        inspection: inspect_sd_jwt_with_keys(token, &keys, options, sd, now),
        exchanges,
        key_error,
    }
}

/// [`inspect`] that opens a JWE with `decryption` first; the keys to verify the token inside
/// are then loaded from `source` by that token's `kid`. Any other token is inspected as
/// [`inspect`] does.
pub async fn inspect_decrypting(
    token: &str,
    source: &KeySource,
    decryption: &[DecryptionKey],
    client: &HttpClient,
    options: &InspectOptions,
    now: i64,
) -> Inspected {
    if sdjwt::is_sd_jwt(token) {
        return inspect_sd_jwt(
            token,
            source,
            client,
            options,
            &SdJwtOptions::default(),
            now,
        )
        .await;
    }
    let decoded = decode(token);
    let header = match decoded {
        Ok(Decoded::Jwe(jwe)) => jwe.header,
        other => return inspect_decoded(token, other, source, client, options, now).await,
    };
    let outcome = jwe::decrypt(token, decryption);
    let mut exchanges = Vec::new();
    let mut key_error = None;
    let nested = match outcome.as_ref().ok().and_then(nested_jwt) {
        Some(inner) => {
            let inspected = inspect(inner, source, client, options, now).await;
            exchanges = inspected.exchanges;
            key_error = inspected.key_error;
            Some(inspected.inspection)
        }
        None => None,
    };
    Inspected {
        inspection: jwe_inspection(header, outcome, nested),
        exchanges,
        key_error,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(claims: &Value) -> String {
        let b = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.c2ln",
            b(&serde_json::json!({"alg": "HS256", "typ": "JWT"})),
            b(claims)
        )
    }

    #[test]
    fn retime_follows_the_clock_through_exp_and_nbf() {
        let opts = InspectOptions {
            leeway: 5,
            ..InspectOptions::default()
        };
        let token = jwt(&serde_json::json!({"iat": 1_000, "nbf": 1_010, "exp": 1_030}));
        let at = |now| inspect_with_keys(&token, &Keys::None, &opts, now);
        let mut ins = at(1_000);
        assert_eq!(ins.check("nbf").unwrap().status, CheckStatus::Fail);
        assert_eq!(ins.verdict, Verdict::Invalid);
        assert_eq!(ins.next_time_boundary(&opts, 1_000), Some(1_005));
        for now in [1_007, 1_020, 1_031, 1_040] {
            ins.retime(&opts, now);
            let fresh = at(now);
            assert_eq!(ins, fresh, "at {now}");
        }
        assert_eq!(ins.check("exp").unwrap().status, CheckStatus::Fail);
        assert_eq!(ins.expires_in, Some(-10));
        assert_eq!(ins.next_time_boundary(&opts, 1_040), None);
    }

    /// The JWE layers travel in the JSON only for a JWE, and an inspection read back (History
    /// keeps them) is the one written, with or without them.
    #[test]
    fn jwe_layers_round_trip_and_stay_out_of_other_tokens() {
        let opts = InspectOptions::default();
        let jwt_doc = serde_json::to_value(inspect_with_keys(
            &jwt(&serde_json::json!({"sub": "a"})),
            &Keys::None,
            &opts,
            1_000,
        ))
        .unwrap();
        assert!(jwt_doc.get("jwe").is_none() && jwt_doc.get("nested").is_none());
        let b = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        let jwe = format!(
            "{}.{}.{}.{}.{}",
            b(br#"{"alg":"A128KW","enc":"A128GCM","kid":"k"}"#),
            b(&[1u8; 24]),
            b(&[2u8; 12]),
            b(b"ciphertext"),
            b(&[3u8; 16])
        );
        let key = DecryptionKey::from_secret("wrong", vec![9u8; 16]);
        for keys in [vec![], vec![key]] {
            let ins = inspect_with_decryption(&jwe, &Keys::None, &keys, &opts, 1_000);
            let text = serde_json::to_string(&ins).unwrap();
            let back: Inspection = serde_json::from_str(&text).unwrap();
            assert_eq!(back, ins);
            let doc: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(doc["jwe"]["decrypted"], false);
            assert_eq!(doc["nested"], Value::Null);
            assert_eq!(
                ins.verdict,
                if keys.is_empty() {
                    Verdict::Unverifiable
                } else {
                    Verdict::Invalid
                }
            );
        }
    }
}
