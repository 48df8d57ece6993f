//! An authorization request's checks, shared by the authorization endpoint and the pushed
//! authorization request endpoint (RFC 9126): [`validate`] reads the parameters into an
//! [`AuthorizationRequest`] or a [`Rejection`] (to the user's page or back to the client), and
//! [`take`] redeems a pushed request's `request_uri`.

use grantscope_core::oauth::GrantKind;

use crate::protocol::rar;
use crate::protocol::scope::resolve_scope;
use crate::protocol::wire::{OAuthError, Params, validate_resources};
use crate::state::app::App;
use crate::state::clients::ClientKind;
use crate::state::config::STEP_UP_ACR;
use crate::state::store::{AuthorizationRequest, ResponseMode, ResponseType, now_ms};

/// How long a `request_uri` may be used (RFC 9126 §2.2 suggests 5 to 600 seconds).
pub(crate) const REQUEST_URI_TTL_SECS: u64 = 60;

/// Why an authorization request is refused, and where the refusal goes.
pub(crate) enum Rejection {
    /// Client or redirect URI not trustworthy: tell the user, never redirect.
    Page(String),
    /// Tell the client through its (registered) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
        mode: ResponseMode,
        client_id: &'static str,
    },
}

/// Checks an authorization request's parameters (sent to `/authorize` or pushed to `/par`).
pub(crate) fn validate(app: &App, params: &Params) -> Result<AuthorizationRequest, Rejection> {
    let page = |e: OAuthError| Rejection::Page(e.description);
    let client_id = params
        .single("client_id")
        .map_err(page)?
        .ok_or_else(|| Rejection::Page("the request has no client_id".into()))?;
    let client = app
        .find_client(client_id)
        .ok_or_else(|| Rejection::Page(format!("unknown client {client_id:?}")))?;
    let redirect_uri = params
        .single("redirect_uri")
        .map_err(page)?
        .ok_or_else(|| {
            Rejection::Page(
                "the request has no redirect_uri (the sandbox requires it on every request)".into(),
            )
        })?
        .to_string();
    let registered = if app.config.unsafe_switches.any_redirect_uri {
        url::Url::parse(&redirect_uri).is_ok()
    } else {
        client.redirect_uri_registered(&redirect_uri)
    };
    if !registered {
        return Err(Rejection::Page(format!(
            "redirect_uri {redirect_uri:?} is not registered for client {} (registered: {}; \
             a loopback address may use any port). The sandbox does not redirect to \
             unregistered addresses.",
            client.id,
            if client.redirect_uris.is_empty() {
                "none".to_string()
            } else {
                client.redirect_uris.join(", ")
            }
        )));
    }
    if app.config.unsafe_switches.pin_loopback_port
        && let Some(port) = loopback_port(&redirect_uri)
    {
        let pinned = *app.store().pinned_ports.entry(client.id).or_insert(port);
        if pinned != port {
            return Err(Rejection::Page(format!(
                "redirect_uri {redirect_uri:?} uses port {port}, but client {} first used port \
                 {pinned} (teaching switch unsafe-pin-loopback-port; RFC 8252 §7.3 says a \
                 loopback redirect may use any port)",
                client.id
            )));
        }
    }
    // The state to echo, even if it is malformed (repeated) we cannot echo it.
    let state = params.single("state").ok().flatten().map(str::to_string);
    // Errors go back in the mode asked for, if it is one the sandbox knows.
    let mode_param = params.single("response_mode").ok().flatten();
    let reply_mode = ResponseMode::parse(mode_param).unwrap_or_default();
    let redirect = |error: OAuthError| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        mode: reply_mode,
        client_id: client.id,
    };
    let response_type = match params.single("response_type").map_err(redirect)? {
        Some(value) => match ResponseType::parse(value) {
            Some(t) if t.is_code_only() => t,
            Some(t) if app.config.unsafe_switches.allow_implicit => t,
            Some(_) => {
                return Err(redirect(OAuthError::new(
                    "unsupported_response_type",
                    format!(
                        "response_type {:?} puts tokens in the front channel (implicit or \
                         hybrid, deprecated by RFC 9700); the sandbox answers it only with \
                         --unsafe-allow-implicit. Use code",
                        grantscope_core::http::excerpt(value, 40)
                    ),
                )));
            }
            None => {
                return Err(redirect(OAuthError::new(
                    "unsupported_response_type",
                    format!(
                        "response_type {:?} is not supported; use code",
                        grantscope_core::http::excerpt(value, 40)
                    ),
                )));
            }
        },
        None => {
            return Err(redirect(OAuthError::invalid_request(
                "missing response_type",
            )));
        }
    };
    let response_mode = match params.single("response_mode").map_err(redirect)? {
        // Tokens never go in the query (OAuth 2.0 Multiple Response Types §5): the fragment
        // is the default for the other types.
        None if !response_type.is_code_only() => ResponseMode::Fragment,
        mode => ResponseMode::parse(mode).map_err(|e| redirect(OAuthError::invalid_request(e)))?,
    };
    if !response_type.is_code_only() && matches!(response_mode, ResponseMode::Query) {
        return Err(redirect(OAuthError::invalid_request(
            "response_mode=query may not carry tokens; use fragment or form_post",
        )));
    }
    for unsupported in ["request", "request_uri"] {
        if params.single(unsupported).map_err(redirect)?.is_some() {
            let error = if unsupported == "request" {
                "request_not_supported"
            } else {
                "request_uri_not_supported"
            };
            return Err(redirect(OAuthError::new(
                error,
                format!("the {unsupported} parameter is not supported by the sandbox"),
            )));
        }
    }
    if !client.allows_grant(GrantKind::AuthorizationCode) {
        return Err(redirect(OAuthError::new(
            "unauthorized_client",
            format!(
                "client {} may not use the authorization code grant",
                client.id
            ),
        )));
    }
    let scope =
        resolve_scope(client, params.single("scope").map_err(redirect)?).map_err(redirect)?;
    let challenge = params.single("code_challenge").map_err(redirect)?;
    let method = params.single("code_challenge_method").map_err(redirect)?;
    let pkce = match (challenge, method) {
        (None, Some(_)) => {
            return Err(redirect(OAuthError::invalid_request(
                "code_challenge_method without code_challenge",
            )));
        }
        (None, None) => {
            if client.kind == ClientKind::Public
                && response_type.code
                && !app.config.unsafe_switches.allow_missing_pkce
            {
                return Err(redirect(OAuthError::invalid_request(
                    "PKCE is required for public clients: send code_challenge and code_challenge_method=S256",
                )));
            }
            if response_type.code && app.config.teaching_switches.require_pkce {
                return Err(redirect(OAuthError::invalid_request(
                    "PKCE is required for every client here (OAuth 2.1, FAPI 2.0; the require-pkce \
                     teaching switch): send code_challenge and code_challenge_method=S256",
                )));
            }
            None
        }
        (Some(challenge), method) => {
            // RFC 7636 §4.3: an absent method means plain.
            let method = method.unwrap_or("plain");
            match method {
                "S256" => {}
                "plain" if app.config.unsafe_switches.allow_plain_pkce => {}
                "plain" => {
                    return Err(redirect(OAuthError::invalid_request(
                        "code_challenge_method plain is not allowed (an absent method means plain); use S256",
                    )));
                }
                other => {
                    return Err(redirect(OAuthError::invalid_request(format!(
                        "unsupported code_challenge_method {other:?}; use S256"
                    ))));
                }
            }
            let well_formed = (43..=128).contains(&challenge.len())
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            if !well_formed {
                return Err(redirect(OAuthError::invalid_request(
                    "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]",
                )));
            }
            Some((challenge.to_string(), method.to_string()))
        }
    };
    let resources = params.all("resource");
    validate_resources(&resources).map_err(redirect)?;
    let nonce = params
        .single("nonce")
        .map_err(redirect)?
        .map(str::to_string);
    if response_type.id_token {
        if nonce.is_none() {
            return Err(redirect(OAuthError::invalid_request(
                "nonce is required when the ID token comes through the front channel (OIDC \
                 Core §3.2.2.1)",
            )));
        }
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(redirect(OAuthError::invalid_request(
                "response_type id_token needs scope openid",
            )));
        }
    }
    let login_hint = params
        .single("login_hint")
        .map_err(redirect)?
        .map(str::to_string);
    let dpop_jkt = params.single("dpop_jkt").map_err(redirect)?;
    if let Some(jkt) = dpop_jkt {
        let well_formed = jkt.len() == 43
            && jkt
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !well_formed {
            return Err(redirect(OAuthError::invalid_request(
                "dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters, RFC 9449 §10)",
            )));
        }
    }
    let authorization_details = params
        .single("authorization_details")
        .map_err(redirect)?
        .map(|d| rar::parse(&serde_json::Value::String(d.to_string())))
        .transpose()
        .map_err(redirect)?;
    let wants_mfa = params
        .single("acr_values")
        .map_err(redirect)?
        .is_some_and(|v| v.split(' ').any(|acr| acr == STEP_UP_ACR));
    Ok(AuthorizationRequest {
        client,
        redirect_uri,
        scope,
        state,
        nonce,
        pkce,
        resources,
        login_hint,
        dpop_jkt: dpop_jkt.map(str::to_string),
        authorization_details,
        wants_mfa,
        mfa_done: false,
        response_mode,
        response_type,
    })
}

/// The port of a loopback (`127.0.0.1` or `[::1]`) redirect URI.
fn loopback_port(redirect_uri: &str) -> Option<u16> {
    let url = url::Url::parse(redirect_uri).ok()?;
    match url.host()? {
        url::Host::Ipv4(ip) if ip.is_loopback() => url.port(),
        url::Host::Ipv6(ip) if ip.is_loopback() => url.port(),
        _ => None,
    }
}

/// The pushed request behind `request_uri`; `params` must name the same client. It stays until
/// its authorization is answered ([`spend`]: single use, RFC 9126 §4), so a reload of the login
/// page works. The error is for the user's page (the client is not yet trusted).
pub(crate) fn take(
    app: &App,
    params: &Params,
    request_uri: &str,
) -> Result<AuthorizationRequest, String> {
    let pushed = app.store().pushed.get(request_uri).cloned();
    let Some(pushed) = pushed.filter(|p| p.expires_ms > now_ms()) else {
        return Err(format!(
            "request_uri {:?} is unknown, expired (they live {REQUEST_URI_TTL_SECS} seconds) or \
             already used (each is single-use, RFC 9126 §4)",
            grantscope_core::http::excerpt(request_uri, 80)
        ));
    };
    match params.single("client_id").ok().flatten() {
        Some(id) if id == pushed.request.client.id => Ok(pushed.request),
        _ => Err(
            "the request's client_id is missing or is not the client that pushed the request"
                .into(),
        ),
    }
}

/// Spends a pushed request once its authorization is answered (approved, denied, or refused
/// without a login), unless the `unsafe-reusable-request-uri` switch keeps it.
pub(crate) fn spend(app: &App, request_uri: Option<&str>) {
    if let Some(uri) = request_uri
        && !app.config.unsafe_switches.reusable_request_uri
    {
        app.store().pushed.remove(uri);
    }
}
