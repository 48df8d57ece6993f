//! The device authorization grant (RFC 8628): the device authorization endpoint that hands out a
//! device code and a user code, and the verification page where a user enters the code, logs in
//! and approves or denies. Polling is answered by the token endpoint (`token.rs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::protocol::client_auth::authenticate_client;
use crate::protocol::page::{escape_html, page, seeded_user_rows};
use crate::protocol::scope::resolve_scope;
use crate::protocol::wire::{OAuthError, Params, json_response, validate_resources};
use crate::state::app::App;
use crate::state::clients::{SeededUser, check_login, find_user};
use crate::state::store::{
    DeviceRecord, DeviceStatus, ms, new_user_code, normalize_user_code, now_ms, now_secs,
    random_token, token_key,
};
use crate::state::tls::Peer;
use grantscope_core::oauth::GrantKind;

/// `POST /device_authorization` (RFC 8628 §3.1).
pub(crate) async fn device_authorization(
    State(app): State<Arc<App>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match start(&app, &peer, &headers, &body) {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(error) => error.into_response(),
    }
}

fn start(
    app: &App,
    peer: &Peer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = authenticate_client(app, peer, "/device_authorization", headers, &params)?.client;
    if !client.allows_grant(GrantKind::DeviceCode) {
        return Err(OAuthError::new(
            "unauthorized_client",
            format!(
                "client {} may not use the device authorization grant",
                client.id
            ),
        ));
    }
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let device_code = random_token(32);
    let mut store = app.store();
    let user_code = loop {
        let candidate = new_user_code();
        if !store
            .user_codes
            .contains_key(&normalize_user_code(&candidate))
        {
            break candidate;
        }
    };
    let interval = app.config.device_poll_interval;
    let expires_in = app.config.device_code_ttl.as_secs();
    let key = token_key(&device_code);
    store
        .user_codes
        .insert(normalize_user_code(&user_code), key.clone());
    store.devices.insert(
        key,
        DeviceRecord {
            client,
            scope,
            resources,
            user_code: normalize_user_code(&user_code),
            expires_ms: now_ms().saturating_add(ms(app.config.device_code_ttl)),
            interval,
            last_poll_ms: None,
            // --auto-approve approves every request at once, device codes too: a script polls
            // without anyone opening the verification page.
            status: match app.config.auto_approve.as_deref().and_then(find_user) {
                Some(user) => DeviceStatus::Approved {
                    user,
                    auth_time: now_secs(),
                },
                None => DeviceStatus::Pending,
            },
        },
    );
    let verification_uri = app.url("/device");
    let complete = format!("{verification_uri}?user_code={user_code}");
    Ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": expires_in,
        "interval": interval.as_secs(),
    }))
}

/// `GET /device[?user_code=…]`: the form, or with auto-approve and a code, the approval itself.
pub(crate) async fn device_get(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let user_code = params.single("user_code").ok().flatten().unwrap_or("");
    if !user_code.is_empty()
        && let Some(user) = app.config.auto_approve.as_deref().and_then(find_user)
    {
        // Approved when it was issued: the page says so.
        if let Some(client_id) = auto_approved(&app, user_code) {
            return answered(&app, Some(user), client_id);
        }
        return decide(&app, user_code, Some(user));
    }
    form(&app, user_code, None, StatusCode::OK)
}

/// `POST /device`: the verification form's answer.
pub(crate) async fn device_post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match Params::from_form(&headers, &body) {
        Ok(params) => params,
        Err(error) => return form(&app, "", Some(&error.description), StatusCode::BAD_REQUEST),
    };
    let user_code = params.single("user_code").ok().flatten().unwrap_or("");
    let decision = params.single("decision").ok().flatten().unwrap_or("");
    // Auto-approve answered it when it was issued: the form's answer changes nothing.
    if let Some(user) = app.config.auto_approve.as_deref().and_then(find_user)
        && let Some(client_id) = auto_approved(&app, user_code)
    {
        return answered(&app, Some(user), client_id);
    }
    if lookup(&app, user_code).is_none() {
        return form(
            &app,
            user_code,
            Some("unknown or expired code; check the code shown on the device"),
            StatusCode::BAD_REQUEST,
        );
    }
    match decision {
        "deny" => decide(&app, user_code, None),
        "approve" => {
            let username = params.single("username").ok().flatten().unwrap_or("");
            let password = params.single("password").ok().flatten().unwrap_or("");
            match check_login(username, password) {
                Some(user) => decide(&app, user_code, Some(user)),
                None => form(
                    &app,
                    user_code,
                    Some("wrong username or password (the demo users are listed below)"),
                    StatusCode::UNAUTHORIZED,
                ),
            }
        }
        _ => form(
            &app,
            user_code,
            Some("choose Approve or Deny"),
            StatusCode::BAD_REQUEST,
        ),
    }
}

/// The device-code key of a live, pending user code.
fn lookup(app: &App, user_code: &str) -> Option<String> {
    let store = app.store();
    let key = store.user_codes.get(&normalize_user_code(user_code))?;
    let record = store.devices.get(key)?;
    (record.expires_ms > now_ms() && record.status == DeviceStatus::Pending).then(|| key.clone())
}

/// Approves (with a user) or denies (without) a pending device authorization.
fn decide(app: &App, user_code: &str, user: Option<&'static SeededUser>) -> Response {
    let Some(key) = lookup(app, user_code) else {
        return form(
            app,
            user_code,
            Some("unknown or expired code, or it was already answered"),
            StatusCode::BAD_REQUEST,
        );
    };
    let client_id = {
        let mut store = app.store();
        let Some(record) = store.devices.get_mut(&key) else {
            return form(
                app,
                user_code,
                Some("the code just expired"),
                StatusCode::BAD_REQUEST,
            );
        };
        record.status = match user {
            Some(user) => DeviceStatus::Approved {
                user,
                auth_time: now_secs(),
            },
            None => DeviceStatus::Denied,
        };
        record.client.id
    };
    answered(app, user, client_id)
}

/// The client of a live device request that auto-approve approved when it was issued.
fn auto_approved(app: &App, user_code: &str) -> Option<&'static str> {
    let store = app.store();
    let key = store.user_codes.get(&normalize_user_code(user_code))?;
    let record = store.devices.get(key)?;
    (record.expires_ms > now_ms() && matches!(record.status, DeviceStatus::Approved { .. }))
        .then_some(record.client.id)
}

/// The page after a device request was answered.
fn answered(app: &App, user: Option<&'static SeededUser>, client_id: &str) -> Response {
    let message = match user {
        Some(user) => format!(
            "Signed in as <strong>{}</strong>. The device ({}) is approved; you can return to it.",
            escape_html(user.username),
            escape_html(client_id)
        ),
        None => format!(
            "The request of {} was denied. The device will be told so.",
            escape_html(client_id)
        ),
    };
    page(
        app,
        StatusCode::OK,
        "Device request answered",
        &format!("<p>{message}</p>"),
    )
}

fn form(app: &App, user_code: &str, error: Option<&str>, status: StatusCode) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    let users = seeded_user_rows(false);
    let body = format!(
        "{error}<p>Enter the code shown on your device, sign in, and approve or deny.</p>\
         <form method=\"post\" action=\"/device\">\
         <label for=\"user_code\">Code</label>\
         <input type=\"text\" id=\"user_code\" name=\"user_code\" value=\"{code}\" autocomplete=\"off\">\
         <label for=\"username\">Username</label>\
         <input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\">\
         <label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form><h2>Demo users</h2><table><tr><th>username</th><th>password</th></tr>{users}</table>",
        code = escape_html(user_code),
    );
    page(app, status, "Connect a device", &body)
}
