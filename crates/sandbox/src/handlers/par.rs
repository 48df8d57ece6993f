//! Pushed authorization requests (RFC 9126): `POST /par` takes the authorization parameters
//! with client authentication, checks them as `/authorize` would, and answers with a
//! `request_uri` that is short-lived and single-use; `/authorize?client_id=…&request_uri=…`
//! then runs the pushed request. The `require-par` teaching switch refuses anything else. A DPoP
//! proof on the push (RFC 9449 §10.1) is checked like one at the token endpoint (nonce included
//! under `require-dpop-nonce`) and binds the code to its key; a `dpop_jkt` naming another key is
//! refused.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::paths::PAR_PATH;
use crate::protocol::authorization_request::{REQUEST_URI_TTL_SECS, Rejection, validate};
use crate::protocol::client_auth::authenticate_client;
use crate::protocol::wire::{OAuthError, Params, json_response};
use crate::state::app::App;
use crate::state::store::{Pending, now_ms, random_token};
use crate::state::tls::Peer;

/// The prefix of the `request_uri`s issued (RFC 9126 §2.2).
const URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// `POST /par`.
pub(crate) async fn pushed_authorization_request(
    State(app): State<Arc<App>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match push(&app, &peer, &headers, &body) {
        Ok(request_uri) => json_response(
            StatusCode::CREATED,
            &json!({ "request_uri": request_uri, "expires_in": REQUEST_URI_TTL_SECS }),
        ),
        Err(error) => error.into_response(),
    };
    if let Some(nonce) = crate::protocol::dpop::nonce_header(&app) {
        response.headers_mut().insert("dpop-nonce", nonce);
    }
    response
}

fn push(app: &App, peer: &Peer, headers: &HeaderMap, body: &[u8]) -> Result<String, OAuthError> {
    let mut params = Params::from_form(headers, body)?.screened(
        app.config.unsafe_switches.accept_duplicate_params,
        app.config.unsafe_switches.refuse_unknown_params,
    )?;
    if params.single("request_uri")?.is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri may not be pushed (RFC 9126 §2.1)",
        ));
    }
    // RFC 9449 §10.1: a proof on the pushed request binds the code to its key, like dpop_jkt.
    let mut htus = vec![app.url(PAR_PATH)];
    htus.extend(app.tls_url(PAR_PATH));
    let proven = crate::protocol::dpop::check(app, headers, "POST", &htus, None)
        .map_err(|e| OAuthError::new(e.code(), e.description()))?;
    let client = authenticate_client(app, peer, PAR_PATH, headers, &params)?.client;
    match params.single("client_id")? {
        Some(id) if id != client.id => {
            return Err(OAuthError::invalid_request(
                "client_id in the body is not the authenticated client",
            ));
        }
        Some(_) => {}
        None => {
            // Authenticated by Basic (or a certificate): the parameters name the client too.
            let mut bytes = body.to_vec();
            bytes.extend_from_slice(b"&client_id=");
            bytes.extend(
                url::form_urlencoded::byte_serialize(client.id.as_bytes()).flat_map(str::bytes),
            );
            params = Params::parse(&bytes);
        }
    }
    if let Some(inner) = crate::protocol::request_object::unpack(app, &params, Some(client.id))? {
        params = inner;
    }
    let mut request = validate(app, &params).map_err(|rejection| match rejection {
        Rejection::Page(message) => OAuthError::invalid_request(message),
        Rejection::Redirect { error, .. } => error,
    })?;
    if let Some(proven) = proven {
        match &request.dpop_jkt {
            Some(jkt) if *jkt != proven.jkt => {
                return Err(OAuthError::invalid_request(
                    "dpop_jkt names another key than the DPoP proof's (RFC 9449 §10.1)",
                ));
            }
            _ => request.dpop_jkt = Some(proven.jkt),
        }
    }
    let request_uri = format!("{URN_PREFIX}{}", random_token(24));
    app.store().pushed.insert(
        request_uri.clone(),
        Pending {
            request,
            expires_ms: now_ms().saturating_add(REQUEST_URI_TTL_SECS * 1000),
            pushed_uri: None,
        },
    );
    Ok(request_uri)
}
