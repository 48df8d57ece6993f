//! The sandbox's fixed demo clients and users, and the redirect URI rule they are held to.
//!
//! The credentials are public on purpose (printed at start, shown in the app): the sandbox is a
//! teaching and test provider on 127.0.0.1, and scripts depend on these names staying stable.

use std::fmt;

use grantscope_core::oauth::{AuthMethod, GrantKind};

/// Whether a client can keep a secret (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Holds a secret; authenticates with `client_secret_basic` or `client_secret_post`.
    Confidential,
    /// Holds no secret; identifies itself with `client_id` alone and must use PKCE.
    Public,
}

impl fmt::Display for ClientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientKind::Confidential => "confidential",
            ClientKind::Public => "public",
        })
    }
}

/// How a client proves who it is at the token, introspection, revocation and device
/// authorization endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`.
    Secret,
    /// A public client: `client_id` only.
    None,
    /// `private_key_jwt`: an assertion signed with the client's key (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// `client_secret_jwt`: an assertion HMAC-signed with the client secret.
    ClientSecretJwt,
    /// `tls_client_auth`: a certificate from the sandbox's test CA for the registered subject
    /// (RFC 8705 §2.1).
    TlsClientAuth,
    /// `self_signed_tls_client_auth`: the registered self-signed certificate (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl ClientAuth {
    /// The core's client authentication method(s) this registration accepts.
    pub fn methods(self) -> &'static [AuthMethod] {
        match self {
            ClientAuth::Secret => &[AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost],
            ClientAuth::None => &[AuthMethod::None],
            ClientAuth::PrivateKeyJwt => &[AuthMethod::PrivateKeyJwt],
            ClientAuth::ClientSecretJwt => &[AuthMethod::ClientSecretJwt],
            ClientAuth::TlsClientAuth => &[AuthMethod::TlsClientAuth],
            ClientAuth::SelfSignedTlsClientAuth => &[AuthMethod::SelfSignedTlsClientAuth],
        }
    }

    /// The `token_endpoint_auth_method` name(s).
    pub fn names(self) -> Vec<&'static str> {
        self.methods().iter().map(|m| m.as_str()).collect()
    }

    /// The first name (what a page shows in place of a secret).
    pub fn name(self) -> &'static str {
        self.methods().first().map_or("none", |m| m.as_str())
    }

    /// Whether the client authenticates with a certificate (and gets certificate-bound tokens).
    pub fn is_mtls(self) -> bool {
        matches!(
            self,
            ClientAuth::TlsClientAuth | ClientAuth::SelfSignedTlsClientAuth
        )
    }
}

/// The subject DN registered for the `tls_client_auth` client (RFC 8705 §2.1.2).
pub const MTLS_SUBJECT_DN: &str = "CN=sandbox-mtls";

/// The audience of access tokens when the request names no `resource` (RFC 9068 §3).
pub const DEFAULT_AUDIENCE: &str = "sandbox-api";

/// Every scope the sandbox knows.
pub const SCOPES_SUPPORTED: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "api:read",
    "api:write",
];

/// One of the sandbox's registered clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeededClient {
    /// `client_id`.
    pub id: &'static str,
    /// The demo secret of a confidential client; `None` for a public one.
    pub secret: Option<&'static str>,
    /// Confidential or public.
    pub kind: ClientKind,
    /// How it authenticates.
    pub auth: ClientAuth,
    /// One line for people: what the client stands for and which grants it may use.
    pub description: &'static str,
    /// The grants this client may use (their `grant_type` values: [`GrantKind::grant_type`]).
    pub grant_types: &'static [GrantKind],
    /// Registered redirect URIs; a loopback IP redirect matches on any port (RFC 8252 §7.3).
    pub redirect_uris: &'static [&'static str],
    /// The scopes this client may ask for.
    pub scopes: &'static [&'static str],
    /// The scope granted when a request names none.
    pub default_scope: &'static str,
}

impl SeededClient {
    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantKind) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether `redirect_uri` is registered for this client: an exact string match, except
    /// that a loopback IP redirect URI may carry any port (RFC 8252 §7.3).
    pub fn redirect_uri_registered(&self, redirect_uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| redirect_uri_matches(registered, redirect_uri))
    }

    /// The post-logout redirect URIs registered for this client (RP-Initiated Logout §3): a
    /// client that signs users in (it has redirect URIs) has [`SEEDED_POST_LOGOUT_URI`],
    /// on any port; the others, none.
    pub fn post_logout_redirect_uris(&self) -> &'static [&'static str] {
        if self.redirect_uris.is_empty() {
            &[]
        } else {
            &[SEEDED_POST_LOGOUT_URI]
        }
    }
}

/// The post-logout redirect URI of the seeded clients that sign users in: what the desktop
/// app's "Log out…" listens on by default (a loopback IP URI, so any port).
pub const SEEDED_POST_LOGOUT_URI: &str = "http://127.0.0.1/logged-out";

/// The registered clients, in the order they are printed.
pub const SEEDED_CLIENTS: &[SeededClient] = &[
    SeededClient {
        id: "sandbox-machine",
        secret: Some("sandbox-machine-secret"),
        kind: ClientKind::Confidential,
        auth: ClientAuth::Secret,
        description: "confidential service client: client credentials grant (machine to machine)",
        grant_types: &[GrantKind::ClientCredentials],
        redirect_uris: &[],
        scopes: &["api:read", "api:write"],
        default_scope: "api:read",
    },
    SeededClient {
        id: "sandbox-native",
        secret: None,
        kind: ClientKind::Public,
        auth: ClientAuth::None,
        description: "public native app: authorization code with PKCE S256 (loopback redirect \
                      http://127.0.0.1:ANY_PORT/callback), refresh token, device code (and the \
                      password grant, only with --unsafe-allow-password-grant)",
        grant_types: &[
            GrantKind::AuthorizationCode,
            GrantKind::RefreshToken,
            GrantKind::DeviceCode,
            GrantKind::Password,
        ],
        redirect_uris: &["http://127.0.0.1/callback"],
        scopes: &["openid", "profile", "email", "offline_access", "api:read"],
        default_scope: "openid profile",
    },
    SeededClient {
        id: "sandbox-ciba",
        secret: Some("sandbox-ciba-secret"),
        kind: ClientKind::Confidential,
        auth: ClientAuth::Secret,
        description: "confidential call-centre client: CIBA in poll mode (the user approves on \
                      the sandbox's start page, the \"phone\"); ping mode needs a registered \
                      client with its notification endpoint",
        grant_types: &[GrantKind::Ciba],
        redirect_uris: &[],
        scopes: &["openid", "profile", "email", "api:read"],
        default_scope: "openid",
    },
    SeededClient {
        id: "sandbox-web",
        secret: Some("sandbox-web-secret"),
        kind: ClientKind::Confidential,
        auth: ClientAuth::Secret,
        description: "confidential web app: authorization code (PKCE optional, checked when sent; \
                      redirect http://127.0.0.1:ANY_PORT/callback), refresh token (and the \
                      password grant, only with --unsafe-allow-password-grant)",
        grant_types: &[
            GrantKind::AuthorizationCode,
            GrantKind::RefreshToken,
            GrantKind::Password,
        ],
        redirect_uris: &["http://127.0.0.1/callback"],
        scopes: &[
            "openid",
            "profile",
            "email",
            "offline_access",
            "api:read",
            "api:write",
        ],
        default_scope: "openid profile",
    },
    SeededClient {
        id: "weird:client",
        secret: Some("p@ss:w/rd+%&="),
        kind: ClientKind::Confidential,
        auth: ClientAuth::Secret,
        description: "confidential service client whose id and secret hold reserved characters \
                      (: @ / + % & =): client credentials; Basic must form-encode both first \
                      (RFC 6749 §2.3.1)",
        grant_types: &[GrantKind::ClientCredentials],
        redirect_uris: &[],
        scopes: &["api:read"],
        default_scope: "api:read",
    },
    SeededClient {
        id: "sandbox-jwt",
        secret: None,
        kind: ClientKind::Confidential,
        auth: ClientAuth::PrivateKeyJwt,
        description: "service client authenticating with private_key_jwt (its key is generated \
                      into the key directory, see below): client credentials, JWT bearer \
                      (assertions it signs for a user), token exchange",
        grant_types: &[
            GrantKind::ClientCredentials,
            GrantKind::JwtBearer,
            GrantKind::TokenExchange,
        ],
        redirect_uris: &[],
        scopes: &["openid", "profile", "api:read", "api:write"],
        default_scope: "api:read",
    },
    SeededClient {
        id: "sandbox-fapi",
        secret: None,
        kind: ClientKind::Confidential,
        auth: ClientAuth::PrivateKeyJwt,
        description: "FAPI 2.0 web app: authorization code with PKCE S256, private_key_jwt with \
                      the sandbox-jwt client's key (redirect http://127.0.0.1:ANY_PORT/callback), \
                      refresh token; for the fapi2 preset (--preset fapi2)",
        grant_types: &[GrantKind::AuthorizationCode, GrantKind::RefreshToken],
        redirect_uris: &["http://127.0.0.1/callback"],
        scopes: &["openid", "profile", "email", "offline_access", "api:read"],
        default_scope: "openid profile",
    },
    SeededClient {
        id: "sandbox-hmac",
        secret: Some("sandbox-hmac-secret-0123456789abcdef-0123456789"),
        kind: ClientKind::Confidential,
        auth: ClientAuth::ClientSecretJwt,
        description: "service client authenticating with client_secret_jwt (HS256/384/512 with \
                      its secret): client credentials, token exchange",
        grant_types: &[GrantKind::ClientCredentials, GrantKind::TokenExchange],
        redirect_uris: &[],
        scopes: &["api:read", "api:write"],
        default_scope: "api:read",
    },
    SeededClient {
        id: "sandbox-mtls",
        secret: None,
        kind: ClientKind::Confidential,
        auth: ClientAuth::TlsClientAuth,
        description: "service client authenticating with tls_client_auth (a certificate for \
                      CN=sandbox-mtls from the sandbox's test CA) on the TLS listener; \
                      certificate-bound tokens: client credentials, token exchange",
        grant_types: &[GrantKind::ClientCredentials, GrantKind::TokenExchange],
        redirect_uris: &[],
        scopes: &["api:read", "api:write"],
        default_scope: "api:read",
    },
    SeededClient {
        id: "sandbox-selfsigned",
        secret: None,
        kind: ClientKind::Confidential,
        auth: ClientAuth::SelfSignedTlsClientAuth,
        description: "service client authenticating with self_signed_tls_client_auth (its \
                      registered self-signed certificate) on the TLS listener; \
                      certificate-bound tokens: client credentials",
        grant_types: &[GrantKind::ClientCredentials],
        redirect_uris: &[],
        scopes: &["api:read"],
        default_scope: "api:read",
    },
];

/// The registered clients (id, secret, kind, description and what they may do).
pub fn seeded_clients() -> &'static [SeededClient] {
    SEEDED_CLIENTS
}

/// Looks a client up by `client_id`.
pub fn find_client(id: &str) -> Option<&'static SeededClient> {
    SEEDED_CLIENTS.iter().find(|client| client.id == id)
}

/// One of the sandbox's demo users, who log in on the authorization and device pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeededUser {
    /// Login name.
    pub username: &'static str,
    /// Demo password (public, printed on the login page).
    pub password: &'static str,
    /// The stable `sub` claim.
    pub sub: &'static str,
    /// `name` claim (scope `profile`).
    pub name: &'static str,
    /// `email` claim (scope `email`).
    pub email: &'static str,
}

/// The demo users.
pub const SEEDED_USERS: &[SeededUser] = &[
    SeededUser {
        username: "alice",
        password: "alice-password",
        sub: "sandbox-user-alice",
        name: "Alice Example",
        email: "alice@example.com",
    },
    SeededUser {
        username: "bob",
        password: "bob-password",
        sub: "sandbox-user-bob",
        name: "Bob Example",
        email: "bob@example.com",
    },
];

/// The demo users (username, password, claims).
pub fn seeded_users() -> &'static [SeededUser] {
    SEEDED_USERS
}

/// Looks a user up by login name.
pub fn find_user(username: &str) -> Option<&'static SeededUser> {
    SEEDED_USERS.iter().find(|user| user.username == username)
}

/// Checks a login in constant time with respect to the password.
pub(crate) fn check_login(username: &str, password: &str) -> Option<&'static SeededUser> {
    let user = find_user(username)?;
    secrets_equal(user.password, password).then_some(user)
}

/// Constant-time comparison of two secrets.
pub(crate) fn secrets_equal(expected: &str, given: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), given.as_bytes()).is_ok()
}

/// Exact string match, except that when the registered URI is a loopback IP literal without a
/// port, the requested one may add `:PORT` right after the host (RFC 8252 §7.3). No other
/// normalisation (case, dot segments, trailing slash) is applied.
pub(crate) fn redirect_uri_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    for host in ["http://127.0.0.1", "http://[::1]"] {
        let (Some(reg_rest), Some(req_rest)) =
            (registered.strip_prefix(host), requested.strip_prefix(host))
        else {
            continue;
        };
        if !reg_rest.is_empty() && !reg_rest.starts_with('/') {
            continue;
        }
        let Some(after_colon) = req_rest.strip_prefix(':') else {
            continue;
        };
        let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
        let (port, rest) = after_colon.split_at(digits);
        let port_ok =
            !port.is_empty() && !port.starts_with('0') && port.parse::<u16>().is_ok_and(|p| p > 0);
        if port_ok && rest == reg_rest {
            return true;
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seeded_sign_in_clients_have_the_loopback_post_logout_uri() {
        let native = find_client("sandbox-native").unwrap();
        assert!(
            native
                .post_logout_redirect_uris()
                .iter()
                .any(|r| redirect_uri_matches(r, "http://127.0.0.1:38189/logged-out"))
        );
        assert!(
            !native
                .post_logout_redirect_uris()
                .iter()
                .any(|r| redirect_uri_matches(r, "http://127.0.0.1:38189/elsewhere"))
        );
        let machine = find_client("sandbox-machine").unwrap();
        assert!(machine.post_logout_redirect_uris().is_empty());
    }

    #[test]
    fn loopback_redirect_matches_any_port_but_nothing_else() {
        let reg = "http://127.0.0.1/callback";
        assert!(redirect_uri_matches(reg, "http://127.0.0.1/callback"));
        assert!(redirect_uri_matches(reg, "http://127.0.0.1:8080/callback"));
        assert!(redirect_uri_matches(reg, "http://127.0.0.1:65535/callback"));
        assert!(!redirect_uri_matches(
            reg,
            "http://127.0.0.1:65536/callback"
        ));
        assert!(!redirect_uri_matches(reg, "http://127.0.0.1:0/callback"));
        assert!(!redirect_uri_matches(reg, "http://127.0.0.1:/callback"));
        assert!(!redirect_uri_matches(reg, "http://127.0.0.1:80/callback/"));
        assert!(!redirect_uri_matches(
            reg,
            "http://127.0.0.1:80/callback?x=1"
        ));
        assert!(!redirect_uri_matches(reg, "http://127.0.0.1:80/Callback"));
        assert!(!redirect_uri_matches(reg, "http://localhost:80/callback"));
        assert!(!redirect_uri_matches(reg, "https://127.0.0.1:80/callback"));
        assert!(!redirect_uri_matches(
            reg,
            "http://127.0.0.1.evil.example/callback"
        ));
        assert!(!redirect_uri_matches(
            reg,
            "http://127.0.0.1:80@evil.example/callback"
        ));
        assert!(!redirect_uri_matches(
            reg,
            "http://127.0.0.1:80/callback#frag"
        ));
    }

    #[test]
    fn non_loopback_redirect_is_exact() {
        let reg = "https://app.example/cb";
        assert!(redirect_uri_matches(reg, "https://app.example/cb"));
        assert!(!redirect_uri_matches(reg, "https://app.example:443/cb"));
    }

    #[test]
    fn seeded_clients_are_consistent() {
        for client in seeded_clients() {
            assert_eq!(
                client.secret.is_some(),
                matches!(
                    client.auth,
                    ClientAuth::Secret | ClientAuth::ClientSecretJwt
                )
            );
            assert_eq!(
                client.kind == ClientKind::Public,
                client.auth == ClientAuth::None
            );
            for scope in client.default_scope.split(' ') {
                assert!(client.scopes.contains(&scope), "{} {scope}", client.id);
            }
        }
        assert!(find_client("sandbox-native").is_some());
        // Every grant of the core's registry can be run here: some seeded client may use it.
        for grant in grantscope_core::oauth::grants::GRANTS {
            assert!(
                seeded_clients().iter().any(|c| c.allows_grant(grant.kind)),
                "no seeded client may use {}",
                grant.name
            );
        }
        assert!(check_login("alice", "alice-password").is_some());
        assert!(check_login("alice", "bob-password").is_none());
    }
}
