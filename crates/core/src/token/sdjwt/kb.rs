//! The key-binding JWT (RFC 9901 §4.3, §7.3 step 5): `typ` `kb+jwt`, signed by the holder key
//! the issuer put in `cnf.jwk` (any other key, or a symmetric one, is refused), `sd_hash` over
//! the presentation as received, `nonce` and `aud` against what the verifier expects, and `iat`
//! within the window.

use serde_json::{Map, Value};

use super::parse::HashAlg;
use super::{KeyBindingReport, SdJwtOptions};
use crate::token::claims::{Check, CheckStatus};
use crate::token::decode::{Decoded, decode, json_type};
use crate::token::jwks::{Jwks, KeyType, Keys, parse_jwk};
use crate::token::verify::{SignatureReport, SignatureStatus, verify};

fn report(header: Value, claims: Value, signature: SignatureReport) -> KeyBindingReport {
    KeyBindingReport {
        header,
        claims,
        signature,
        checks: Vec::new(),
    }
}

fn failed_signature(detail: impl Into<String>) -> SignatureReport {
    SignatureReport {
        status: SignatureStatus::Invalid,
        alg: None,
        kid: None,
        detail: detail.into(),
    }
}

/// Checks the key-binding JWT `kb_jwt` of `presentation` (the SD-JWT up to its last `~`)
/// against the holder key in `claims` (the processed payload's `cnf`). `alg` is the SD-JWT's
/// hash (None when `_sd_alg` is not supported).
pub fn check(
    kb_jwt: &str,
    presentation: &str,
    claims: &Map<String, Value>,
    alg: Option<HashAlg>,
    options: &SdJwtOptions,
    leeway: u64,
    now: i64,
) -> KeyBindingReport {
    let jws = match decode(kb_jwt) {
        Ok(Decoded::Jws(jws)) => jws,
        Ok(_) => {
            let why = "the key-binding JWT is not a signed JWT (three dot-separated parts with a JSON header)";
            let mut r = report(Value::Null, Value::Null, failed_signature(why));
            r.checks
                .push(Check::new("kb.signature", CheckStatus::Fail, why));
            return r;
        }
        Err(e) => {
            let why = format!("the key-binding JWT cannot be decoded: {e}");
            let mut r = report(Value::Null, Value::Null, failed_signature(why.clone()));
            r.checks
                .push(Check::new("kb.signature", CheckStatus::Fail, why));
            return r;
        }
    };
    let mut checks = Vec::new();
    for (dups, id, what) in [
        (&jws.duplicate_header, "kb.duplicate_header", "header"),
        (&jws.duplicate_claims, "kb.duplicate_claims", "claims"),
    ] {
        if !dups.is_empty() {
            checks.push(Check::new(
                id,
                CheckStatus::Fail,
                format!(
                    "the key-binding JWT's {what} has {} more than once; parsers disagree on which copy counts: refused",
                    dups.join(", ")
                ),
            ));
        }
    }

    let typ = jws.header.get("typ");
    let typ_ok = typ.and_then(Value::as_str).is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == "kb+jwt" || t == "application/kb+jwt"
    });
    checks.push(if typ_ok {
        Check::new("kb.typ", CheckStatus::Pass, "typ is kb+jwt")
    } else {
        Check::new(
            "kb.typ",
            CheckStatus::Fail,
            match typ {
                Some(Value::String(t)) => format!(
                    "typ is \"{t}\", not \"kb+jwt\": another kind of JWT cannot pass as a key-binding JWT (RFC 9901 §4.3)"
                ),
                Some(other) => format!("typ is {}, not the string \"kb+jwt\"", json_type(other)),
                None => "no typ: a key-binding JWT carries typ \"kb+jwt\" (RFC 9901 §4.3)".to_owned(),
            },
        )
    });

    let signature = holder_signature(&jws, claims);
    let sig_status = match signature.status {
        SignatureStatus::Verified => CheckStatus::Pass,
        SignatureStatus::Invalid => CheckStatus::Fail,
        _ => CheckStatus::Warn,
    };
    checks.push(Check::new(
        "kb.signature",
        sig_status,
        signature.detail.clone(),
    ));

    let kb = &jws.claims;
    checks.push(match (alg, kb.get("sd_hash")) {
        (None, _) => Check::new(
            "kb.sd_hash",
            CheckStatus::Fail,
            "the SD-JWT's _sd_alg is not supported, so sd_hash cannot be computed",
        ),
        (Some(alg), Some(Value::String(got))) => {
            let want = alg.digest(presentation);
            if *got == want {
                Check::new(
                    "kb.sd_hash",
                    CheckStatus::Pass,
                    format!(
                        "sd_hash matches the {} of the issuer-signed JWT and the Disclosures presented",
                        alg.name()
                    ),
                )
            } else {
                Check::new(
                    "kb.sd_hash",
                    CheckStatus::Fail,
                    format!(
                        "sd_hash is {got}, but the {} of the presentation (issuer-signed JWT and Disclosures, up to the last '~') is {want}: the key-binding JWT was made for another presentation (RFC 9901 §4.3.1)",
                        alg.name()
                    ),
                )
            }
        }
        (Some(_), Some(other)) => Check::new(
            "kb.sd_hash",
            CheckStatus::Fail,
            format!("sd_hash is {}, not a string", json_type(other)),
        ),
        (Some(_), None) => Check::new(
            "kb.sd_hash",
            CheckStatus::Fail,
            "no sd_hash: the key-binding JWT is not tied to this SD-JWT (RFC 9901 §4.3)",
        ),
    });

    checks.push(expected_string(
        kb,
        "kb.nonce",
        "nonce",
        options.kb_nonce.as_deref(),
        "--kb-nonce",
    ));
    checks.push(expected_string(
        kb,
        "kb.aud",
        "aud",
        options.kb_audience.as_deref(),
        "--kb-audience",
    ));
    checks.push(iat_check(kb, options.kb_max_age, leeway, now));

    let mut r = report(
        Value::Object(jws.header.clone()),
        Value::Object(jws.claims.clone()),
        signature,
    );
    r.checks = checks;
    r
}

/// The KB-JWT's signature against `cnf.jwk` only: a holder key found anywhere else (the
/// issuer's keys, a `jwk` header) would let anyone bind.
fn holder_signature(
    jws: &crate::token::decode::Jws,
    claims: &Map<String, Value>,
) -> SignatureReport {
    let alg = jws.alg().map(str::to_owned);
    let kid = jws.kid().map(str::to_owned);
    let unverifiable = |detail: String| SignatureReport {
        status: SignatureStatus::Unverifiable,
        alg: alg.clone(),
        kid: kid.clone(),
        detail,
    };
    let invalid = |detail: String| SignatureReport {
        status: SignatureStatus::Invalid,
        alg: alg.clone(),
        kid: kid.clone(),
        detail,
    };
    let Some(cnf) = claims.get("cnf") else {
        return invalid(
            "the issuer-signed JWT has no cnf claim, so there is no holder key to check the key-binding JWT with (RFC 9901 §4.1.2)".to_owned(),
        );
    };
    let Some(jwk) = cnf.get("jwk") else {
        let methods: Vec<&str> = cnf
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        return unverifiable(format!(
            "cnf names the holder key by {}; grantscope checks key binding with cnf.jwk only",
            if methods.is_empty() {
                "nothing it can read".to_owned()
            } else {
                methods.join(", ")
            }
        ));
    };
    let key = match parse_jwk(jwk) {
        Ok(key) => key,
        Err(e) => return invalid(format!("cnf.jwk is not a usable key: {e}")),
    };
    if key.kty == KeyType::Oct {
        return invalid(
            "cnf.jwk is a symmetric (oct) key: a key-binding JWT must be signed with the holder's private key, which a shared secret is not".to_owned(),
        );
    }
    let keys = Keys::Jwks(Jwks {
        keys: vec![key],
        origin: Some("cnf.jwk".to_owned()),
        ..Jwks::default()
    });
    let verification = verify(jws, &keys);
    let mut report = verification.report;
    if report.status == SignatureStatus::Verified {
        report.detail = "signed by the holder key in cnf.jwk".to_owned();
    } else if report.status == SignatureStatus::Invalid {
        report.detail = format!("not signed by the holder key in cnf.jwk: {}", report.detail);
    }
    report
}

fn expected_string(
    kb: &Map<String, Value>,
    id: &str,
    claim: &str,
    expected: Option<&str>,
    option: &str,
) -> Check {
    match (kb.get(claim), expected) {
        (Some(Value::String(got)), Some(want)) if got == want => Check::new(
            id,
            CheckStatus::Pass,
            format!("{claim} is \"{got}\" as expected"),
        ),
        (Some(Value::String(got)), Some(want)) => Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{claim} is \"{got}\", expected \"{want}\": the presentation was made for another {} (replay?)",
                if claim == "aud" {
                    "verifier"
                } else {
                    "transaction"
                }
            ),
        ),
        (Some(Value::String(got)), None) => Check::new(
            id,
            CheckStatus::Info,
            format!("{claim} is \"{got}\" (not checked: give {option})"),
        ),
        (Some(other), _) => Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{claim} is {}, not a single string (RFC 9901 §4.3)",
                json_type(other)
            ),
        ),
        (None, _) => Check::new(
            id,
            CheckStatus::Fail,
            format!("no {claim}: a key-binding JWT must carry one (RFC 9901 §4.3)"),
        ),
    }
}

fn iat_check(kb: &Map<String, Value>, max_age: u64, leeway: u64, now: i64) -> Check {
    let Some(iat) = crate::token::claims::numeric_date(kb, "iat") else {
        return Check::new(
            "kb.iat",
            CheckStatus::Fail,
            "no iat: a key-binding JWT says when it was made (RFC 9901 §4.3)",
        );
    };
    let iat = match iat {
        Ok(iat) => iat,
        Err(e) => return Check::new("kb.iat", CheckStatus::Fail, format!("iat {e}")),
    };
    let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
    let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
    let when = crate::token::claims::when(iat, now);
    if iat > now.saturating_add(leeway) {
        Check::new(
            "kb.iat",
            CheckStatus::Fail,
            format!("iat is {when}, in the future beyond the leeway"),
        )
    } else if iat < now.saturating_sub(max_age).saturating_sub(leeway) {
        Check::new(
            "kb.iat",
            CheckStatus::Fail,
            format!(
                "iat is {when}: the key-binding JWT is older than the {max_age} s a presentation is accepted for (a replay?)"
            ),
        )
    } else {
        Check::new(
            "kb.iat",
            CheckStatus::Pass,
            format!("iat is {when}, within {max_age} s"),
        )
    }
}
