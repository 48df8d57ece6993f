//! The client credentials grant (RFC 6749 §4.4): a token for the authenticated client itself,
//! certificate-bound for a mutual-TLS client (RFC 8705 §3), with RFC 9396 details if asked.

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::mint::{Mint, mint};
use crate::protocol::rar;
use crate::protocol::scope::resolve_scope;
use crate::protocol::wire::validate_resources;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::store::Grant;

pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let details = params
        .single("authorization_details")?
        .map(|d| rar::parse(&Value::String(d.to_string())))
        .transpose()?;
    let mut store = app.store();
    let grant = store.new_grant(Grant {
        client,
        user: None,
        resources: resources.clone(),
        auth_time: None,
        sid: None,
        revoked: false,
        revoked_reason: None,
    });
    mint(
        app,
        &mut store,
        Mint {
            cnf_x5t: auth.cnf_x5t.as_deref(),
            cnf_jkt: jkt,
            authorization_details: details.as_ref(),
            ..Mint::new(grant, &scope, &resources)
        },
    )
}
