//! Dynamic client registration (RFC 7591, `POST /register`) and its management (RFC 7592,
//! `GET|PUT|DELETE /register/{client_id}` with the registration access token). Open, or only
//! with the initial access token under the `require-initial-access-token` switch. Redirect
//! URIs are held to RFC 6749 §3.1.2 and RFC 8252 (https, or http on a loopback address for a
//! native client, or a private-use scheme for a native client; no fragment), except under the
//! `unsafe-registration-any-redirect-uri` switch. A registered client authenticates with
//! `client_secret_basic`, `client_secret_post` or `none`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::grants;
use crate::paths::REGISTRATION_PATH;
use crate::protocol::wire::{OAuthError, json_response};
use crate::state::app::App;
use crate::state::clients::{ClientAuth, SCOPES_SUPPORTED, secrets_equal};
use crate::state::config::INITIAL_ACCESS_TOKEN;
use crate::state::registry::{ClientSpec, MAX_RECORDS, Registered};
use crate::state::store::{now_secs, random_token, token_key};
use grantscope_core::oauth::GrantKind;

/// The members a client may not choose (the server issues them).
const ISSUED: [&str; 6] = [
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_client_metadata", description)
}

fn redirect_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_redirect_uri", description)
}

/// 401 with a Bearer challenge (RFC 6750 §3): a missing or wrong initial or registration
/// access token.
fn bad_token(description: &str) -> Response {
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_token", "error_description": description }),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "Bearer realm=\"grantscope-sandbox\", error=\"invalid_token\", error_description=\"{}\"",
        description.replace(['"', '\\'], "'")
    )) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// The Bearer token of a request, if it has exactly one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = first.to_str().ok()?.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Whether a redirect URI is acceptable for a client of `native` type (RFC 6749 §3.1.2,
/// RFC 8252 §7, OpenID Connect Registration §2 `application_type`).
fn check_redirect_uri(uri: &str, native: bool) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|e| format!("{uri:?} is not an absolute URI: {e}"))?;
    if url.fragment().is_some() {
        return Err(format!(
            "{uri:?} has a fragment; a redirect URI must not (RFC 6749 §3.1.2)"
        ));
    }
    let loopback = matches!(
        url.host_str(),
        Some("127.0.0.1") | Some("[::1]") | Some("localhost")
    );
    match url.scheme() {
        "https" if native && loopback => Err(format!(
            "{uri:?}: a native client's loopback redirect is http (RFC 8252 §7.3)"
        )),
        "https" => Ok(()),
        "http" if loopback && native => Ok(()),
        "http" if loopback => Err(format!(
            "{uri:?} is a loopback redirect: register the client with application_type \
             \"native\" (RFC 8252 §7.3; any port then works)"
        )),
        "http" => Err(format!(
            "{uri:?} is plain http to another host: the code would travel unencrypted \
             (RFC 6749 §3.1.2.1); use https"
        )),
        _ if native && url.scheme().contains('.') => Ok(()),
        _ => Err(format!(
            "{uri:?}: only https, http on a loopback address (native clients) or a private-use \
             scheme such as com.example.app:/cb (native clients, RFC 8252 §7.1) are registered"
        )),
    }
}

fn strings(metadata: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| metadata_error(format!("{name} must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(metadata_error(format!(
            "{name} must be an array of strings"
        ))),
    }
}

fn string(metadata: &Map<String, Value>, name: &str) -> Result<Option<String>, OAuthError> {
    match metadata.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(metadata_error(format!("{name} must be a string"))),
    }
}

/// Checks the client metadata of a registration or an update and fills in its defaults;
/// returns the client and the metadata as registered.
fn check(
    app: &App,
    metadata: &Map<String, Value>,
    id: String,
    secret: Option<String>,
) -> Result<(ClientSpec, Map<String, Value>), OAuthError> {
    let mut out = metadata.clone();
    for name in ISSUED {
        out.remove(name);
    }
    let method = string(metadata, "token_endpoint_auth_method")?
        .unwrap_or_else(|| "client_secret_basic".into());
    let auth = match method.as_str() {
        "client_secret_basic" | "client_secret_post" => ClientAuth::Secret,
        "none" => ClientAuth::None,
        other => {
            return Err(metadata_error(format!(
                "token_endpoint_auth_method {other:?}: the sandbox registers clients that use \
                 client_secret_basic, client_secret_post or none (its seeded clients show the \
                 other methods)"
            )));
        }
    };
    out.insert("token_endpoint_auth_method".into(), json!(method));
    let grant_names =
        strings(metadata, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    let mut grant_types = Vec::new();
    for name in &grant_names {
        let kind = GrantKind::from_grant_type(name)
            .filter(|k| grants::offered(&app.config, *k))
            .ok_or_else(|| {
                metadata_error(format!(
                    "grant type {name:?} is not offered here (see grant_types_supported)"
                ))
            })?;
        grant_types.push(kind);
    }
    out.insert("grant_types".into(), json!(grant_names));
    let code = grant_types.contains(&GrantKind::AuthorizationCode);
    let response_types = strings(metadata, "response_types")?;
    let expected: &[&str] = if code { &["code"] } else { &[] };
    match &response_types {
        Some(given)
            if given
                .iter()
                .map(String::as_str)
                .ne(expected.iter().copied()) =>
        {
            return Err(metadata_error(format!(
                "response_types {given:?} do not fit grant_types {grant_names:?} (RFC 7591 §2.1: \
                 authorization_code goes with [\"code\"], no code grant with [])"
            )));
        }
        _ => {}
    }
    out.insert("response_types".into(), json!(expected));
    let application_type = string(metadata, "application_type")?.unwrap_or_else(|| "web".into());
    if !matches!(application_type.as_str(), "web" | "native") {
        return Err(metadata_error(format!(
            "application_type {application_type:?} is neither web nor native"
        )));
    }
    out.insert("application_type".into(), json!(application_type));
    let native = application_type == "native";
    let redirect_uris = strings(metadata, "redirect_uris")?.unwrap_or_default();
    if code && redirect_uris.is_empty() {
        return Err(redirect_error(
            "a client of the authorization code grant must register its redirect_uris",
        ));
    }
    if !app.config.unsafe_switches.registration_any_redirect_uri {
        for uri in &redirect_uris {
            check_redirect_uri(uri, native).map_err(redirect_error)?;
        }
    }
    let post_logout = strings(metadata, "post_logout_redirect_uris")?.unwrap_or_default();
    for uri in &post_logout {
        url::Url::parse(uri).map_err(|e| {
            metadata_error(format!(
                "post_logout_redirect_uri {uri:?} is not a URI: {e}"
            ))
        })?;
    }
    let backchannel = string(metadata, "backchannel_logout_uri")?;
    if let Some(uri) = &backchannel {
        let url = url::Url::parse(uri).map_err(|e| {
            metadata_error(format!("backchannel_logout_uri {uri:?} is not a URI: {e}"))
        })?;
        if url.fragment().is_some() {
            return Err(metadata_error(
                "backchannel_logout_uri must not have a fragment (Back-Channel Logout §2.2)",
            ));
        }
    }
    // Back-Channel Logout §2.2: a boolean; the sandbox's logout tokens carry the `sid` of the
    // login session either way, so `true` asks for nothing more.
    match metadata.get("backchannel_logout_session_required") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(_) => {
            return Err(metadata_error(
                "backchannel_logout_session_required must be a boolean (Back-Channel Logout §2.2)",
            ));
        }
    }
    // CIBA (§4): poll or ping; ping needs the client's notification endpoint.
    let mode = string(metadata, "backchannel_token_delivery_mode")?;
    if grant_types.contains(&GrantKind::Ciba) || mode.is_some() {
        let mode = mode.unwrap_or_else(|| "poll".into());
        if mode != "poll" && mode != "ping" {
            return Err(metadata_error(format!(
                "backchannel_token_delivery_mode {mode:?} is not offered (poll or ping)"
            )));
        }
        let endpoint = string(metadata, "backchannel_client_notification_endpoint")?;
        if mode == "ping" {
            let Some(endpoint) = endpoint else {
                return Err(metadata_error(
                    "ping mode needs a backchannel_client_notification_endpoint (CIBA §4)",
                ));
            };
            let url = url::Url::parse(&endpoint).map_err(|e| {
                metadata_error(format!(
                    "backchannel_client_notification_endpoint {endpoint:?} is not a URI: {e}"
                ))
            })?;
            // CIBA requires https; the sandbox also takes a loopback http endpoint, so a
            // client on this machine can be pinged without a certificate.
            let loopback = matches!(url.host_str(), Some("127.0.0.1") | Some("localhost"));
            if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                return Err(metadata_error(
                    "backchannel_client_notification_endpoint must be https (or http on \
                     127.0.0.1 for a local client)",
                ));
            }
        }
        out.insert("backchannel_token_delivery_mode".into(), json!(mode));
    }
    check_id_token_encryption(metadata)?;
    let scopes: Vec<String> = match string(metadata, "scope")? {
        Some(s) => {
            let asked: Vec<String> = s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if let Some(unknown) = asked
                .iter()
                .find(|s| !SCOPES_SUPPORTED.contains(&s.as_str()))
            {
                return Err(metadata_error(format!(
                    "scope {unknown:?} is not one of the sandbox's (see scopes_supported)"
                )));
            }
            asked
        }
        None => Vec::new(),
    };
    let secret = match auth {
        ClientAuth::None => None,
        _ => secret.or_else(|| Some(random_token(24))),
    };
    Ok((
        ClientSpec {
            id,
            secret,
            auth,
            grant_types,
            redirect_uris,
            scopes,
        },
        out,
    ))
}

/// A client that asks for encrypted ID tokens (OIDC Registration §2:
/// `id_token_encrypted_response_alg`, `_enc`) must name what the sandbox encrypts with and give
/// a public key of that kind in its `jwks` (the sandbox fetches no `jwks_uri`).
fn check_id_token_encryption(metadata: &Map<String, Value>) -> Result<(), OAuthError> {
    let alg = string(metadata, "id_token_encrypted_response_alg")?;
    let enc = string(metadata, "id_token_encrypted_response_enc")?;
    let Some(alg) = alg else {
        if enc.is_some() {
            return Err(metadata_error(
                "id_token_encrypted_response_enc without id_token_encrypted_response_alg                  (OIDC Registration §2)",
            ));
        }
        return Ok(());
    };
    if !matches!(alg.as_str(), "RSA-OAEP-256" | "ECDH-ES") {
        return Err(metadata_error(format!(
            "id_token_encrypted_response_alg {alg:?}: the sandbox encrypts ID tokens with              RSA-OAEP-256 or ECDH-ES"
        )));
    }
    if let Some(enc) = enc.filter(|e| e != crate::protocol::jwe::ENC) {
        return Err(metadata_error(format!(
            "id_token_encrypted_response_enc {enc:?}: the sandbox encrypts with {}",
            crate::protocol::jwe::ENC
        )));
    }
    match crate::protocol::jwe::encryption_key_in(metadata.get("jwks"), &alg) {
        Some(_) => Ok(()),
        None => Err(metadata_error(format!(
            "id_token_encrypted_response_alg {alg} needs a public key for it in jwks (use \
             \"enc\"; the sandbox fetches no jwks_uri)"
        ))),
    }
}

/// The registration as answered: the metadata, the client's id and secret, the times, the
/// management URI and (when given) the registration access token.
fn answer(app: &App, registered: &Registered, token: Option<&str>) -> Value {
    let mut out = registered.metadata.as_object().cloned().unwrap_or_default();
    let client = registered.client;
    out.insert("client_id".into(), json!(client.id));
    if let Some(secret) = client.secret {
        out.insert("client_secret".into(), json!(secret));
        out.insert("client_secret_expires_at".into(), json!(0));
    }
    out.insert("client_id_issued_at".into(), json!(registered.issued_at));
    out.insert(
        "registration_client_uri".into(),
        json!(app.url(&format!("{REGISTRATION_PATH}/{}", client.id))),
    );
    if let Some(token) = token {
        out.insert("registration_access_token".into(), json!(token));
    }
    Value::Object(out)
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(metadata_error("the client metadata must be a JSON object")),
        Err(e) => Err(metadata_error(format!("the body is not JSON: {e}"))),
    }
}

fn full() -> OAuthError {
    OAuthError::server_error(format!(
        "this sandbox run has made {MAX_RECORDS} client records; restart it to register more"
    ))
}

/// `POST /register` (RFC 7591 §3.1).
pub(crate) async fn register(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if app.config.teaching_switches.require_initial_access_token {
        match bearer(&headers) {
            Some(t) if secrets_equal(INITIAL_ACCESS_TOKEN, t) => {}
            Some(_) => return bad_token("the initial access token is not valid"),
            None => {
                return bad_token(
                    "registration needs an initial access token here (the \
                     require-initial-access-token switch is on, RFC 7591 §3)",
                );
            }
        }
    }
    let result = parse_body(&body).and_then(|metadata| {
        let id = format!("dyn-{}", random_token(12));
        check(&app, &metadata, id, None)
    });
    let (spec, metadata) = match result {
        Ok(ok) => ok,
        Err(e) => return e.into_response(),
    };
    let token = random_token(32);
    let mut registry = app.registry();
    match registry.put(spec, Value::Object(metadata), token_key(&token), now_secs()) {
        Some(registered) => {
            json_response(StatusCode::CREATED, &answer(&app, registered, Some(&token)))
        }
        None => full().into_response(),
    }
}

/// The registration `id` if `headers` carry its registration access token (RFC 7592 §2: 401
/// for a wrong token and for an unknown client alike).
#[allow(clippy::result_large_err)] // the response is built once, at the end of a request
fn authorized(app: &App, headers: &HeaderMap, id: &str) -> Result<Registered, Response> {
    authorized_or(app, headers, id).map_err(bad_token)
}

fn authorized_or(app: &App, headers: &HeaderMap, id: &str) -> Result<Registered, &'static str> {
    let Some(token) = bearer(headers) else {
        return Err("send the registration access token as Authorization: Bearer (RFC 7592 §2)");
    };
    match app.registry().get(id) {
        Some(r) if secrets_equal(&r.token_key, &token_key(token)) => Ok(r.clone()),
        _ => Err("the registration access token is not valid for this client"),
    }
}

/// `GET /register/{client_id}` (RFC 7592 §2.1).
pub(crate) async fn read(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match authorized(&app, &headers, &id) {
        Ok(registered) => json_response(StatusCode::OK, &answer(&app, &registered, None)),
        Err(response) => response,
    }
}

/// `PUT /register/{client_id}` (RFC 7592 §2.2): the whole record; the client keeps its id
/// and secret, and gets a new registration access token (the old one stops working).
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let registered = match authorized(&app, &headers, &id) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let result = parse_body(&body).and_then(|metadata| {
        if metadata.get("client_id").and_then(Value::as_str) != Some(id.as_str()) {
            return Err(OAuthError::invalid_request(
                "the update must carry the client's client_id (RFC 7592 §2.2)",
            ));
        }
        if let Some(given) = metadata.get("client_secret")
            && given.as_str() != registered.client.secret
        {
            return Err(OAuthError::invalid_request(
                "client_secret differs from the client's (RFC 7592 §2.2)",
            ));
        }
        for name in [
            "registration_access_token",
            "registration_client_uri",
            "client_secret_expires_at",
            "client_id_issued_at",
        ] {
            if metadata.contains_key(name) {
                return Err(OAuthError::invalid_request(format!(
                    "an update must not carry {name} (RFC 7592 §2.2)"
                )));
            }
        }
        check(
            &app,
            &metadata,
            id.clone(),
            registered.client.secret.map(String::from),
        )
    });
    let (spec, metadata) = match result {
        Ok(ok) => ok,
        Err(e) => return e.into_response(),
    };
    let token = random_token(32);
    let mut registry = app.registry();
    match registry.put(
        spec,
        Value::Object(metadata),
        token_key(&token),
        registered.issued_at,
    ) {
        Some(updated) => json_response(StatusCode::OK, &answer(&app, updated, Some(&token))),
        None => full().into_response(),
    }
}

/// `DELETE /register/{client_id}` (RFC 7592 §2.3): the client is gone, and so are its grants.
pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = authorized(&app, &headers, &id) {
        return response;
    }
    app.registry().remove(&id);
    let mut store = app.store();
    let grants: Vec<_> = store
        .grants
        .iter()
        .filter(|(_, g)| g.client.id == id)
        .map(|(gid, _)| *gid)
        .collect();
    for gid in grants {
        store.revoke_grant(gid, "client registration deleted");
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_rfc_6749_and_8252() {
        assert!(check_redirect_uri("https://app.example/cb", false).is_ok());
        assert!(check_redirect_uri("http://127.0.0.1/callback", true).is_ok());
        assert!(check_redirect_uri("com.example.app:/cb", true).is_ok());
        for (uri, native) in [
            ("http://127.0.0.1/callback", false),
            ("http://evil.example/cb", false),
            ("http://evil.example/cb", true),
            ("https://app.example/cb#x", false),
            ("javascript:alert(1)", true),
            ("com.example.app:/cb", false),
            ("not a uri", false),
        ] {
            assert!(check_redirect_uri(uri, native).is_err(), "{uri} {native}");
        }
    }
}
