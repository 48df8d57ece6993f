//! The resource owner password credentials grant (RFC 6749 §4.3), deprecated (RFC 9700 §2.4):
//! offered only behind its teaching switch (`grants::offered`).

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::mint::user_tokens;
use crate::protocol::scope::resolve_scope;
use crate::protocol::wire::validate_resources;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::clients::check_login;
use crate::state::store::now_secs;

/// The resource owner password credentials grant (RFC 6749 §4.3), deprecated (RFC 9700 §2.4):
/// only behind the `unsafe-allow-password-grant` teaching switch. The user's password goes to
/// the client, and from it to here.
pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let username = params.required("username")?;
    let password = params.required("password")?;
    let Some(user) = check_login(username, password) else {
        return Err(OAuthError::invalid_grant(
            "wrong username or password (the seeded users are printed at start)",
        ));
    };
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let mut store = app.store();
    user_tokens(
        app,
        &mut store,
        client,
        user,
        now_secs(),
        (&scope, &resources),
        jkt,
    )
}
