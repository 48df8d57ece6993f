//! The one connection set-up of the desktop app: a profile becomes a client configuration, an
//! HTTP client with the profile's HTTP options, a session whose exchanges are reported as they
//! happen, and the endpoints filled by discovery when the profile names an issuer. Every screen
//! (flow runner, inspector calls, watch, auto-refresh, the JWKS lookup, "Fill from discovery")
//! goes through [`prepare`] and [`Prepared::connect`], so they behave the same when discovery
//! fails: the error names the document and why, and nothing runs.

use url::Url;

use crate::http::{HttpClient, HttpOptions};
use crate::oauth::session::Observer;
use crate::oauth::{ClientConfig, FlowError, Session, discovery};
use crate::profile::Profile;

/// A profile checked on the UI thread (so a form error shows at once), ready to connect.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The client configuration; endpoints typed in the profile win over discovered ones.
    pub cfg: ClientConfig,
    /// The issuer to discover, when the profile names one.
    pub issuer: Option<Url>,
    /// The HTTP options the connection uses.
    pub http: HttpOptions,
}

/// A ready connection.
pub struct Connection {
    /// The session (its observer reports every exchange).
    pub session: Session,
    /// The configuration with the discovered endpoints merged in.
    pub cfg: ClientConfig,
    /// The server announced `authorization_response_iss_parameter_supported`.
    pub require_iss: bool,
}

/// Checks a profile: its URLs parse and its issuer is a URL.
pub fn prepare(profile: &Profile) -> Result<Prepared, FlowError> {
    let cfg = profile
        .client_config()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    let issuer = match profile.issuer.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Some(
            Url::parse(s)
                .map_err(|e| FlowError::Config(format!("the Issuer field is not a URL: {e}")))?,
        ),
        _ => None,
    };
    Ok(Prepared {
        cfg,
        issuer,
        http: http_options(profile),
    })
}

/// The HTTP options for a profile's connections.
pub fn http_options(_profile: &Profile) -> HttpOptions {
    HttpOptions::default()
}

impl Prepared {
    /// Opens the session and runs discovery (when there is an issuer).
    pub async fn connect(self, observer: Option<Observer>) -> Result<Connection, FlowError> {
        let http = HttpClient::new(&self.http)?;
        let mut session = Session::new(http);
        if let Some(o) = observer {
            session = session.with_observer(o);
        }
        let mut cfg = self.cfg;
        let mut require_iss = false;
        if let Some(issuer) = &self.issuer {
            let d = discovery::discover(&mut session, issuer).await?;
            cfg.endpoints = cfg.endpoints.clone().or(&d.endpoints);
            require_iss = d.iss_parameter_supported;
        }
        Ok(Connection {
            session,
            cfg,
            require_iss,
        })
    }
}

/// The form fields of this window, by the command-line flag the core's messages name.
const FIELDS: [(&str, &str); 15] = [
    ("--issuer", "Issuer"),
    ("--authorization-endpoint", "Authorization endpoint"),
    ("--token-endpoint", "Token endpoint"),
    ("--device-authorization-endpoint", "Device endpoint"),
    ("--introspection-endpoint", "Introspection endpoint"),
    ("--revocation-endpoint", "Revocation endpoint"),
    ("--userinfo-endpoint", "Userinfo endpoint"),
    ("--jwks-uri", "JWKS URI"),
    ("--client-id", "Client ID"),
    ("--client-secret", "Client secret"),
    ("--redirect-uri", "Redirect URI"),
    ("--refresh-token", "Refresh token"),
    ("--username", "Username"),
    ("--password", "Password"),
    ("--auth-method", "Client authentication"),
];

/// An error as this window says it: a command-line flag in the core's message becomes the
/// label of the field to fill ("give --token-endpoint" reads "fill in Token endpoint").
pub fn worded(e: &FlowError) -> String {
    // The window's font has no arrows; the core's messages use them.
    let mut text = e.to_string().replace('→', "->").replace('←', "<-");
    for (flag, label) in FIELDS {
        for verb in ["give ", "pass ", "use "] {
            text = text.replace(&format!("{verb}{flag}"), &format!("fill in {label}"));
        }
        text = text.replace(flag, &format!("the {label} field"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_field_labels() {
        let e = FlowError::Config(
            "no token endpoint: give --token-endpoint or --issuer (discovery)".into(),
        );
        assert_eq!(
            worded(&e),
            "no token endpoint: fill in Token endpoint or the Issuer field (discovery)"
        );
        // A longer flag is not cut by a shorter one that starts the same.
        let e = FlowError::Config("give --device-authorization-endpoint".into());
        assert_eq!(worded(&e), "fill in Device endpoint");
    }
}
