//! RP-Initiated Logout 1.0 (`GET /end_session`) and Back-Channel Logout 1.0: the sandbox
//! checks the `id_token_hint` (its own signature and issuer; an expired hint is fine), ends
//! the hint's login session (its `sid`: every grant issued in it is revoked, its unredeemed
//! codes dropped; a hint without `sid` ends every grant of its user), POSTs a logout token
//! (`sid` and `sub`) to each registered client with a `backchannel_logout_uri` that held a
//! grant in it or is the hint's client, and sends the browser to a registered
//! `post_logout_redirect_uri` with the `state`, or shows a page. The
//! `unsafe-logout-token-with-nonce` switch puts a nonce into the logout tokens.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::protocol::page::{escape_html, page};
use crate::state::app::App;
use crate::state::clients::redirect_uri_matches;
use crate::state::store::{now_secs, random_token};
use grantscope_core::http::{HttpClient, HttpOptions, HttpRequest};
use grantscope_core::token::claims::BACKCHANNEL_LOGOUT_EVENT;
use grantscope_core::token::{InspectOptions, Keys, SignatureStatus, TokenKind, inspect_with_keys};

fn refuse(app: &App, why: &str) -> Response {
    page(
        app,
        StatusCode::BAD_REQUEST,
        "Logout refused",
        &format!("<p>{}</p>", escape_html(why)),
    )
}

/// The user (`sub`) and client (`aud`) of a hint the sandbox signed itself.
fn check_hint(app: &App, hint: &str) -> Result<(String, String, Option<String>), String> {
    let jwks = grantscope_core::token::jwks::jwks_from_value(&app.keys().jwks())
        .map_err(|e| format!("the sandbox's own JWKS: {e}"))?;
    let options = InspectOptions {
        kind: TokenKind::Id,
        ..InspectOptions::default()
    };
    let now = i64::try_from(now_secs()).unwrap_or(i64::MAX);
    let inspection = inspect_with_keys(hint, &Keys::Jwks(jwks), &options, now);
    if inspection.signature.status != SignatureStatus::Verified {
        return Err(format!(
            "the id_token_hint is not an ID token this sandbox signed: {}",
            inspection.signature.detail
        ));
    }
    let claims = &inspection.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(app.issuer.as_str()) {
        return Err("the id_token_hint was issued by another issuer".into());
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or("the id_token_hint has no sub")?;
    let aud = match claims.get("aud") {
        Some(Value::String(a)) => a.clone(),
        Some(Value::Array(a)) => a
            .first()
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or("the id_token_hint has an empty aud")?,
        _ => return Err("the id_token_hint has no aud".into()),
    };
    let sid = claims.get("sid").and_then(Value::as_str).map(String::from);
    Ok((sub.to_string(), aud, sid))
}

/// `GET /end_session`.
pub(crate) async fn end_session(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let single = |name: &str| -> Result<Option<String>, String> {
        let mut found = pairs.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.clone());
        if found.next().is_some() {
            return Err(format!("{name} is repeated"));
        }
        Ok(first)
    };
    let read = (|| {
        Ok::<_, String>((
            single("id_token_hint")?,
            single("client_id")?,
            single("post_logout_redirect_uri")?,
            single("state")?,
        ))
    })();
    let (hint, client_id, redirect, state) = match read {
        Ok(r) => r,
        Err(why) => return refuse(&app, &why),
    };
    let Some(hint) = hint else {
        return refuse(
            &app,
            "the sandbox needs the id_token_hint to know whose session ends",
        );
    };
    let (sub, aud, sid) = match check_hint(&app, &hint) {
        Ok(found) => found,
        Err(why) => return refuse(&app, &why),
    };
    if client_id.as_ref().is_some_and(|c| *c != aud) {
        return refuse(&app, "client_id is not the id_token_hint's audience");
    }
    if let Some(uri) = &redirect {
        // A registered client's own list; a seeded client's fixed one.
        let registered = app
            .registry()
            .get(&aud)
            .map(|r| r.uris("post_logout_redirect_uris"))
            .unwrap_or_else(|| {
                crate::state::clients::find_client(&aud)
                    .map(|c| {
                        c.post_logout_redirect_uris()
                            .iter()
                            .map(|u| (*u).to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            });
        if !registered.iter().any(|r| redirect_uri_matches(r, uri)) {
            return refuse(
                &app,
                &format!(
                    "post_logout_redirect_uri {uri:?} is not registered for client {aud:?} \
                     (RP-Initiated Logout §3: only registered ones are followed)"
                ),
            );
        }
    }
    // The session ends, and who must hear of it. With the hint's `sid`: that login session
    // (its grants revoked), each of its clients told of that `sid`. Without one: every grant
    // of the user, each client told with `sub` alone (Back-Channel Logout §2.4: all its
    // sessions of the user), or of each of its sessions when it registered
    // `backchannel_logout_session_required`.
    let mut ended: Vec<(&str, Option<String>)> = Vec::new();
    {
        let mut store = app.store();
        match &sid {
            Some(sid) => ended.extend(
                store
                    .end_session(sid)
                    .into_iter()
                    .map(|c| (c, Some(sid.clone()))),
            ),
            None => {
                let grants: Vec<_> = store
                    .grants
                    .iter()
                    .filter(|(_, g)| g.user.is_some_and(|u| u.sub == sub))
                    .map(|(id, g)| (*id, g.client.id, g.sid.clone()))
                    .collect();
                for (id, client, grant_sid) in grants {
                    store.revoke_grant(id, "the user logged out");
                    ended.push((client, grant_sid));
                }
            }
        }
    }
    let targets: Vec<(String, Option<String>, String)> = {
        let registry = app.registry();
        let mut clients: Vec<&str> = vec![aud.as_str()];
        for (client, _) in &ended {
            if !clients.contains(client) {
                clients.push(client);
            }
        }
        let mut targets = Vec::new();
        for client in clients {
            let Some(registered) = registry.get(client) else {
                continue;
            };
            let Some(uri) = registered.backchannel_logout_uri() else {
                continue;
            };
            let mut sids: Vec<Option<String>> = Vec::new();
            if sid.is_some() || registered.backchannel_logout_session_required() {
                for (_, s) in ended.iter().filter(|(c, s)| *c == client && s.is_some()) {
                    if !sids.contains(s) {
                        sids.push(s.clone());
                    }
                }
            }
            if sids.is_empty() {
                sids.push(sid.clone());
            }
            for s in sids {
                targets.push((client.to_string(), s, uri.to_string()));
            }
        }
        targets
    };
    let mut report = Vec::new();
    for (client, client_sid, uri) in targets {
        let outcome = send_logout_token(&app, &client, &uri, &sub, client_sid.as_deref()).await;
        report.push(format!(
            "<li><code>{}</code> at <code>{}</code>: {}</li>",
            escape_html(&client),
            escape_html(&uri),
            escape_html(&outcome)
        ));
    }
    match redirect {
        Some(uri) => {
            let mut to = match url::Url::parse(&uri) {
                Ok(u) => u,
                Err(e) => return refuse(&app, &format!("post_logout_redirect_uri: {e}")),
            };
            if let Some(state) = &state {
                to.query_pairs_mut().append_pair("state", state);
            }
            let mut response = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(to.as_str()) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        None => page(
            &app,
            StatusCode::OK,
            "Logged out",
            &format!(
                "<p>The session {}of <code>{}</code> has ended.</p><ul>{}</ul>",
                sid.as_deref()
                    .map(|s| format!("<code>{}</code> ", escape_html(s)))
                    .unwrap_or_default(),
                escape_html(&sub),
                report.join("")
            ),
        ),
    }
}

/// Mints and POSTs one logout token (Back-Channel Logout §2.4, §2.5); what came of it.
async fn send_logout_token(
    app: &App,
    client: &str,
    uri: &str,
    sub: &str,
    sid: Option<&str>,
) -> String {
    let now = now_secs();
    let mut claims = json!({
        "iss": app.issuer, "aud": client, "iat": now, "exp": now + 120,
        "jti": random_token(16), "sub": sub,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    if let Some(sid) = sid {
        claims["sid"] = json!(sid);
    }
    if app.config.unsafe_switches.logout_token_nonce {
        claims["nonce"] = json!(random_token(8));
    }
    let token = match app
        .keys()
        .sign_jwt(app.config.signing_alg, "logout+jwt", &claims)
    {
        Ok(t) => t,
        Err(e) => return format!("not sent: signing failed: {e}"),
    };
    let Ok(url) = url::Url::parse(uri) else {
        return "not sent: the registered URI does not parse".into();
    };
    let http = match HttpClient::new(&HttpOptions {
        timeout: std::time::Duration::from_secs(5),
        ..HttpOptions::default()
    }) {
        Ok(h) => h,
        Err(e) => return format!("not sent: {e}"),
    };
    let request = HttpRequest::post_form(url, &[("logout_token", token.as_str())]);
    match http.send("back-channel logout", request).await {
        Ok((_, response)) => format!("HTTP {}", response.status),
        Err((_, e)) => format!("failed: {e}"),
    }
}
