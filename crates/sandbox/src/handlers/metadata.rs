//! The sandbox's metadata and token-management endpoints: discovery (OpenID Connect Discovery
//! and RFC 8414), the JWKS, introspection (RFC 7662), revocation (RFC 7009), userinfo, and a
//! start page listing all of it for people.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::grants;
use crate::paths::{END_SESSION_PATH, PAR_PATH, REGISTRATION_PATH, RESOURCE_PATH};
use crate::protocol::access::{Refusal, accept};
use crate::protocol::client_auth::authenticate_client;
use crate::protocol::page::{escape_html, page, seeded_user_rows};
use crate::protocol::wire::{OAuthError, Params, json_response};
use crate::state::app::App;
use crate::state::clients::{DEFAULT_AUDIENCE, SCOPES_SUPPORTED, SeededClient, seeded_clients};
use crate::state::store::{Grant, token_key};
use crate::state::tls::Peer;
use grantscope_core::oauth::{AuthMethod, GrantKind};

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub(crate) async fn discovery(State(app): State<Arc<App>>) -> Response {
    let grant_types: Vec<&str> = grants::offered_grants(&app.config)
        .into_iter()
        .map(GrantKind::grant_type)
        .collect();
    let pkce_methods: Vec<&str> = if app.config.unsafe_switches.allow_plain_pkce {
        vec!["S256", "plain"]
    } else {
        vec!["S256"]
    };
    // Every method of the core's registry: the sandbox has a client for each.
    let auth_methods = AuthMethod::ALL.map(AuthMethod::as_str);
    let fapi2_algs = app.config.teaching_switches.require_fapi2_algs;
    let assertion_algs: &[&str] = if fapi2_algs {
        &crate::protocol::assertion::FAPI2_ALGS
    } else {
        &["ES256", "HS256", "HS384", "HS512"]
    };
    let id_token_algs: &[&str] = if fapi2_algs {
        &[app.config.signing_alg.as_str()]
    } else {
        &["RS256", "ES256"]
    };
    let response_types: &[&str] = if app.config.unsafe_switches.allow_implicit {
        &[
            "code",
            "token",
            "id_token",
            "id_token token",
            "code id_token",
            "code token",
            "code id_token token",
        ]
    } else {
        &["code"]
    };
    let mut request_object_algs = crate::protocol::request_object::REQUEST_OBJECT_ALGS.to_vec();
    if app.config.unsafe_switches.accept_unsigned_request_object {
        request_object_algs.push("none");
    }
    let mut document = json!({
        "issuer": app.issuer,
        "authorization_endpoint": app.url("/authorize"),
        "token_endpoint": app.url("/token"),
        "device_authorization_endpoint": app.url("/device_authorization"),
        "pushed_authorization_request_endpoint": app.url(PAR_PATH),
        "require_pushed_authorization_requests": app.config.teaching_switches.require_par,
        "introspection_endpoint": app.url("/introspect"),
        "revocation_endpoint": app.url("/revoke"),
        "userinfo_endpoint": app.url("/userinfo"),
        "jwks_uri": app.url("/jwks"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": response_types,
        "response_modes_supported": crate::state::store::RESPONSE_MODES,
        "authorization_signing_alg_values_supported": [app.config.signing_alg.as_str()],
        "grant_types_supported": grant_types,
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "tls_client_certificate_bound_access_tokens": true,
        "code_challenge_methods_supported": pkce_methods,
        "subject_types_supported": ["public"],
        "acr_values_supported": [crate::state::config::STEP_UP_ACR],
        "id_token_signing_alg_values_supported": id_token_algs,
        "userinfo_signing_alg_values_supported": [],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "azp", "acr", "sid",
            "name", "preferred_username", "email", "email_verified"
        ],
        "authorization_response_iss_parameter_supported": true,
        "dpop_signing_alg_values_supported": crate::protocol::dpop::DPOP_ALGS,
        "authorization_details_types_supported": crate::protocol::rar::DETAIL_TYPES,
        "request_parameter_supported": true,
        "request_object_signing_alg_values_supported": request_object_algs,
        "request_uri_parameter_supported": false,
        "grantscope_sandbox": {
            "access_token_signing_alg": app.config.signing_alg.as_str(),
            "default_audience": DEFAULT_AUDIENCE,
            "unsafe_switches": app.config.unsafe_switches.enabled(),
            "teaching_switches": app.config.teaching_switches.enabled(),
            "protected_resource": app.url(RESOURCE_PATH),
            "protected_resource_metadata": app.url("/.well-known/oauth-protected-resource"),
        },
    });
    // Beside the others (one more member inside `json!` passes its recursion limit).
    if let Some(map) = document.as_object_mut() {
        map.insert(
            "registration_endpoint".into(),
            json!(app.url(REGISTRATION_PATH)),
        );
        map.insert(
            "end_session_endpoint".into(),
            json!(app.url(END_SESSION_PATH)),
        );
        map.insert("backchannel_logout_supported".into(), json!(true));
        map.insert(
            "backchannel_authentication_endpoint".into(),
            json!(app.url(crate::paths::CIBA_PATH)),
        );
        map.insert(
            "backchannel_token_delivery_modes_supported".into(),
            json!(["poll", "ping"]),
        );
        map.insert(
            "backchannel_user_code_parameter_supported".into(),
            json!(false),
        );
        map.insert("backchannel_logout_session_supported".into(), json!(true));
    }
    if let Some(map) = document
        .get_mut("grantscope_sandbox")
        .and_then(Value::as_object_mut)
    {
        map.insert("switches_on".into(), switches_on(&app));
        map.insert(
            "credential_endpoint".into(),
            json!(app.url(crate::paths::CREDENTIAL_PATH)),
        );
        map.insert(
            "credential_vct".into(),
            json!(crate::protocol::credential::VCT),
        );
    }
    // OIDC Discovery §3: the ID token encryption offered: to every client with the key the
    // sandbox was started with, else to a registered client that asks for it with its key.
    if let Some(map) = document.as_object_mut() {
        let algs = match &app.config.id_token_encryption_key {
            Some(jwk) => json!([crate::protocol::jwe::alg_for(jwk)]),
            None => json!(["RSA-OAEP-256", "ECDH-ES"]),
        };
        map.insert("id_token_encryption_alg_values_supported".into(), algs);
        map.insert(
            "id_token_encryption_enc_values_supported".into(),
            json!([crate::protocol::jwe::ENC]),
        );
    }
    if let (Some(map), Some(_)) = (document.as_object_mut(), &app.tls_base) {
        let alias = |path: &str| app.tls_url(path).unwrap_or_default();
        map.insert(
            "mtls_endpoint_aliases".into(),
            json!({
                "token_endpoint": alias("/token"),
                "introspection_endpoint": alias("/introspect"),
                "revocation_endpoint": alias("/revoke"),
                "device_authorization_endpoint": alias("/device_authorization"),
                "userinfo_endpoint": alias("/userinfo"),
                "pushed_authorization_request_endpoint": alias(PAR_PATH),
            }),
        );
    }
    let mut response = (StatusCode::OK, axum::Json(document)).into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// The switches that are on, each with its explanation and the probes it teaches (the
/// discovery document's `grantscope_sandbox.switches_on`).
fn switches_on(app: &App) -> Value {
    crate::state::switches::SWITCHES
        .iter()
        .filter(|s| s.is_on(&app.config))
        .map(|s| json!({ "name": s.name, "explanation": s.explanation, "probes": s.probes }))
        .collect()
}

/// `GET /jwks`.
pub(crate) async fn jwks(State(app): State<Arc<App>>) -> Response {
    let document = if app.config.unsafe_switches.jwks_private_key {
        app.keys().jwks_leaking_private_key()
    } else {
        app.keys().jwks()
    };
    let mut response = (StatusCode::OK, axum::Json(document)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // Short caching so a rotation is picked up quickly by verifiers that honour it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=60"),
    );
    response
}

/// Whether `client` may learn about a token of `grant`: confidential clients (resource servers)
/// may introspect any token; a public client, which proves nothing, only its own.
fn may_see(client: &SeededClient, grant: &Grant) -> bool {
    client.secret.is_some() || grant.client.id == client.id
}

/// `POST /introspect` (RFC 7662).
pub(crate) async fn introspect(
    State(app): State<Arc<App>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match introspect_inner(&app, &peer, &headers, &body) {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(error) => error.into_response(),
    }
}

fn introspect_inner(
    app: &App,
    peer: &Peer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = authenticate_client(app, peer, "/introspect", headers, &params)?.client;
    let token = params.required("token")?;
    // The hint only orders the search (RFC 7662 §2.1).
    let _hint = params.single("token_type_hint")?;
    let store = app.store();
    if let Some((record, grant)) = store.active_access(token)
        && may_see(client, grant)
    {
        let mut out = Map::new();
        out.insert("active".into(), json!(true));
        out.insert("scope".into(), json!(record.scope));
        out.insert("client_id".into(), json!(grant.client.id));
        if let Some(user) = grant.user {
            out.insert("username".into(), json!(user.username));
        }
        let token_type = if record.cnf_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        };
        out.insert("token_type".into(), json!(token_type));
        out.insert("exp".into(), json!(record.exp));
        out.insert("iat".into(), json!(record.iat));
        out.insert("nbf".into(), json!(record.iat));
        out.insert("sub".into(), json!(record.sub));
        out.insert(
            "aud".into(),
            if record.aud.len() == 1 {
                json!(record.aud[0])
            } else {
                json!(record.aud)
            },
        );
        out.insert("iss".into(), json!(app.issuer));
        out.insert("jti".into(), json!(record.jti));
        if let Some(auth_time) = grant.auth_time {
            out.insert("auth_time".into(), json!(auth_time));
        }
        if let Some(x5t) = &record.cnf_x5t {
            out.insert("cnf".into(), json!({ "x5t#S256": x5t }));
        }
        if let Some(jkt) = &record.cnf_jkt {
            out.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        if let Some(actor) = &record.act_sub {
            out.insert("act".into(), json!({ "sub": actor }));
        }
        return Ok(Value::Object(out));
    }
    if let Some((record, grant)) = store.active_refresh(token)
        && may_see(client, grant)
    {
        let mut out = Map::new();
        out.insert("active".into(), json!(true));
        out.insert("scope".into(), json!(record.scope));
        out.insert("client_id".into(), json!(grant.client.id));
        if let Some(user) = grant.user {
            out.insert("username".into(), json!(user.username));
            out.insert("sub".into(), json!(user.sub));
        }
        out.insert("exp".into(), json!(record.exp));
        out.insert("iat".into(), json!(record.iat));
        out.insert("iss".into(), json!(app.issuer));
        return Ok(Value::Object(out));
    }
    Ok(json!({ "active": false }))
}

/// `POST /revoke` (RFC 7009). Revoking a refresh token revokes its whole grant (§2.1).
pub(crate) async fn revoke(
    State(app): State<Arc<App>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match revoke_inner(&app, &peer, &headers, &body) {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn revoke_inner(
    app: &App,
    peer: &Peer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = authenticate_client(app, peer, "/revoke", headers, &params)?.client;
    let token = params.required("token")?;
    let _hint = params.single("token_type_hint")?;
    let key = token_key(token);
    let mut store = app.store();
    let not_yours = || {
        OAuthError::new(
            "unauthorized_client",
            "this token was not issued to the requesting client",
        )
    };
    if let Some(grant_id) = store.access.get(&key).map(|r| r.grant) {
        let owner = store.grants.get(&grant_id).map(|g| g.client.id);
        if owner != Some(client.id) && !app.config.unsafe_switches.revoke_any_client {
            return Err(not_yours());
        }
        if let Some(record) = store.access.get_mut(&key) {
            record.revoked = true;
        }
        return Ok(());
    }
    if let Some(grant_id) = store.refresh.get(&key).map(|r| r.grant) {
        let owner = store.grants.get(&grant_id).map(|g| g.client.id);
        if owner != Some(client.id) && !app.config.unsafe_switches.revoke_any_client {
            return Err(not_yours());
        }
        store.revoke_grant(grant_id, "refresh token revoked");
        return Ok(());
    }
    // Unknown or already invalid tokens: success, as RFC 7009 §2.2 requires.
    Ok(())
}

/// `GET|POST /userinfo` (OpenID Connect Core §5.3) with a Bearer (RFC 6750 §2.1) or DPoP
/// (RFC 9449 §7) access token, checked like the protected resource's.
pub(crate) async fn userinfo(
    State(app): State<Arc<App>>,
    peer: Peer,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let accepted = match accept(&app, &peer, &headers, &method, "/userinfo") {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal.into_response(&app),
    };
    let Some(user) = accepted.user.filter(|_| accepted.has_scope("openid")) else {
        return Refusal::new(
            StatusCode::FORBIDDEN,
            accepted.scheme,
            "insufficient_scope",
            "userinfo needs a user's access token with scope openid",
        )
        .into_response(&app);
    };
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.sub));
    if accepted.has_scope("profile") {
        out.insert("name".into(), json!(user.name));
        out.insert("preferred_username".into(), json!(user.username));
    }
    if accepted.has_scope("email") {
        out.insert("email".into(), json!(user.email));
        out.insert("email_verified".into(), json!(true));
    }
    json_response(StatusCode::OK, &Value::Object(out))
}

/// `GET /`: what this server is, its endpoints, clients and users.
pub(crate) async fn index(State(app): State<Arc<App>>) -> Response {
    let endpoints: String = [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/jwks",
        "/authorize",
        "/token",
        "/par",
        REGISTRATION_PATH,
        END_SESSION_PATH,
        "/device_authorization",
        "/device",
        crate::paths::CIBA_PATH,
        crate::paths::PHONE_PATH,
        "/introspect",
        "/revoke",
        "/userinfo",
        crate::paths::CREDENTIAL_PATH,
        RESOURCE_PATH,
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/api/resource",
    ]
    .iter()
    .map(|p| format!("<li><code>{}</code></li>", escape_html(&app.url(p))))
    .collect();
    let clients: String = seeded_clients()
        .iter()
        .map(|c| {
            format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape_html(c.id),
                escape_html(c.secret.unwrap_or(match c.auth {
                    crate::state::clients::ClientAuth::None => "(none: public)",
                    _ => c.auth.name(),
                })),
                escape_html(c.description)
            )
        })
        .collect();
    let users = seeded_user_rows(false);
    let tls = match &app.tls_base {
        Some(base) => format!(
            "<p>Mutual TLS (RFC 8705): the same endpoints at <code>{}</code>, with a server \
             certificate from the sandbox's test CA <code>{}</code>.</p>",
            escape_html(base),
            escape_html(
                &app.client_keys
                    .cert_file(crate::state::client_keys::CA_KEY)
                    .display()
                    .to_string()
            )
        ),
        None => String::new(),
    };
    let body = format!(
        "<p>A local OAuth 2.0 / OpenID Connect provider for learning and testing. \
         Issuer: <code>{issuer}</code></p><h2>Endpoints</h2><ul>{endpoints}</ul>{tls}\
         <h2>Clients</h2><table><tr><th>client_id</th><th>secret</th><th>what for</th></tr>{clients}</table>\
         <h2>Users</h2><table><tr><th>username</th><th>password</th></tr>{users}</table>{phone}",
        issuer = escape_html(&app.issuer),
        phone = crate::protocol::ciba::phone_html(&app),
    );
    page(&app, StatusCode::OK, "grantscope sandbox", &body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::state::config::UnsafeSwitches;
    use grantscope_core::oauth::EndpointKind;
    use grantscope_core::oauth::grants::GRANTS;

    /// The endpoints of the core's registry the sandbox does not serve (yet): discovery must
    /// not name them.
    const NOT_SERVED: &[EndpointKind] = &[];

    /// Discovery names every endpoint of the core's registry (but [`NOT_SERVED`]), every grant the sandbox offers and
    /// every client authentication method: a row added there and forgotten here fails.
    #[tokio::test]
    async fn discovery_follows_the_core_registries() {
        for password in [false, true] {
            let switches = UnsafeSwitches {
                allow_password_grant: password,
                ..UnsafeSwitches::default()
            };
            let (app, _dir) = App::for_tests(switches);
            let app = Arc::new(app);
            let response = discovery(State(Arc::clone(&app))).await;
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            let doc: Value = serde_json::from_slice(&body).unwrap();
            for kind in EndpointKind::ALL {
                if NOT_SERVED.contains(&kind) {
                    assert!(doc[kind.metadata_name()].is_null(), "{kind:?}");
                    continue;
                }
                assert!(doc[kind.metadata_name()].is_string(), "{kind:?}");
            }
            let grants: Vec<&str> = doc["grant_types_supported"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            let offered: Vec<&str> = GRANTS
                .iter()
                .filter(|g| grants::offered(&app.config, g.kind))
                .map(|g| g.grant_type)
                .collect();
            assert_eq!(grants, offered);
            assert_eq!(grants.contains(&"password"), password);
            let methods = doc["token_endpoint_auth_methods_supported"].clone();
            assert_eq!(methods, json!(AuthMethod::ALL.map(AuthMethod::as_str)));
        }
    }
}
