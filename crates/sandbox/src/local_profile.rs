//! The "Local sandbox" profile: which of the sandbox's seeded clients it uses for a grant (the
//! machine client for client credentials, the public native client for the grants with a user,
//! the `private_key_jwt` client for JWT bearer and token exchange), the redirect URI and grant
//! types registered for it, and how a running sandbox fills it in. The rule reads the seeded
//! clients' table, so it lives beside it, where every face (the desktop app, the command line)
//! can use it.

use url::Url;

use std::path::PathBuf;

use crate::state::clients::{ClientAuth, SeededClient, find_client, seeded_clients};
use grantscope_core::oauth::{AuthMethod, GrantKind};
use grantscope_core::profile::Profile;

/// The name of the profile that runs against the built-in sandbox.
pub const SANDBOX_PROFILE: &str = "Local sandbox";

/// Puts the sandbox's seeded client for `grant` into the sandbox profile (other profiles are left
/// alone): the machine client for client credentials, the public native client for the grants
/// with a user, the `private_key_jwt` client for JWT bearer and token exchange (its key is filled
/// in when the run starts, [`RunningSandbox::fill`]).
pub fn sandbox_client_for(grant: GrantKind, p: &mut Profile) {
    if p.name != SANDBOX_PROFILE {
        return;
    }
    let client = seeded_clients()
        .iter()
        .find(|c| {
            c.allows_grant(grant) && (c.secret.is_none() || grant == GrantKind::ClientCredentials)
        })
        // CIBA authenticates its client: its seeded client is confidential.
        .or_else(|| seeded_clients().iter().find(|c| c.allows_grant(grant)))
        .or_else(|| seeded_clients().first());
    if let Some(c) = client {
        put_client(c, grant, p);
    }
}

/// Puts the seeded client `id` into the sandbox profile (the Probes window's choice of client);
/// other profiles and unknown ids are left alone.
pub fn use_sandbox_client(id: &str, p: &mut Profile) {
    if p.name != SANDBOX_PROFILE {
        return;
    }
    if let Some(c) = find_client(id) {
        put_client(c, GrantKind::AuthorizationCode, p);
    }
}

/// The sandbox's seeded clients: their IDs and what each stands for.
pub fn sandbox_clients() -> impl Iterator<Item = (&'static str, &'static str)> {
    seeded_clients().iter().map(|c| (c.id, c.description))
}

/// The grant types the sandbox registered for the sandbox profile's client (`None` for other
/// profiles, whose registration grantscope cannot see).
pub fn registered_grant_types(p: &Profile) -> Option<Vec<String>> {
    if p.name != SANDBOX_PROFILE {
        return None;
    }
    find_client(&p.client_id).map(|c| {
        c.grant_types
            .iter()
            .map(|g| g.grant_type().to_owned())
            .collect()
    })
}

fn put_client(c: &SeededClient, grant: GrantKind, p: &mut Profile) {
    p.client_id = c.id.to_owned();
    p.client_secret = c.secret.map(Into::into);
    p.auth_method = match c.auth {
        ClientAuth::Secret => None,
        ClientAuth::None => Some(AuthMethod::None),
        ClientAuth::PrivateKeyJwt => Some(AuthMethod::PrivateKeyJwt),
        ClientAuth::ClientSecretJwt => Some(AuthMethod::ClientSecretJwt),
        ClientAuth::TlsClientAuth => Some(AuthMethod::TlsClientAuth),
        ClientAuth::SelfSignedTlsClientAuth => Some(AuthMethod::SelfSignedTlsClientAuth),
    };
    let scope = if grant == GrantKind::AuthorizationCode || grant == GrantKind::DeviceCode {
        "openid profile offline_access"
    } else {
        c.default_scope
    };
    p.scope = Some(scope.to_owned());
}

/// The running sandbox, as a run against it needs it.
#[derive(Debug, Clone)]
pub struct RunningSandbox {
    /// Its issuer (a restart may have moved it to another port).
    pub issuer: String,
    /// The key file of its `private_key_jwt` client (in the sandbox's key directory).
    pub jwt_key: Option<PathBuf>,
}

impl RunningSandbox {
    /// Points the sandbox profile `p` at the running sandbox: its issuer, and for the seeded
    /// client that signs with a key of its own, that key (unless the profile names one).
    pub fn fill(&self, p: &mut Profile) {
        p.issuer = Some(self.issuer.clone());
        let signs = p.auth_method == Some(AuthMethod::PrivateKeyJwt);
        if signs
            && p.auth.signing_key.as_deref().is_none_or(str::is_empty)
            && let Some(key) = &self.jwt_key
        {
            p.auth.signing_key = Some(key.display().to_string());
        }
    }
}

/// The redirect URI registered for the sandbox profile's seeded client (`None` for other
/// profiles), used when the redirect is pasted by hand.
pub fn sandbox_registered_redirect(p: &Profile) -> Option<Url> {
    if p.name != SANDBOX_PROFILE {
        return None;
    }
    let client = seeded_clients().iter().find(|c| c.id == p.client_id)?;
    client
        .redirect_uris
        .first()
        .and_then(|u| Url::parse(u).ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pasting_uses_the_sandbox_clients_registered_redirect_only() {
        let mut p = Profile::new(SANDBOX_PROFILE);
        sandbox_client_for(GrantKind::AuthorizationCode, &mut p);
        assert_eq!(
            sandbox_registered_redirect(&p).map(String::from),
            Some("http://127.0.0.1/callback".to_owned())
        );
        let mut other = p.clone();
        other.name = "my provider".into();
        assert_eq!(sandbox_registered_redirect(&other), None);
    }
}
