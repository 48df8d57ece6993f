//! The sandbox's HTML pages: one layout (with the unsafe-switch banner), the escaper, and the
//! table of demo accounts.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::state::app::App;
use crate::state::switches::{SWITCHES, SwitchKind};

/// Escapes text for HTML element content and attribute values (the loopback page's escaper).
pub(crate) use grantscope_core::oauth::loopback::html_escape as escape_html;

/// The seeded users as table rows (login, password, and the display name when asked), for
/// the pages that list the demo accounts.
pub(crate) fn seeded_user_rows(with_name: bool) -> String {
    crate::state::clients::seeded_users()
        .iter()
        .map(|u| {
            let name = if with_name {
                format!("<td>{}</td>", escape_html(u.name))
            } else {
                String::new()
            };
            format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td>{name}</tr>",
                escape_html(u.username),
                escape_html(u.password)
            )
        })
        .collect()
}

/// A complete HTML page in the sandbox's look, with the unsafe-switch banner when any is on.
pub(crate) fn page(app: &App, status: StatusCode, title: &str, body: &str) -> Response {
    let mut banner = String::new();
    for (kind, class, heading) in [
        (
            SwitchKind::Unsafe,
            "unsafe",
            "UNSAFE teaching switches are on. This server deliberately makes these mistakes:",
        ),
        (
            SwitchKind::Stricter,
            "teaching",
            "Teaching switches are on:",
        ),
    ] {
        let on: Vec<String> = SWITCHES
            .iter()
            .filter(|s| s.kind == kind && s.is_on(&app.config))
            .map(|s| {
                format!(
                    "<li><code>{}</code> {}</li>",
                    escape_html(s.name),
                    escape_html(s.explanation)
                )
            })
            .collect();
        if !on.is_empty() {
            banner.push_str(&format!(
                "<div class=\"{class}\"><p>{heading}</p><ul>{}</ul></div>",
                on.concat()
            ));
        }
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · grantscope sandbox</title><style>{STYLE}</style></head>\
         <body><header>grantscope sandbox <small>{issuer}</small></header>{banner}<main>\
         <h1>{title}</h1>{body}</main></body></html>\n",
        title = escape_html(title),
        issuer = escape_html(&app.issuer),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The login page must not be framed (clickjacking) and loads nothing from elsewhere.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}\
header{background:#1d2430;color:#fff;padding:.6em 1.2em;font-weight:600}\
header small{font-weight:400;opacity:.7;margin-left:1em}\
main{max-width:40em;margin:2em auto;background:#fff;padding:1.5em 2em;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.1)}\
.unsafe{background:#b00020;color:#fff;margin:0;padding:.6em 1.2em;font-weight:600}\
.teaching{background:#0b4f8a;color:#fff;margin:0;padding:.6em 1.2em;font-weight:600}\
.unsafe p,.teaching p{margin:0}.unsafe ul,.teaching ul{margin:.2em 0 0;font-weight:400}\
.unsafe code,.teaching code{background:transparent;color:#fff;font-weight:600}\
.error{color:#b00020;font-weight:600}\
label{display:block;margin:.6em 0 .2em}input[type=text],input[type=password]{width:100%;\
padding:.4em;box-sizing:border-box}button{margin:1em .6em 0 0;padding:.5em 1.4em;font-size:1em}\
code{background:#eef;padding:0 .2em}table{border-collapse:collapse}td,th{text-align:left;\
padding:.2em .8em .2em 0;vertical-align:top}ul.scopes li{font-family:monospace}";
