//! The authorization endpoint (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2): request
//! validation, the login and consent page, and the redirect back to the client with a code or an
//! error. Errors go back to the client only once the client and its redirect URI are known to be
//! legitimate; before that the user sees an error page (RFC 6749 §4.1.2.1).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::app::App;
use super::clients::{
    ClientKind, GRANT_AUTHORIZATION_CODE, SeededUser, check_login, find_client, find_user,
};
use super::config::{STEP_UP_ACR, STEP_UP_CODE};
use super::page::{escape_html, page, seeded_user_rows};
use super::protocol::{OAuthError, Params, validate_resources};
use super::response_mode::{ResponseMode, deliver};
use super::scope::resolve_scope;
use super::store::ResponseType;
use super::store::{
    AuthorizationRequest, CodeRecord, Pending, ms, now_ms, now_secs, random_token, token_key,
};

/// How long a login page stays answerable.
const PENDING_TTL_MS: u64 = 10 * 60 * 1000;

/// `GET /authorize`.
pub(crate) async fn authorize_get(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let pushed = match params.single("request_uri") {
        Ok(uri) => uri.map(str::to_string),
        Err(error) => return error_page(&app, &error.description),
    };
    let validated = match &pushed {
        // RFC 9126 §4: the pushed request stands for all the parameters.
        Some(uri) => super::par::take(&app, &params, uri).map_err(Rejection::Page),
        // RFC 9101: a request object's errors are shown to the user (its redirect_uri is
        // not trusted until the object is).
        None => match super::request_object::unpack(&app, &params, None) {
            Ok(Some(inner)) => validate(&app, &inner),
            Ok(None) => validate(&app, &params),
            Err(error) => Err(Rejection::Page(format!(
                "{}: {}",
                error.error, error.description
            ))),
        },
    };
    let request = match validated {
        Ok(request) if pushed.is_none() && app.config.teaching_switches.require_par => {
            return redirect_error(
                &app,
                &request.reply_to(),
                &OAuthError::invalid_request(
                    "this server requires pushed authorization requests (RFC 9126 §5, the \
                     require-par teaching switch): POST the parameters to the \
                     pushed_authorization_request_endpoint first",
                ),
                StatusCode::FOUND,
            );
        }
        Ok(request) => request,
        Err(Rejection::Page(message)) => return error_page(&app, &message),
        Err(Rejection::Redirect {
            redirect_uri,
            state,
            error,
            mode,
            client_id,
        }) => {
            let to = ReplyTo {
                uri: &redirect_uri,
                state: state.as_deref(),
                mode,
                client_id,
            };
            return redirect_error(&app, &to, &error, StatusCode::FOUND);
        }
    };
    if let Some(username) = &app.config.auto_approve
        && let Some(user) = find_user(username)
    {
        // Scripts skip the second factor as they skip the password.
        let mfa_done = request.wants_mfa;
        return approve(
            &app,
            AuthorizationRequest {
                mfa_done,
                ..request
            },
            user,
            StatusCode::FOUND,
        );
    }
    if params.single("prompt").ok().flatten() == Some("none") {
        return redirect_error(
            &app,
            &request.reply_to(),
            &OAuthError::new(
                "login_required",
                "prompt=none, but the user must log in here",
            ),
            StatusCode::FOUND,
        );
    }
    let request_id = random_token(24);
    app.store().pending.insert(
        request_id.clone(),
        Pending {
            request: request.clone(),
            expires_ms: now_ms().saturating_add(PENDING_TTL_MS),
        },
    );
    login_page(&app, &request, &request_id, None, StatusCode::OK)
}

/// `POST /authorize`: the login form's answer.
pub(crate) async fn authorize_post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match Params::from_form(&headers, &body) {
        Ok(params) => params,
        Err(error) => return error_page(&app, &error.description),
    };
    let Some(request_id) = params.single("request_id").ok().flatten() else {
        return error_page(&app, "the login form was submitted without its request id");
    };
    let pending = {
        let store = app.store();
        store.pending.get(request_id).cloned()
    };
    let Some(pending) = pending.filter(|p| p.expires_ms > now_ms()) else {
        return error_page(
            &app,
            "this login request has expired or was already answered; start the flow again from the client",
        );
    };
    let mut request = pending.request;
    let decision = params.single("decision").ok().flatten().unwrap_or("");
    if decision == "deny" {
        app.store().pending.remove(request_id);
        return redirect_error(
            &app,
            &request.reply_to(),
            &OAuthError::new("access_denied", "the user denied the request"),
            StatusCode::SEE_OTHER,
        );
    }
    if decision != "approve" {
        return login_page(
            &app,
            &request,
            request_id,
            Some("choose Approve or Deny"),
            StatusCode::BAD_REQUEST,
        );
    }
    let username = params.single("username").ok().flatten().unwrap_or("");
    let password = params.single("password").ok().flatten().unwrap_or("");
    let Some(user) = check_login(username, password) else {
        return login_page(
            &app,
            &request,
            request_id,
            Some("wrong username or password (the demo users are listed below)"),
            StatusCode::UNAUTHORIZED,
        );
    };
    if request.wants_mfa {
        let code = params.single("otp").ok().flatten().unwrap_or("");
        if code != STEP_UP_CODE {
            return login_page(
                &app,
                &request,
                request_id,
                Some("wrong one-time code (the sandbox's demo second factor is shown above)"),
                StatusCode::UNAUTHORIZED,
            );
        }
        request.mfa_done = true;
    }
    app.store().pending.remove(request_id);
    approve(&app, request, user, StatusCode::SEE_OTHER)
}

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

/// Where and how an answer goes back to the client.
struct ReplyTo<'a> {
    uri: &'a str,
    state: Option<&'a str>,
    mode: ResponseMode,
    client_id: &'a str,
}

impl AuthorizationRequest {
    fn reply_to(&self) -> ReplyTo<'_> {
        ReplyTo {
            uri: &self.redirect_uri,
            state: self.state.as_deref(),
            mode: self.response_mode,
            client_id: self.client.id,
        }
    }
}

/// Checks an authorization request's parameters (sent to `/authorize` or pushed to `/par`).
pub(crate) fn validate(app: &App, params: &Params) -> Result<AuthorizationRequest, Rejection> {
    let page = |e: OAuthError| Rejection::Page(e.description);
    let client_id = params
        .single("client_id")
        .map_err(page)?
        .ok_or_else(|| Rejection::Page("the request has no client_id".into()))?;
    let client = find_client(client_id)
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
    if !client.allows_grant(GRANT_AUTHORIZATION_CODE) {
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
        .map(|d| super::rar::parse(&serde_json::Value::String(d.to_string())))
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

/// Issues a code for an approved request and redirects back to the client.
fn approve(
    app: &App,
    request: AuthorizationRequest,
    user: &'static SeededUser,
    status: StatusCode,
) -> Response {
    let auth_time = now_secs();
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone();
    let (mode, client_id) = (request.response_mode, request.client.id);
    let types = request.response_type;
    let code = types.code.then(|| random_token(32));
    // Implicit and hybrid (behind the unsafe switch): tokens straight to the browser.
    let front = if types.token || types.id_token {
        match super::token::front_channel(app, &request, user, auth_time, code.as_deref()) {
            Ok(front) => front,
            Err(error) => return redirect_error(app, &request.reply_to(), &error, status),
        }
    } else {
        Vec::new()
    };
    if let Some(code) = &code {
        app.store().codes.insert(
            token_key(code),
            CodeRecord {
                request,
                user,
                auth_time,
                expires_ms: now_ms().saturating_add(ms(app.config.code_ttl)),
                redeemed: None,
                consumed: false,
            },
        );
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(code) = &code {
        pairs.push(("code", code));
    }
    for (name, value) in &front {
        pairs.push((name, value));
    }
    if let Some(state) = state.as_deref() {
        pairs.push(("state", state));
    }
    if !app.config.unsafe_switches.no_iss {
        pairs.push(("iss", app.issuer.as_str()));
    }
    let to = ReplyTo {
        uri: &redirect_uri,
        state: state.as_deref(),
        mode,
        client_id,
    };
    redirect(app, &to, &pairs, status)
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

fn redirect_error(app: &App, to: &ReplyTo<'_>, error: &OAuthError, status: StatusCode) -> Response {
    let mut pairs = vec![
        ("error", error.error),
        ("error_description", error.description.as_str()),
    ];
    if let Some(state) = to
        .state
        .filter(|_| !app.config.unsafe_switches.no_state_on_error)
    {
        pairs.push(("state", state));
    }
    if !app.config.unsafe_switches.no_iss {
        pairs.push(("iss", app.issuer.as_str()));
    }
    redirect(app, to, &pairs, status)
}

/// The answer to the client, in its response mode (query, fragment, form_post, JARM).
fn redirect(app: &App, to: &ReplyTo<'_>, pairs: &[(&str, &str)], status: StatusCode) -> Response {
    match deliver(app, to.mode, to.client_id, to.uri, pairs, status) {
        Ok(response) => response,
        Err(message) => error_page(app, &message),
    }
}

fn error_page(app: &App, message: &str) -> Response {
    page(
        app,
        StatusCode::BAD_REQUEST,
        "Authorization request refused",
        &format!("<p class=\"error\">{}</p>", escape_html(message)),
    )
}

fn login_page(
    app: &App,
    request: &AuthorizationRequest,
    request_id: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let scopes: String = request
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| format!("<li>{}</li>", escape_html(s)))
        .collect();
    let users = seeded_user_rows(true);
    let error = error
        .map(|e| format!("<p class=\"error\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    let audience = if request.resources.is_empty() {
        String::new()
    } else {
        format!(
            "<p>for the resources: <code>{}</code></p>",
            escape_html(&request.resources.join(" "))
        )
    };
    let otp = if request.wants_mfa {
        format!(
            "<label for=\"otp\">One-time code (second factor for acr {acr}; the sandbox's demo \
             code is <code>{code}</code>)</label>\
             <input type=\"text\" id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\">",
            acr = escape_html(STEP_UP_ACR),
            code = STEP_UP_CODE
        )
    } else {
        String::new()
    };
    let details = match &request.authorization_details {
        Some(details) => format!(
            "<p>and these authorization details (RFC 9396):</p><pre>{}</pre>",
            escape_html(&grantscope_core::text::to_json_pretty(details).unwrap_or_default())
        ),
        None => String::new(),
    };
    let body = format!(
        "{error}<p>The application <strong>{client}</strong> ({kind}) asks for access:</p>\
         <ul class=\"scopes\">{scopes}</ul>{audience}{details}\
         <p>It will receive the answer at <code>{redirect}</code>.</p>\
         <form method=\"post\" action=\"/authorize\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{request_id}\">\
         <label for=\"username\">Username</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{hint}\" autocomplete=\"username\">\
         <label for=\"password\">Password</label>\
         <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\">{otp}\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form><h2>Demo users</h2><table><tr><th>username</th><th>password</th><th>name</th></tr>\
         {users}</table>",
        client = escape_html(request.client.id),
        kind = request.client.kind,
        redirect = escape_html(&request.redirect_uri),
        request_id = escape_html(request_id),
        hint = escape_html(request.login_hint.as_deref().unwrap_or("")),
    );
    page(app, status, "Sign in and approve", &body)
}
