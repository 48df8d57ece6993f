//! The sandbox's HTTP plumbing: shared application state, the router, RFC 6749 error responses,
//! strict form parsing (no repeated parameters) and client authentication.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::SandboxConfig;
use super::clients::{ClientKind, SeededClient, find_client, secrets_equal};
use super::keys::KeySet;
use super::store::Store;
use super::{authorize, device, endpoints, token};

/// Largest request body accepted (forms are small; this keeps a stray upload from costing memory).
pub(crate) const BODY_LIMIT: usize = 16 * 1024;

/// State shared by every request of one running sandbox.
pub(crate) struct App {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub issuer: String,
    pub keys: RwLock<KeySet>,
    pub key_dir: PathBuf,
    store: Mutex<Store>,
}

impl App {
    pub(crate) fn new(
        config: SandboxConfig,
        issuer: String,
        keys: KeySet,
        key_dir: PathBuf,
    ) -> Self {
        App {
            config,
            issuer,
            keys: RwLock::new(keys),
            key_dir,
            store: Mutex::new(Store::default()),
        }
    }

    /// The store; a panic in another request never makes it unusable.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The signing keys.
    pub(crate) fn keys(&self) -> RwLockReadGuard<'_, KeySet> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// An absolute URL on this server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// All routes.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(endpoints::index))
        .route(
            "/.well-known/openid-configuration",
            get(endpoints::discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(endpoints::discovery),
        )
        .route("/jwks", get(endpoints::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/token", post(token::token))
        .route("/device_authorization", post(device::device_authorization))
        .route("/device", get(device::device_get).post(device::device_post))
        .route("/introspect", post(endpoints::introspect))
        .route("/revoke", post(endpoints::revoke))
        .route(
            "/userinfo",
            get(endpoints::userinfo).post(endpoints::userinfo),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// An RFC 6749 §5.2 error as a JSON response.
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Add `WWW-Authenticate: Basic` (failed client authentication, RFC 6749 §5.2).
    pub basic_challenge: bool,
}

impl OAuthError {
    pub(crate) fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            basic_challenge: true,
        }
    }

    pub(crate) fn server_error(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..Self::new("server_error", description)
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = json_response(self.status, &body);
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"grantscope-sandbox\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

/// A JSON response that must not be cached (RFC 6749 §5.1).
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Parsed `application/x-www-form-urlencoded` parameters, kept in order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(bytes: &[u8]) -> Params {
        Params(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The body of a POST, which must be form-encoded (RFC 6749 §3.2).
    pub(crate) fn from_form(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            ));
        }
        Ok(Params::parse(body))
    }

    /// A parameter that may appear at most once; an empty value counts as absent (RFC 6749 §3.1).
    pub(crate) fn single(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter {name} is repeated; it may appear only once"
            )));
        }
        Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
    }

    /// A parameter that must be present once.
    pub(crate) fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.single(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    /// Every non-empty value of a repeatable parameter (such as RFC 8707 `resource`).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Checks RFC 8707 resource indicators: absolute URIs without a fragment.
pub(crate) fn validate_resources(resources: &[String]) -> Result<(), OAuthError> {
    for resource in resources {
        let ok = url::Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
        if !ok {
            return Err(OAuthError::new(
                "invalid_target",
                format!("resource {resource:?} must be an absolute URI without a fragment"),
            ));
        }
    }
    Ok(())
}

/// Authenticates the client of a token, introspection, revocation or device authorization
/// request: `client_secret_basic` (RFC 6749 §2.3.1, with the form-urlencoding of id and secret
/// undone), `client_secret_post`, or `none` for a public client (client_id only).
pub(crate) fn authenticate_client(
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'static SeededClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_id = params.single("client_id")?;
    let body_secret = params.single("client_secret")?;
    let (id, secret, method) = match basic {
        Some((id, secret)) => {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "the client used more than one authentication method (Basic and client_secret)",
                ));
            }
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Authorization header",
                ));
            }
            // An empty Basic password is how some libraries send a public client's id.
            let secret = Some(secret).filter(|s| !s.is_empty());
            (id, secret, "client_secret_basic")
        }
        None => match body_id {
            Some(id) => (
                id.to_string(),
                body_secret.map(str::to_string),
                "client_secret_post",
            ),
            None => {
                return Err(OAuthError::invalid_client(
                    "no client authentication: send HTTP Basic, client_id + client_secret, or client_id for a public client",
                ));
            }
        },
    };
    let client = find_client(&id)
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client {id:?}")))?;
    match (client.kind, client.secret, secret) {
        (ClientKind::Confidential, Some(expected), Some(given)) => {
            if secrets_equal(expected, &given) {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client(format!(
                    "client authentication failed ({method}): wrong secret"
                )))
            }
        }
        (ClientKind::Confidential, _, _) => Err(OAuthError::invalid_client(
            "this is a confidential client: authenticate with client_secret_basic or client_secret_post",
        )),
        (ClientKind::Public, _, None) => Ok(client),
        (ClientKind::Public, _, Some(_)) => Err(OAuthError::invalid_client(
            "this is a public client: it has no secret, send client_id only (auth method none)",
        )),
    }
}

/// Decodes `Authorization: Basic` client credentials, if that header is present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::invalid_client("the Authorization header is not ASCII"))?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(OAuthError::invalid_client("malformed Authorization header"));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(format!(
            "unsupported Authorization scheme {scheme:?} for client authentication; use Basic"
        )));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| OAuthError::invalid_client("the Basic credentials are not valid base64"))?;
    let Some((id, secret)) = decoded.split_once(':') else {
        return Err(OAuthError::invalid_client(
            "the Basic credentials have no ':' between client id and secret",
        ));
    };
    let id = form_decode(id).ok_or_else(|| {
        OAuthError::invalid_client("the Basic client id is not form-urlencoded UTF-8")
    })?;
    let secret = form_decode(secret).ok_or_else(|| {
        OAuthError::invalid_client("the Basic client secret is not form-urlencoded UTF-8")
    })?;
    Ok(Some((id, secret)))
}

/// Undoes `application/x-www-form-urlencoded` encoding of one value ('+' and `%XX`).
pub(crate) fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Escapes text for HTML element content and attribute values (the loopback page's escaper).
pub(crate) use crate::oauth::loopback::html_escape as escape_html;

/// The seeded users as table rows (login, password, and the display name when asked), for
/// the pages that list the demo accounts.
pub(crate) fn seeded_user_rows(with_name: bool) -> String {
    super::clients::seeded_users()
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
    let enabled = app.config.unsafe_switches.enabled();
    let banner = if enabled.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"unsafe\">UNSAFE teaching switches are on: {}. This server deliberately \
             makes these mistakes.</p>",
            escape_html(&enabled.join(", "))
        )
    };
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
.error{color:#b00020;font-weight:600}\
label{display:block;margin:.6em 0 .2em}input[type=text],input[type=password]{width:100%;\
padding:.4em;box-sizing:border-box}button{margin:1em .6em 0 0;padding:.5em 1.4em;font-size:1em}\
code{background:#eef;padding:0 .2em}table{border-collapse:collapse}td,th{text-align:left;\
padding:.2em .8em .2em 0;vertical-align:top}ul.scopes li{font-family:monospace}";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn basic(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let encoded = STANDARD.encode("sandbox-web:sandbox-web-secret");
        let client = authenticate_client(&basic(&format!("Basic {encoded}")), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-web");
        // %2D is '-': a correctly form-encoded id must decode to the same client.
        let encoded = STANDARD.encode("sandbox%2Dweb:sandbox-web-secret");
        let client = authenticate_client(&basic(&format!("basic {encoded}")), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-web");
        let encoded = STANDARD.encode("sandbox-web:wrong");
        let err = authenticate_client(&basic(&format!("Basic {encoded}")), &Params::default())
            .unwrap_err();
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert!(err.basic_challenge);
    }

    #[test]
    fn form_decode_handles_plus_and_percent() {
        assert_eq!(form_decode("a+b%3Ac%25").as_deref(), Some("a b:c%"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
    }

    #[test]
    fn repeated_parameters_are_rejected() {
        let params = Params::parse(b"scope=a&scope=b&resource=x&resource=y&empty=");
        assert!(params.single("scope").is_err());
        assert_eq!(params.all("resource"), vec!["x", "y"]);
        assert_eq!(params.single("empty").unwrap(), None);
    }

    #[test]
    fn public_client_must_not_send_secret() {
        let params = Params::parse(b"client_id=sandbox-native&client_secret=x");
        assert!(authenticate_client(&HeaderMap::new(), &params).is_err());
        let params = Params::parse(b"client_id=sandbox-native");
        assert_eq!(
            authenticate_client(&HeaderMap::new(), &params).unwrap().id,
            "sandbox-native"
        );
        let params = Params::parse(b"client_id=sandbox-web");
        assert!(authenticate_client(&HeaderMap::new(), &params).is_err());
        // Basic with an empty password identifies a public client; not a confidential one.
        let empty = format!("Basic {}", STANDARD.encode("sandbox-native:"));
        let client = authenticate_client(&basic(&empty), &Params::default());
        assert_eq!(client.unwrap().id, "sandbox-native");
        let empty = format!("Basic {}", STANDARD.encode("sandbox-web:"));
        assert!(authenticate_client(&basic(&empty), &Params::default()).is_err());
    }
}
