//! Errors of a flow, kept apart by cause: the server said no with an OAuth error (RFC 6749
//! §5.2), the request failed, the response did not parse, or the configuration is incomplete.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use serde_json::{Map, Value};

use super::endpoint::EndpointKind;
use crate::http::{BodyError, HttpError};

/// An OAuth error response from the token (or another) endpoint, or from a redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorResponse {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

impl OAuthErrorResponse {
    /// Reads an OAuth error out of a JSON body, if it is one.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        value.get("error")?.as_str()?;
        serde_json::from_value(value.clone()).ok()
    }

    /// A one-line hint at the usual cause of this error code.
    pub fn hint(&self) -> &'static str {
        hint(&self.error)
    }

    /// The hint worth showing beside the error: none when the code is not one we know and
    /// the server said why itself (`error_description`): the generic "see the server's
    /// documentation" would only contradict its specific reason.
    pub fn shown_hint(&self) -> Option<&'static str> {
        let known = hint(&self.error) != GENERIC_HINT;
        let described = self
            .error_description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty());
        (known || !described).then(|| self.hint())
    }
}

/// The hint for an error code [`hint`] does not know.
const GENERIC_HINT: &str = "see the server's documentation for this error code";

/// `. Hint: …` after an error's text, when [`OAuthErrorResponse::shown_hint`] has one.
fn hint_suffix(error: &OAuthErrorResponse) -> String {
    error
        .shown_hint()
        .map(|h| format!(". Hint: {h}"))
        .unwrap_or_default()
}

impl std::fmt::Display for OAuthErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Server-chosen text goes to a terminal: control characters (escape sequences that
        // retitle, clear or rewrite the screen) are shown escaped instead.
        write!(f, "{}", printable(&self.error))?;
        if let Some(d) = &self.error_description {
            write!(f, ": {}", printable(d))?;
        }
        Ok(())
    }
}

/// `text` made inert for a terminal: control characters, escape sequences and bidi
/// overrides shown escaped (`\u{1b}`), see [`crate::text::inert`].
pub fn printable(text: &str) -> String {
    crate::text::inert(text).into_owned()
}

/// The usual cause of each RFC 6749 / RFC 8628 / OIDC error code.
pub fn hint(code: &str) -> &'static str {
    match code {
        "invalid_request" => {
            "a required parameter is missing or repeated, or the request is malformed"
        }
        "invalid_client" => {
            "wrong client id or secret, or the wrong client authentication method (basic vs post vs none)"
        }
        "invalid_grant" => {
            "the code, refresh token or credentials are expired, already used, revoked, issued to another client, or the PKCE verifier / redirect URI does not match"
        }
        "unauthorized_client" => "this client is not allowed to use this grant type",
        "unsupported_grant_type" => "the server does not support this grant type",
        "invalid_scope" => "a requested scope is unknown or not allowed for this client",
        "invalid_target" => "a requested resource/audience is unknown or not allowed (RFC 8707)",
        "access_denied" => "the user or the server refused the request",
        "unsupported_response_type" => "the server does not support this response_type",
        "server_error" => "the server failed; look at its logs",
        "temporarily_unavailable" => {
            "the server is overloaded or down for maintenance; retry later"
        }
        "authorization_pending" => "the user has not finished on the verification page yet",
        "slow_down" => "polling too fast; the interval goes up by 5 s",
        "expired_token" => "the device code expired before the user approved; start again",
        "login_required" | "consent_required" | "interaction_required" => {
            "the server needs the user to log in or consent (prompt=none cannot be satisfied)"
        }
        "invalid_token" => "the token is expired, revoked, malformed or for another audience",
        "invalid_authorization_details" => {
            "an authorization_details entry is malformed, or of a type the server or this client does not accept (RFC 9396 §5)"
        }
        "use_dpop_nonce" => "the server wants its DPoP nonce in the proof (RFC 9449 §8)",
        "invalid_dpop_proof" => {
            "the DPoP proof was refused: wrong htm/htu, stale iat, reused jti, or another key (RFC 9449 §4.3)"
        }
        "invalid_request_object" => {
            "the request object is unsigned, badly signed, expired or for another audience (RFC 9101 §6.2)"
        }
        "insufficient_scope" => "the token lacks a scope this call needs",
        _ => GENERIC_HINT,
    }
}

/// A value a grant or call needs from the user (not from the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantInput {
    RefreshToken,
    Username,
    Password,
    /// The registered redirect URI (pasting the redirect needs it).
    RedirectUri,
    /// The token a lifecycle call is about.
    Token,
    /// The signing key of `private_key_jwt` or a JWT bearer assertion.
    SigningKey,
    /// The JWT bearer grant's assertion (or claims to build it from).
    Assertion,
    /// Token exchange's subject token and its type.
    SubjectToken,
    /// Token exchange's actor token and its type: both or neither.
    ActorToken,
    /// CIBA: who is to approve (`login_hint`).
    LoginHint,
}

impl GrantInput {
    pub fn title(self) -> &'static str {
        match self {
            GrantInput::RefreshToken => "a refresh token",
            GrantInput::Username => "a username",
            GrantInput::Password => "a password",
            GrantInput::RedirectUri => "the registered redirect URI",
            GrantInput::Token => "a token",
            GrantInput::SigningKey => "a signing key",
            GrantInput::Assertion => "an assertion (or claims and a signing key)",
            GrantInput::SubjectToken => "a subject token and its type",
            GrantInput::ActorToken => "an actor token with its type (both or neither)",
            GrantInput::LoginHint => "the user to authenticate (a login hint)",
        }
    }

    /// Every input.
    pub const ALL: [GrantInput; 10] = [
        GrantInput::RefreshToken,
        GrantInput::Username,
        GrantInput::Password,
        GrantInput::RedirectUri,
        GrantInput::Token,
        GrantInput::SigningKey,
        GrantInput::Assertion,
        GrantInput::SubjectToken,
        GrantInput::ActorToken,
        GrantInput::LoginHint,
    ];

    /// The command line's flag that gives it (`None`: a positional argument).
    pub fn cli_flag(self) -> Option<&'static str> {
        match self {
            GrantInput::RefreshToken => Some("--refresh-token"),
            GrantInput::Username => Some("--username"),
            GrantInput::Password => Some("--password"),
            GrantInput::RedirectUri => Some("--redirect-uri"),
            GrantInput::Token => None,
            GrantInput::SigningKey => Some("--signing-key"),
            GrantInput::Assertion => Some("--assertion"),
            GrantInput::SubjectToken => Some("--subject-token"),
            GrantInput::ActorToken => Some("--actor-token"),
            GrantInput::LoginHint => Some("--login-hint"),
        }
    }

    /// The label of the form field that gives it.
    pub fn form_label(self) -> &'static str {
        match self {
            GrantInput::RefreshToken => "Refresh token",
            GrantInput::Username => "Username",
            GrantInput::Password => "Password",
            GrantInput::RedirectUri => "Redirect URI",
            GrantInput::Token => "Token",
            GrantInput::SigningKey => "Signing key",
            GrantInput::Assertion => "Assertion",
            GrantInput::SubjectToken => "Subject token",
            GrantInput::ActorToken => "Actor token",
            GrantInput::LoginHint => "Login hint",
        }
    }
}

/// What is missing from the configuration, as data: each face words it its own way (the
/// command line names its flag, the desktop app the form field's label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// An endpoint that neither the settings nor the discovery documents name.
    Endpoint(EndpointKind),
    /// At least one of these endpoints.
    AnyEndpoint(Vec<EndpointKind>),
    ClientId,
    /// A confidential client: a secret (or another credential) to authenticate with.
    ConfidentialClient,
    /// A client certificate and its key, for a method that presents one on every call
    /// (mutual TLS).
    ClientCertificate,
    Input(GrantInput),
}

impl Missing {
    /// Neutral wording, naming neither flags nor form fields.
    pub fn describe(&self) -> String {
        match self {
            Missing::Endpoint(k) => format!(
                "no {} is known: set the issuer (its discovery documents name it) or the {} itself",
                k.title(),
                k.title()
            ),
            Missing::AnyEndpoint(ks) => format!(
                "none of these is known: {}; set the issuer (discovery) or one of them",
                ks.iter().map(|k| k.title()).collect::<Vec<_>>().join(", ")
            ),
            Missing::ClientId => "no client id is set".into(),
            Missing::ConfidentialClient => {
                "this needs a confidential client: set the client secret and a client authentication method other than none".into()
            }
            Missing::ClientCertificate => "this method presents a client certificate on every \
                call: set the client certificate and its key (or a stored key that has one)"
                .into(),
            Missing::Input(i) => format!("{} is needed", i.title()),
        }
    }
}

/// Why a flow did not produce tokens.
#[derive(Debug, Error)]
pub enum FlowError {
    /// Missing or contradictory settings: the user must fix the configuration (exit 2).
    #[error("{0}")]
    Config(String),
    /// A setting or input the flow needs is missing (exit 2); `needed_by` names the flow.
    #[error("{needed_by}: {}", what.describe())]
    Missing {
        needed_by: &'static str,
        what: Missing,
    },
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("the {what} response is not usable: {source}")]
    Body {
        what: &'static str,
        #[source]
        source: BodyError,
    },
    #[error("the server answered {error} (HTTP {status}){hint}", hint = hint_suffix(error))]
    OAuth {
        status: u16,
        error: OAuthErrorResponse,
    },
    #[error("the server answered HTTP {status} without an OAuth error: {excerpt}")]
    Status { status: u16, excerpt: String },
    #[error("the authorization server redirected back with {error}{hint}", hint = hint_suffix(error))]
    AuthorizationDenied { error: OAuthErrorResponse },
    #[error("{0}")]
    Redirect(String),
    /// The device code expired before the user approved (RFC 8628 §3.5).
    #[error("{0}")]
    DeviceCodeExpired(String),
    #[error("{0}")]
    Discovery(String),
    #[error("cancelled")]
    Cancelled,
}

impl FlowError {
    /// A missing setting or input, for the flow named.
    pub fn missing(needed_by: &'static str, what: Missing) -> Self {
        FlowError::Missing { needed_by, what }
    }

    /// The process exit status the command line uses: 2 for configuration, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            FlowError::Config(_) | FlowError::Missing { .. } => 2,
            _ => 1,
        }
    }

    /// The OAuth error code, when the server gave one.
    pub fn oauth_code(&self) -> Option<&str> {
        match self {
            FlowError::OAuth { error, .. } | FlowError::AuthorizationDenied { error } => {
                Some(&error.error)
            }
            _ => None,
        }
    }

    /// The `kind` member of the JSON error shape.
    pub fn kind(&self) -> &'static str {
        match self {
            FlowError::Config(_) | FlowError::Missing { .. } => "config",
            FlowError::Http(_) => "transport",
            FlowError::Body { .. } => "response",
            FlowError::OAuth { .. } | FlowError::Status { .. } => "server",
            FlowError::AuthorizationDenied { .. } | FlowError::Redirect(_) => "redirect",
            FlowError::DeviceCodeExpired(_) => "expired",
            FlowError::Discovery(_) => "discovery",
            FlowError::Cancelled => "cancelled",
        }
    }

    /// The one JSON error shape of every command (DESIGN.md):
    /// `{message, code, description, hint, status, kind}`, each present (null when unknown).
    /// `message` is given by the caller, worded for its face.
    pub fn to_json_with(&self, message: String) -> Value {
        let (error, status) = match self {
            FlowError::OAuth { status, error } => (Some(error), Some(*status)),
            FlowError::AuthorizationDenied { error } => (Some(error), None),
            FlowError::Status { status, .. } => (None, Some(*status)),
            _ => (None, None),
        };
        let mut m = Map::new();
        m.insert("message".into(), Value::String(message));
        m.insert(
            "code".into(),
            error.map_or(Value::Null, |e| Value::String(e.error.clone())),
        );
        m.insert(
            "description".into(),
            error
                .and_then(|e| e.error_description.clone())
                .map_or(Value::Null, Value::String),
        );
        m.insert(
            "hint".into(),
            error.map_or(Value::Null, |e| Value::String(e.hint().into())),
        );
        m.insert("status".into(), status.map_or(Value::Null, Value::from));
        m.insert("kind".into(), Value::String(self.kind().into()));
        Value::Object(m)
    }
}
