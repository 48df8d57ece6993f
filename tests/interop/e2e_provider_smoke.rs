//! Proves the end-to-end harness against the real external provider (panva's oidc-provider)
//! without the grantscope engine: discovery, client credentials, authorization code + PKCE with
//! the scripted login, refresh rotation, the device flow, denial, restarts with new keys, and the
//! harness's own HTML and cookie parsing.
//!
//! Needs Node.js and `npm ci --prefix tests/provider`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::browser::{CookieJar, decode_entities, forms};
use common::provider::{HS_API_SECRET, JWT_RESOURCE, JWT_RESOURCE_HS256};
use common::{
    Keys, Provider, Sandbox, TestProvider, authorize_url, code_from_redirect, complete_device,
    deny_login, get_json, jwt_claims, jwt_header, pkce_pair, post_form, query_param, random_token,
};
use serde_json::Value;

fn discovery(p: &Provider) -> Value {
    let (status, doc) = match get_json(&p.url("/.well-known/openid-configuration"), None) {
        Ok(v) => v,
        Err(e) => panic!("discovery failed: {e:#}"),
    };
    assert_eq!(status, 200, "{doc}");
    doc
}

fn endpoint(doc: &Value, name: &str) -> String {
    match doc[name].as_str() {
        Some(s) => s.to_string(),
        None => panic!("discovery has no {name}: {doc}"),
    }
}

#[test]
fn discovery_document_describes_the_provider() {
    let p = Provider::start();
    let doc = discovery(&p);
    assert_eq!(doc["issuer"], p.issuer());
    for name in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "device_authorization_endpoint",
    ] {
        assert!(
            endpoint(&doc, name).starts_with(p.issuer()),
            "{name} is not under the issuer"
        );
    }
    let grants: Vec<&str> = doc["grant_types_supported"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for g in [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        assert!(grants.contains(&g), "{g} missing from {grants:?}");
    }
    let (status, jwks) = get_json(&endpoint(&doc, "jwks_uri"), None).unwrap();
    assert_eq!(status, 200);
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["alg"].as_str())
        .collect();
    assert!(
        algs.contains(&"RS256") && algs.contains(&"ES256"),
        "{algs:?}"
    );
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none()),
        "the public JWKS must not leak private key parts"
    );
}

#[test]
fn client_credentials_with_basic_and_post_and_reserved_characters() {
    let p = Provider::start();
    let token = p.token_endpoint();

    let basic = p.machine_client();
    let (status, body) = post_form(
        &token,
        Some((&basic.id, basic.secret())),
        &[
            ("grant_type", "client_credentials"),
            ("resource", JWT_RESOURCE),
            ("scope", "api:read"),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(at).unwrap()["typ"], "at+jwt");
    let claims = jwt_claims(at).unwrap();
    assert_eq!(claims["aud"], JWT_RESOURCE);
    assert_eq!(claims["client_id"], "machine-basic");
    assert_eq!(claims["iss"], p.issuer());

    let post = p.machine_post_client();
    let (status, body) = post_form(
        &token,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &post.id),
            ("client_secret", post.secret()),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));

    // RFC 6749 §2.3.1: form-urlencoded before base64 works ...
    let weird = p.reserved_chars_client();
    let (status, body) = post_form(
        &token,
        Some((&weird.id, weird.secret())),
        &[("grant_type", "client_credentials")],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");

    // ... and a wrong secret is invalid_client.
    let (status, body) = post_form(
        &token,
        Some((&basic.id, "wrong-secret")),
        &[("grant_type", "client_credentials")],
    )
    .unwrap();
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
}

#[test]
fn hs256_resource_tokens_use_the_shared_secret() {
    let p = Provider::start();
    let c = p.machine_client();
    let (status, body) = post_form(
        &p.token_endpoint(),
        Some((&c.id, c.secret())),
        &[
            ("grant_type", "client_credentials"),
            ("resource", JWT_RESOURCE_HS256),
            ("scope", "api:read"),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(at).unwrap()["alg"], "HS256");
    let key = jsonwebtoken::DecodingKey::from_secret(HS_API_SECRET.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[JWT_RESOURCE_HS256]);
    validation.set_issuer(&[p.issuer()]);
    let decoded = jsonwebtoken::decode::<Value>(at, &key, &validation);
    assert!(decoded.is_ok(), "{decoded:?}");
    let wrong = jsonwebtoken::DecodingKey::from_secret(b"not-the-secret-not-the-secret-00");
    assert!(jsonwebtoken::decode::<Value>(at, &wrong, &validation).is_err());
}

/// Builds an authorization request for the native client on a loopback redirect with `port`.
fn native_authorize(
    p: &Provider,
    doc: &Value,
    port: u16,
    scope: &str,
) -> (String, String, String, String) {
    let (verifier, challenge) = pkce_pair();
    let state = random_token();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let url = authorize_url(
        &endpoint(doc, "authorization_endpoint"),
        &[
            ("client_id", &p.native_client().id),
            ("response_type", "code"),
            ("redirect_uri", &redirect),
            ("scope", scope),
            ("state", &state),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    (url, verifier, state, redirect)
}

#[test]
fn authorization_code_with_pkce_and_refresh_rotation() {
    let p = Provider::start();
    let doc = discovery(&p);
    // Any loopback port is accepted for the native client (RFC 8252 §7.3).
    let (url, _verifier, state, redirect) =
        native_authorize(&p, &doc, 49_321, "openid email offline_access");

    let landed = match p.complete_login(&url, "alice") {
        Ok(u) => u,
        Err(e) => panic!("login failed: {e:#}"),
    };
    assert!(landed.starts_with(&redirect), "{landed}");
    assert_eq!(
        query_param(&landed, "state").as_deref(),
        Some(state.as_str())
    );
    assert_eq!(query_param(&landed, "iss").as_deref(), Some(p.issuer()));
    let code = code_from_redirect(&landed).unwrap();

    let token = endpoint(&doc, "token_endpoint");
    // A wrong verifier is refused ...
    let (status, body) = post_form(
        &token,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "native"),
            ("code", &code),
            ("redirect_uri", &redirect),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-0",
            ),
        ],
    )
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");

    // ... and the code is then spent (one-time use), so run a second login for the real one.
    let (url, verifier2, _state, redirect) =
        native_authorize(&p, &doc, 49_322, "openid email offline_access");
    let landed = p.complete_login(&url, "alice").unwrap();
    let code = code_from_redirect(&landed).unwrap();
    let (status, body) = post_form(
        &token,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "native"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier2),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let id_token = body["id_token"].as_str().unwrap();
    let claims = jwt_claims(id_token).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "native");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();

    let (status, me) = get_json(&endpoint(&doc, "userinfo_endpoint"), Some(&access)).unwrap();
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["sub"], "alice");
    assert_eq!(me["email"], "alice@example.test");

    // Refresh rotates the refresh token; the old one is then rejected.
    let (status, body) = post_form(
        &token,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "native"),
            ("refresh_token", &refresh),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let rotated = body["refresh_token"].as_str().unwrap();
    assert_ne!(rotated, refresh);
    let (status, body) = post_form(
        &token,
        None,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "native"),
            ("refresh_token", &refresh),
        ],
    )
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[test]
fn web_client_gets_a_jwt_access_token_for_a_resource() {
    let p = Provider::start();
    let doc = discovery(&p);
    let web = p.web_client().unwrap();
    let redirect = web.redirect_uri.clone().unwrap();
    let state = random_token();
    let (verifier, challenge) = pkce_pair();
    let url = authorize_url(
        &endpoint(&doc, "authorization_endpoint"),
        &[
            ("client_id", web.id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", &redirect),
            ("scope", "openid api:read"),
            ("resource", JWT_RESOURCE),
            ("state", &state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let landed = p.complete_login(&url, "bob").unwrap();
    let code = code_from_redirect(&landed).unwrap();
    let (status, body) = post_form(
        &p.token_endpoint(),
        Some((&web.id, web.secret())),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
            ("resource", JWT_RESOURCE),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();
    let claims = jwt_claims(at).unwrap();
    assert_eq!(claims["aud"], JWT_RESOURCE);
    assert_eq!(claims["sub"], "bob");
    assert_eq!(claims["scope"], "api:read");

    // oidc-provider refuses to introspect or revoke structured (JWT) access tokens.
    let (status, refused) = post_form(
        &endpoint(&doc, "introspection_endpoint"),
        Some((&web.id, web.secret())),
        &[("token", at)],
    )
    .unwrap();
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "unsupported_token_type");
}

#[test]
fn opaque_token_is_active_until_revoked() {
    let p = Provider::start();
    let doc = discovery(&p);
    let c = p.machine_client();
    let creds = Some((c.id.as_str(), c.secret()));
    let (_, body) = post_form(
        &p.token_endpoint(),
        creds,
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
    )
    .unwrap();
    let at = body["access_token"].as_str().unwrap();
    assert!(
        jwt_header(at).is_err(),
        "expected an opaque token, got {at}"
    );

    let intro = endpoint(&doc, "introspection_endpoint");
    let (_, active) = post_form(&intro, creds, &[("token", at)]).unwrap();
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["client_id"], "machine-basic");
    let (status, _) = post_form(
        &endpoint(&doc, "revocation_endpoint"),
        creds,
        &[("token", at), ("token_type_hint", "access_token")],
    )
    .unwrap();
    assert_eq!(status, 200);
    let (_, inactive) = post_form(&intro, creds, &[("token", at)]).unwrap();
    assert_eq!(inactive["active"], false, "{inactive}");
}

#[test]
fn denied_login_redirects_with_access_denied() {
    let p = Provider::start();
    let doc = discovery(&p);
    let (url, _verifier, state, redirect) = native_authorize(&p, &doc, 40_001, "openid");
    let landed = deny_login(&url).unwrap();
    assert!(landed.starts_with(&redirect), "{landed}");
    assert_eq!(
        query_param(&landed, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&landed, "state").as_deref(),
        Some(state.as_str())
    );
    assert!(code_from_redirect(&landed).is_err());
}

#[test]
fn device_flow_completes_through_the_verification_page() {
    let p = Provider::start();
    let doc = discovery(&p);
    let (status, da) = post_form(
        &endpoint(&doc, "device_authorization_endpoint"),
        None,
        &[("client_id", "native"), ("scope", "openid offline_access")],
    )
    .unwrap();
    assert_eq!(status, 200, "{da}");
    let device_code = da["device_code"].as_str().unwrap();
    let poll = || {
        post_form(
            &p.token_endpoint(),
            None,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", "native"),
                ("device_code", device_code),
            ],
        )
        .unwrap()
    };
    let (status, pending) = poll();
    assert_eq!(status, 400);
    assert_eq!(pending["error"], "authorization_pending");

    let page = complete_device(
        da["verification_uri"].as_str().unwrap(),
        da["user_code"].as_str().unwrap(),
    );
    assert!(
        page.as_ref().is_ok_and(|t| t.contains("Success")),
        "{page:?}"
    );

    let (status, body) = poll();
    assert_eq!(status, 200, "{body}");
    assert!(body["refresh_token"].is_string(), "{body}");
    assert_eq!(
        jwt_claims(body["id_token"].as_str().unwrap()).unwrap()["sub"],
        "alice"
    );
}

#[test]
fn wrong_user_code_is_reported() {
    let p = Provider::start();
    let err = complete_device(&p.url("/device"), "BCDF-GHJK");
    assert!(err.is_err(), "{err:?}");
}

#[test]
fn restart_keeps_or_rotates_keys_on_the_same_issuer() {
    let mut p = Provider::start();
    let issuer = p.issuer().to_string();
    let kids = |p: &Provider| -> Vec<String> {
        let (_, jwks) = get_json(&p.url("/jwks"), None).unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let before = kids(&p);
    p.restart(Keys::Same);
    assert_eq!(p.issuer(), issuer);
    assert_eq!(kids(&p), before);
    p.restart(Keys::New);
    assert_eq!(p.issuer(), issuer);
    let after = kids(&p);
    assert!(
        after.iter().all(|k| !before.contains(k)),
        "{before:?} vs {after:?}"
    );
}

#[test]
fn short_access_token_ttl_is_configurable() {
    let p = Provider::start_with(&[("ACCESS_TOKEN_TTL", "7")]);
    let c = p.machine_client();
    let (_, body) = post_form(
        &p.token_endpoint(),
        Some((&c.id, c.secret())),
        &[
            ("grant_type", "client_credentials"),
            ("resource", JWT_RESOURCE),
        ],
    )
    .unwrap();
    assert_eq!(body["expires_in"], 7, "{body}");
}

#[test]
fn form_parser_reads_multiline_inputs_and_outside_buttons() {
    let html = r#"<form id="op.deviceConfirmForm" method="post" action="http://h/device?a=1&amp;b=2">
<input type="hidden" name="xsrf" value="abc"/>
<input
    type="text" name="user_code" placeholder="Enter code" onfocus="this.select(); x > 1">
</form>
<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">[ Abort ]</button>"#;
    let f = forms(html);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].action.as_deref(), Some("http://h/device?a=1&b=2"));
    assert_eq!(f[0].inputs.len(), 2);
    assert_eq!(
        f[0].input("user_code").and_then(|t| t.attr("placeholder")),
        Some("Enter code")
    );
    assert_eq!(f[0].buttons.len(), 1);
    assert_eq!(
        f[0].fields(),
        vec![
            ("xsrf".to_string(), "abc".to_string()),
            ("user_code".to_string(), String::new())
        ]
    );
}

#[test]
fn cookie_jar_matches_paths_and_deletes_expired() {
    let mut jar = CookieJar::default();
    jar.store("_interaction=a; path=/interaction/A; httponly", "/auth");
    jar.store("_session=s; path=/; httponly", "/auth");
    assert_eq!(
        jar.header_for("/interaction/A").as_deref(),
        Some("_interaction=a; _session=s")
    );
    assert_eq!(
        jar.header_for("/interaction/AB").as_deref(),
        Some("_session=s")
    );
    jar.store(
        "_interaction=; path=/interaction/A; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "/x",
    );
    assert_eq!(
        jar.header_for("/interaction/A").as_deref(),
        Some("_session=s")
    );
    assert_eq!(jar.len(), 1);
}

#[test]
fn html_entities_decode() {
    assert_eq!(
        decode_entities("a&amp;b&#x2F;c&#47;&quot;&bogus"),
        "a&b/c/\"&bogus"
    );
}

/// The same authorization code + PKCE round trip, written once against the [`TestProvider`]
/// trait, must pass against every provider the harness knows.
fn auth_code_round_trip(p: &dyn TestProvider) {
    let (_, doc) = get_json(
        &format!("{}/.well-known/openid-configuration", p.issuer()),
        None,
    )
    .unwrap();
    let client = p.native_client();
    let (verifier, challenge) = pkce_pair();
    let state = random_token();
    let redirect = "http://127.0.0.1:45999/callback";
    let url = authorize_url(
        &endpoint(&doc, "authorization_endpoint"),
        &[
            ("client_id", client.id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", "openid"),
            ("state", &state),
            ("nonce", "round-trip-nonce"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let landed = match p.complete_login(&url, "alice") {
        Ok(u) => u,
        Err(e) => panic!("{}: login failed: {e:#}", p.name()),
    };
    assert!(landed.starts_with(redirect), "{}: {landed}", p.name());
    assert_eq!(
        query_param(&landed, "state").as_deref(),
        Some(state.as_str())
    );
    let code = code_from_redirect(&landed).unwrap();
    let (status, body) = post_form(
        &endpoint(&doc, "token_endpoint"),
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client.id.as_str()),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{}: {body}", p.name());
    let id = jwt_claims(body["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(id["nonce"], "round-trip-nonce", "{}", p.name());
    assert_eq!(id["iss"], p.issuer(), "{}", p.name());

    // Denial comes back as an error redirect, not a code.
    let (_, challenge) = pkce_pair();
    let url = authorize_url(
        &endpoint(&doc, "authorization_endpoint"),
        &[
            ("client_id", client.id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", "openid"),
            ("state", "deny-state"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let denied = p.deny_login(&url).unwrap();
    assert_eq!(
        query_param(&denied, "error").as_deref(),
        Some("access_denied"),
        "{}: {denied}",
        p.name()
    );
}

#[test]
fn trait_round_trip_against_oidc_provider() {
    auth_code_round_trip(&Provider::start());
}

#[test]
fn trait_round_trip_against_the_sandbox() {
    auth_code_round_trip(&Sandbox::start());
}

#[test]
fn sandbox_device_flow_through_the_trait() {
    let p = Sandbox::start();
    let client = p.native_client();
    let (_, doc) = get_json(
        &format!("{}/.well-known/openid-configuration", p.issuer()),
        None,
    )
    .unwrap();
    let (status, da) = post_form(
        &endpoint(&doc, "device_authorization_endpoint"),
        None,
        &[("client_id", client.id.as_str()), ("scope", "openid")],
    )
    .unwrap();
    assert_eq!(status, 200, "{da}");
    p.complete_device(
        da["verification_uri"].as_str().unwrap(),
        da["user_code"].as_str().unwrap(),
    )
    .unwrap();
    let (status, body) = post_form(
        &endpoint(&doc, "token_endpoint"),
        None,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", client.id.as_str()),
            ("device_code", da["device_code"].as_str().unwrap()),
        ],
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
}
