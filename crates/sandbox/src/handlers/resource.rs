//! The sandbox's protected resource, `GET|POST /api/resource` (advertised in discovery and as
//! RFC 9728 metadata at `/.well-known/oauth-protected-resource`), so that calling an API works
//! offline: it takes Bearer (RFC 6750 §2.1) and DPoP (RFC 9449 §7) access tokens and answers
//! with RFC 6750 §3 / RFC 9449 §7.1 challenges; a DPoP-bound token (`cnf.jkt`) only with a
//! valid proof whose `ath` matches. The `require-step-up` teaching switch makes it demand a
//! stronger authentication (RFC 9470). `/userinfo` shares the token check.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::paths::RESOURCE_PATH;
use crate::protocol::access::{Refusal, accept, add_nonce};
use crate::protocol::dpop::DPOP_ALGS;
use crate::protocol::wire::json_response;
use crate::state::app::App;
use crate::state::clients::DEFAULT_AUDIENCE;
use crate::state::config::{STEP_UP_ACR, STEP_UP_MAX_AGE};
use crate::state::tls::Peer;

/// `GET|POST /api/resource`.
pub(crate) async fn resource(
    State(app): State<Arc<App>>,
    peer: Peer,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let accepted = match accept(&app, &peer, &headers, &method, RESOURCE_PATH) {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal.into_response(&app),
    };
    if !accepted
        .aud
        .iter()
        .any(|a| a == DEFAULT_AUDIENCE || *a == app.url(RESOURCE_PATH))
    {
        return Refusal::invalid_token(
            accepted.scheme,
            format!(
                "the access token's audience is {:?}, not this resource ({DEFAULT_AUDIENCE} or {})",
                accepted.aud,
                app.url(RESOURCE_PATH)
            ),
        )
        .into_response(&app);
    }
    let stepped_up = accepted.acr.as_deref() == Some(STEP_UP_ACR)
        && accepted
            .auth_time
            .is_some_and(|t| crate::state::store::now_secs().saturating_sub(t) <= STEP_UP_MAX_AGE);
    if app.config.teaching_switches.require_step_up && !stepped_up {
        let mut refusal = Refusal::new(
            StatusCode::UNAUTHORIZED,
            accepted.scheme,
            "insufficient_user_authentication",
            format!(
                "this resource requires an authentication with acr {STEP_UP_ACR} no more than \
                 {STEP_UP_MAX_AGE} seconds ago (the require-step-up teaching switch): sign in \
                 again with acr_values={STEP_UP_ACR} and pass the second factor"
            ),
        );
        refusal.extra = vec![
            ("acr_values", STEP_UP_ACR.to_string()),
            ("max_age", STEP_UP_MAX_AGE.to_string()),
        ];
        return refusal.into_response(&app);
    }
    let mut body = json!({
        "resource": "grantscope sandbox protected resource",
        "method": method.as_str(),
        "token_type": accepted.scheme.as_str(),
        "sub": accepted.sub,
        "client_id": accepted.client_id,
        "scope": accepted.scope,
    });
    if let (Some(map), Some(acr)) = (body.as_object_mut(), &accepted.acr) {
        map.insert("acr".into(), json!(acr));
    }
    if let (Some(map), Some(jkt)) = (body.as_object_mut(), &accepted.cnf_jkt) {
        map.insert("cnf".into(), json!({ "jkt": jkt }));
    }
    if let (Some(map), Some(x5t)) = (body.as_object_mut(), &accepted.cnf_x5t) {
        map.insert("cnf".into(), json!({ "x5t#S256": x5t }));
    }
    let mut response = json_response(StatusCode::OK, &body);
    add_nonce(&app, &mut response);
    response
}

/// `GET /.well-known/oauth-protected-resource`: RFC 9728 metadata of the resource.
pub(crate) async fn metadata(State(app): State<Arc<App>>) -> Response {
    let document = json!({
        "resource": app.url(RESOURCE_PATH),
        "authorization_servers": [app.issuer],
        "bearer_methods_supported": ["header"],
        "scopes_supported": crate::state::clients::SCOPES_SUPPORTED,
        "dpop_signing_alg_values_supported": DPOP_ALGS,
        "dpop_bound_access_tokens_required": false,
    });
    (StatusCode::OK, axum::Json(document)).into_response()
}
