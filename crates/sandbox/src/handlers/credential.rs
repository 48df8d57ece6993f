//! `POST /credential`: a user's access token (Bearer or DPoP) and `{"holder_jwk": JWK}` get
//! an SD-JWT VC for that user, bound to the holder's key (`{"credential": "<SD-JWT VC>"}`).
//! A teaching stand-in for a credential issuer (no OpenID4VCI offer or proof of possession):
//! it lets a classroom see selective disclosure with the sandbox's own users, offline.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::paths::CREDENTIAL_PATH;
use crate::protocol::access::{Refusal, accept};
use crate::protocol::credential::issue;
use crate::protocol::wire::{OAuthError, json_response};
use crate::state::app::App;
use crate::state::tls::Peer;

/// `POST /credential`.
pub(crate) async fn credential(
    State(app): State<Arc<App>>,
    peer: Peer,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accepted = match accept(&app, &peer, &headers, &method, CREDENTIAL_PATH) {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal.into_response(&app),
    };
    let Some(user) = accepted.user else {
        return Refusal::new(
            StatusCode::FORBIDDEN,
            accepted.scheme,
            "insufficient_scope",
            "a credential is issued for a user: send a user's access token (authorization code or device grant), not a client's",
        )
        .into_response(&app);
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return OAuthError::invalid_request(format!(
                "the body must be JSON {{\"holder_jwk\": JWK}}: {e}"
            ))
            .into_response();
        }
    };
    let Some(holder) = request.get("holder_jwk") else {
        return OAuthError::invalid_request(
            "no holder_jwk: send {\"holder_jwk\": JWK}, the public key the holder proves possession of",
        )
        .into_response();
    };
    match issue(&app, user, holder) {
        Ok(credential) => json_response(StatusCode::OK, &json!({ "credential": credential })),
        Err(why) => OAuthError::invalid_request(why).into_response(),
    }
}
