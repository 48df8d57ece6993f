//! Calls on an existing token: introspection (RFC 7662), revocation (RFC 7009) and
//! OpenID Connect userinfo. Each returns what the server answered, raw.

use serde_json::Value;

use super::error::FlowError;
use super::{ClientConfig, Session};
use crate::http::HttpRequest;

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
        .ok_or_else(|| {
            FlowError::Config(
                "no introspection endpoint: give --issuer (discovery) or --introspection-endpoint"
                    .into(),
            )
        })?;
    let (_, json) = session
        .post_authenticated(
            "introspection",
            "introspection",
            &endpoint,
            cfg,
            hint_params(token, hint),
            &[],
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

/// Revokes a token. Success is HTTP 200 (RFC 7009 §2.2), whatever the token was.
pub async fn revoke(
    session: &mut Session,
    cfg: &ClientConfig,
    token: &str,
    hint: Option<&str>,
) -> Result<u16, FlowError> {
    let endpoint = cfg.endpoints.revocation_endpoint.clone().ok_or_else(|| {
        FlowError::Config(
            "no revocation endpoint: give --issuer (discovery) or --revocation-endpoint".into(),
        )
    })?;
    let method = cfg.effective_auth_method();
    let secret = cfg.secret_to_send();
    let mut pairs = hint_params(token, hint);
    pairs.extend(super::client_auth::body_params(
        method,
        &cfg.client_id,
        secret,
    ));
    let req = HttpRequest::post_form(endpoint, &pairs);
    let req = super::client_auth::apply_header(req, method, &cfg.client_id, secret);
    let resp = session.send("revocation", req).await?;
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
    let endpoint = cfg.endpoints.userinfo_endpoint.clone().ok_or_else(|| {
        FlowError::Config(
            "no userinfo endpoint: give --issuer (discovery) or --userinfo-endpoint".into(),
        )
    })?;
    let req = HttpRequest::get(endpoint).header("Authorization", format!("Bearer {access_token}"));
    let resp = session.send("userinfo", req).await?;
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
