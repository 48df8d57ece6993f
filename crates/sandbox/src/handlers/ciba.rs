//! OpenID Connect CIBA Core 1.0: the backchannel authentication endpoint (`/bc-authorize`,
//! §7) and the user's "phone" (`/ciba`: the pending requests with Approve and Deny, and
//! `/ciba/pending` as JSON). The token endpoint answers the polls (`grants/ciba.rs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::paths::CIBA_PATH;
use crate::protocol::ciba::{auto_approve, decide, pending, phone_html};
use crate::protocol::client_auth::authenticate_client;
use crate::protocol::page::page;
use crate::protocol::scope::resolve_scope;
use crate::protocol::wire::{OAuthError, Params, json_response};
use crate::state::app::App;
use crate::state::clients::find_user;
use crate::state::store::{CibaRecord, CibaStatus, now_ms, random_token, token_key};
use crate::state::tls::Peer;
use grantscope_core::oauth::GrantKind;

/// The longest binding message the phone shows (§7.1: "relatively short").
const MAX_BINDING_MESSAGE: usize = 64;

/// `POST /bc-authorize` (§7.1).
pub(crate) async fn backchannel_authentication(
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

fn start(app: &App, peer: &Peer, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = authenticate_client(app, peer, CIBA_PATH, headers, &params)?.client;
    if !client.allows_grant(GrantKind::Ciba) {
        return Err(OAuthError::new(
            "unauthorized_client",
            format!("client {} may not use CIBA", client.id),
        ));
    }
    let scope = resolve_scope(client, params.single("scope")?)?;
    if !scope.split_whitespace().any(|s| s == "openid") {
        return Err(OAuthError::new(
            "invalid_scope",
            "a CIBA request must ask for the openid scope (§7.1)",
        ));
    }
    if params.single("login_hint_token")?.is_some() || params.single("id_token_hint")?.is_some() {
        return Err(OAuthError::invalid_request(
            "this sandbox takes the user as login_hint (a username), not login_hint_token or \
             id_token_hint",
        ));
    }
    let hint = params.required("login_hint")?;
    let Some(user) = find_user(hint) else {
        return Err(OAuthError::new(
            "unknown_user_id",
            "login_hint names no user of this sandbox (see the users on its start page)",
        ));
    };
    let binding_message = params.single("binding_message")?.map(str::to_string);
    match &binding_message {
        Some(m) if m.chars().count() > MAX_BINDING_MESSAGE || m.chars().any(char::is_control) => {
            return Err(OAuthError::new(
                "invalid_binding_message",
                format!(
                    "the binding message must be plain text of at most {MAX_BINDING_MESSAGE} \
                     characters"
                ),
            ));
        }
        None if !app.config.unsafe_switches.ciba_without_binding_message => {
            return Err(OAuthError::invalid_request(
                "binding_message is required here: without it the user's phone shows nothing \
                 that ties the approval to the client's screen",
            ));
        }
        _ => {}
    }
    let ttl = app.config.device_code_ttl;
    let expires_in = match params.single("requested_expiry")? {
        None => ttl.as_secs(),
        Some(v) => match v.parse::<u64>() {
            Ok(secs) if secs > 0 => secs.min(ttl.as_secs()),
            _ => {
                return Err(OAuthError::invalid_request(
                    "requested_expiry must be a positive number of seconds",
                ));
            }
        },
    };
    let ping = ping_target(app, client.id, &params)?;
    let auth_req_id = random_token(32);
    let ticket = random_token(8);
    let interval = app.config.device_poll_interval;
    app.store().ciba.insert(
        token_key(&auth_req_id),
        CibaRecord {
            ticket: ticket.clone(),
            client,
            user,
            scope,
            binding_message,
            acr_values: params.single("acr_values")?.map(str::to_string),
            ping,
            auth_req_id: auth_req_id.clone(),
            expires_ms: now_ms().saturating_add(expires_in.saturating_mul(1000)),
            interval,
            last_poll_ms: None,
            status: CibaStatus::Pending,
        },
    );
    // --auto-approve: a script needs no phone; the named user approves at once.
    if app.config.auto_approve.is_some() {
        auto_approve(app, &ticket, user);
    }
    Ok(json!({
        "auth_req_id": auth_req_id,
        "expires_in": expires_in,
        "interval": interval.as_secs(),
    }))
}

/// Ping mode for a registered client whose metadata says so (§4): its notification endpoint
/// and the request's `client_notification_token`.
fn ping_target(
    app: &App,
    client_id: &str,
    params: &Params,
) -> Result<Option<(String, String)>, OAuthError> {
    let registry = app.registry();
    let Some(registered) = registry.get(client_id) else {
        return Ok(None);
    };
    let mode = registered
        .metadata
        .get("backchannel_token_delivery_mode")
        .and_then(Value::as_str)
        .unwrap_or("poll");
    if mode != "ping" {
        return Ok(None);
    }
    let Some(endpoint) = registered
        .metadata
        .get("backchannel_client_notification_endpoint")
        .and_then(Value::as_str)
    else {
        return Err(OAuthError::invalid_request(
            "the client registered ping mode without a backchannel_client_notification_endpoint",
        ));
    };
    let Some(token) = params.single("client_notification_token")? else {
        return Err(OAuthError::invalid_request(
            "ping mode needs a client_notification_token (§7.1)",
        ));
    };
    Ok(Some((endpoint.to_string(), token.to_string())))
}

/// `GET /ciba`: the phone.
pub(crate) async fn phone(State(app): State<Arc<App>>) -> Response {
    page(&app, StatusCode::OK, "the user's phone", &phone_html(&app))
}

/// `GET /ciba/pending`: the pending requests as JSON (a script's or the Classroom's phone).
pub(crate) async fn phone_pending(State(app): State<Arc<App>>) -> Response {
    json_response(StatusCode::OK, &json!({ "pending": pending(&app) }))
}

/// `POST /ciba` (`ticket`, `decision=approve|deny`): the user's decision.
pub(crate) async fn phone_decide(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match Params::from_form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let ticket = params.single("ticket").ok().flatten().unwrap_or("");
    let approve = match params.single("decision").ok().flatten() {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return page(
                &app,
                StatusCode::BAD_REQUEST,
                "the user's phone",
                &format!("<p>Choose Approve or Deny.</p>{}", phone_html(&app)),
            );
        }
    };
    match decide(&app, ticket, approve) {
        Ok(()) => page(
            &app,
            StatusCode::OK,
            "the user's phone",
            &format!(
                "<p>{}</p>{}",
                if approve { "Approved." } else { "Denied." },
                phone_html(&app)
            ),
        ),
        Err(why) => page(
            &app,
            StatusCode::BAD_REQUEST,
            "the user's phone",
            &format!(
                "<p>{}</p>{}",
                crate::protocol::page::escape_html(&why),
                phone_html(&app)
            ),
        ),
    }
}
