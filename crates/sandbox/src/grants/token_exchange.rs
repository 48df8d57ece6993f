//! Token exchange (RFC 8693): one of the sandbox's active access tokens as the subject (and
//! maybe another as the actor) for a new one, narrower or for another audience.

use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use serde_json::json;

use crate::protocol::mint::{Mint, mint};
use crate::protocol::scope::narrow_scope;
use crate::protocol::wire::validate_resources;
use crate::state::store::Grant;

/// RFC 8693 §3 token type identifiers the sandbox issues and accepts.
const TOKEN_TYPE_ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
/// A JWT (the sandbox's access tokens are JWTs, so either name fits them).
const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Token exchange (RFC 8693 §2): an active access token of this sandbox as the subject (and
/// optionally another as the actor) for a new access token, narrower or for another audience.
pub(crate) fn redeem(
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let accepted = [TOKEN_TYPE_ACCESS, TOKEN_TYPE_JWT];
    let subject_token = params.required("subject_token")?;
    let subject_type = params.required("subject_token_type")?;
    let check_type = |name: &str, value: &str| {
        if accepted.contains(&value) {
            Ok(())
        } else {
            Err(OAuthError::invalid_request(format!(
                "{name} {value:?} is not supported here (the sandbox exchanges its own access \
                 tokens: {})",
                accepted.join(" or ")
            )))
        }
    };
    check_type("subject_token_type", subject_type)?;
    let requested = params.single("requested_token_type")?;
    if let Some(requested) = requested {
        check_type("requested_token_type", requested)?;
    }
    let actor_token = params.single("actor_token")?;
    let actor_type = params.single("actor_token_type")?;
    match (actor_token, actor_type) {
        (Some(_), Some(t)) => check_type("actor_token_type", t)?,
        (Some(_), None) => {
            return Err(OAuthError::invalid_request(
                "actor_token_type is required with actor_token (RFC 8693 §2.1)",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "actor_token_type given without actor_token",
            ));
        }
        (None, None) => {}
    }
    let requested_scope = params.single("scope")?;
    let mut audience = params.all("audience");
    let resources = params.all("resource");
    validate_resources(&resources)?;
    audience.extend(resources);

    let mut store = app.store();
    let Some((subject, subject_grant)) = store.active_access(subject_token) else {
        return Err(OAuthError::invalid_grant(
            "subject_token is not an active access token of this sandbox (unknown, expired or revoked)",
        ));
    };
    let (sub, scope, user) = (
        subject.sub.clone(),
        subject.scope.clone(),
        subject_grant.user,
    );
    let act_sub = match actor_token {
        Some(actor) => match store.active_access(actor) {
            Some((record, _)) => Some(record.sub.clone()),
            None => {
                return Err(OAuthError::invalid_grant(
                    "actor_token is not an active access token of this sandbox",
                ));
            }
        },
        None => None,
    };
    let scope = narrow_scope(&scope, requested_scope)?;
    let grant = store.new_grant(Grant {
        client: auth.client,
        user,
        resources: audience.clone(),
        auth_time: None,
        sid: None,
        revoked: false,
        revoked_reason: None,
    });
    let mut response = mint(
        app,
        &mut store,
        Mint {
            cnf_x5t: auth.cnf_x5t.as_deref(),
            cnf_jkt: jkt,
            sub: Some(&sub),
            act_sub: act_sub.as_deref(),
            ..Mint::new(grant, &scope, &audience)
        },
    )?;
    if let Value::Object(map) = &mut response {
        map.insert(
            "issued_token_type".into(),
            json!(requested.unwrap_or(TOKEN_TYPE_ACCESS)),
        );
    }
    Ok(response)
}
