//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14):
//! a reused, rotated-out refresh token revokes its whole family.

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::mint::{Mint, RefreshIssue, mint};
use crate::protocol::scope::{narrow_resources, narrow_scope};
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::store::{now_secs, token_key};

pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
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
    let refresh = if app.config.unsafe_switches.no_refresh_rotation
        || app.config.teaching_switches.keep_refresh_tokens
    {
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
