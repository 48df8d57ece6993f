//! The sandbox's protected resource, `GET|POST /api/resource` (advertised in discovery and as
//! RFC 9728 metadata at `/.well-known/oauth-protected-resource`), so that calling an API works
//! offline: it takes Bearer (RFC 6750 §2.1) and DPoP (RFC 9449 §7) access tokens and answers
//! with RFC 6750 §3 / RFC 9449 §7.1 challenges; a DPoP-bound token (`cnf.jkt`) only with a
//! valid proof whose `ath` matches. The `require-step-up` teaching switch makes it demand a
//! stronger authentication (RFC 9470). `/userinfo` shares the token check. The API probes'
//! teaching switches weaken only this resource: a query token (`unsafe-accept-query-token`),
//! no challenge (`unsafe-no-challenge`), any audience (`unsafe-ignore-audience`), and the
//! JWT verifier's holes of [`weak_jwt`].

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::paths::RESOURCE_PATH;
use crate::protocol::access::{
    Accepted, Credentials, Refusal, Scheme, accept_known, add_nonce, check_binding, credentials,
};
use crate::protocol::dpop::DPOP_ALGS;
use crate::protocol::weak_jwt;
use crate::protocol::wire::json_response;
use crate::state::app::App;
use crate::state::clients::{DEFAULT_AUDIENCE, find_client, seeded_users};
use crate::state::config::{STEP_UP_ACR, STEP_UP_MAX_AGE};
use crate::state::tls::Peer;

/// `GET|POST /api/resource`.
pub(crate) async fn resource(
    State(app): State<Arc<App>>,
    peer: Peer,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let no_challenge = app.config.unsafe_switches.no_challenge;
    let refused = |refusal: Refusal| {
        let mut response = refusal.into_response(&app);
        if no_challenge {
            response.headers_mut().remove(header::WWW_AUTHENTICATE);
        }
        response
    };
    let presented = match credentials(&app, &headers, &method, RESOURCE_PATH) {
        Ok(p) => p,
        Err(refusal) => match query_token(&app, &headers, &uri) {
            Some(token) => Credentials {
                scheme: Scheme::Bearer,
                token,
                proof: None,
            },
            None => return refused(refusal),
        },
    };
    let (accepted, id_token) = match accept_known(&app, &peer, RESOURCE_PATH, &presented) {
        Ok(accepted) => (accepted, false),
        Err(_) if weak_jwt::in_force(&app) => {
            match weak_jwt::accept(&app, &presented.token).await {
                Ok(jwt) => {
                    let accepted = accepted_from_claims(&presented, &jwt.claims);
                    if let Err(refusal) = check_binding(
                        &app,
                        &peer,
                        RESOURCE_PATH,
                        &presented,
                        accepted.cnf_jkt.as_deref(),
                        accepted.cnf_x5t.as_deref(),
                    ) {
                        return refused(refusal);
                    }
                    (accepted, jwt.id_token)
                }
                Err(why) => return refused(Refusal::invalid_token(presented.scheme, why)),
            }
        }
        Err(refusal) => return refused(refusal),
    };
    let for_us = accepted
        .aud
        .iter()
        .any(|a| a == DEFAULT_AUDIENCE || *a == app.url(RESOURCE_PATH));
    // An ID token's audience is its client: taken as such under `unsafe-accept-id-tokens`.
    let id_token_for_a_client = id_token && accepted.aud.iter().any(|a| find_client(a).is_some());
    if !for_us && !app.config.unsafe_switches.ignore_audience && !id_token_for_a_client {
        return refused(Refusal::invalid_token(
            accepted.scheme,
            format!(
                "the access token's audience is {:?}, not this resource ({DEFAULT_AUDIENCE} or {})",
                accepted.aud,
                app.url(RESOURCE_PATH)
            ),
        ));
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
        return refused(refusal);
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

/// The token of the `access_token` query parameter, taken only under the
/// `unsafe-accept-query-token` switch and only when no `Authorization` header came.
fn query_token(app: &App, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if !app.config.unsafe_switches.accept_query_token || headers.contains_key(header::AUTHORIZATION)
    {
        return None;
    }
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

/// What a JWT taken by [`weak_jwt`] says, as an accepted request.
fn accepted_from_claims(
    presented: &Credentials,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Accepted {
    use serde_json::Value;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let sub = text("sub").unwrap_or_default();
    let aud = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let client = text("client_id")
        .or_else(|| text("azp"))
        .or_else(|| aud.first().cloned())
        .and_then(|c| find_client(&c))
        .map_or("(unknown client)", |c| c.id);
    Accepted {
        scheme: presented.scheme,
        user: seeded_users().iter().find(|u| u.sub == sub),
        sub,
        scope: text("scope").unwrap_or_default(),
        client_id: client,
        aud,
        cnf_jkt: claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str)
            .map(str::to_string),
        cnf_x5t: claims
            .get("cnf")
            .and_then(|c| c.get("x5t#S256"))
            .and_then(Value::as_str)
            .map(str::to_string),
        acr: text("acr"),
        auth_time: claims.get("auth_time").and_then(Value::as_u64),
    }
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
