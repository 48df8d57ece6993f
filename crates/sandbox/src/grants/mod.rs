//! The grants at the token endpoint, one module per grant as in the client's
//! `grantscope_core::oauth::grants`; [`redeem`] is the one dispatch from a grant to its module,
//! an exhaustive match on the core's [`GrantKind`] with no fallback arm: a grant added to the
//! core's registry does not compile here until it has its module (and a line in
//! [`crate::state::config::SandboxConfig::offers`] saying whether the sandbox offers it).

pub(crate) mod authorization_code;
pub(crate) mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod jwt_bearer;
pub(crate) mod password;
pub(crate) mod refresh_token;
pub(crate) mod token_exchange;

use grantscope_core::oauth::GrantKind;
use serde_json::Value;

use crate::protocol::client_auth::Authenticated;
use crate::protocol::wire::{OAuthError, Params};
use crate::state::app::App;

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
