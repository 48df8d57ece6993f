//! The grants at the token endpoint, one module per grant as in the client's
//! `grantscope_core::oauth::grants`; [`redeem`] is the one dispatch from a grant to its module,
//! an exhaustive match on the core's [`GrantKind`] with no fallback arm, and [`offered`] says
//! (as exhaustively) which grants the token endpoint answers and discovery lists: a grant added
//! to the core's registry does not compile here until it has its module and its line in both.

pub(crate) mod authorization_code;
pub(crate) mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod jwt_bearer;
pub(crate) mod password;
pub(crate) mod refresh_token;
pub(crate) mod token_exchange;

use grantscope_core::oauth::GrantKind;
use grantscope_core::oauth::grants::GRANTS;
use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;
use crate::state::config::SandboxConfig;

/// Whether the token endpoint answers `grant` (and discovery lists it).
pub(crate) fn offered(config: &SandboxConfig, grant: GrantKind) -> bool {
    match grant {
        GrantKind::AuthorizationCode
        | GrantKind::ClientCredentials
        | GrantKind::RefreshToken
        | GrantKind::DeviceCode
        | GrantKind::JwtBearer
        | GrantKind::TokenExchange => true,
        // Deprecated (RFC 9700 §2.4): only behind its teaching switch.
        GrantKind::Password => config.unsafe_switches.allow_password_grant,
    }
}

/// The grants offered, in the core registry's order.
pub(crate) fn offered_grants(config: &SandboxConfig) -> Vec<GrantKind> {
    GRANTS
        .iter()
        .map(|g| g.kind)
        .filter(|k| offered(config, *k))
        .collect()
}

/// Answers a token request of `grant` from an authenticated client allowed to use it; `jkt` is
/// the thumbprint of a verified DPoP proof's key.
pub(crate) fn redeem(
    grant: GrantKind,
    app: &App,
    auth: &Authenticated,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    match grant {
        GrantKind::AuthorizationCode => authorization_code::redeem(app, auth, params, jkt),
        GrantKind::ClientCredentials => client_credentials::redeem(app, auth, params, jkt),
        GrantKind::RefreshToken => refresh_token::redeem(app, auth, params, jkt),
        GrantKind::DeviceCode => device_code::redeem(app, auth, params, jkt),
        GrantKind::Password => password::redeem(app, auth, params, jkt),
        GrantKind::JwtBearer => jwt_bearer::redeem(app, auth, params, jkt),
        GrantKind::TokenExchange => token_exchange::redeem(app, auth, params, jkt),
    }
}
