//! The sandbox's router driven in-process with `tower::ServiceExt::oneshot`: no port is bound,
//! each request goes straight into the axum application that `sandbox::start` serves.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use grantscope_sandbox::{self as sandbox, SandboxConfig, find_client};
use serde_json::Value;
use tower::ServiceExt as _;

/// An issuer no socket listens on: the router answers without any network.
const ISSUER: &str = "http://sandbox.invalid:9";

async fn router(keys: &tempfile::TempDir) -> axum::Router {
    let config = SandboxConfig {
        key_dir: Some(keys.path().to_path_buf()),
        ..SandboxConfig::default()
    };
    sandbox::router(config, ISSUER).await.unwrap()
}

async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
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

fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn discovery_names_the_given_issuer() {
    let keys = tempfile::tempdir().unwrap();
    let router = router(&keys).await;
    let request = Request::get("/.well-known/openid-configuration")
        .body(Body::empty())
        .unwrap();
    let (status, doc) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
    let (status, _) = send(
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
    let encoded = STANDARD.encode(format!(
        "{}:{}",
        form_encode(client.id),
        form_encode(secret)
    ));
    let (status, body) = send(&router, token_request(&format!("Basic {encoded}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["client_id"], "weird:client");
    assert_eq!(claims["iss"], ISSUER);

    // The raw pair splits at the id's own ':' and names no client.
    let raw = STANDARD.encode(format!("{}:{secret}", client.id));
    let (status, body) = send(&router, token_request(&format!("Basic {raw}"))).await;
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
    let (status, body) = send(&router, request).await;
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
