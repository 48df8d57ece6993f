//! Inspecting what a flow received, with everything the flow knows: the issuer as the
//! metadata publishes it, the client id as the ID token's expected `aud`/`azp`, the `nonce`
//! sent, the access token and code for `at_hash`/`c_hash`, and the right keys: the server's
//! JWKS, or for an ID token signed with HS256/384/512 the client secret (OpenID Connect Core
//! §3.1.3.7 step 8, §10.1). The command line and the desktop app both inspect through here.
//!
//! An encrypted token (JWE) is opened with the client's decryption keys first, and the token
//! inside is then checked as any other ([`inspect_flow_token`]); the same holds for a userinfo
//! response served as a JWT ([`inspect_userinfo_jwt`]) and an RFC 9701 introspection response
//! ([`inspect_introspection_jwt`]).

use serde_json::Value;

use super::ClientConfig;
use super::discovery::Discovery;
use super::grants::TokenSuccess;
use crate::http::{Exchange, HttpClient};
use crate::token::{
    self, DecodeError, Decoded, InspectOptions, Inspection, KeySource, SharedSecret, TokenKind,
};

/// The inspections of one token response.
#[derive(Debug, Default, Clone)]
pub struct ReceivedInspections {
    pub access_token: Option<Inspection>,
    pub id_token: Option<Inspection>,
    pub refresh_token: Option<Inspection>,
    /// Hybrid and implicit: the ID token that came through the front channel (`c_hash`
    /// checked against the code, `at_hash` against a front-channel access token).
    pub front_channel_id_token: Option<Inspection>,
    /// JWKS fetches made to verify them.
    pub exchanges: Vec<Exchange>,
}

/// The `iss` the tokens must carry: the metadata's `issuer` exactly as published, else the
/// issuer the user gave.
pub fn expected_issuer(cfg: &ClientConfig, discovery: Option<&Discovery>) -> Option<String> {
    discovery
        .and_then(|d| d.metadata.get("issuer").and_then(Value::as_str))
        .map(String::from)
        .or_else(|| {
            cfg.endpoints
                .issuer
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/').to_string())
        })
}

/// The keys that verify a token this client received: for an ID token signed with HS* the
/// client secret (when the client has one), else the JWKS. An access token signed with HS*
/// is the resource server's business: its key is not the client's.
pub fn key_source_for(token: &str, kind: TokenKind, cfg: &ClientConfig) -> KeySource {
    key_source_for_decoded(&token::decode(token), kind, cfg)
}

/// [`key_source_for`] a token decoded already.
pub fn key_source_for_decoded(
    decoded: &Result<Decoded, DecodeError>,
    kind: TokenKind,
    cfg: &ClientConfig,
) -> KeySource {
    let hs = kind == TokenKind::Id
        && match decoded {
            Ok(Decoded::Jws(jws)) => jws.alg().is_some_and(|a| a.starts_with("HS")),
            _ => false,
        };
    match (&cfg.client_secret, &cfg.endpoints.jwks_uri) {
        (Some(secret), _) if hs && !secret.is_empty() => {
            KeySource::Secret(SharedSecret::new(secret.expose().as_bytes()))
        }
        (_, Some(u)) => KeySource::JwksUrl(u.clone()),
        _ => KeySource::None,
    }
}

/// Inspects a token this client received: a JWE is opened with the client's decryption keys
/// first and the token inside is verified with the keys [`key_source_for`] picks for it (the
/// client secret for an HS* ID token, else the JWKS); any other token as
/// [`token::inspect_decoded`] does.
pub async fn inspect_flow_token(
    token_text: &str,
    kind: TokenKind,
    cfg: &ClientConfig,
    http: &HttpClient,
    options: &InspectOptions,
    now: i64,
) -> token::Inspected {
    let decoded = token::decode(token_text);
    if !matches!(decoded, Ok(Decoded::Jwe(_))) {
        let source = key_source_for_decoded(&decoded, kind, cfg);
        return token::inspect_decoded(token_text, decoded, &source, http, options, now).await;
    }
    let keys = cfg.decryption.keys();
    // The source is the inner token's: opened once here to read its `alg`, and again inside
    // the inspection (a few microseconds; the envelope's report is built there).
    let source = match token::jwe::decrypt(token_text, keys) {
        Ok(d) => match std::str::from_utf8(&d.plaintext) {
            Ok(inner) => key_source_for(inner, kind, cfg),
            Err(_) => KeySource::None,
        },
        Err(_) => KeySource::None,
    };
    token::inspect_decrypting(token_text, &source, keys, http, options, now).await
}

/// The checks for a userinfo response served as a JWT (OpenID Connect Core §5.3.2): signed
/// by the issuer, `iss` the issuer and `aud` the client id when present; no `exp` is required.
pub fn userinfo_options(cfg: &ClientConfig, issuer: Option<String>) -> InspectOptions {
    InspectOptions {
        issuer,
        audience: Some(cfg.client_id.clone()),
        kind: TokenKind::Unknown,
        max_lifetime: None,
        ..InspectOptions::default()
    }
}

/// Inspects a userinfo response served as a JWT (`application/jwt`): decrypted with the
/// client's keys when it is a JWE, then verified against the issuer's JWKS like an ID token.
pub async fn inspect_userinfo_jwt(
    jwt: &str,
    cfg: &ClientConfig,
    discovery: Option<&Discovery>,
    http: &HttpClient,
    now: i64,
) -> token::Inspected {
    let options = userinfo_options(cfg, expected_issuer(cfg, discovery));
    inspect_flow_token(jwt, TokenKind::Unknown, cfg, http, &options, now).await
}

/// RFC 9701 §5: the `typ` of a JWT introspection response.
pub const INTROSPECTION_TYP: &str = "token-introspection+jwt";

/// Inspects a JWT introspection response (RFC 9701): decrypted with the client's keys when it
/// is a JWE, verified against the issuer's JWKS, `iss` the issuer, `aud` the client id, `iat`
/// present, `typ` `token-introspection+jwt` (§5; checked as `introspection.typ`) and a
/// `token_introspection` object with a boolean `active` (checked as
/// `introspection.token_introspection`). A failure of either makes the inspection invalid.
pub async fn inspect_introspection_jwt(
    jwt: &str,
    cfg: &ClientConfig,
    discovery: Option<&Discovery>,
    http: &HttpClient,
    now: i64,
) -> token::Inspected {
    use crate::token::{Check, CheckStatus};
    let options = InspectOptions {
        max_lifetime: None,
        ..userinfo_options(cfg, expected_issuer(cfg, discovery))
    };
    let mut inspected = inspect_flow_token(jwt, TokenKind::Unknown, cfg, http, &options, now).await;
    let ins = &mut inspected.inspection;
    // The signed token's header: the nested one for a JWE.
    let header = ins
        .envelope
        .as_ref()
        .and_then(|e| e.nested.as_ref())
        .map_or(&ins.header, |n| &n.header);
    let typ = header.get("typ").and_then(Value::as_str);
    let typ_ok = typ.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == INTROSPECTION_TYP || t == "application/token-introspection+jwt"
    });
    let typ_check = if typ_ok {
        Check::new(
            "introspection.typ",
            CheckStatus::Pass,
            "typ is token-introspection+jwt (RFC 9701 §5)",
        )
    } else {
        Check::new(
            "introspection.typ",
            CheckStatus::Fail,
            format!(
                "typ is {}, not token-introspection+jwt: RFC 9701 §5 requires it, so another JWT of this issuer cannot pass as an introspection response",
                typ.map_or_else(|| "absent".to_owned(), |t| format!("{t:?}"))
            ),
        )
    };
    let body_check = match ins.claims.get("token_introspection") {
        Some(Value::Object(m)) if m.get("active").is_some_and(Value::is_boolean) => Check::new(
            "introspection.token_introspection",
            CheckStatus::Pass,
            "token_introspection holds the RFC 7662 response with a boolean active",
        ),
        Some(Value::Object(_)) => Check::new(
            "introspection.token_introspection",
            CheckStatus::Fail,
            "token_introspection has no boolean active member (RFC 7662 §2.2)",
        ),
        _ if ins.claims.is_object() => Check::new(
            "introspection.token_introspection",
            CheckStatus::Fail,
            "no token_introspection object in the claims (RFC 9701 §5)",
        ),
        // Not read at all: the inspection says why already.
        _ => return inspected,
    };
    for check in [typ_check, body_check] {
        if check.status == CheckStatus::Fail {
            ins.valid = false;
            ins.verdict = crate::token::inspect::Verdict::Invalid;
        }
        ins.checks.push(check);
    }
    inspected
}

/// The checks for the access token of a response from this client's token endpoint.
pub fn access_token_options(cfg: &ClientConfig, issuer: Option<String>) -> InspectOptions {
    InspectOptions {
        issuer,
        audience: cfg.resources.first().cloned().or(cfg.audience.clone()),
        kind: TokenKind::Access,
        // It came from the token endpoint as `access_token`: a non-RFC 9068 `typ` is a
        // warning here, not a substitution.
        strict_typ: false,
        ..InspectOptions::default()
    }
}

/// The checks for the ID token of a response: the client id as `aud`/`azp`, the nonce sent,
/// the access token and code issued with it.
pub fn id_token_options(
    cfg: &ClientConfig,
    issuer: Option<String>,
    success: &TokenSuccess,
) -> InspectOptions {
    InspectOptions {
        issuer,
        audience: Some(cfg.client_id.clone()),
        nonce: success
            .nonce
            .clone()
            .filter(|_| !cfg.check_off(super::config::ClientCheck::Nonce)),
        access_token: Some(success.tokens.access_token.expose().to_string()),
        code: success.code.as_ref().map(|c| c.expose().to_string()),
        kind: TokenKind::Id,
        ..InspectOptions::default()
    }
}

/// Inspects every token of a successful response (JWKS fetched through `http`).
pub async fn inspect_received(
    success: &TokenSuccess,
    cfg: &ClientConfig,
    discovery: Option<&Discovery>,
    http: &HttpClient,
    dpop_jkt: Option<&str>,
    now: i64,
) -> ReceivedInspections {
    let issuer = expected_issuer(cfg, discovery);
    let tokens = &success.tokens;
    let mut out = ReceivedInspections::default();

    let at = tokens.access_token.expose();
    let a = inspect_flow_token(
        at,
        TokenKind::Access,
        cfg,
        http,
        &access_token_options(cfg, issuer.clone()),
        now,
    )
    .await;
    out.exchanges.extend(a.exchanges);
    let mut at_inspection = a.inspection;
    if let Some(jkt) = dpop_jkt {
        dpop_checks(&mut at_inspection, tokens.token_type.as_deref(), jkt);
    }
    out.access_token = Some(at_inspection);

    if let Some(id_token) = tokens.id_token.as_ref().map(|t| t.expose()) {
        let i = inspect_flow_token(
            id_token,
            TokenKind::Id,
            cfg,
            http,
            &id_token_options(cfg, issuer, success),
            now,
        )
        .await;
        out.exchanges.extend(i.exchanges);
        let mut inspection = i.inspection;
        nonce_off_check(&mut inspection, cfg);
        out.id_token = Some(inspection);
    }
    if let Some(front) = success.front_channel_id_token.as_ref().map(|t| t.expose()) {
        let mut opts = id_token_options(cfg, expected_issuer(cfg, discovery), success);
        // A front-channel access token exists only in implicit, where `tokens` are that.
        if success.code.is_some() {
            opts.access_token = None;
        }
        let i = inspect_flow_token(front, TokenKind::Id, cfg, http, &opts, now).await;
        out.exchanges.extend(i.exchanges);
        let mut inspection = i.inspection;
        nonce_off_check(&mut inspection, cfg);
        out.front_channel_id_token = Some(inspection);
    }
    if let Some(rt) = tokens.refresh_token.as_ref().map(|t| t.expose()) {
        out.refresh_token = Some(token::inspect_with_keys(
            rt,
            &token::Keys::None,
            &InspectOptions::default(),
            now,
        ));
    }
    out
}

/// With the nonce check turned off, the ID token's report says so (a warning in its place).
pub fn nonce_off_check(inspection: &mut Inspection, cfg: &ClientConfig) {
    use super::config::ClientCheck;
    use crate::token::{Check, CheckStatus};
    if cfg.check_off(ClientCheck::Nonce) {
        inspection.checks.retain(|c| c.id != "nonce");
        inspection.checks.push(Check {
            id: "nonce".into(),
            status: CheckStatus::Warn,
            message: "not checked: the tester turned the nonce check off, so a replayed ID token \
                      would be accepted"
                .into(),
        });
    }
}

/// RFC 9449 §5, §6: a token obtained with a DPoP proof comes as `token_type: DPoP` and, when
/// it is a JWT, carries `cnf.jkt` = the thumbprint of the proof's key.
pub fn dpop_checks(inspection: &mut Inspection, token_type: Option<&str>, jkt: &str) {
    use crate::token::{Check, CheckStatus};
    let dpop_type = token_type.is_some_and(|t| t.eq_ignore_ascii_case("DPoP"));
    inspection.checks.push(Check {
        id: "token_type".into(),
        status: if dpop_type {
            CheckStatus::Pass
        } else {
            CheckStatus::Warn
        },
        message: if dpop_type {
            "token_type is DPoP: the token is bound to the proof's key".into()
        } else {
            format!(
                "a DPoP proof was sent but token_type is {:?}: the server issued a bearer token (RFC 9449 §5)",
                token_type.unwrap_or("absent")
            )
        },
    });
    let bound = inspection
        .claims
        .pointer("/cnf/jkt")
        .and_then(Value::as_str);
    let check = match bound {
        Some(b) if b == jkt => Some(Check {
            id: "cnf.jkt".into(),
            status: CheckStatus::Pass,
            message: format!("cnf.jkt {b} is the thumbprint of the DPoP key in use"),
        }),
        Some(b) => Some(Check {
            id: "cnf.jkt".into(),
            status: CheckStatus::Fail,
            message: format!(
                "cnf.jkt {b} is not the thumbprint of the DPoP key in use ({jkt}): the token is bound to another key"
            ),
        }),
        // Opaque, or a JWT without cnf: only introspection can tell.
        None if dpop_type
            && inspection.claims.is_object()
            && !inspection.claims.as_object().is_some_and(|m| m.is_empty()) =>
        {
            Some(Check {
                id: "cnf.jkt".into(),
                status: CheckStatus::Warn,
                message: "token_type is DPoP but the token has no cnf.jkt claim".into(),
            })
        }
        None => None,
    };
    if let Some(c) = check {
        if c.status == CheckStatus::Fail {
            inspection.valid = false;
            inspection.verdict = crate::token::inspect::Verdict::Invalid;
        }
        inspection.checks.push(c);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::token::CheckStatus;
    use crate::token::inspect::Verdict;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(header: Value, claims: Value) -> String {
        let b = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", b(&header), b(&claims))
    }

    fn status(ins: &token::Inspection, id: &str) -> Option<CheckStatus> {
        ins.check(id).map(|c| c.status)
    }

    /// RFC 9701 §5: another JWT of the issuer (wrong `typ`) or one without the
    /// `token_introspection` object is refused by name, whatever its signature.
    #[tokio::test]
    async fn introspection_jwt_needs_its_typ_and_its_object() {
        let cfg = ClientConfig {
            client_id: "c".into(),
            ..ClientConfig::default()
        };
        let http = HttpClient::new(&crate::http::HttpOptions::default()).unwrap();
        let claims = serde_json::json!({"iss": "https://as", "aud": "c", "iat": 1_000,
            "token_introspection": {"active": true, "sub": "a"}});
        let good = jwt(
            serde_json::json!({"alg": "ES256", "typ": "token-introspection+jwt"}),
            claims.clone(),
        );
        let ins = inspect_introspection_jwt(&good, &cfg, None, &http, 1_000)
            .await
            .inspection;
        assert_eq!(status(&ins, "introspection.typ"), Some(CheckStatus::Pass));
        assert_eq!(
            status(&ins, "introspection.token_introspection"),
            Some(CheckStatus::Pass)
        );
        assert_eq!(ins.verdict, Verdict::Unverifiable, "no keys: not believed");

        let id_token = jwt(serde_json::json!({"alg": "ES256", "typ": "JWT"}), claims);
        let ins = inspect_introspection_jwt(&id_token, &cfg, None, &http, 1_000)
            .await
            .inspection;
        assert_eq!(status(&ins, "introspection.typ"), Some(CheckStatus::Fail));
        assert_eq!((ins.valid, ins.verdict), (false, Verdict::Invalid));

        let no_object = jwt(
            serde_json::json!({"alg": "ES256", "typ": "token-introspection+jwt"}),
            serde_json::json!({"iss": "https://as", "aud": "c", "active": true}),
        );
        let ins = inspect_introspection_jwt(&no_object, &cfg, None, &http, 1_000)
            .await
            .inspection;
        assert_eq!(
            status(&ins, "introspection.token_introspection"),
            Some(CheckStatus::Fail)
        );
        assert_eq!(ins.verdict, Verdict::Invalid);
    }

    /// A userinfo JWT is checked for the issuer and the client as audience (it was printed
    /// unverified before): one for another client fails `aud`.
    #[tokio::test]
    async fn userinfo_jwt_is_checked_for_iss_and_aud() {
        let cfg = ClientConfig {
            client_id: "c".into(),
            endpoints: super::super::Endpoints {
                issuer: Some(url::Url::parse("https://as.example").unwrap()),
                ..Default::default()
            },
            ..ClientConfig::default()
        };
        let http = HttpClient::new(&crate::http::HttpOptions::default()).unwrap();
        let other = jwt(
            serde_json::json!({"alg": "RS256"}),
            serde_json::json!({"iss": "https://as.example", "aud": "someone-else", "sub": "a"}),
        );
        let ins = inspect_userinfo_jwt(&other, &cfg, None, &http, 1_000)
            .await
            .inspection;
        assert_eq!(status(&ins, "iss"), Some(CheckStatus::Pass));
        assert_eq!(status(&ins, "aud"), Some(CheckStatus::Fail));
        assert!(!ins.valid);
    }
}
