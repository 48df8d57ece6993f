//! SD-JWT (RFC 9901) and SD-JWT VC: the compact `<issuer-jwt>~<disclosure>~…~[<kb-jwt>]`
//! form verified the way §7.1 and §7.3 say, each rule a named check that fails with its reason.
//!
//! The token is split and capped first (`parse.rs`); each Disclosure is decoded and its digest
//! computed over its base64url text with `_sd_alg`; the issuer-signed JWT is verified with the
//! usual [`verify`] and keys; the Processed SD-JWT Payload is rebuilt (`process.rs`: `_sd`
//! arrays and `{"...": digest}` elements, recursively, decoys dropped and counted); the
//! key-binding JWT is checked against `cnf.jwk` (`kb.rs`); an SD-JWT VC (`typ` `dc+sd-jwt`) has
//! its `vct` and never-disclosable claims checked. The report's shape is DESIGN.md's
//! ("SD-JWT"); [`crate::token::inspect`] wraps it into an [`Inspection`](crate::token::Inspection).

pub mod kb;
pub mod parse;
pub mod process;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::token::claims::{Check, CheckStatus, InspectOptions, check_claims};
use crate::token::decode::{Decoded, decode, normalize};
use crate::token::jwks::Keys;
use crate::token::verify::{SignatureReport, SignatureStatus, verify};

pub use parse::{Content, HashAlg, MAX_DISCLOSURES, MAX_SD_JWT_BYTES};

/// What the verifier expects of the key binding.
#[derive(Clone, PartialEq, Eq)]
pub struct SdJwtOptions {
    /// The nonce the verifier sent (`--kb-nonce`). Given, key binding is required.
    pub kb_nonce: Option<String>,
    /// The verifier's own identifier, the KB-JWT's `aud` (`--kb-audience`). Given, key
    /// binding is required.
    pub kb_audience: Option<String>,
    /// How old a KB-JWT's `iat` may be (seconds, beyond the leeway).
    pub kb_max_age: u64,
}

impl Default for SdJwtOptions {
    fn default() -> Self {
        Self {
            kb_nonce: None,
            kb_audience: None,
            kb_max_age: 300,
        }
    }
}

impl std::fmt::Debug for SdJwtOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdJwtOptions")
            .field("kb_nonce", &self.kb_nonce.as_ref().map(|_| "[set]"))
            .field("kb_audience", &self.kb_audience)
            .field("kb_max_age", &self.kb_max_age)
            .finish()
    }
}

impl SdJwtOptions {
    /// Whether the verifier asks for key binding (a nonce or an audience is expected).
    pub fn requires_key_binding(&self) -> bool {
        self.kb_nonce.is_some() || self.kb_audience.is_some()
    }
}

/// The `sd_jwt` object of an inspection (DESIGN.md, "SD-JWT").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SdJwtReport {
    /// The issuer-signed payload as signed (digests, `_sd_alg` and all), or null.
    pub issuer_claims: Value,
    /// `_sd_alg` as written, or `sha-256` when absent.
    pub sd_alg: String,
    /// Every Disclosure presented, in order.
    pub disclosures: Vec<DisclosureReport>,
    /// How many embedded digests no Disclosure matched (decoys or withheld claims).
    pub undisclosed: usize,
    /// The key-binding JWT, when one was presented.
    pub key_binding: Option<KeyBindingReport>,
}

/// One row of the disclosure table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisclosureReport {
    /// The Disclosure as presented (base64url).
    pub disclosure: String,
    /// Its digest under `_sd_alg` (null when that algorithm is not supported).
    pub digest: Option<String>,
    /// Its salt (null when it could not be decoded).
    pub salt: Option<String>,
    /// The claim name; null for an array element (or an undecodable Disclosure).
    pub name: Option<String>,
    /// The disclosed value (null when undecodable).
    pub value: Value,
    /// Where it went in the processed claims (a JSON Pointer, RFC 6901); null when it was
    /// not placed (unreferenced or refused).
    pub path: Option<String>,
}

/// The key-binding JWT and its checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyBindingReport {
    /// Its header, or null when it could not be decoded.
    pub header: Value,
    /// Its claims, or null.
    pub claims: Value,
    /// Its signature against the holder key in `cnf.jwk`.
    pub signature: SignatureReport,
    /// `kb.typ`, `kb.signature`, `kb.sd_hash`, `kb.nonce`, `kb.aud`, `kb.iat`.
    pub checks: Vec<Check>,
}

/// Everything verifying an SD-JWT gave; [`crate::token::inspect`] makes it an inspection.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The issuer-signed JWT's header, or null.
    pub header: Value,
    /// The Processed SD-JWT Payload, or null when the issuer-signed JWT could not be read.
    pub claims: Value,
    /// The issuer's signature.
    pub signature: SignatureReport,
    /// The issuer-signed JWT's checks, then the SD-JWT rules, the key binding's, the VC's.
    pub checks: Vec<Check>,
    /// The `sd_jwt` object.
    pub report: SdJwtReport,
}

impl Verified {
    /// True only when the issuer signature verifies, no check failed, and a presented KB-JWT
    /// verifies.
    pub fn valid(&self) -> bool {
        self.signature.status == SignatureStatus::Verified
            && !self.checks.iter().any(|c| c.status == CheckStatus::Fail)
            && self
                .report
                .key_binding
                .as_ref()
                .is_none_or(|kb| kb.signature.status == SignatureStatus::Verified)
    }
}

/// Whether `input` is meant as an SD-JWT: it has a `~`, and what comes before the first one
/// starts like a JWT (a dot after a base64url JSON object). An opaque token with a `~` in it
/// (RFC 6750 allows one) is not.
pub fn is_sd_jwt(input: &str) -> bool {
    let token = normalize(input);
    let Some((first, _)) = token.split_once('~') else {
        return false;
    };
    let Some((header, _)) = first.split_once('.') else {
        return false;
    };
    crate::token::decode::b64(header, crate::token::decode::Segment::Header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .is_some_and(|v| v.is_object())
}

/// The issuer-signed JWT's `kid`, to choose the issuer's key before verifying.
pub fn issuer_kid(input: &str) -> Option<String> {
    let token = normalize(input);
    let (first, _) = token.split_once('~')?;
    match decode(first) {
        Ok(Decoded::Jws(jws)) => jws.kid().map(str::to_owned),
        _ => None,
    }
}

/// The presentation a holder makes from `input` keeping only the Disclosures `keep` says yes
/// to (by index): the issuer-signed JWT, those Disclosures, and the final `~`, without any
/// key-binding JWT (its `sd_hash` would no longer match; RFC 9901 §7.2). None when `input` is
/// not an SD-JWT.
pub fn present(input: &str, keep: impl Fn(usize) -> bool) -> Option<String> {
    let parts = parse::split(normalize(input)).ok()?;
    let mut out = String::from(parts.issuer_jwt);
    out.push('~');
    for (i, d) in parts.disclosures.iter().enumerate() {
        if keep(i) {
            out.push_str(d);
            out.push('~');
        }
    }
    Some(out)
}

fn refused(why: String, disclosures: Vec<DisclosureReport>) -> Verified {
    Verified {
        header: Value::Null,
        claims: Value::Null,
        signature: SignatureReport {
            status: SignatureStatus::Skipped,
            alg: None,
            kid: None,
            detail: "the SD-JWT could not be read".to_owned(),
        },
        checks: vec![Check::new("decode", CheckStatus::Fail, why)],
        report: SdJwtReport {
            issuer_claims: Value::Null,
            sd_alg: HashAlg::Sha256.name().to_owned(),
            disclosures,
            undisclosed: 0,
            key_binding: None,
        },
    }
}

/// Verifies the SD-JWT `input` with the issuer's `keys`, at `now`. Pure and total: any input
/// yields a report (a failing `decode` check when it cannot be read at all).
pub fn verify_sd_jwt(
    input: &str,
    keys: &Keys,
    options: &InspectOptions,
    sd: &SdJwtOptions,
    now: i64,
) -> Verified {
    let token = normalize(input);
    let parts = match parse::split(token) {
        Ok(parts) => parts,
        Err(why) => return refused(why, Vec::new()),
    };
    let jws = match decode(parts.issuer_jwt) {
        Ok(Decoded::Jws(jws)) => jws,
        Ok(Decoded::Jwe(_)) => {
            return refused(
                "the issuer-signed JWT is an encrypted JWT (JWE): an SD-JWT starts with a signed one (RFC 9901 §4.1)".to_owned(),
                Vec::new(),
            );
        }
        Ok(Decoded::Opaque { .. }) => {
            return refused(
                "the part before the first '~' is not a JWT: an SD-JWT starts with the issuer-signed JWT (RFC 9901 §4)".to_owned(),
                Vec::new(),
            );
        }
        Err(e) => {
            return refused(format!("the issuer-signed JWT: {e}"), Vec::new());
        }
    };

    // The issuer's signature first (RFC 9901 §7.1 step 2); `none` is refused by `verify`.
    let verification = verify(&jws, keys);
    let mut checks = verification.checks;
    let payload = &jws.claims;

    // _sd_alg (§4.1.1, §7.1 step 2.4).
    let (alg, sd_alg_name, alg_check) = match payload.get("_sd_alg") {
        None => (
            Some(HashAlg::Sha256),
            "sha-256".to_owned(),
            Check::new(
                "sd.alg",
                CheckStatus::Pass,
                "no _sd_alg: the digests are sha-256, the default (RFC 9901 §4.1.1)",
            ),
        ),
        Some(Value::String(name)) => match HashAlg::parse(name) {
            Some(alg) => (
                Some(alg),
                name.clone(),
                Check::new("sd.alg", CheckStatus::Pass, format!("_sd_alg is {name}")),
            ),
            None => (
                None,
                name.clone(),
                Check::new(
                    "sd.alg",
                    CheckStatus::Fail,
                    format!(
                        "_sd_alg is \"{name}\", which is not supported (sha-256, sha-384, sha-512): no digest can be checked (RFC 9901 §7.1 step 2.4)"
                    ),
                ),
            ),
        },
        Some(other) => (
            None,
            other.to_string(),
            Check::new(
                "sd.alg",
                CheckStatus::Fail,
                format!(
                    "_sd_alg is {}, not a hash algorithm name",
                    crate::token::decode::json_type(other)
                ),
            ),
        ),
    };

    // Each Disclosure: its content and digest (§7.1 step 3.1).
    let contents: Vec<Result<Content, String>> = parts
        .disclosures
        .iter()
        .map(|d| parse::content(d))
        .collect();
    let digests: Vec<Option<String>> = parts
        .disclosures
        .iter()
        .map(|d| alg.map(|a| a.digest(d)))
        .collect();
    let mut shape: Vec<String> = contents
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.as_ref()
                .err()
                .map(|e| format!("Disclosure #{}: {e}", i + 1))
        })
        .collect();
    let mut duplicates = Vec::new();
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut resent = vec![false; digests.len()];
    for (i, d) in digests.iter().enumerate() {
        if let Some(d) = d {
            if let Some(&first) = first_of.get(d.as_str()) {
                resent[i] = true;
                duplicates.push(format!(
                    "Disclosures #{} and #{} are the same (digest {d}): a Disclosure may be sent once (RFC 9901 §4)",
                    first + 1,
                    i + 1
                ));
            } else {
                first_of.insert(d, i);
            }
        }
    }

    // The processed payload (§7.1 step 3).
    let inputs: Vec<process::Input<'_>> = digests
        .iter()
        .zip(&contents)
        .map(|(d, c)| process::Input {
            digest: d.as_deref(),
            content: c.as_ref().ok(),
        })
        .collect();
    // Without a supported hash no digest is known, so nothing is matched: the payload is
    // shown without its digests.
    let outcome = process::process(payload, &inputs);
    shape.extend(outcome.shape.iter().cloned());
    duplicates.extend(outcome.duplicates.iter().cloned());

    let claims = outcome.claims.clone();
    // The issuer-signed JWT's own claim checks, on the processed payload (§7.1 step 6).
    let mut processed_jws = jws.clone();
    processed_jws.claims = claims.clone();
    checks.extend(check_claims(&processed_jws, options, now));

    let mut alg_check = alg_check;
    if !outcome.alg.is_empty() {
        alg_check = Check::new("sd.alg", CheckStatus::Fail, outcome.alg.join("; "));
    }
    checks.push(alg_check);
    let n = parts.disclosures.len();
    checks.push(if shape.is_empty() {
        Check::new(
            "sd.disclosure",
            CheckStatus::Pass,
            match n {
                0 => "no Disclosures presented".to_owned(),
                1 => "the Disclosure is well-formed and fits where its digest is".to_owned(),
                n => format!("all {n} Disclosures are well-formed and fit where their digests are"),
            },
        )
    } else {
        Check::new("sd.disclosure", CheckStatus::Fail, shape.join("; "))
    });
    checks.push(if duplicates.is_empty() {
        Check::new(
            "sd.digest-duplicate",
            CheckStatus::Pass,
            format!(
                "each of the {} embedded digests appears once",
                outcome.digests
            ),
        )
    } else {
        Check::new(
            "sd.digest-duplicate",
            CheckStatus::Fail,
            duplicates.join("; "),
        )
    });
    let unreferenced: Vec<String> = (0..n)
        .filter(|&i| alg.is_some() && !outcome.referenced[i] && !resent[i])
        .map(|i| {
            let what = match &contents[i] {
                Ok(Content::Property { name, .. }) => format!(" (\"{name}\")"),
                Ok(Content::Element { .. }) => " (an array element)".to_owned(),
                Err(_) => String::new(),
            };
            format!("Disclosure #{}{what}", i + 1)
        })
        .collect();
    checks.push(if unreferenced.is_empty() {
        Check::new(
            "sd.disclosure-unreferenced",
            CheckStatus::Pass,
            "every Disclosure is referenced by a digest in the issuer-signed JWT or in another Disclosure",
        )
    } else {
        Check::new(
            "sd.disclosure-unreferenced",
            CheckStatus::Fail,
            format!(
                "{} {} referenced by no digest the issuer signed (directly or through another Disclosure): not the issuer's, or its parent Disclosure is missing (RFC 9901 §7.1 step 5)",
                unreferenced.join(", "),
                if unreferenced.len() == 1 { "is" } else { "are" }
            ),
        )
    });
    checks.push(if outcome.names.is_empty() {
        Check::new(
            "sd.claim-name",
            CheckStatus::Pass,
            "no Disclosure uses a reserved name (_sd, ...) or one the object already has",
        )
    } else {
        Check::new("sd.claim-name", CheckStatus::Fail, outcome.names.join("; "))
    });

    // Key binding (§7.3).
    let key_binding = match parts.kb_jwt {
        Some(kb_jwt) => {
            checks.push(Check::new(
                "kb.present",
                CheckStatus::Pass,
                "a key-binding JWT is presented",
            ));
            let report = kb::check(
                kb_jwt,
                parts.presentation,
                &claims,
                alg,
                sd,
                options.leeway,
                now,
            );
            checks.extend(report.checks.iter().cloned());
            Some(report)
        }
        None => {
            checks.push(if sd.requires_key_binding() {
                Check::new(
                    "kb.present",
                    CheckStatus::Fail,
                    "no key-binding JWT, but the verifier asks for one (a nonce or audience is expected): the presentation may be replayed by anyone who saw it (RFC 9901 §7.3 step 2)",
                )
            } else {
                Check::new(
                    "kb.present",
                    CheckStatus::Info,
                    "no key binding presented (give --kb-nonce or --kb-audience to require it)",
                )
            });
            None
        }
    };

    let disclosures: Vec<DisclosureReport> = parts
        .disclosures
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let content = contents[i].as_ref().ok();
            DisclosureReport {
                disclosure: (*d).to_owned(),
                digest: digests[i].clone(),
                salt: content.map(|c| c.salt().to_owned()),
                name: match content {
                    Some(Content::Property { name, .. }) => Some(name.clone()),
                    _ => None,
                },
                value: content.map(|c| c.value().clone()).unwrap_or(Value::Null),
                path: outcome.paths[i].clone(),
            }
        })
        .collect();

    vc_checks(&mut checks, &jws.header, &claims, &disclosures);

    Verified {
        header: Value::Object(jws.header.clone()),
        claims: Value::Object(claims),
        signature: verification.report,
        checks,
        report: SdJwtReport {
            issuer_claims: Value::Object(jws.claims.clone()),
            sd_alg: sd_alg_name,
            disclosures,
            undisclosed: outcome.undisclosed,
            key_binding,
        },
    }
}

/// Claims an SD-JWT VC never makes selectively disclosable (SD-JWT VC §3.2.2).
pub const NOT_DISCLOSABLE: [&str; 6] = ["iss", "nbf", "exp", "cnf", "vct", "status"];

/// SD-JWT VC: a `typ` of `dc+sd-jwt` (or the old `vc+sd-jwt`), or a `vct`, makes the token
/// one; then `vct` is required and [`NOT_DISCLOSABLE`] claims may not come from a Disclosure.
fn vc_checks(
    checks: &mut Vec<Check>,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    disclosures: &[DisclosureReport],
) {
    let typ = header.get("typ").and_then(Value::as_str);
    let vc_typ = typ.filter(|t| {
        let t = t.to_ascii_lowercase();
        let t = t.strip_prefix("application/").unwrap_or(&t);
        t == "dc+sd-jwt" || t == "vc+sd-jwt"
    });
    let has_vct =
        claims.contains_key("vct") || disclosures.iter().any(|d| d.name.as_deref() == Some("vct"));
    if vc_typ.is_none() && !has_vct {
        return;
    }
    checks.push(match vc_typ.map(str::to_ascii_lowercase) {
        Some(t) if t.ends_with("dc+sd-jwt") => {
            Check::new("vc.typ", CheckStatus::Pass, "typ is dc+sd-jwt: an SD-JWT VC")
        }
        Some(_) => Check::new(
            "vc.typ",
            CheckStatus::Warn,
            "typ is vc+sd-jwt, the old name of the SD-JWT VC type: it is dc+sd-jwt now",
        ),
        None => Check::new(
            "vc.typ",
            CheckStatus::Fail,
            format!(
                "the token carries a vct, but its typ is {}: an SD-JWT VC is typed dc+sd-jwt, so it cannot be taken for another kind of SD-JWT",
                typ.map_or_else(|| "absent".to_owned(), |t| format!("\"{t}\""))
            ),
        ),
    });
    checks.push(match claims.get("vct") {
        Some(Value::String(vct)) => {
            Check::new("vc.vct", CheckStatus::Pass, format!("vct is \"{vct}\""))
        }
        Some(other) => Check::new(
            "vc.vct",
            CheckStatus::Fail,
            format!(
                "vct is {}, not a string",
                crate::token::decode::json_type(other)
            ),
        ),
        None => Check::new(
            "vc.vct",
            CheckStatus::Fail,
            "no vct: an SD-JWT VC names its credential type",
        ),
    });
    let disclosed: Vec<&str> = disclosures
        .iter()
        .filter_map(|d| {
            let name = d.name.as_deref()?;
            let top = d.path.as_deref().is_none_or(|p| p == format!("/{name}"));
            (top && NOT_DISCLOSABLE.contains(&name)).then_some(name)
        })
        .collect();
    checks.push(if disclosed.is_empty() {
        Check::new(
            "vc.not-disclosable",
            CheckStatus::Pass,
            "iss, nbf, exp, cnf, vct and status are not selectively disclosed",
        )
    } else {
        Check::new(
            "vc.not-disclosable",
            CheckStatus::Fail,
            format!(
                "{} {} selectively disclosable, which an SD-JWT VC never makes them: a verifier must see them",
                disclosed.join(", "),
                if disclosed.len() == 1 { "is" } else { "are" }
            ),
        )
    });
}

#[cfg(test)]
mod tests;
