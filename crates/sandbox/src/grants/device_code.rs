//! The device code grant's polling (RFC 8628 §3.4, §3.5): `authorization_pending` until the
//! user decides, `slow_down` when polled too fast, the tokens once.

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;

use crate::protocol::mint::user_tokens;
use crate::state::store::{DeviceStatus, now_ms, token_key};

pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
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
        DeviceStatus::Pending => Err(crate::state::store::pending_poll(
            &mut record.last_poll_ms,
            &mut record.interval,
            now,
            "the user has not yet approved or denied the request",
        )),
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
