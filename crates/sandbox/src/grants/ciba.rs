//! CIBA's token request (CIBA Core 1.0 §10.1, §11): `authorization_pending` until the user
//! decides on the "phone", `slow_down` when polled faster than the interval, `access_denied`,
//! `expired_token`, the tokens once.

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::mint::user_tokens;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::store::{CibaStatus, now_ms, token_key};

pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let auth_req_id = params.required("auth_req_id")?;
    let mut store = app.store();
    let Some(record) = store.ciba.get_mut(&token_key(auth_req_id)) else {
        return Err(OAuthError::invalid_grant(
            "unknown auth_req_id (never issued, or long expired)",
        ));
    };
    if record.client.id != client.id {
        return Err(OAuthError::invalid_grant(
            "the auth_req_id was issued to another client",
        ));
    }
    let now = now_ms();
    if now >= record.expires_ms && matches!(record.status, CibaStatus::Pending) {
        return Err(OAuthError::new(
            "expired_token",
            "the auth_req_id has expired without the user's decision; start a new request",
        ));
    }
    match record.status.clone() {
        CibaStatus::Denied => Err(OAuthError::new(
            "access_denied",
            "the user denied the request on their device",
        )),
        CibaStatus::Redeemed => Err(OAuthError::invalid_grant(
            "the auth_req_id was already exchanged for tokens",
        )),
        CibaStatus::Pending => Err(crate::state::store::pending_poll(
            &mut record.last_poll_ms,
            &mut record.interval,
            now,
            "the user has not yet approved or denied the request on their device",
        )),
        CibaStatus::Approved { user, auth_time } => {
            record.status = CibaStatus::Redeemed;
            let scope = record.scope.clone();
            user_tokens(app, &mut store, client, user, auth_time, (&scope, &[]), jkt)
        }
    }
}
