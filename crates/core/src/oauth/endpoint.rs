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
    /// RFC 7591 dynamic client registration.
    Registration,
    /// OpenID Connect Client-Initiated Backchannel Authentication (CIBA).
    BackchannelAuthentication,
    /// OpenID Connect RP-Initiated Logout.
    EndSession,
}

/// One row of the endpoint registry: everything the faces say about an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointSpec {
    pub kind: EndpointKind,
    /// The member name in a metadata document (`token_endpoint`).
    pub metadata_name: &'static str,
    /// For people: "token endpoint".
    pub title: &'static str,
    /// The command line's flag that sets it.
    pub cli_flag: &'static str,
    /// The label of the desktop app's field that sets it.
    pub form_label: &'static str,
}

/// The endpoint registry, in [`EndpointKind::ALL`]'s order.
pub const ENDPOINTS: [EndpointSpec; 11] = [
    EndpointSpec {
        kind: EndpointKind::Authorization,
        metadata_name: "authorization_endpoint",
        title: "authorization endpoint",
        cli_flag: "--authorization-endpoint",
        form_label: "Authorization endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::Token,
        metadata_name: "token_endpoint",
        title: "token endpoint",
        cli_flag: "--token-endpoint",
        form_label: "Token endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::DeviceAuthorization,
        metadata_name: "device_authorization_endpoint",
        title: "device authorization endpoint",
        cli_flag: "--device-authorization-endpoint",
        form_label: "Device endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::Introspection,
        metadata_name: "introspection_endpoint",
        title: "introspection endpoint",
        cli_flag: "--introspection-endpoint",
        form_label: "Introspection endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::Revocation,
        metadata_name: "revocation_endpoint",
        title: "revocation endpoint",
        cli_flag: "--revocation-endpoint",
        form_label: "Revocation endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::Userinfo,
        metadata_name: "userinfo_endpoint",
        title: "userinfo endpoint",
        cli_flag: "--userinfo-endpoint",
        form_label: "Userinfo endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::Jwks,
        metadata_name: "jwks_uri",
        title: "JWKS URI",
        cli_flag: "--jwks-uri",
        form_label: "JWKS URI",
    },
    EndpointSpec {
        kind: EndpointKind::PushedAuthorization,
        metadata_name: "pushed_authorization_request_endpoint",
        title: "pushed authorization request endpoint",
        cli_flag: "--pushed-authorization-request-endpoint",
        form_label: "PAR endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::Registration,
        metadata_name: "registration_endpoint",
        title: "registration endpoint",
        cli_flag: "--registration-endpoint",
        form_label: "Registration endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::BackchannelAuthentication,
        metadata_name: "backchannel_authentication_endpoint",
        title: "backchannel authentication endpoint",
        cli_flag: "--backchannel-authentication-endpoint",
        form_label: "CIBA endpoint",
    },
    EndpointSpec {
        kind: EndpointKind::EndSession,
        metadata_name: "end_session_endpoint",
        title: "end session endpoint",
        cli_flag: "--end-session-endpoint",
        form_label: "End session endpoint",
    },
];

impl EndpointKind {
    /// Every kind, in the registry's order.
    pub const ALL: [EndpointKind; ENDPOINTS.len()] = {
        let mut all = [EndpointKind::Token; ENDPOINTS.len()];
        let mut i = 0;
        while i < ENDPOINTS.len() {
            all[i] = ENDPOINTS[i].kind;
            i += 1;
        }
        all
    };

    /// This kind's row of [`ENDPOINTS`].
    pub fn spec(self) -> &'static EndpointSpec {
        ENDPOINTS
            .iter()
            .find(|e| e.kind == self)
            .unwrap_or(&ENDPOINTS[1])
    }

    /// The member name in a metadata document (`token_endpoint`).
    pub fn metadata_name(self) -> &'static str {
        self.spec().metadata_name
    }

    /// For people: "token endpoint".
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// The command line's flag that sets it (`--token-endpoint`).
    pub fn cli_flag(self) -> &'static str {
        self.spec().cli_flag
    }

    /// The label of the desktop app's field that sets it.
    pub fn form_label(self) -> &'static str {
        self.spec().form_label
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
            EndpointKind::Registration => e.registration_endpoint.as_ref(),
            EndpointKind::BackchannelAuthentication => {
                e.backchannel_authentication_endpoint.as_ref()
            }
            EndpointKind::EndSession => e.end_session_endpoint.as_ref(),
        }
    }

    /// The settable slot of this endpoint in `e` (the one place that maps kinds to fields).
    pub fn slot(self, e: &mut Endpoints) -> &mut Option<Url> {
        match self {
            EndpointKind::Authorization => &mut e.authorization_endpoint,
            EndpointKind::Token => &mut e.token_endpoint,
            EndpointKind::DeviceAuthorization => &mut e.device_authorization_endpoint,
            EndpointKind::Introspection => &mut e.introspection_endpoint,
            EndpointKind::Revocation => &mut e.revocation_endpoint,
            EndpointKind::Userinfo => &mut e.userinfo_endpoint,
            EndpointKind::Jwks => &mut e.jwks_uri,
            EndpointKind::PushedAuthorization => &mut e.pushed_authorization_request_endpoint,
            EndpointKind::Registration => &mut e.registration_endpoint,
            EndpointKind::BackchannelAuthentication => &mut e.backchannel_authentication_endpoint,
            EndpointKind::EndSession => &mut e.end_session_endpoint,
        }
    }
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row() {
        for kind in EndpointKind::ALL {
            assert_eq!(ENDPOINTS.iter().filter(|e| e.kind == kind).count(), 1);
            assert!(kind.cli_flag().starts_with("--"), "{kind:?}");
        }
        assert_eq!(EndpointKind::Jwks.metadata_name(), "jwks_uri");
    }
}
