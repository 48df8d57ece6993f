//! The desktop app's way to a server, over the core's one way in ([`grantscope_core::connect`]):
//! a profile is checked on the UI thread ([`prepare`], so a form error shows at once) and then
//! connected on the worker ([`Prepared::connect`]: the profile's HTTP options, discovery of both
//! metadata documents, a session whose exchanges are reported as they happen). Every screen
//! (flow runner, inspector calls, watch, auto-refresh, the JWKS lookup, "Fill from discovery")
//! goes through it, so all behave the same when discovery fails. Also words the core's typed
//! errors with this window's field labels ([`describe`]).

use grantscope_core::keys::KeyStore;
use grantscope_core::oauth::session::Observer;
use grantscope_core::oauth::{Connection, EndpointKind, FlowError, GrantInput, Missing};
use grantscope_core::profile::Profile;

/// A profile checked on the UI thread, ready to connect.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The profile as it will be used (a form may have adjusted it, e.g. the redirect URI).
    pub profile: Profile,
    /// Where the keys the profile names are found (the app's config directory's store).
    pub keys: KeyStore,
    /// The issuer's metadata read earlier in the same chain (the wizard's API discovery):
    /// reused instead of fetched again.
    pub known: Option<Box<grantscope_core::oauth::discovery::Discovery>>,
}

/// Checks a profile: its URLs parse and its HTTP options are usable (keys it names are looked
/// up in `keys`).
pub fn prepare(profile: &Profile, keys: &KeyStore) -> Result<Prepared, FlowError> {
    profile
        .client_config()
        .map_err(|e| FlowError::Config(e.to_string()))?;
    profile
        .http
        .to_options(keys)
        .map_err(|e| FlowError::Config(e.to_string()))?;
    Ok(Prepared {
        profile: profile.clone(),
        keys: keys.clone(),
        known: None,
    })
}

impl Prepared {
    /// Connects: endpoints resolved (`wants` are the endpoints the job needs), session open.
    pub async fn connect(
        self,
        wants: &[EndpointKind],
        observer: Option<Observer>,
    ) -> Result<Connection, FlowError> {
        grantscope_core::connect::connect_known(
            &self.profile,
            &self.keys,
            wants,
            observer,
            self.known.as_deref(),
        )
        .await
    }
}

/// The label of the field that sets an endpoint, in the flow runner and the profile editor: the
/// endpoint registry's form label.
pub fn endpoint_field(kind: EndpointKind) -> &'static str {
    kind.form_label()
}

/// What is missing, said with the field to fill in.
fn missing_words(m: &Missing) -> String {
    match m {
        Missing::Endpoint(k) => format!(
            "no {} is known: fill in {} (or Issuer, whose discovery documents name it)",
            k.title(),
            endpoint_field(*k)
        ),
        Missing::AnyEndpoint(ks) => format!(
            "fill in one of {} (or Issuer, whose discovery documents name them)",
            ks.iter()
                .map(|k| endpoint_field(*k))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Missing::ClientId => "fill in Client ID".into(),
        Missing::ConfidentialClient => "this needs a confidential client: fill in Client secret \
                                        (and a Client authentication other than none)"
            .into(),
        Missing::ClientCertificate => "this method presents a client certificate on every call: \
                                       fill in Client certificate (a stored key that has one, or \
                                       a PEM file)"
            .into(),
        // The form labels are the registry's (`GrantInput::form_label`), the fields' own.
        Missing::Input(GrantInput::Assertion) => "fill in Assertion, or Assertion claims to sign \
                                                  with the profile's Signing key"
            .into(),
        Missing::Input(GrantInput::SigningKey) => {
            "fill in Signing key (Profiles: Client authentication)".into()
        }
        Missing::Input(i) => format!("fill in {}", i.form_label()),
    }
}

/// An error as this window says it: what is missing is named by the field to fill in; the
/// arrows of the core's messages (which the window's font lacks) become `->`.
pub fn describe(e: &FlowError) -> String {
    let text = match e {
        FlowError::Missing { needed_by, what } => format!("{needed_by}: {}", missing_words(what)),
        other => other.to_string(),
    };
    text.replace('→', "->").replace('←', "<-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_things_are_named_by_their_field() {
        let e = FlowError::missing(
            "introspection",
            Missing::Endpoint(EndpointKind::Introspection),
        );
        let text = describe(&e);
        assert!(text.contains("fill in Introspection endpoint"), "{text}");
        assert!(!text.contains("--"), "no command-line flag: {text}");
        let e = FlowError::missing("refresh", Missing::Input(GrantInput::RefreshToken));
        assert_eq!(describe(&e), "refresh: fill in Refresh token");
        assert!(describe(&FlowError::missing("x", Missing::ClientId)).ends_with("Client ID"));
        assert_eq!(describe(&FlowError::Config("a → b".into())), "a -> b");
        // Every input the core can miss is worded with a field to fill in, none with the
        // command line (the registry's list: a new input is covered here by itself).
        for input in GrantInput::ALL {
            let text = describe(&FlowError::missing("grant", Missing::Input(input)));
            assert!(text.starts_with("grant: fill in "), "{text}");
            assert!(
                !text.contains("command line") && !text.contains("--"),
                "{text}"
            );
        }
    }
}
