//! Which probes a client can run, said before the run: the grant types the client may use
//! (where a registry knows them, e.g. the sandbox's seeded clients), those the server publishes
//! (`grant_types_supported`), a redirect URI to listen on, and whether the client is
//! confidential. A probe that asks for a login runs the authorization code grant; one that
//! [`Need::Refresh`]es needs refresh tokens; [`Need::Confidential`] a client that
//! authenticates. The plan skips what cannot run, with the reason, instead of letting each
//! probe end inconclusive on the server's refusal.

use url::Url;

use crate::model::Probe;
use crate::verdict::Need;

/// What is known of the client (and its server) before the run.
#[derive(Debug, Clone, Default)]
pub struct ClientFacts {
    /// The grant types this client may use, when a registry says so.
    pub grant_types: Option<Vec<String>>,
    /// Where `grant_types` came from ("the sandbox's registration").
    pub grant_types_from: &'static str,
    /// The grant types the server publishes (`grant_types_supported`), when it does.
    pub server_grant_types: Option<Vec<String>>,
    /// Whether the client authenticates (a secret, a key or a certificate).
    pub confidential: bool,
    /// The redirect URI the profile names (none: the listener picks one on 127.0.0.1).
    pub redirect_uri: Option<Url>,
}

const CODE: &str = "authorization_code";
const REFRESH: &str = "refresh_token";

impl ClientFacts {
    /// Why the client cannot use `grant_type`, if it cannot.
    fn refuses(&self, grant_type: &str) -> Option<String> {
        if let Some(g) = &self.grant_types
            && !g.iter().any(|t| t == grant_type)
        {
            return Some(format!(
                "this client may not use the {grant_type} grant (it may use {}, per {})",
                if g.is_empty() {
                    "none".to_string()
                } else {
                    g.join(", ")
                },
                self.grant_types_from
            ));
        }
        if let Some(g) = &self.server_grant_types
            && !g.iter().any(|t| t == grant_type)
        {
            return Some(format!(
                "the server does not list {grant_type} in its grant_types_supported ({})",
                g.join(", ")
            ));
        }
        None
    }

    /// Why `p` cannot run with this client, if it cannot.
    pub fn why_not(&self, p: &Probe) -> Option<String> {
        let code = p.logins > 0 || p.needs.contains(&Need::Confidential);
        if code && let Some(why) = self.refuses(CODE) {
            return Some(format!("needs the authorization code grant: {why}"));
        }
        if p.logins > 0
            && let Some(u) = &self.redirect_uri
            && !grantscope_core::oauth::loopback::is_loopback(u)
        {
            return Some(format!(
                "needs a loopback redirect URI to listen on (http://127.0.0.1:PORT/...); {u} is not one"
            ));
        }
        if p.needs.contains(&Need::Refresh)
            && let Some(why) = self.refuses(REFRESH)
        {
            return Some(format!("needs refresh tokens: {why}"));
        }
        if p.needs.contains(&Need::Confidential) && !self.confidential {
            return Some(
                "needs a confidential client (one that authenticates); this one is public".into(),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_credentials_client_runs_only_what_needs_no_code_grant() {
        let facts = ClientFacts {
            grant_types: Some(vec!["client_credentials".into()]),
            grant_types_from: "the registry",
            confidential: true,
            ..ClientFacts::default()
        };
        let runnable: Vec<&str> = crate::PROBES
            .iter()
            .filter(|p| facts.why_not(p).is_none())
            .map(|p| p.id)
            .collect();
        // The client-assertion probes judge the client's authentication with a made-up code.
        assert_eq!(
            runnable,
            vec![
                "grants.legacy",
                "transport.https",
                "client-assertion.audience",
                "client-assertion.claims",
                "client-assertion.alg"
            ]
        );
        let why = facts
            .why_not(crate::find("state.echo").expect("state.echo"))
            .unwrap_or_default();
        assert!(
            why.contains("may not use the authorization_code grant (it may use client_credentials, per the registry)"),
            "{why}"
        );
        // A public code-flow client: everything but what needs a confidential one.
        let native = ClientFacts {
            grant_types: Some(vec![CODE.into(), REFRESH.into()]),
            ..ClientFacts::default()
        };
        let refused: Vec<&str> = crate::PROBES
            .iter()
            .filter(|p| native.why_not(p).is_some())
            .map(|p| p.id)
            .collect();
        assert_eq!(refused, vec!["client-auth.enforced"]);
    }
}
