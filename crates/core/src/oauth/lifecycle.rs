//! Calls on an existing token: introspection (RFC 7662), revocation (RFC 7009) and
//! OpenID Connect userinfo. Each returns what the server answered, raw.

use serde_json::Value;

use super::endpoint::EndpointKind;
use super::error::{FlowError, Missing};
use super::{ClientConfig, Session};
use crate::secret::SecretKind;

/// The kind to mask a token under: by its hint, an access token when none is given.
fn token_kind(hint: Option<&str>) -> SecretKind {
    match hint {
        Some("refresh_token") => SecretKind::RefreshToken,
        _ => SecretKind::AccessToken,
    }
}

fn missing(needed_by: &'static str, kind: EndpointKind) -> FlowError {
    FlowError::missing(needed_by, Missing::Endpoint(kind))
}

/// `access_token` or `refresh_token`, sent as `token_type_hint`.
pub fn hint_params(token: &str, hint: Option<&str>) -> Vec<(String, String)> {
    let mut p = vec![("token".to_string(), token.to_string())];
    if let Some(h) = hint.filter(|h| !h.is_empty()) {
        p.push(("token_type_hint".into(), h.to_string()));
    }
    p
}

/// Asks the introspection endpoint about a token; returns its JSON (`active` and claims).
pub async fn introspect(
    session: &mut Session,
    cfg: &ClientConfig,
    token: &str,
    hint: Option<&str>,
) -> Result<Value, FlowError> {
    let endpoint = cfg
        .endpoints
        .introspection_endpoint
        .clone()
        .ok_or_else(|| missing("introspection", EndpointKind::Introspection))?;
    let (_, json) = session
        .post_authenticated(
            "introspection",
            "introspection",
            &endpoint,
            cfg,
            hint_params(token, hint),
            &[(token_kind(hint), token)],
        )
        .await?;
    if !json.get("active").is_some_and(Value::is_boolean) {
        return Err(FlowError::Body {
            what: "introspection",
            source: crate::http::BodyError::Shape {
                status: 200,
                detail: "no boolean `active` member (RFC 7662 §2.2)".into(),
            },
        });
    }
    Ok(json)
}

/// RFC 9701 §4: the media type a client asks for (and the server answers with) to get the
/// introspection response as a signed (and possibly encrypted) JWT.
pub const INTROSPECTION_JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// What the introspection endpoint answered to a request for a JWT response.
#[derive(Debug, Clone)]
pub enum Introspection {
    /// A JWT (RFC 9701), to verify (and decrypt) before any of it is believed.
    Jwt(String),
    /// Plain JSON: the server does not offer JWT responses (or not to this client).
    Json(Value),
}

/// Asks the introspection endpoint about a token with `Accept:
/// application/token-introspection+jwt` (RFC 9701 §4). The answer is returned raw: a JWT when
/// the server sent one (verify it with `received::inspect_introspection_jwt`), else its JSON.
pub async fn introspect_jwt(
    session: &mut Session,
    cfg: &ClientConfig,
    token: &str,
    hint: Option<&str>,
) -> Result<Introspection, FlowError> {
    let endpoint = cfg
        .endpoints
        .introspection_endpoint
        .clone()
        .ok_or_else(|| missing("introspection", EndpointKind::Introspection))?;
    let resp = session
        .send_authenticated_with(
            "introspection",
            &endpoint,
            cfg,
            hint_params(token, hint),
            &[(token_kind(hint), token)],
            &[("Accept", INTROSPECTION_JWT_MEDIA_TYPE)],
        )
        .await?;
    let jwt_type = resp.header("content-type").is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("token-introspection+jwt") || c.contains("application/jwt")
    });
    if resp.is_success() && jwt_type {
        return Ok(Introspection::Jwt(resp.text().trim().to_string()));
    }
    session
        .check_response(&resp, "introspection")
        .map(|(_, v)| Introspection::Json(v))
}

/// Revokes a token. Success is HTTP 200 (RFC 7009 §2.2), whatever the token was.
pub async fn revoke(
    session: &mut Session,
    cfg: &ClientConfig,
    token: &str,
    hint: Option<&str>,
) -> Result<u16, FlowError> {
    let endpoint = cfg
        .endpoints
        .revocation_endpoint
        .clone()
        .ok_or_else(|| missing("revocation", EndpointKind::Revocation))?;
    let resp = session
        .send_authenticated(
            "revocation",
            &endpoint,
            cfg,
            hint_params(token, hint),
            &[(token_kind(hint), token)],
        )
        .await?;
    if resp.is_success() {
        return Ok(resp.status);
    }
    // Not 2xx: report the OAuth error if there is one.
    session.check_response(&resp, "revocation").map(|(s, _)| s)
}

/// What the userinfo endpoint returned: JSON claims, or a signed/encrypted JWT.
#[derive(Debug, Clone)]
pub enum UserInfo {
    Json(Value),
    Jwt(String),
}

/// Calls userinfo with the access token as a Bearer token (masked in the record).
pub async fn userinfo(
    session: &mut Session,
    cfg: &ClientConfig,
    access_token: &str,
) -> Result<UserInfo, FlowError> {
    let endpoint = cfg
        .endpoints
        .userinfo_endpoint
        .clone()
        .ok_or_else(|| missing("userinfo", EndpointKind::Userinfo))?;
    // As any resource call: Bearer, or DPoP when the session proves possession of a key.
    let call = super::resource::ResourceCall {
        method: "GET".into(),
        url: endpoint,
        headers: vec![("Accept".into(), "application/json".into())],
        body: None,
    };
    let resp = super::resource::call(session, &call, access_token, "userinfo")
        .await?
        .response;
    if resp.is_success()
        && resp
            .header("content-type")
            .is_some_and(|c| c.contains("application/jwt"))
    {
        return Ok(UserInfo::Jwt(resp.text().trim().to_string()));
    }
    session
        .check_response(&resp, "userinfo")
        .map(|(_, v)| UserInfo::Json(v))
}
