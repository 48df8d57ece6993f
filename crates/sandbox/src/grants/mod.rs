//! The grants at the token endpoint, one module per grant as in the client's
//! `grantscope_core::oauth::grants`; [`redeem`] is the one dispatch from a grant to its module,
//! an exhaustive match on the core's [`GrantKind`] with no fallback arm, and [`offered`] says
//! (as exhaustively) which grants the token endpoint answers and discovery lists: a grant added
//! to the core's registry does not compile here until it has its module and its line in both.

pub(crate) mod authorization_code;
pub(crate) mod ciba;
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

/// The teaching switch that turns `grant` on, for a grant the token endpoint answers only behind
/// one (its refusal names the switch); `None` for the grants always answered.
pub(crate) fn switched_on_by(grant: GrantKind) -> Option<&'static str> {
    match grant {
        GrantKind::AuthorizationCode
        | GrantKind::ClientCredentials
        | GrantKind::RefreshToken
        | GrantKind::DeviceCode
        | GrantKind::JwtBearer
        | GrantKind::TokenExchange
        | GrantKind::Ciba => None,
        // Deprecated (RFC 9700 §2.4): only behind its teaching switch.
        GrantKind::Password => Some("unsafe-allow-password-grant"),
    }
}

/// Whether the token endpoint answers `grant` (and discovery lists it): always, or while the
/// switch [`switched_on_by`] names is on.
pub(crate) fn offered(config: &SandboxConfig, grant: GrantKind) -> bool {
    switched_on_by(grant).is_none_or(|name| {
        crate::state::switches::find_switch(name).is_some_and(|s| s.is_on(config))
    })
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
        GrantKind::Ciba => ciba::redeem(app, auth, params, jkt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_behind_a_switch_names_a_real_switch_that_turns_it_on() {
        for g in GRANTS {
            let off = SandboxConfig::default();
            match switched_on_by(g.kind) {
                None => assert!(offered(&off, g.kind), "{:?}", g.kind),
                Some(name) => {
                    assert!(!offered(&off, g.kind), "{:?}", g.kind);
                    let switch = crate::state::switches::find_switch(name)
                        .unwrap_or_else(|| panic!("{name} is no switch"));
                    let mut on = SandboxConfig::default();
                    (switch.set)(&mut on, true);
                    assert!(offered(&on, g.kind), "{name} turns {:?} on", g.kind);
                }
            }
        }
    }
}
