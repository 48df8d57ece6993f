//! The sandbox's routes: which handler answers which path. Only this module (and the crate
//! root of the sandbox) knows every handler; handlers know nothing of each other.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::handlers::authorize;
use crate::handlers::ciba;
use crate::handlers::credential;
use crate::handlers::device;
use crate::handlers::logout;
use crate::handlers::metadata;
use crate::handlers::par;
use crate::handlers::registration;
use crate::handlers::resource;
use crate::handlers::token;
use crate::paths::{CIBA_PATH, PHONE_PATH};
use crate::paths::{CREDENTIAL_PATH, END_SESSION_PATH, PAR_PATH, REGISTRATION_PATH, RESOURCE_PATH};
use crate::state::app::App;

/// Largest request body accepted (forms are small; this keeps a stray upload from costing memory).
pub(crate) const BODY_LIMIT: usize = 16 * 1024;

/// All routes.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(metadata::index))
        .route(
            "/.well-known/openid-configuration",
            get(metadata::discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::discovery),
        )
        .route("/jwks", get(metadata::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get)
                .post(authorize::authorize_post)
                .layer(axum::middleware::map_response_with_state(
                    app.clone(),
                    unsafe_cors,
                )),
        )
        .route("/token", post(token::token))
        .route(PAR_PATH, post(par::pushed_authorization_request))
        .route(END_SESSION_PATH, get(logout::end_session))
        .route(REGISTRATION_PATH, post(registration::register))
        .route(
            &format!("{REGISTRATION_PATH}/{{client_id}}"),
            get(registration::read)
                .put(registration::update)
                .delete(registration::delete),
        )
        .route("/device_authorization", post(device::device_authorization))
        .route(CIBA_PATH, post(ciba::backchannel_authentication))
        .route(PHONE_PATH, get(ciba::phone).post(ciba::phone_decide))
        .route("/ciba/pending", get(ciba::phone_pending))
        .route("/device", get(device::device_get).post(device::device_post))
        .route("/introspect", post(metadata::introspect))
        .route("/revoke", post(metadata::revoke))
        .route(
            "/userinfo",
            get(metadata::userinfo).post(metadata::userinfo),
        )
        .route(CREDENTIAL_PATH, post(credential::credential))
        .route(
            RESOURCE_PATH,
            get(resource::resource).post(resource::resource).layer(
                axum::middleware::map_response_with_state(app.clone(), point_to_resource_metadata),
            ),
        )
        .route(
            "/.well-known/oauth-protected-resource",
            get(resource::metadata),
        )
        // RFC 9728 §3.1: the well-known suffix between host and the resource's path.
        .route(
            &format!("/.well-known/oauth-protected-resource{RESOURCE_PATH}"),
            get(resource::metadata),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// The `unsafe-cors-on-authorize` teaching switch: CORS for any origin on the authorization
/// endpoint (which must never be read by scripts of other origins).
async fn unsafe_cors(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if app.config.unsafe_switches.cors_on_authorize {
        response.headers_mut().insert(
            axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            axum::http::HeaderValue::from_static("*"),
        );
    }
    response
}

/// RFC 9728 §5.1: every challenge of the protected resource names its metadata
/// (`resource_metadata`, the path-inserted well-known URL), so a client that starts from the
/// API finds its authorization servers.
async fn point_to_resource_metadata(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    let url = app.url(&format!(
        "/.well-known/oauth-protected-resource{RESOURCE_PATH}"
    ));
    if let Some(value) = crate::protocol::access::with_resource_metadata(
        response.headers().get(axum::http::header::WWW_AUTHENTICATE),
        &url,
    ) {
        response
            .headers_mut()
            .insert(axum::http::header::WWW_AUTHENTICATE, value);
    }
    response
}
