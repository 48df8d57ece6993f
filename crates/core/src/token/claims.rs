//! Claim checks: each has an id, a status (pass, fail, warn, info) and a reason a person
//! understands. Times are judged against an injected `now` with a leeway; issuer and audience
//! against expected values; ID-token specifics (nonce, at_hash, c_hash, azp, auth_time with
//! max_age); RFC 9068 `typ` for JWT access tokens; RFC 8725 hygiene (no `exp`, long lifetimes
//! also when there is no `iat`, key-bearing headers `jku`/`jwk`/`x5u`/`x5c`, `crit`), and the
//! header and claims being well-formed (duplicate members, `typ`/`cty` strings).
//!
//! Instants beyond what RFC 3339 can write (after the year 9999, e.g. an `exp` of `1e300`) are
//! named as such instead of "in 292471208620 y".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::timefmt::{duration_phrase, expiry_phrase, relative, rfc3339};
use crate::token::decode::{Jws, json_type};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Checked and fine.
    Pass,
    /// Checked and wrong: the token is not valid.
    Fail,
    /// Suspicious or unverifiable, but not disqualifying.
    Warn,
    /// For information; nothing was judged.
    Info,
}

/// One line of the validation checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id: `exp`, `nbf`, `iat`, `iss`, `aud`, `typ`, `nonce`, `at_hash`, `signature`, ...
    pub id: String,
    /// The verdict.
    pub status: CheckStatus,
    /// Why, in words.
    pub message: String,
}

impl Check {
    /// The message for display, [inert](crate::text::inert): it may quote the token.
    pub fn shown_message(&self) -> std::borrow::Cow<'_, str> {
        crate::text::inert(&self.message)
    }

    /// A check.
    pub fn new(id: &str, status: CheckStatus, message: impl Into<String>) -> Self {
        Self {
            id: id.to_owned(),
            status,
            message: message.into(),
        }
    }
}

/// What kind of token is being inspected; it decides which claims are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A JWT access token (RFC 9068: `typ` must be `at+jwt`).
    Access,
    /// An OpenID Connect ID token (`iss`, `sub`, `aud`, `exp`, `iat` required; not `at+jwt`).
    Id,
    /// Unknown: generic JWT checks, plus whatever the options ask for.
    #[default]
    Unknown,
    /// An OpenID Connect Back-Channel Logout token (§2.4): `typ` `logout+jwt` where given,
    /// the back-channel `events` member, `sid` or `sub`, no `nonce`, `iss`, `aud`, `iat`,
    /// `jti`.
    Logout,
}

/// The `events` member of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What the token is expected to be, and the tolerances.
#[derive(Clone, PartialEq, Eq)]
pub struct InspectOptions {
    /// Expected `iss`.
    pub issuer: Option<String>,
    /// Expected audience (for ID tokens, the client id: also checked against `azp`).
    pub audience: Option<String>,
    /// Expected ID token `nonce`.
    pub nonce: Option<String>,
    /// The access token issued with the ID token, to check `at_hash`.
    pub access_token: Option<String>,
    /// The authorization code issued with the ID token, to check `c_hash`.
    pub code: Option<String>,
    /// The `max_age` sent in the authorization request (seconds): `auth_time` must be recent.
    pub max_age: Option<u64>,
    /// Clock skew tolerated on `exp`, `nbf`, `iat`, `auth_time` (seconds).
    pub leeway: u64,
    /// Warn when `exp - iat` is longer than this (seconds).
    pub max_lifetime: Option<u64>,
    /// Access token, ID token or unknown.
    pub kind: TokenKind,
    /// For `TokenKind::Access`: a `typ` other than `at+jwt` fails (RFC 9068 substitution
    /// defence). Off when the token is known to be an access token (it came from the token
    /// endpoint as `access_token`): then a non-RFC 9068 `typ` is only a warning.
    pub strict_typ: bool,
}

impl Default for InspectOptions {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            nonce: None,
            access_token: None,
            code: None,
            max_age: None,
            leeway: 60,
            max_lifetime: Some(24 * 3600),
            strict_typ: true,
            kind: TokenKind::Unknown,
        }
    }
}

impl std::fmt::Debug for InspectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // access_token and code are credentials: only say whether they are set.
        f.debug_struct("InspectOptions")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("nonce", &self.nonce.as_ref().map(|_| "[set]"))
            .field("access_token", &self.access_token.as_ref().map(|_| "[set]"))
            .field("code", &self.code.as_ref().map(|_| "[set]"))
            .field("max_age", &self.max_age)
            .field("leeway", &self.leeway)
            .field("max_lifetime", &self.max_lifetime)
            .field("kind", &self.kind)
            .field("strict_typ", &self.strict_typ)
            .finish()
    }
}

/// A NumericDate claim read as whole unix seconds; `Err` says why it is not one.
pub fn numeric_date(claims: &Map<String, Value>, name: &str) -> Option<Result<i64, String>> {
    let v = claims.get(name)?;
    Some(match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                // Fractional seconds are allowed (RFC 7519 §2); saturating cast by design.
                #[allow(clippy::cast_possible_truncation)]
                Ok(f.floor() as i64)
            } else {
                Ok(i64::MAX)
            }
        }
        other => Err(format!(
            "{name} is {}, not a number of seconds since 1970",
            json_type(other)
        )),
    })
}

/// 9999-12-31T23:59:59Z and 0000-01-01T00:00:00Z: the instants RFC 3339 can still write.
const LAST_DATE: i64 = 253_402_300_799;
const FIRST_DATE: i64 = -62_167_219_200;

/// A span of seconds, or "more than 1000 years" for the absurd ones.
fn span(secs: u64) -> String {
    if secs > 1000 * 365 * 86_400 {
        "more than 1000 years".to_owned()
    } else {
        duration_phrase(secs)
    }
}

/// Whether `t` is outside the years 0000–9999.
fn beyond_dates(t: i64) -> bool {
    !(FIRST_DATE..=LAST_DATE).contains(&t)
}

/// `in 4 min (2026-11-26T12:04:00Z)`, or for an instant outside the years 0000–9999
/// `after the year 9999 (not a real date)`.
pub fn when(t: i64, now: i64) -> String {
    if t > LAST_DATE {
        "after the year 9999 (not a real date)".to_owned()
    } else if t < FIRST_DATE {
        "before the year 0 (not a real date)".to_owned()
    } else {
        format!("{} ({})", relative(t, now), rfc3339(t))
    }
}

/// `2026-11-26T12:04:00Z, in 4 min`, the note a table of claims shows after a time, or
/// `after the year 9999: not a real date`.
pub fn time_note(t: i64, now: i64) -> String {
    if t > LAST_DATE {
        "after the year 9999: not a real date".to_owned()
    } else if t < FIRST_DATE {
        "before the year 0: not a real date".to_owned()
    } else {
        format!("{}, {}", rfc3339(t), relative(t, now))
    }
}

/// `expires in 4 min (2026-...)`, `expired 3 h ago (2026-...)`, or for an absurd `exp`
/// `expires after the year 9999 (not a real date: it practically never expires)`.
fn expiry(exp: i64, now: i64) -> String {
    if exp > LAST_DATE {
        "expires after the year 9999 (not a real date: it practically never expires)".to_owned()
    } else if exp < FIRST_DATE {
        "expired before the year 0 (not a real date)".to_owned()
    } else {
        format!("{} ({})", expiry_phrase(exp, now), rfc3339(exp))
    }
}

/// The checks whose status or message depends on the clock: `exp`, `nbf`, `iat` (in that
/// order; a claim that is absent and not required has no check). [`Inspection::retime`]
/// (crate::token::Inspection::retime) runs them again as time passes.
pub fn time_checks(claims: &Map<String, Value>, opts: &InspectOptions, now: i64) -> Vec<Check> {
    let mut out = Vec::new();
    let is_id = opts.kind == TokenKind::Id;
    let leeway = i64::try_from(opts.leeway).unwrap_or(i64::MAX);

    // exp
    match numeric_date(claims, "exp") {
        None => {
            let status = if is_id {
                CheckStatus::Fail
            } else {
                CheckStatus::Warn
            };
            out.push(Check::new(
                "exp",
                status,
                "no exp: the token never expires, so a leaked copy works forever (RFC 8725 §3.10)",
            ));
        }
        Some(Err(e)) => {
            out.push(Check::new("exp", CheckStatus::Fail, e));
        }
        Some(Ok(exp)) => {
            let c = if now >= exp.saturating_add(leeway) {
                Check::new("exp", CheckStatus::Fail, expiry(exp, now))
            } else if now >= exp {
                Check::new(
                    "exp",
                    CheckStatus::Warn,
                    format!(
                        "{}, accepted within the {} s leeway",
                        expiry(exp, now),
                        opts.leeway
                    ),
                )
            } else {
                Check::new("exp", CheckStatus::Pass, expiry(exp, now))
            };
            out.push(c);
        }
    }

    // nbf
    match numeric_date(claims, "nbf") {
        None => {}
        Some(Err(e)) => {
            out.push(Check::new("nbf", CheckStatus::Fail, e));
        }
        Some(Ok(nbf)) => {
            let c = if nbf.saturating_sub(leeway) > now {
                Check::new(
                    "nbf",
                    CheckStatus::Fail,
                    format!("not valid yet: valid from {}", when(nbf, now)),
                )
            } else if nbf > now {
                Check::new(
                    "nbf",
                    CheckStatus::Warn,
                    format!(
                        "valid from {}, accepted within the {} s leeway",
                        when(nbf, now),
                        opts.leeway
                    ),
                )
            } else {
                Check::new(
                    "nbf",
                    CheckStatus::Pass,
                    format!("valid since {}", when(nbf, now)),
                )
            };
            out.push(c);
        }
    }

    // iat
    match numeric_date(claims, "iat") {
        None => {
            if is_id {
                out.push(Check::new(
                    "iat",
                    CheckStatus::Fail,
                    "no iat: an ID token must say when it was issued",
                ));
            }
        }
        Some(Err(e)) => {
            out.push(Check::new("iat", CheckStatus::Fail, e));
        }
        Some(Ok(iat)) => {
            let c = if iat.saturating_sub(leeway) > now {
                Check::new(
                    "iat",
                    CheckStatus::Fail,
                    format!(
                        "issued in the future: {}; the clocks disagree or the token was made up",
                        when(iat, now)
                    ),
                )
            } else {
                Check::new(
                    "iat",
                    CheckStatus::Pass,
                    format!("issued {}", when(iat, now)),
                )
            };
            out.push(c);
        }
    }
    out
}

/// The instants after `now` at which a [`time_checks`] status changes (`exp`, `exp` + leeway,
/// `nbf` − leeway, `nbf`, `iat` − leeway): the next one, if any.
pub fn next_time_boundary(
    claims: &Map<String, Value>,
    opts: &InspectOptions,
    now: i64,
) -> Option<i64> {
    let leeway = i64::try_from(opts.leeway).unwrap_or(i64::MAX);
    let read = |name: &str| numeric_date(claims, name).and_then(Result::ok);
    let mut at = Vec::new();
    if let Some(exp) = read("exp") {
        at.extend([exp, exp.saturating_add(leeway)]);
    }
    if let Some(nbf) = read("nbf") {
        at.extend([nbf.saturating_sub(leeway), nbf]);
    }
    if let Some(iat) = read("iat") {
        at.push(iat.saturating_sub(leeway));
    }
    at.into_iter().filter(|t| *t > now).min()
}

/// Everything but the signature: time, issuer, audience, type, ID-token and header checks.
pub fn check_claims(jws: &Jws, opts: &InspectOptions, now: i64) -> Vec<Check> {
    let claims = &jws.claims;
    // A logout token must name its issuer and audience as an ID token does.
    let is_id = matches!(opts.kind, TokenKind::Id | TokenKind::Logout);
    let leeway = i64::try_from(opts.leeway).unwrap_or(i64::MAX);
    let mut out = time_checks(claims, opts, now);
    let read = |name: &str| numeric_date(claims, name).and_then(Result::ok);
    let (exp, nbf, iat) = (read("exp"), read("nbf"), read("iat"));

    // lifetime
    if let (Some(exp), Some(start)) = (exp, iat.or(nbf)) {
        let from = if iat.is_some() { "iat" } else { "nbf" };
        if beyond_dates(exp) || beyond_dates(start) {
            out.push(Check::new(
                "lifetime",
                CheckStatus::Warn,
                format!(
                    "exp or {from} is not a real date (outside the years 0000-9999), so the lifetime is meaningless; the token practically never expires (RFC 8725)"
                ),
            ));
        } else if exp < start {
            out.push(Check::new(
                "lifetime",
                CheckStatus::Fail,
                format!("exp is before {from}: the token was never valid"),
            ));
        } else {
            let life = exp
                .checked_sub(start)
                .and_then(|d| u64::try_from(d).ok())
                .unwrap_or(u64::MAX);
            match opts.max_lifetime {
                Some(max) if life > max => out.push(Check::new(
                    "lifetime",
                    CheckStatus::Warn,
                    format!(
                        "lifetime {} is longer than {}: long-lived tokens stay useful to a thief (RFC 8725)",
                        span(life),
                        span(max)
                    ),
                )),
                _ => out.push(Check::new(
                    "lifetime",
                    CheckStatus::Info,
                    format!("lifetime {} ({from} to exp)", span(life)),
                )),
            }
        }
    } else if let Some(exp) = exp {
        // No iat or nbf: the lifetime cannot be measured, but what is left of it can.
        let left = exp
            .checked_sub(now)
            .and_then(|d| u64::try_from(d).ok())
            .unwrap_or(if exp > now { u64::MAX } else { 0 });
        match opts.max_lifetime {
            Some(max) if left > max || beyond_dates(exp) => out.push(Check::new(
                "lifetime",
                CheckStatus::Warn,
                format!(
                    "no iat or nbf, so the lifetime cannot be measured, but exp is {} from now, longer than {}: long-lived tokens stay useful to a thief (RFC 8725)",
                    if beyond_dates(exp) { "more than 1000 years".to_owned() } else { span(left) },
                    span(max)
                ),
            )),
            _ => {}
        }
    }

    check_iss(&mut out, claims, opts, is_id);
    let audiences = check_aud(&mut out, claims, opts, is_id);
    check_typ(&mut out, jws, opts);
    if opts.kind == TokenKind::Id {
        match claims.get("sub") {
            Some(Value::String(s)) if !s.is_empty() => {
                out.push(Check::new(
                    "sub",
                    CheckStatus::Pass,
                    format!("sub is \"{s}\""),
                ));
            }
            _ => out.push(Check::new(
                "sub",
                CheckStatus::Fail,
                "no sub: an ID token must name the user",
            )),
        }
    }
    if opts.kind == TokenKind::Logout {
        check_logout(&mut out, claims);
    } else {
        check_nonce(&mut out, claims, opts);
    }
    check_hash_claim(
        &mut out,
        jws,
        "at_hash",
        "access token",
        opts.access_token.as_deref(),
    );
    check_hash_claim(
        &mut out,
        jws,
        "c_hash",
        "authorization code",
        opts.code.as_deref(),
    );
    check_azp(&mut out, claims, opts, is_id, &audiences);
    check_auth_time(&mut out, claims, opts, now, leeway);
    check_header_hygiene(&mut out, jws);
    out
}

fn check_iss(
    out: &mut Vec<Check>,
    claims: &Map<String, Value>,
    opts: &InspectOptions,
    is_id: bool,
) {
    let iss = claims.get("iss");
    match (&opts.issuer, iss) {
        (Some(expected), Some(Value::String(iss))) if iss == expected => {
            out.push(Check::new(
                "iss",
                CheckStatus::Pass,
                format!("iss is \"{iss}\" as expected"),
            ));
        }
        (Some(expected), Some(Value::String(iss))) => {
            let hint = if iss.trim_end_matches('/') == expected.trim_end_matches('/') {
                " (they differ only by a trailing slash, but issuers are compared exactly)"
            } else {
                ""
            };
            out.push(Check::new(
                "iss",
                CheckStatus::Fail,
                format!("iss is \"{iss}\", expected \"{expected}\"{hint}"),
            ));
        }
        (Some(expected), Some(other)) => out.push(Check::new(
            "iss",
            CheckStatus::Fail,
            format!(
                "iss is {}, expected the string \"{expected}\"",
                json_type(other)
            ),
        )),
        (Some(expected), None) => out.push(Check::new(
            "iss",
            CheckStatus::Fail,
            format!("no iss, expected \"{expected}\""),
        )),
        (None, Some(Value::String(iss))) => out.push(Check::new(
            "iss",
            CheckStatus::Info,
            format!("iss is \"{iss}\" (no expected issuer given, not checked)"),
        )),
        (None, Some(other)) => out.push(Check::new(
            "iss",
            CheckStatus::Fail,
            format!("iss is {}, not a string", json_type(other)),
        )),
        (None, None) if is_id => out.push(Check::new(
            "iss",
            CheckStatus::Fail,
            "no iss: an ID token must name its issuer",
        )),
        (None, None) => {}
    }
}

/// Checks `aud`; returns the audiences read (empty when absent or malformed).
fn check_aud(
    out: &mut Vec<Check>,
    claims: &Map<String, Value>,
    opts: &InspectOptions,
    is_id: bool,
) -> Vec<String> {
    let audiences: Result<Vec<String>, String> = match claims.get("aud") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("aud holds {}, not only strings", json_type(v)))
            })
            .collect(),
        Some(other) => Err(format!(
            "aud is {}, not a string or an array",
            json_type(other)
        )),
    };
    let audiences = match audiences {
        Ok(a) => a,
        Err(e) => {
            out.push(Check::new("aud", CheckStatus::Fail, e));
            return Vec::new();
        }
    };
    let shown = audiences
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    match &opts.audience {
        Some(expected) if audiences.iter().any(|a| a == expected) => out.push(Check::new(
            "aud",
            CheckStatus::Pass,
            format!("aud includes \"{expected}\""),
        )),
        Some(expected) if audiences.is_empty() => out.push(Check::new(
            "aud",
            CheckStatus::Fail,
            format!("no aud, expected \"{expected}\": the token is not addressed to anyone"),
        )),
        Some(expected) => out.push(Check::new(
            "aud",
            CheckStatus::Fail,
            format!("aud is {shown}, not \"{expected}\": the token was issued for someone else"),
        )),
        None if audiences.is_empty() && is_id => out.push(Check::new(
            "aud",
            CheckStatus::Fail,
            "no aud: an ID token must name the client it is for",
        )),
        None if audiences.is_empty() => {}
        None => out.push(Check::new(
            "aud",
            CheckStatus::Info,
            format!("aud is {shown} (no expected audience given, not checked)"),
        )),
    }
    audiences
}

fn check_typ(out: &mut Vec<Check>, jws: &Jws, opts: &InspectOptions) {
    if let Some(other) = jws.header.get("typ").filter(|v| !v.is_string()) {
        out.push(Check::new(
            "typ",
            CheckStatus::Fail,
            format!(
                "typ is {}, not a string (RFC 7515 §4.1.9): the header is malformed",
                json_type(other)
            ),
        ));
        return;
    }
    let typ = jws.header.get("typ").and_then(Value::as_str);
    // RFC 9068 §4: compare case-insensitively, with or without the "application/" prefix.
    let is_at_jwt = typ.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == "at+jwt" || t == "application/at+jwt"
    });
    let shown = typ.map_or_else(|| "absent".to_owned(), |t| format!("\"{t}\""));
    match opts.kind {
        TokenKind::Access if is_at_jwt => out.push(Check::new(
            "typ",
            CheckStatus::Pass,
            "typ is at+jwt: a JWT access token (RFC 9068)",
        )),
        TokenKind::Access if !opts.strict_typ => out.push(Check::new(
            "typ",
            CheckStatus::Warn,
            format!(
                "typ is {shown}: not an RFC 9068 JWT access token (which carries typ \"at+jwt\"); resource servers cannot tell it from other JWTs by its header"
            ),
        )),
        TokenKind::Access => out.push(Check::new(
            "typ",
            CheckStatus::Fail,
            format!(
                "typ is {shown}; RFC 9068 access tokens carry typ \"at+jwt\", so another kind of JWT (an ID token?) cannot pass as one"
            ),
        )),
        TokenKind::Id if is_at_jwt => out.push(Check::new(
            "typ",
            CheckStatus::Fail,
            "typ is at+jwt: this is an access token, not an ID token",
        )),
        TokenKind::Id => {}
        TokenKind::Logout => {
            let is_logout = typ.is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t == "logout+jwt" || t == "application/logout+jwt"
            });
            out.push(match typ {
                _ if is_logout => Check::new(
                    "typ",
                    CheckStatus::Pass,
                    "typ is logout+jwt: an explicitly typed logout token",
                ),
                None => Check::new(
                    "typ",
                    CheckStatus::Info,
                    "no typ: Back-Channel Logout §2.4 recommends logout+jwt, so that no other \
                     JWT can pass as a logout token by its header",
                ),
                Some(_) => Check::new(
                    "typ",
                    CheckStatus::Fail,
                    format!(
                        "typ is {shown}, not logout+jwt: another kind of JWT (an ID token?) \
                         offered as a logout token (Back-Channel Logout §2.4)"
                    ),
                ),
            });
        }
        TokenKind::Unknown => {
            if let Some(t) = typ {
                let what = if is_at_jwt {
                    " (a JWT access token, RFC 9068)"
                } else {
                    ""
                };
                out.push(Check::new("typ", CheckStatus::Info, format!("typ is \"{t}\"{what}")));
            }
        }
    }
}

/// The rules of a logout token beyond the usual claims (Back-Channel Logout 1.0 §2.4, §2.6).
fn check_logout(out: &mut Vec<Check>, claims: &Map<String, Value>) {
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|e| e.get(BACKCHANNEL_LOGOUT_EVENT));
    out.push(match (claims.get("events"), event) {
        (_, Some(Value::Object(_))) => Check::new(
            "logout.events",
            CheckStatus::Pass,
            "events names the back-channel logout event",
        ),
        (_, Some(other)) => Check::new(
            "logout.events",
            CheckStatus::Fail,
            format!(
                "the back-channel logout event's value is {}, not a JSON object (§2.4)",
                json_type(other)
            ),
        ),
        (Some(_), None) => Check::new(
            "logout.events",
            CheckStatus::Fail,
            format!("events does not name {BACKCHANNEL_LOGOUT_EVENT} (§2.4)"),
        ),
        (None, None) => Check::new(
            "logout.events",
            CheckStatus::Fail,
            "no events claim: not a logout token (§2.4 requires the back-channel logout event)",
        ),
    });
    let named = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    out.push(match (named("sid"), named("sub")) {
        (false, false) => Check::new(
            "logout.sid-sub",
            CheckStatus::Fail,
            "neither sid nor sub: the token does not say whose session ends (§2.4)",
        ),
        (sid, sub) => Check::new(
            "logout.sid-sub",
            CheckStatus::Pass,
            match (sid, sub) {
                (true, true) => "names the session (sid) and the user (sub)",
                (true, false) => "names the session (sid)",
                _ => "names the user (sub)",
            },
        ),
    });
    out.push(if claims.contains_key("nonce") {
        Check::new(
            "logout.nonce",
            CheckStatus::Fail,
            "a logout token must not carry a nonce (§2.4): this may be an ID token replayed as \
             a logout token",
        )
    } else {
        Check::new(
            "logout.nonce",
            CheckStatus::Pass,
            "no nonce, as §2.4 requires",
        )
    });
    for (name, why) in [
        ("iat", "when it was issued"),
        ("jti", "its unique id, against replays"),
    ] {
        if !claims.contains_key(name) {
            out.push(Check::new(
                name,
                CheckStatus::Fail,
                format!("no {name}: a logout token must carry {why} (§2.4)"),
            ));
        } else if name == "jti" {
            out.push(Check::new("jti", CheckStatus::Pass, "jti is present"));
        }
    }
}

fn check_nonce(out: &mut Vec<Check>, claims: &Map<String, Value>, opts: &InspectOptions) {
    let nonce = claims.get("nonce");
    match (&opts.nonce, nonce) {
        (Some(expected), Some(Value::String(n))) if n == expected => out.push(Check::new(
            "nonce",
            CheckStatus::Pass,
            "nonce matches the one sent in the authorization request",
        )),
        (Some(_), Some(Value::String(_))) => out.push(Check::new(
            "nonce",
            CheckStatus::Fail,
            "nonce does not match the one sent: the ID token may be replayed from another login",
        )),
        (Some(_), Some(other)) => out.push(Check::new(
            "nonce",
            CheckStatus::Fail,
            format!("nonce is {}, not a string", json_type(other)),
        )),
        (Some(_), None) => out.push(Check::new(
            "nonce",
            CheckStatus::Fail,
            "no nonce in the token, but one was sent in the authorization request",
        )),
        (None, Some(_)) => out.push(Check::new(
            "nonce",
            CheckStatus::Info,
            "the token carries a nonce; give the one you sent to check it",
        )),
        (None, None) => {}
    }
}

/// `base64url(left half of HASH(value))`, HASH chosen by the token's `alg` (OIDC Core §3.1.3.6,
/// EdDSA with Ed25519 uses SHA-512). `None` when the algorithm names no hash.
pub fn left_half_hash(alg: &str, value: &str) -> Option<String> {
    let digest: Vec<u8> = match alg {
        "HS256" | "RS256" | "PS256" | "ES256" | "ES256K" => Sha256::digest(value).to_vec(),
        "HS384" | "RS384" | "PS384" | "ES384" => Sha384::digest(value).to_vec(),
        "HS512" | "RS512" | "PS512" | "ES512" | "EdDSA" | "Ed25519" => {
            Sha512::digest(value).to_vec()
        }
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

fn check_hash_claim(out: &mut Vec<Check>, jws: &Jws, id: &str, what: &str, value: Option<&str>) {
    let claim = jws.claims.get(id);
    match (claim, value) {
        (None, _) => {}
        (Some(_), None) => out.push(Check::new(
            id,
            CheckStatus::Info,
            format!("{id} present; give the {what} to check it"),
        )),
        (Some(Value::String(claimed)), Some(value)) => {
            let alg = jws.alg().unwrap_or("");
            match left_half_hash(alg, value) {
                None => out.push(Check::new(
                    id,
                    CheckStatus::Warn,
                    format!("cannot compute {id}: alg \"{alg}\" names no hash"),
                )),
                Some(expected) if &expected == claimed => out.push(Check::new(
                    id,
                    CheckStatus::Pass,
                    format!("{id} matches the {what}"),
                )),
                Some(_) => out.push(Check::new(
                    id,
                    CheckStatus::Fail,
                    format!(
                        "{id} does not match the {what}: the {what} was swapped or does not belong to this ID token"
                    ),
                )),
            }
        }
        (Some(other), Some(_)) => out.push(Check::new(
            id,
            CheckStatus::Fail,
            format!("{id} is {}, not a string", json_type(other)),
        )),
    }
}

fn check_azp(
    out: &mut Vec<Check>,
    claims: &Map<String, Value>,
    opts: &InspectOptions,
    is_id: bool,
    audiences: &[String],
) {
    let azp = claims.get("azp");
    match azp {
        Some(Value::String(azp)) => match &opts.audience {
            Some(client) if is_id && azp != client => out.push(Check::new(
                "azp",
                CheckStatus::Fail,
                format!("azp is \"{azp}\", but the client is \"{client}\": the ID token was issued to another party"),
            )),
            Some(_) if is_id => out.push(Check::new(
                "azp",
                CheckStatus::Pass,
                format!("azp is \"{azp}\", this client"),
            )),
            _ => out.push(Check::new(
                "azp",
                CheckStatus::Info,
                format!("azp (authorized party) is \"{azp}\""),
            )),
        },
        Some(other) => out.push(Check::new(
            "azp",
            CheckStatus::Fail,
            format!("azp is {}, not a string", json_type(other)),
        )),
        None if is_id && audiences.len() > 1 => out.push(Check::new(
            "azp",
            CheckStatus::Warn,
            "several audiences but no azp: the token does not say which client it was issued to (OIDC Core §2)",
        )),
        None => {}
    }
}

fn check_auth_time(
    out: &mut Vec<Check>,
    claims: &Map<String, Value>,
    opts: &InspectOptions,
    now: i64,
    leeway: i64,
) {
    let auth_time = numeric_date(claims, "auth_time");
    match (opts.max_age, auth_time) {
        (_, Some(Err(e))) => out.push(Check::new("auth_time", CheckStatus::Fail, e)),
        (Some(_), None) => out.push(Check::new(
            "auth_time",
            CheckStatus::Fail,
            "no auth_time, but max_age was requested: the server must say when the user logged in",
        )),
        (Some(max_age), Some(Ok(at))) => {
            let max = i64::try_from(max_age).unwrap_or(i64::MAX);
            if now > at.saturating_add(max).saturating_add(leeway) {
                out.push(Check::new(
                    "auth_time",
                    CheckStatus::Fail,
                    format!(
                        "the user logged in {}, longer ago than max_age {}: a fresh login was required",
                        when(at, now),
                        duration_phrase(max_age)
                    ),
                ));
            } else {
                out.push(Check::new(
                    "auth_time",
                    CheckStatus::Pass,
                    format!(
                        "the user logged in {}, within max_age {}",
                        when(at, now),
                        duration_phrase(max_age)
                    ),
                ));
            }
        }
        (None, Some(Ok(at))) => out.push(Check::new(
            "auth_time",
            CheckStatus::Info,
            format!("the user logged in {}", when(at, now)),
        )),
        (None, None) => {}
    }
}

fn check_header_hygiene(out: &mut Vec<Check>, jws: &Jws) {
    let header = &jws.header;
    for (dups, id, what, rfc) in [
        (
            &jws.duplicate_header,
            "duplicate_header",
            "header",
            "RFC 7515 §4",
        ),
        (
            &jws.duplicate_claims,
            "duplicate_claims",
            "claims",
            "RFC 7519 §4",
        ),
    ] {
        if !dups.is_empty() {
            let names: Vec<String> = dups.iter().map(|d| format!("\"{d}\"")).collect();
            out.push(Check::new(
                id,
                CheckStatus::Fail,
                format!(
                    "the {what} has {} more than once; JSON parsers disagree on which copy counts (some keep the first, others the last), so one token can mean different things to different verifiers. Names must be unique ({rfc}): refused",
                    names.join(", ")
                ),
            ));
        }
    }
    for (name, what) in [
        ("jku", "a URL to fetch keys from"),
        ("x5u", "a URL to fetch a certificate from"),
        ("jwk", "its own verification key"),
        ("x5c", "its own certificate chain"),
    ] {
        if header.contains_key(name) {
            out.push(Check::new(
                name,
                CheckStatus::Warn,
                format!(
                    "the header carries {name} ({what}); it is ignored: keys must come from the issuer's configuration, never from the token (RFC 8725 §3.10)"
                ),
            ));
        }
    }
    if let Some(other) = header.get("cty").filter(|v| !v.is_string()) {
        out.push(Check::new(
            "cty",
            CheckStatus::Fail,
            format!(
                "cty is {}, not a string (RFC 7515 §4.1.10): the header is malformed",
                json_type(other)
            ),
        ));
    }
    if let Some(crit) = header.get("crit") {
        out.push(Check::new(
            "crit",
            CheckStatus::Fail,
            crit_problem(crit, header),
        ));
    }
}

/// Header parameters the JWS and JWA specifications define: `crit` must not list them.
const REGISTERED_HEADER: [&str; 13] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc", "zip",
];

/// Why a `crit` header is refused. grantscope implements no JWS extension, so any `crit` is:
/// the message names the first thing wrong with it (RFC 7515 §4.1.11).
fn crit_problem(crit: &Value, header: &Map<String, Value>) -> String {
    let items = match crit {
        Value::Array(items) if items.is_empty() => {
            return "crit is an empty array; RFC 7515 §4.1.11 does not allow an empty list (a producer with no critical extensions omits crit): the header is malformed".to_owned();
        }
        Value::Array(items) => items,
        other => {
            return format!(
                "crit is {}; it must be a non-empty array of header parameter names (RFC 7515 §4.1.11)",
                json_type(other)
            );
        }
    };
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        match item.as_str() {
            Some(name) => names.push(name),
            None => {
                return format!(
                    "crit holds {}, not only header parameter names (strings) (RFC 7515 §4.1.11)",
                    json_type(item)
                );
            }
        }
    }
    if let Some(name) = names.iter().find(|n| REGISTERED_HEADER.contains(n)) {
        return format!(
            "crit lists \"{name}\", a parameter the JWS specification itself defines; RFC 7515 §4.1.11 forbids that: the header is malformed"
        );
    }
    if let Some(name) = names.iter().find(|n| !header.contains_key(**n)) {
        return format!(
            "crit lists \"{name}\" but the header has no such parameter (RFC 7515 §4.1.11): the header is malformed"
        );
    }
    format!(
        "crit lists extensions grantscope does not understand ({}); RFC 7515 §4.1.11 says such a token must be rejected",
        names.join(", ")
    )
}
