//! The token endpoint (RFC 6749 §3.2): the request read, the grant type checked against the
//! grants the sandbox offers (the core's registry, [`grantscope_core::oauth::grants::GRANTS`]),
//! a DPoP proof checked, the client authenticated and allowed the grant; then the grant's own
//! module ([`crate::grants`]) answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use grantscope_core::oauth::GrantKind;
use serde_json::Value;

use crate::grants;
use crate::protocol::client_auth::authenticate_client;
use crate::protocol::dpop;
use crate::protocol::wire::{OAuthError, Params, json_response};
use crate::state::app::App;
use crate::state::tls::Peer;

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
    let params = Params::from_form(headers, body)?.screened(
        app.config.unsafe_switches.accept_duplicate_params,
        app.config.unsafe_switches.refuse_unknown_params,
    )?;
    let grant_type = params.required("grant_type")?;
    let Some(grant) =
        GrantKind::from_grant_type(grant_type).filter(|g| grants::offered(&app.config, *g))
    else {
        let known: Vec<&str> = grants::offered_grants(&app.config)
            .into_iter()
            .map(GrantKind::grant_type)
            .collect();
        // A grant switched off in this sandbox: say which switch turns it on.
        if let Some(switch) =
            GrantKind::from_grant_type(grant_type).and_then(grants::switched_on_by)
        {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!(
                    "grant_type {grant_type:?} is off in this sandbox: it is deprecated; start the \
                     sandbox with --{switch} (or tick {switch} in the Classroom) to teach it \
                     (supported now: {})",
                    known.join(", ")
                ),
            ));
        }
        return Err(OAuthError::new(
            "unsupported_grant_type",
            format!(
                "grant_type {grant_type:?} is not supported here (supported: {})",
                known.join(", ")
            ),
        ));
    };
    let mut htus = vec![app.url("/token")];
    htus.extend(app.tls_url("/token"));
    let proven = dpop::check(app, headers, "POST", &htus, None)
        .map_err(|e| OAuthError::new(e.code(), e.description()))?;
    let jkt = proven.as_ref().map(|p| p.jkt.as_str());
    let auth = authenticate_client(app, peer, "/token", headers, &params)?;
    if app.config.teaching_switches.require_sender_constraint
        && jkt.is_none()
        && peer.cert.is_none()
    {
        return Err(OAuthError::invalid_request(
            "this server issues only sender-constrained tokens (FAPI 2.0 §5.3.2.1, the \
             require-sender-constraint teaching switch): send a DPoP proof, or a client \
             certificate on the TLS listener",
        ));
    }
    let client = auth.client;
    // The password grant is listed for the clients that act for a user, but answered only
    // behind its teaching switch (refused above as unsupported otherwise).
    if !client.allows_grant(grant) {
        return Err(OAuthError::new(
            "unauthorized_client",
            format!(
                "client {} may not use grant_type {grant_type} (it may use: {})",
                client.id,
                client
                    .grant_types
                    .iter()
                    .map(|g| g.grant_type())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    grants::redeem(grant, app, &auth, &params, jkt)
}
