//! The authorization endpoint (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2): request
//! validation, the login and consent page, and the redirect back to the client with a code or an
//! error. Errors go back to the client only once the client and its redirect URI are known to be
//! legitimate; before that the user sees an error page (RFC 6749 §4.1.2.1).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::protocol::authorization_request::{Rejection, spend, take, validate};
use crate::protocol::mint::front_channel;
use crate::protocol::page::{escape_html, page, seeded_user_rows};
use crate::protocol::request_object;
use crate::protocol::response_mode::deliver;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::clients::{SeededUser, check_login, find_user};
use crate::state::config::{STEP_UP_ACR, STEP_UP_CODE};
use crate::state::store::{
    AuthorizationRequest, CodeRecord, Pending, ResponseMode, ms, now_ms, now_secs, random_token,
    token_key,
};

/// How long a login page stays answerable.
const PENDING_TTL_MS: u64 = 10 * 60 * 1000;

/// `GET /authorize`.
pub(crate) async fn authorize_get(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match Params::parse(query.unwrap_or_default().as_bytes()).screened(
        app.config.unsafe_switches.accept_duplicate_params,
        app.config.unsafe_switches.refuse_unknown_params,
    ) {
        Ok(params) => params,
        Err(error) => return error_page(&app, &error.description),
    };
    let pushed = match params.single("request_uri") {
        Ok(uri) => uri.map(str::to_string),
        Err(error) => return error_page(&app, &error.description),
    };
    let validated = match &pushed {
        // RFC 9126 §4: the pushed request stands for all the parameters.
        Some(uri) => take(&app, &params, uri).map_err(Rejection::Page),
        // RFC 9101: a request object's errors are shown to the user (its redirect_uri is
        // not trusted until the object is).
        None => match request_object::unpack(&app, &params, None) {
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
        spend(&app, pushed.as_deref());
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
        spend(&app, pushed.as_deref());
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
            pushed_uri: pushed.clone(),
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
        spend(&app, pending.pushed_uri.as_deref());
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
    spend(&app, pending.pushed_uri.as_deref());
    approve(&app, request, user, StatusCode::SEE_OTHER)
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

/// Issues a code for an approved request and redirects back to the client.
fn approve(
    app: &App,
    request: AuthorizationRequest,
    user: &'static SeededUser,
    status: StatusCode,
) -> Response {
    let auth_time = now_secs();
    // Every login starts a login session; what is issued from it carries its `sid`.
    let sid = random_token(16);
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone();
    let (mode, client_id) = (request.response_mode, request.client.id);
    let types = request.response_type;
    let code_bytes = if app.config.unsafe_switches.short_codes {
        4
    } else {
        32
    };
    let code = types.code.then(|| random_token(code_bytes));
    // Implicit and hybrid (behind the unsafe switch): tokens straight to the browser.
    let front = if types.token || types.id_token {
        match front_channel(app, &request, user, (auth_time, &sid), code.as_deref()) {
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
                sid,
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
