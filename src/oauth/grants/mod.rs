//! One module per grant. Each takes a [`Session`](super::Session) and a
//! [`ClientConfig`](super::ClientConfig) and returns the token endpoint's answer.

pub mod authorization_code;
pub mod client_credentials;
pub mod device;
pub mod password;
pub mod refresh;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::TokenResponse;
use super::error::FlowError;
use crate::http::Exchange;

/// The grants grantscope runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    ClientCredentials,
    AuthorizationCode,
    RefreshToken,
    DeviceCode,
    /// Resource owner password credentials: deprecated by the OAuth 2.0 Security BCP.
    Password,
}

impl GrantKind {
    pub const ALL: [GrantKind; 5] = [
        GrantKind::AuthorizationCode,
        GrantKind::ClientCredentials,
        GrantKind::RefreshToken,
        GrantKind::DeviceCode,
        GrantKind::Password,
    ];

    /// The name in the `--json` output (`"grant"`).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::ClientCredentials => "client_credentials",
            GrantKind::AuthorizationCode => "authorization_code",
            GrantKind::RefreshToken => "refresh_token",
            GrantKind::DeviceCode => "device_code",
            GrantKind::Password => "password",
        }
    }

    /// The name on the command line.
    pub fn cli_name(self) -> &'static str {
        match self {
            GrantKind::ClientCredentials => "client-credentials",
            GrantKind::AuthorizationCode => "authorization-code",
            GrantKind::RefreshToken => "refresh-token",
            GrantKind::DeviceCode => "device-code",
            GrantKind::Password => "password",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            GrantKind::ClientCredentials => "Client Credentials",
            GrantKind::AuthorizationCode => "Authorization Code with PKCE",
            GrantKind::RefreshToken => "Refresh Token",
            GrantKind::DeviceCode => "Device Authorization",
            GrantKind::Password => "Password (deprecated)",
        }
    }

    pub fn deprecated(self) -> bool {
        matches!(self, GrantKind::Password)
    }
}

impl fmt::Display for GrantKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GrantKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GrantKind::ALL
            .into_iter()
            .find(|g| g.cli_name() == s || g.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown grant {s:?}; use client-credentials, authorization-code, refresh-token, device-code or password"
                )
            })
    }
}

/// Tokens obtained, with what is needed to validate them.
#[derive(Debug, Clone)]
pub struct TokenSuccess {
    /// The token endpoint's JSON, as received.
    pub raw: Value,
    pub tokens: TokenResponse,
    /// Refresh grant: whether the server sent a new refresh token (rotation). `None` for other grants.
    pub refresh_rotated: Option<bool>,
    /// The `nonce` sent, for ID token validation.
    pub nonce: Option<String>,
    /// The authorization code exchanged, for `c_hash`.
    pub code: Option<String>,
}

impl TokenSuccess {
    pub fn new(raw: Value, tokens: TokenResponse) -> Self {
        Self {
            raw,
            tokens,
            refresh_rotated: None,
            nonce: None,
            code: None,
        }
    }
}

/// What a grant run produced: tokens or an error, and every exchange either way.
#[derive(Debug)]
pub struct GrantOutcome {
    pub grant: GrantKind,
    pub result: Result<TokenSuccess, FlowError>,
    pub exchanges: Vec<Exchange>,
}
