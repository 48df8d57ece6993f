//! The JWT bearer grant (RFC 7523 §2.1): an assertion from a party the sandbox trusts (the
//! client's own registered key or secret) names the subject.

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use grantscope_core::keys::{ParsedJws, Signer};

use crate::protocol::assertion;
use crate::protocol::mint::{Mint, mint};
use crate::protocol::scope::resolve_scope;
use crate::protocol::wire::validate_resources;
use crate::state::clients::{ClientAuth, SeededUser, seeded_users};
use crate::state::store::Grant;

fn user_by_subject(sub: &str) -> Option<&'static SeededUser> {
    seeded_users()
        .iter()
        .find(|u| u.sub == sub || u.username == sub)
}

/// The JWT bearer grant (RFC 7523 §2.1): an assertion signed with the authenticated client's
/// registered key (or, for a `client_secret_jwt` client, its secret), `iss` = the client id,
/// `sub` = a seeded user (or the client itself).
pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let client = auth.client;
    let raw = params.required("assertion")?;
    let jws =
        ParsedJws::parse(raw).map_err(|e| OAuthError::invalid_grant(format!("assertion: {e}")))?;
    let signer = match (client.auth, client.secret) {
        (ClientAuth::PrivateKeyJwt, _) => Signer::Key(&app.client_keys.jwt.key),
        (ClientAuth::ClientSecretJwt, Some(secret)) => Signer::Secret(secret.as_bytes()),
        _ => {
            return Err(OAuthError::invalid_grant(
                "the sandbox trusts JWT bearer assertions only from the client's own registered key",
            ));
        }
    };
    let checked = assertion::check(app, &jws, signer, "/token")
        .map_err(|reason| OAuthError::invalid_grant(format!("assertion: {reason}")))?;
    if checked.iss != client.id {
        return Err(OAuthError::invalid_grant(format!(
            "assertion: iss {:?} is not the authenticated client {:?}",
            checked.iss, client.id
        )));
    }
    let user = match user_by_subject(&checked.sub) {
        Some(user) => Some(user),
        None if checked.sub == client.id => None,
        None => {
            return Err(OAuthError::invalid_grant(format!(
                "assertion: unknown subject {:?} (use a seeded user's sub or username, or the client id)",
                grantscope_core::http::excerpt(&checked.sub, 64)
            )));
        }
    };
    let scope = resolve_scope(client, params.single("scope")?)?;
    let resources = params.all("resource");
    validate_resources(&resources)?;
    let mut store = app.store();
    let grant = store.new_grant(Grant {
        client,
        user,
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
            ..Mint::new(grant, &scope, &resources)
        },
    )
}
