//! Issuing tokens: RFC 9068 access tokens (certificate-bound for mutual-TLS clients, RFC 8705 §3;
//! DPoP-bound, RFC 9449 §6), OpenID Connect ID tokens and refresh tokens, recorded under their
//! grant; shared by every grant and by the front channel of the implicit and hybrid flows.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantscope_core::oauth::GrantKind;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::protocol::scope::has_scope;
use crate::protocol::wire::OAuthError;
use crate::state::app::App;
use crate::state::clients::{ClientAuth, DEFAULT_AUDIENCE, SeededClient, SeededUser};
use crate::state::config::STEP_UP_ACR;
use crate::state::store::{
    AccessRecord, AuthorizationRequest, Grant, GrantId, RefreshRecord, Store, now_secs,
    random_token, token_key,
};

/// The tokens of an implicit or hybrid answer (OAuth 2.0 Multiple Response Types, OIDC Core
/// §3.2 and §3.3), for the front channel: the access token when `token` was asked for, the
/// ID token (with `nonce`, `at_hash` when the access token goes too, `c_hash` with a code) when
/// `id_token` was. Never a refresh token. Issued in the login session `sid`.
pub(crate) fn front_channel(
    app: &App,
    request: &AuthorizationRequest,
    user: &'static SeededUser,
    (auth_time, sid): (u64, &str),
    code: Option<&str>,
) -> Result<Vec<(String, String)>, OAuthError> {
    let types = request.response_type;
    let mut store = app.store();
    let grant = store.new_grant(Grant {
        client: request.client,
        user: Some(user),
        resources: request.resources.clone(),
        auth_time: Some(auth_time),
        sid: Some(sid.to_string()),
        revoked: false,
        revoked_reason: None,
    });
    let response = mint(
        app,
        &mut store,
        Mint {
            nonce: request.nonce.as_deref(),
            code,
            omit_at_hash: !types.token,
            acr: request.mfa_done.then_some(STEP_UP_ACR),
            ..Mint::new(grant, &request.scope, &request.resources)
        },
    )?;
    let mut out = Vec::new();
    let field = |name: &str| {
        response
            .get(name)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
    };
    if types.token {
        for name in ["access_token", "token_type", "expires_in", "scope"] {
            if let Some(value) = field(name) {
                out.push((name.to_string(), value));
            }
        }
    } else if let Some(token) = field("access_token") {
        // Minted only to hash into the ID token's claims; never delivered, so revoke it.
        if let Some(record) = store.access.get_mut(&token_key(&token)) {
            record.revoked = true;
        }
    }
    if types.id_token
        && let Some(id_token) = field("id_token")
    {
        out.push(("id_token".into(), id_token));
    }
    Ok(out)
}

/// The S256 transformation of a code verifier (RFC 7636 §4.2).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `at_hash` / `c_hash`: the left half of the SHA-256 of the value (both algorithms use SHA-256).
pub(crate) fn half_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The tokens of a grant a user gave at `auth_time` (password and device grants): a new grant
/// record, a refresh token when the client may refresh, bound to the DPoP key if any.
pub(crate) fn user_tokens(
    app: &App,
    store: &mut Store,
    client: &'static SeededClient,
    user: &'static SeededUser,
    auth_time: u64,
    (scope, resources): (&str, &[String]),
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let grant = store.new_grant(Grant {
        client,
        user: Some(user),
        resources: resources.to_vec(),
        auth_time: Some(auth_time),
        sid: None,
        revoked: false,
        revoked_reason: None,
    });
    let refresh = if client.allows_grant(GrantKind::RefreshToken) {
        RefreshIssue::New
    } else {
        RefreshIssue::None
    };
    mint(
        app,
        store,
        Mint {
            refresh,
            cnf_jkt: jkt,
            ..Mint::new(grant, scope, resources)
        },
    )
}

/// Whether and how a token response carries a refresh token.
pub(crate) enum RefreshIssue {
    None,
    /// A fresh refresh token carrying the access token's scope.
    New,
    /// A fresh refresh token carrying this (the originally granted) scope.
    NewWithScope(String),
    /// Hand back the presented one (the unsafe no-rotation switch).
    Keep(String),
}

pub(crate) struct Mint<'a> {
    pub(crate) grant: GrantId,
    pub(crate) scope: &'a str,
    pub(crate) resources: &'a [String],
    pub(crate) refresh: RefreshIssue,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) code: Option<&'a str>,
    /// Bind the access token to this certificate (`cnf.x5t#S256`).
    pub(crate) cnf_x5t: Option<&'a str>,
    /// Bind the access token to this DPoP key (`cnf.jkt`, RFC 9449 §6) and make it `DPoP`.
    pub(crate) cnf_jkt: Option<&'a str>,
    /// The granted RFC 9396 details (in the token and the response).
    pub(crate) authorization_details: Option<&'a Value>,
    /// The authentication context reached at login (`acr`, for RFC 9470 step-up).
    pub(crate) acr: Option<&'a str>,
    /// Leave `at_hash` out of the ID token (a front-channel answer without the access token).
    pub(crate) omit_at_hash: bool,
    /// The token's `sub` when it is not the grant's user or client (token exchange).
    pub(crate) sub: Option<&'a str>,
    /// The actor of a delegation (`act.sub`).
    pub(crate) act_sub: Option<&'a str>,
}

impl<'a> Mint<'a> {
    /// An access token alone (no refresh token, no ID token inputs).
    pub(crate) fn new(grant: GrantId, scope: &'a str, resources: &'a [String]) -> Self {
        Mint {
            grant,
            scope,
            resources,
            refresh: RefreshIssue::None,
            nonce: None,
            code: None,
            cnf_x5t: None,
            cnf_jkt: None,
            authorization_details: None,
            acr: None,
            omit_at_hash: false,
            sub: None,
            act_sub: None,
        }
    }
}

/// Issues the tokens of one token response and records them under the grant.
pub(crate) fn mint(app: &App, store: &mut Store, mint: Mint<'_>) -> Result<Value, OAuthError> {
    let Some(grant) = store.grants.get(&mint.grant).cloned() else {
        return Err(OAuthError::server_error(
            "grant vanished while issuing tokens",
        ));
    };
    let keys = app.keys();
    let alg = app.config.signing_alg;
    let now = now_secs();
    let access_ttl = app.config.effective_access_token_ttl().as_secs();
    let exp = now.saturating_add(access_ttl);
    let sub = match mint.sub {
        Some(sub) => sub.to_string(),
        None => grant
            .user
            .map_or_else(|| grant.client.id.to_string(), |u| u.sub.to_string()),
    };
    let aud: Vec<String> = if mint.resources.is_empty() {
        vec![DEFAULT_AUDIENCE.to_string()]
    } else {
        mint.resources.to_vec()
    };
    let jti = random_token(16);
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(app.issuer));
    claims.insert("sub".into(), json!(sub));
    claims.insert(
        "aud".into(),
        if aud.len() == 1 {
            json!(aud[0])
        } else {
            json!(aud)
        },
    );
    claims.insert("client_id".into(), json!(grant.client.id));
    claims.insert("scope".into(), json!(mint.scope));
    claims.insert("jti".into(), json!(jti));
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now));
    claims.insert("exp".into(), json!(exp));
    if let Some(auth_time) = grant.auth_time {
        claims.insert("auth_time".into(), json!(auth_time));
    }
    match (mint.cnf_x5t, mint.cnf_jkt) {
        (Some(x5t), Some(jkt)) => {
            claims.insert("cnf".into(), json!({ "x5t#S256": x5t, "jkt": jkt }));
        }
        (Some(x5t), None) => {
            claims.insert("cnf".into(), json!({ "x5t#S256": x5t }));
        }
        (None, Some(jkt)) => {
            claims.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        (None, None) => {}
    }
    if let Some(actor) = mint.act_sub {
        claims.insert("act".into(), json!({ "sub": actor }));
    }
    if let Some(details) = mint.authorization_details {
        claims.insert("authorization_details".into(), details.clone());
    }
    if let Some(acr) = mint.acr {
        claims.insert("acr".into(), json!(acr));
    }
    let access_token = keys
        .sign_jwt(alg, "at+jwt", &Value::Object(claims))
        .map_err(|e| OAuthError::server_error(e.to_string()))?;

    let mut response = Map::new();
    response.insert("access_token".into(), json!(access_token));
    let token_type = if mint.cnf_jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    response.insert("token_type".into(), json!(token_type));
    response.insert("expires_in".into(), json!(access_ttl));
    response.insert("scope".into(), json!(mint.scope));
    if let Some(details) = mint.authorization_details {
        response.insert("authorization_details".into(), details.clone());
    }

    let refresh_ttl = app.config.effective_refresh_token_ttl().as_secs();
    let new_refresh = |scope: &str, store: &mut Store| {
        let token = random_token(32);
        store.refresh.insert(
            token_key(&token),
            RefreshRecord {
                grant: mint.grant,
                scope: scope.to_string(),
                iat: now,
                exp: now.saturating_add(refresh_ttl),
                rotated: false,
                revoked: false,
                // RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
                cnf_jkt: mint
                    .cnf_jkt
                    .filter(|_| grant.client.auth == ClientAuth::None)
                    .map(str::to_string),
                authorization_details: mint.authorization_details.cloned(),
            },
        );
        token
    };
    let refresh_token = match mint.refresh {
        RefreshIssue::None => None,
        RefreshIssue::New => Some(new_refresh(mint.scope, store)),
        RefreshIssue::NewWithScope(scope) => Some(new_refresh(&scope, store)),
        RefreshIssue::Keep(token) => Some(token),
    };
    if let Some(token) = &refresh_token {
        response.insert("refresh_token".into(), json!(token));
        if let Some(record) = store.refresh.get(&token_key(token)) {
            response.insert(
                "refresh_token_expires_in".into(),
                json!(record.exp.saturating_sub(now)),
            );
        }
    }

    if let (Some(user), true) = (grant.user, has_scope(mint.scope, "openid")) {
        let mut id = Map::new();
        id.insert("iss".into(), json!(app.issuer));
        id.insert("sub".into(), json!(user.sub));
        id.insert("aud".into(), json!(grant.client.id));
        id.insert("azp".into(), json!(grant.client.id));
        id.insert("iat".into(), json!(now));
        id.insert("exp".into(), json!(exp));
        if let Some(auth_time) = grant.auth_time {
            id.insert("auth_time".into(), json!(auth_time));
        }
        // OIDC Back-Channel Logout §2.1 / Front-Channel Logout §3: the login session.
        if let Some(sid) = &grant.sid {
            id.insert("sid".into(), json!(sid));
        }
        if let Some(nonce) = mint.nonce {
            id.insert("nonce".into(), json!(nonce));
        }
        if let Some(acr) = mint.acr {
            id.insert("acr".into(), json!(acr));
        }
        if !mint.omit_at_hash {
            id.insert("at_hash".into(), json!(half_hash(&access_token)));
        }
        if let Some(code) = mint.code {
            id.insert("c_hash".into(), json!(half_hash(code)));
        }
        if has_scope(mint.scope, "profile") {
            id.insert("name".into(), json!(user.name));
            id.insert("preferred_username".into(), json!(user.username));
        }
        if has_scope(mint.scope, "email") {
            id.insert("email".into(), json!(user.email));
            id.insert("email_verified".into(), json!(true));
        }
        let mut id_token = keys
            .sign_jwt(alg, "JWT", &Value::Object(id))
            .map_err(|e| OAuthError::server_error(e.to_string()))?;
        // Signed, then encrypted to the client's key (OIDC Core §10.2): the key a registered
        // client asked for, else the one the sandbox was started with.
        let registered_key = app
            .registry()
            .get(grant.client.id)
            .and_then(|r| r.id_token_encryption_key());
        if let Some(jwk) = registered_key
            .as_ref()
            .or(app.config.id_token_encryption_key.as_ref())
        {
            id_token = crate::protocol::jwe::encrypt_to(jwk, id_token.as_bytes(), Some("JWT"))
                .map_err(|e| OAuthError::server_error(format!("encrypting the ID token: {e}")))?;
        }
        response.insert("id_token".into(), json!(id_token));
    }
    drop(keys);

    store.access.insert(
        token_key(&access_token),
        AccessRecord {
            grant: mint.grant,
            sub,
            scope: mint.scope.to_string(),
            aud,
            jti,
            iat: now,
            exp,
            revoked: false,
            cnf_x5t: mint.cnf_x5t.map(str::to_string),
            cnf_jkt: mint.cnf_jkt.map(str::to_string),
            acr: mint.acr.map(str::to_string),
            act_sub: mint.act_sub.map(str::to_string),
        },
    );
    Ok(Value::Object(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn half_hash_matches_oidc_example() {
        // OpenID Connect Core, Appendix A.3 / A.4 example values.
        assert_eq!(
            half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
