//! The kinds of endpoint a server publishes, with their metadata names (RFC 8414 §2,
//! OpenID Connect Discovery §3). Commands say which they need; errors say which is missing.

use std::fmt;

use url::Url;

use super::Endpoints;

/// One endpoint of an authorization server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    Authorization,
    Token,
    DeviceAuthorization,
    Introspection,
    Revocation,
    Userinfo,
    Jwks,
    /// RFC 9126.
    PushedAuthorization,
}

impl EndpointKind {
    pub const ALL: [EndpointKind; 8] = [
        EndpointKind::Authorization,
        EndpointKind::Token,
        EndpointKind::DeviceAuthorization,
        EndpointKind::Introspection,
        EndpointKind::Revocation,
        EndpointKind::Userinfo,
        EndpointKind::Jwks,
        EndpointKind::PushedAuthorization,
    ];

    /// The member name in a metadata document (`token_endpoint`).
    pub fn metadata_name(self) -> &'static str {
        match self {
            EndpointKind::Authorization => "authorization_endpoint",
            EndpointKind::Token => "token_endpoint",
            EndpointKind::DeviceAuthorization => "device_authorization_endpoint",
            EndpointKind::Introspection => "introspection_endpoint",
            EndpointKind::Revocation => "revocation_endpoint",
            EndpointKind::Userinfo => "userinfo_endpoint",
            EndpointKind::Jwks => "jwks_uri",
            EndpointKind::PushedAuthorization => "pushed_authorization_request_endpoint",
        }
    }

    /// For people: "token endpoint".
    pub fn title(self) -> &'static str {
        match self {
            EndpointKind::Authorization => "authorization endpoint",
            EndpointKind::Token => "token endpoint",
            EndpointKind::DeviceAuthorization => "device authorization endpoint",
            EndpointKind::Introspection => "introspection endpoint",
            EndpointKind::Revocation => "revocation endpoint",
            EndpointKind::Userinfo => "userinfo endpoint",
            EndpointKind::Jwks => "JWKS URI",
            EndpointKind::PushedAuthorization => "pushed authorization request endpoint",
        }
    }

    pub fn get(self, e: &Endpoints) -> Option<&Url> {
        match self {
            EndpointKind::Authorization => e.authorization_endpoint.as_ref(),
            EndpointKind::Token => e.token_endpoint.as_ref(),
            EndpointKind::DeviceAuthorization => e.device_authorization_endpoint.as_ref(),
            EndpointKind::Introspection => e.introspection_endpoint.as_ref(),
            EndpointKind::Revocation => e.revocation_endpoint.as_ref(),
            EndpointKind::Userinfo => e.userinfo_endpoint.as_ref(),
            EndpointKind::Jwks => e.jwks_uri.as_ref(),
            EndpointKind::PushedAuthorization => e.pushed_authorization_request_endpoint.as_ref(),
        }
    }
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}
