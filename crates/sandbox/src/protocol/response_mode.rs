//! How the authorization response reaches the client: `query` (the default), `fragment`,
//! `form_post` (OAuth 2.0 Form Post Response Mode: a page that posts the parameters to the
//! redirect URI), and JARM's `query.jwt`, `fragment.jwt`, `form_post.jwt` and `jwt` (the
//! parameters inside one JWT, signed with the sandbox's key, `iss`, `aud` = the client, `exp`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::protocol::page::escape_html;
use crate::state::app::App;
use crate::state::store::{ResponseMode, now_secs};

/// Lifetime of a JARM response JWT (seconds).
const JARM_TTL_SECS: u64 = 120;
/// The form_post page's script (its hash is the only script the page's CSP allows).
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// Sends `pairs` to the client's `redirect_uri` in `mode`.
pub(crate) fn deliver(
    app: &App,
    mode: ResponseMode,
    client_id: &str,
    redirect_uri: &str,
    pairs: &[(&str, &str)],
    status: StatusCode,
) -> Result<Response, String> {
    let mut url = url::Url::parse(redirect_uri).map_err(|_| "the redirect URI is not a URL")?;
    let owned: Vec<(String, String)> = if mode.is_jwt() {
        let now = now_secs();
        let mut claims = Map::new();
        for (k, v) in pairs {
            claims.insert((*k).to_string(), json!(v));
        }
        claims.insert("iss".into(), json!(app.issuer));
        claims.insert("aud".into(), json!(client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + JARM_TTL_SECS));
        let jwt = app
            .keys()
            .sign_jwt(app.config.signing_alg, "JWT", &Value::Object(claims))
            .map_err(|e| format!("cannot sign the JARM response: {e}"))?;
        vec![("response".into(), jwt)]
    } else {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    };
    match mode {
        ResponseMode::Query | ResponseMode::QueryJwt => {
            url.query_pairs_mut().extend_pairs(&owned);
            location(&url, status)
        }
        ResponseMode::Fragment | ResponseMode::FragmentJwt => {
            let fragment = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&owned)
                .finish();
            url.set_fragment(Some(&fragment));
            location(&url, status)
        }
        ResponseMode::FormPost | ResponseMode::FormPostJwt => Ok(form_post(&url, &owned)),
    }
}

fn location(url: &url::Url, status: StatusCode) -> Result<Response, String> {
    let value = HeaderValue::from_str(url.as_str())
        .map_err(|_| "the redirect URI cannot be sent as a header")?;
    let mut response = status.into_response();
    response.headers_mut().insert(header::LOCATION, value);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A page whose one form posts the parameters to `action` at once (and with a button when
/// scripts are off).
fn form_post(action: &url::Url, pairs: &[(String, String)]) -> Response {
    let inputs: String = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(k),
                escape_html(v)
            )
        })
        .collect();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Submitting the authorization response</title></head><body>\
         <form method=\"post\" action=\"{action}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script>{SUBMIT_SCRIPT}</script></body></html>\n",
        action = escape_html(action.as_str()),
    );
    let hash = STANDARD.encode(Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    let csp = format!("default-src 'none'; script-src 'sha256-{hash}'; frame-ancestors 'none'");
    let mut response = (StatusCode::OK, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
