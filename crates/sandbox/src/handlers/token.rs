//! The token endpoint (RFC 6749 §3.2): authorization code with PKCE (RFC 7636), client
//! credentials, refresh with rotation and reuse detection, the device code grant (RFC 8628
//! §3.4), the JWT bearer grant (RFC 7523 §2.1) and token exchange (RFC 8693); and the minting of
//! RFC 9068 access tokens (certificate-bound for mutual-TLS clients, RFC 8705 §3), OpenID
//! Connect ID tokens and refresh tokens.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::app::App;
use super::assertion;
use super::client_auth::Authenticated;
use super::client_auth::authenticate_client;
use super::clients::{
    ClientAuth, DEFAULT_AUDIENCE, GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE, GRANT_JWT_BEARER, GRANT_PASSWORD, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
    SeededClient, SeededUser, seeded_users,
};
use super::config::STEP_UP_ACR;
use super::dpop;
use super::protocol::{OAuthError, Params, json_response, validate_resources};
use super::rar;
use super::scope::{has_scope, narrow_resources, narrow_scope, resolve_scope};
use super::store::AuthorizationRequest;
use super::store::{
    AccessRecord, DeviceStatus, Grant, GrantId, RefreshRecord, Store, ms, now_ms, now_secs,
    random_token, token_key,
};
use super::tls::Peer;
use grantscope_core::keys::{ParsedJws, Signer};

/// `POST /token`.
pub(crate) async fn token(
    State(app): State<Arc<App>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match handle(&app, &peer, &headers, &body) {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(error) => error.into_response(),
    };
    if let Some(nonce) = dpop::nonce_header(&app) {
        response.headers_mut().insert("dpop-nonce", nonce);
    }
    response
}

fn handle(app: &App, peer: &Peer, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let params = Params::from_form(headers, body)?;
    let grant_type = params.required("grant_type")?;
    let mut known = vec![
        GRANT_AUTHORIZATION_CODE,
        GRANT_CLIENT_CREDENTIALS,
        GRANT_REFRESH_TOKEN,
        GRANT_DEVICE_CODE,
        GRANT_JWT_BEARER,
        GRANT_TOKEN_EXCHANGE,
    ];
    if app.config.unsafe_switches.allow_password_grant {
        known.push(GRANT_PASSWORD);
    }
    if !known.contains(&grant_type) {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            format!(
                "grant_type {grant_type:?} is not supported here (supported: {})",
                known.join(", ")
            ),
        ));
    }
    let mut htus = vec![app.url("/token")];
    htus.extend(app.tls_url("/token"));
    let proven = dpop::check(app, headers, "POST", &htus, None)
        .map_err(|e| OAuthError::new(e.code(), e.description()))?;
    let jkt = proven.as_ref().map(|p| p.jkt.as_str());
    let auth = authenticate_client(app, peer, "/token", headers, &params)?;
    let client = auth.client;
    // The password grant is listed for the clients that act for a user, but answered only
    // behind its teaching switch (refused above as unsupported otherwise).
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::new(
            "unauthorized_client",
            format!(
                "client {} may not use grant_type {grant_type} (it may use: {})",
                client.id,
                client.grant_types.join(", ")
            ),
        ));
    }
    match grant_type {
        GRANT_AUTHORIZATION_CODE => authorization_code(app, client, &params, jkt),
        GRANT_CLIENT_CREDENTIALS => client_credentials(app, &auth, &params, jkt),
        GRANT_REFRESH_TOKEN => refresh_token(app, client, &params, jkt),
        GRANT_JWT_BEARER => jwt_bearer(app, &auth, &params, jkt),
        GRANT_TOKEN_EXCHANGE => token_exchange(app, &auth, &params, jkt),
        GRANT_PASSWORD => password(app, client, &params, jkt),
        _ => device_code(app, client, &params, jkt),
    }
}

/// The tokens of an implicit or hybrid answer (OAuth 2.0 Multiple Response Types, OIDC Core
/// §3.2 and §3.3), for the front channel: the access token when `token` was asked for, the
/// ID token (with `nonce`, `at_hash` when the access token goes too, `c_hash` with a code) when
/// `id_token` was. Never a refresh token.
pub(crate) fn front_channel(
    app: &App,
    request: &AuthorizationRequest,
    user: &'static SeededUser,
    auth_time: u64,
    code: Option<&str>,
) -> Result<Vec<(String, String)>, OAuthError> {
    let types = request.response_type;
    let mut store = app.store();
    let grant = store.new_grant(Grant {
        client: request.client,
        user: Some(user),
        resources: request.resources.clone(),
        auth_time: Some(auth_time),
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

/// RFC 8693 §3 token type identifiers the sandbox issues and accepts.
const TOKEN_TYPE_ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
/// A JWT (the sandbox's access tokens are JWTs, so either name fits them).
const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

fn user_by_subject(sub: &str) -> Option<&'static SeededUser> {
    seeded_users()
        .iter()
        .find(|u| u.sub == sub || u.username == sub)
}

/// The JWT bearer grant (RFC 7523 §2.1): an assertion signed with the authenticated client's
/// registered key (or, for a `client_secret_jwt` client, its secret), `iss` = the client id,
/// `sub` = a seeded user (or the client itself).
fn jwt_bearer(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let raw = params.required("assertion")?;
    let jws =
        ParsedJws::parse(raw).map_err(|e| OAuthError::invalid_grant(format!("assertion: {e}")))?;
    let signer = match (client.auth, client.secret) {
        (ClientAuth::PrivateKeyJwt, _) => Signer::Key(&app.client_keys.jwt.key),
        (ClientAuth::ClientSecretJwt, Some(secret)) => Signer::Secret(secret.as_bytes()),
        _ => {
            return Err(OAuthError::invalid_grant(
                "the sandbox trusts JWT bearer assertions only from the client's own registered key",
            ));
        }
    };
    let checked = assertion::check(app, &jws, signer, "/token")
        .map_err(|reason| OAuthError::invalid_grant(format!("assertion: {reason}")))?;
    if checked.iss != client.id {
        return Err(OAuthError::invalid_grant(format!(
            "assertion: iss {:?} is not the authenticated client {:?}",
            checked.iss, client.id
        )));
    }
    let user = match user_by_subject(&checked.sub) {
        Some(user) => Some(user),
        None if checked.sub == client.id => None,
        None => {
            return Err(OAuthError::invalid_grant(format!(
                "assertion: unknown subject {:?} (use a seeded user's sub or username, or the client id)",
                grantscope_core::http::excerpt(&checked.sub, 64)
            )));
        }
    };
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let mut store = app.store();
    let grant = store.new_grant(Grant {
        client,
        user,
        resources: resources.clone(),
        auth_time: None,
        revoked: false,
        revoked_reason: None,
    });
    mint(
        app,
        &mut store,
        Mint {
            cnf_x5t: auth.cnf_x5t.as_deref(),
            cnf_jkt: jkt,
            ..Mint::new(grant, &scope, &resources)
        },
    )
}

/// Token exchange (RFC 8693 §2): an active access token of this sandbox as the subject (and
/// optionally another as the actor) for a new access token, narrower or for another audience.
fn token_exchange(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let accepted = [TOKEN_TYPE_ACCESS, TOKEN_TYPE_JWT];
    let subject_token = params.required("subject_token")?;
    let subject_type = params.required("subject_token_type")?;
    let check_type = |name: &str, value: &str| {
        if accepted.contains(&value) {
            Ok(())
        } else {
            Err(OAuthError::invalid_request(format!(
                "{name} {value:?} is not supported here (the sandbox exchanges its own access \
                 tokens: {})",
                accepted.join(" or ")
            )))
        }
    };
    check_type("subject_token_type", subject_type)?;
    let requested = params.single("requested_token_type")?;
    if let Some(requested) = requested {
        check_type("requested_token_type", requested)?;
    }
    let actor_token = params.single("actor_token")?;
    let actor_type = params.single("actor_token_type")?;
    match (actor_token, actor_type) {
        (Some(_), Some(t)) => check_type("actor_token_type", t)?,
        (Some(_), None) => {
            return Err(OAuthError::invalid_request(
                "actor_token_type is required with actor_token (RFC 8693 §2.1)",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "actor_token_type given without actor_token",
            ));
        }
        (None, None) => {}
    }
    let requested_scope = params.single("scope")?;
    let mut audience = params.all("audience");
    let resources = params.all("resource");
    validate_resources(&resources)?;
    audience.extend(resources);

    let mut store = app.store();
    let Some((subject, subject_grant)) = store.active_access(subject_token) else {
        return Err(OAuthError::invalid_grant(
            "subject_token is not an active access token of this sandbox (unknown, expired or revoked)",
        ));
    };
    let (sub, scope, user) = (
        subject.sub.clone(),
        subject.scope.clone(),
        subject_grant.user,
    );
    let act_sub = match actor_token {
        Some(actor) => match store.active_access(actor) {
            Some((record, _)) => Some(record.sub.clone()),
            None => {
                return Err(OAuthError::invalid_grant(
                    "actor_token is not an active access token of this sandbox",
                ));
            }
        },
        None => None,
    };
    let scope = narrow_scope(&scope, requested_scope)?;
    let grant = store.new_grant(Grant {
        client: auth.client,
        user,
        resources: audience.clone(),
        auth_time: None,
        revoked: false,
        revoked_reason: None,
    });
    let mut response = mint(
        app,
        &mut store,
        Mint {
            cnf_x5t: auth.cnf_x5t.as_deref(),
            cnf_jkt: jkt,
            sub: Some(&sub),
            act_sub: act_sub.as_deref(),
            ..Mint::new(grant, &scope, &audience)
        },
    )?;
    if let Value::Object(map) = &mut response {
        map.insert(
            "issued_token_type".into(),
            json!(requested.unwrap_or(TOKEN_TYPE_ACCESS)),
        );
    }
    Ok(response)
}

/// RFC 7636 §4.1: 43 to 128 characters from the unreserved set.
fn verifier_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
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

fn authorization_code(
    app: &App,
    client: &'static SeededClient,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let code = params.required("code")?;
    let redirect_uri = params.single("redirect_uri")?;
    let verifier = params.single("code_verifier")?;
    let requested_resources = params.all("resource");
    let mut store = app.store();
    let key = token_key(code);
    let Some(record) = store.codes.get(&key).cloned() else {
        return Err(OAuthError::invalid_grant(
            "unknown authorization code (never issued, expired, or issued before a restart)",
        ));
    };
    if record.request.client.id != client.id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if record.consumed && !app.config.unsafe_switches.allow_code_reuse {
        if let Some(grant) = record
            .redeemed
            .filter(|_| !app.config.unsafe_switches.keep_tokens_on_code_reuse)
        {
            store.revoke_grant(grant, "authorization code reused");
        }
        return Err(OAuthError::invalid_grant(
            "the authorization code was already used; every token issued for it is now revoked",
        ));
    }
    // Any redemption attempt consumes the code, so a wrong verifier cannot be retried.
    if let Some(stored) = store.codes.get_mut(&key) {
        stored.consumed = true;
    }
    if now_ms() >= record.expires_ms {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    if redirect_uri != Some(record.request.redirect_uri.as_str())
        && !app.config.unsafe_switches.ignore_token_redirect_uri
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must be identical to the one sent in the authorization request",
        ));
    }
    match (&record.request.pkce, verifier) {
        (Some((challenge, method)), Some(verifier)) => {
            if !verifier_well_formed(verifier)
                && !app.config.unsafe_switches.accept_malformed_verifier
            {
                return Err(OAuthError::invalid_grant(
                    "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)",
                ));
            }
            let computed = if method == "S256" {
                s256(verifier)
            } else {
                verifier.to_string()
            };
            if !super::clients::secrets_equal(challenge, &computed)
                && !app.config.unsafe_switches.skip_verifier_check
            {
                return Err(OAuthError::invalid_grant(format!(
                    "PKCE verification failed: the code_verifier does not match the {method} code_challenge"
                )));
            }
        }
        (Some(_), None) => {
            if !app.config.unsafe_switches.allow_missing_pkce {
                return Err(OAuthError::invalid_grant(
                    "code_verifier is required: the authorization request carried a code_challenge",
                ));
            }
        }
        (None, Some(_)) if !app.config.unsafe_switches.allow_pkce_downgrade => {
            return Err(OAuthError::invalid_grant(
                "code_verifier sent, but the authorization request had no code_challenge (PKCE downgrade)",
            ));
        }
        (None, Some(_)) => {}
        (None, None) => {}
    }
    if let Some(bound) = &record.request.dpop_jkt
        && jkt != Some(bound.as_str())
    {
        return Err(OAuthError::invalid_grant(
            "the authorization request bound the code to a DPoP key (dpop_jkt, RFC 9449 §10): \
             the token request needs a DPoP proof signed with that key",
        ));
    }
    let resources = narrow_resources(&record.request.resources, requested_resources)?;
    let grant = store.new_grant(Grant {
        client,
        user: Some(record.user),
        resources: record.request.resources.clone(),
        auth_time: Some(record.auth_time),
        revoked: false,
        revoked_reason: None,
    });
    if let Some(stored) = store.codes.get_mut(&key) {
        stored.redeemed = Some(grant);
    }
    let refresh = if client.allows_grant(GRANT_REFRESH_TOKEN) {
        RefreshIssue::New
    } else {
        RefreshIssue::None
    };
    mint(
        app,
        &mut store,
        Mint {
            grant,
            scope: &record.request.scope,
            resources: &resources,
            refresh,
            nonce: record.request.nonce.as_deref(),
            code: Some(code),
            cnf_x5t: None,
            cnf_jkt: jkt,
            authorization_details: record.request.authorization_details.as_ref(),
            acr: record.request.mfa_done.then_some(STEP_UP_ACR),
            omit_at_hash: false,
            sub: None,
            act_sub: None,
        },
    )
}

/// The resource owner password credentials grant (RFC 6749 §4.3), deprecated (RFC 9700 §2.4):
/// only behind the `unsafe-allow-password-grant` teaching switch. The user's password goes to
/// the client, and from it to here.
fn password(
    app: &App,
    client: &'static SeededClient,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let username = params.required("username")?;
    let password = params.required("password")?;
    let Some(user) = super::clients::check_login(username, password) else {
        return Err(OAuthError::invalid_grant(
            "wrong username or password (the seeded users are printed at start)",
        ));
    };
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let mut store = app.store();
    user_tokens(
        app,
        &mut store,
        client,
        user,
        now_secs(),
        (&scope, &resources),
        jkt,
    )
}

/// The tokens of a grant a user gave at `auth_time` (password and device grants): a new grant
/// record, a refresh token when the client may refresh, bound to the DPoP key if any.
fn user_tokens(
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
        revoked: false,
        revoked_reason: None,
    });
    let refresh = if client.allows_grant(GRANT_REFRESH_TOKEN) {
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

fn client_credentials(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let details = params
        .single("authorization_details")?
        .map(|d| rar::parse(&Value::String(d.to_string())))
        .transpose()?;
    let mut store = app.store();
    let grant = store.new_grant(Grant {
        client,
        user: None,
        resources: resources.clone(),
        auth_time: None,
        revoked: false,
        revoked_reason: None,
    });
    mint(
        app,
        &mut store,
        Mint {
            cnf_x5t: auth.cnf_x5t.as_deref(),
            cnf_jkt: jkt,
            authorization_details: details.as_ref(),
            ..Mint::new(grant, &scope, &resources)
        },
    )
}

fn refresh_token(
    app: &App,
    client: &'static SeededClient,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let presented = params.required("refresh_token")?;
    let requested_scope = params.single("scope")?;
    let requested_resources = params.all("resource");
    let mut store = app.store();
    let key = token_key(presented);
    let Some(record) = store.refresh.get(&key).cloned() else {
        return Err(OAuthError::invalid_grant(
            "unknown refresh token (never issued, expired, or issued before a restart)",
        ));
    };
    let Some(grant) = store.grants.get(&record.grant).cloned() else {
        return Err(OAuthError::invalid_grant("unknown refresh token"));
    };
    if grant.client.id != client.id && !app.config.unsafe_switches.refresh_any_client {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if record.revoked || grant.revoked {
        return Err(OAuthError::invalid_grant(format!(
            "the refresh token has been revoked ({})",
            grant.revoked_reason.unwrap_or("revoked")
        )));
    }
    if record.rotated && app.config.unsafe_switches.no_refresh_family_revocation {
        return Err(OAuthError::invalid_grant(
            "this refresh token was already exchanged (its family stays valid: teaching switch \
             unsafe-no-refresh-family-revocation)",
        ));
    }
    if record.rotated {
        store.revoke_grant(record.grant, "refresh token reuse detected");
        return Err(OAuthError::invalid_grant(
            "refresh token reuse detected: this refresh token was already exchanged, so the whole \
             token family (every access and refresh token of this grant) is now revoked",
        ));
    }
    if now_secs() >= record.exp {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    if let Some(bound) = &record.cnf_jkt
        && jkt != Some(bound.as_str())
    {
        return Err(OAuthError::new(
            "invalid_dpop_proof",
            "the refresh token is bound to a DPoP key (a public client's, RFC 9449 §5): \
             send a DPoP proof signed with that key",
        ));
    }
    let scope = narrow_scope(&record.scope, requested_scope)?;
    let resources = narrow_resources(&grant.resources, requested_resources)?;
    let refresh = if app.config.unsafe_switches.no_refresh_rotation {
        RefreshIssue::Keep(presented.to_string())
    } else {
        if let Some(stored) = store.refresh.get_mut(&key) {
            stored.rotated = true;
        }
        RefreshIssue::NewWithScope(record.scope.clone())
    };
    mint(
        app,
        &mut store,
        Mint {
            grant: record.grant,
            scope: &scope,
            resources: &resources,
            refresh,
            nonce: None,
            code: None,
            cnf_x5t: None,
            cnf_jkt: jkt,
            authorization_details: record.authorization_details.as_ref(),
            acr: None,
            omit_at_hash: false,
            sub: None,
            act_sub: None,
        },
    )
}

fn device_code(
    app: &App,
    client: &'static SeededClient,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let device_code = params.required("device_code")?;
    let mut store = app.store();
    let key = token_key(device_code);
    let Some(record) = store.devices.get_mut(&key) else {
        return Err(OAuthError::invalid_grant(
            "unknown device_code (never issued, or expired and forgotten)",
        ));
    };
    if record.client.id != client.id {
        return Err(OAuthError::invalid_grant(
            "the device_code was issued to another client",
        ));
    }
    let now = now_ms();
    if now >= record.expires_ms {
        return Err(OAuthError::new(
            "expired_token",
            "the device_code has expired; start a new device authorization",
        ));
    }
    match record.status.clone() {
        DeviceStatus::Denied => Err(OAuthError::new(
            "access_denied",
            "the user denied the authorization request",
        )),
        DeviceStatus::Redeemed => Err(OAuthError::invalid_grant(
            "the device_code was already exchanged for tokens",
        )),
        DeviceStatus::Pending => {
            let too_soon = record
                .last_poll_ms
                .is_some_and(|last| now.saturating_sub(last) < ms(record.interval));
            record.last_poll_ms = Some(now);
            if too_soon {
                record.interval += Duration::from_secs(5);
                return Err(OAuthError::new(
                    "slow_down",
                    format!(
                        "polling too fast; wait at least {} seconds between requests",
                        record.interval.as_secs()
                    ),
                ));
            }
            Err(OAuthError::new(
                "authorization_pending",
                "the user has not yet approved or denied the request",
            ))
        }
        DeviceStatus::Approved { user, auth_time } => {
            record.status = DeviceStatus::Redeemed;
            let scope = record.scope.clone();
            let resources = record.resources.clone();
            user_tokens(
                app,
                &mut store,
                client,
                user,
                auth_time,
                (&scope, &resources),
                jkt,
            )
        }
    }
}

/// Whether and how a token response carries a refresh token.
enum RefreshIssue {
    None,
    /// A fresh refresh token carrying the access token's scope.
    New,
    /// A fresh refresh token carrying this (the originally granted) scope.
    NewWithScope(String),
    /// Hand back the presented one (the unsafe no-rotation switch).
    Keep(String),
}

struct Mint<'a> {
    grant: GrantId,
    scope: &'a str,
    resources: &'a [String],
    refresh: RefreshIssue,
    nonce: Option<&'a str>,
    code: Option<&'a str>,
    /// Bind the access token to this certificate (`cnf.x5t#S256`).
    cnf_x5t: Option<&'a str>,
    /// Bind the access token to this DPoP key (`cnf.jkt`, RFC 9449 §6) and make it `DPoP`.
    cnf_jkt: Option<&'a str>,
    /// The granted RFC 9396 details (in the token and the response).
    authorization_details: Option<&'a Value>,
    /// The authentication context reached at login (`acr`, for RFC 9470 step-up).
    acr: Option<&'a str>,
    /// Leave `at_hash` out of the ID token (a front-channel answer without the access token).
    omit_at_hash: bool,
    /// The token's `sub` when it is not the grant's user or client (token exchange).
    sub: Option<&'a str>,
    /// The actor of a delegation (`act.sub`).
    act_sub: Option<&'a str>,
}

impl<'a> Mint<'a> {
    /// An access token alone (no refresh token, no ID token inputs).
    fn new(grant: GrantId, scope: &'a str, resources: &'a [String]) -> Self {
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
fn mint(app: &App, store: &mut Store, mint: Mint<'_>) -> Result<Value, OAuthError> {
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
        let id_token = keys
            .sign_jwt(alg, "JWT", &Value::Object(id))
            .map_err(|e| OAuthError::server_error(e.to_string()))?;
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
#[allow(clippy::unwrap_used)]
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

    #[test]
    fn verifier_format() {
        assert!(verifier_well_formed(&"a".repeat(43)));
        assert!(!verifier_well_formed(&"a".repeat(42)));
        assert!(!verifier_well_formed(&"a".repeat(129)));
        assert!(!verifier_well_formed(&format!("{}+", "a".repeat(43))));
    }
}
