//! The sandbox's router driven in-process with `tower::ServiceExt::oneshot`: no port is bound,
//! each request goes straight into the axum application that `sandbox::start` serves.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use grantscope_sandbox::{self as sandbox, SandboxConfig, find_client};

use crate::common;
// An issuer no socket listens on: the router answers without any network.
use common::sandbox::ROUTER_ISSUER as ISSUER;
use common::sandbox::send;

async fn router(keys: &tempfile::TempDir) -> axum::Router {
    common::sandbox::router(keys, SandboxConfig::default()).await
}

fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn token_request(authorization: &str) -> Request<Body> {
    Request::post("/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, authorization)
        .body(Body::from("grant_type=client_credentials"))
        .unwrap()
}

#[tokio::test]
async fn discovery_names_the_given_issuer() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys).await;
    let request = Request::get("/.well-known/openid-configuration")
        .body(Body::empty())
        .unwrap();
    let (status, _, doc) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
    // Back-Channel Logout §2.1: logout tokens and ID tokens carry the login session's sid.
    assert_eq!(doc["backchannel_logout_supported"], true);
    assert_eq!(doc["backchannel_logout_session_supported"], true);
    assert!(
        doc["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("sid")),
        "{doc:#}"
    );
    let (status, _, _) = send(
        &router,
        Request::get("/no-such-path").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reserved_character_client_authenticates_only_when_form_encoded() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys).await;
    let client = find_client("weird:client").unwrap();
    let secret = client.secret.unwrap();
    assert_eq!(secret, "p@ss:w/rd+%&=");

    // RFC 6749 §2.3.1: form-urlencode id and secret, then join with ':' and base64.
    let basic = common::basic_auth_header(client.id, secret);
    let (status, _, body) = send(&router, token_request(&basic)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = common::jwt_claims(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims["client_id"], "weird:client");
    assert_eq!(claims["iss"], ISSUER);

    // The raw pair splits at the id's own ':' and names no client.
    let raw = STANDARD.encode(format!("{}:{secret}", client.id));
    let (status, _, body) = send(&router, token_request(&format!("Basic {raw}"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_client");

    // client_secret_post with the same values (the form encoding is the body's own).
    let request = Request::post("/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            form_encode(client.id),
            form_encode(secret)
        )))
        .unwrap();
    let (status, _, body) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn router_refuses_an_issuer_with_a_path() {
    let keys = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        key_dir: Some(keys.path().to_path_buf()),
        ..SandboxConfig::default()
    };
    let err = sandbox::router(config, "http://127.0.0.1:1/tenant")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no path"), "{err}");
}

/// Back-Channel Logout §2.2: `backchannel_logout_session_required` is a boolean; a client
/// that requires the sid is registered, one that sends anything else is refused.
#[tokio::test]
async fn registration_checks_backchannel_logout_session_required() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys).await;
    let register = |required: serde_json::Value| {
        let body = serde_json::json!({
            "redirect_uris": ["https://rp.example/cb"],
            "backchannel_logout_uri": "https://rp.example/logout",
            "backchannel_logout_session_required": required,
        });
        Request::post("/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, _, doc) = send(&router, register(serde_json::json!(true))).await;
    assert_eq!(status, StatusCode::CREATED, "{doc:#}");
    assert_eq!(doc["backchannel_logout_session_required"], true);
    let (status, _, doc) = send(&router, register(serde_json::json!("yes"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{doc:#}");
    assert_eq!(doc["error"], "invalid_client_metadata");
    assert!(
        doc["error_description"]
            .as_str()
            .unwrap()
            .contains("backchannel_logout_session_required"),
        "{doc:#}"
    );
}
