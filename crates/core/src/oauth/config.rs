//! What a flow needs to know about the server and the client: endpoints, credentials,
//! scopes, resources and redirect settings. Built from a profile, flags, and discovery.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use super::AuthMethod;
use super::endpoint::EndpointKind;
use crate::secret::ClientSecret;

/// The server's endpoints, from discovery or given by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Endpoints {
    pub issuer: Option<Url>,
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
    pub device_authorization_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub userinfo_endpoint: Option<Url>,
    pub jwks_uri: Option<Url>,
    /// RFC 9126 pushed authorization requests.
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// RFC 7591 dynamic client registration.
    pub registration_endpoint: Option<Url>,
    /// CIBA's backchannel authentication endpoint.
    pub backchannel_authentication_endpoint: Option<Url>,
    /// RP-Initiated Logout's end session endpoint.
    pub end_session_endpoint: Option<Url>,
}

impl Endpoints {
    /// Fills every endpoint that `self` lacks from `other` (flags override discovery).
    pub fn or(mut self, other: &Endpoints) -> Endpoints {
        if self.issuer.is_none() {
            self.issuer = other.issuer.clone();
        }
        for kind in EndpointKind::ALL {
            let slot = kind.slot(&mut self);
            if slot.is_none() {
                *slot = kind.get(other).cloned();
            }
        }
        self
    }

    /// Each endpoint with its metadata name, for display: the issuer, then the endpoint
    /// registry's order.
    pub fn named(&self) -> Vec<(&'static str, Option<&Url>)> {
        let mut out = vec![("issuer", self.issuer.as_ref())];
        out.extend(
            EndpointKind::ALL
                .into_iter()
                .map(|k| (k.metadata_name(), k.get(self))),
        );
        out
    }
}

/// PKCE choice. `Plain` and `Off` exist to test servers, not for real clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PkceMode {
    #[default]
    S256,
    #[serde(rename = "plain")]
    Plain,
    #[serde(rename = "off")]
    Off,
}

impl fmt::Display for PkceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PkceMode::S256 => "S256",
            PkceMode::Plain => "plain",
            PkceMode::Off => "off",
        })
    }
}

impl FromStr for PkceMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "S256" | "s256" => Ok(PkceMode::S256),
            "plain" => Ok(PkceMode::Plain),
            "off" | "none" => Ok(PkceMode::Off),
            other => Err(format!(
                "unknown PKCE mode {other:?}; use S256, plain or off"
            )),
        }
    }
}

/// A check the client makes of the server's answers that a tester may turn off to see what
/// the server then gets away with (step mode's tampering). Off only when asked for, by name;
/// every run with one off says so in its report and accepts nothing silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientCheck {
    /// The authorization response's `state` equals the one sent (RFC 6749 §10.12, CSRF).
    State,
    /// The authorization response's `iss` names the expected issuer (RFC 9207, mix-up).
    Iss,
    /// The ID token's `nonce` equals the one sent (OpenID Connect Core §3.1.3.7).
    Nonce,
}

impl ClientCheck {
    /// Every check that can be turned off.
    pub const ALL: [ClientCheck; 3] = [ClientCheck::State, ClientCheck::Iss, ClientCheck::Nonce];

    /// Its name (`state`, `iss`, `nonce`).
    pub fn as_str(self) -> &'static str {
        match self {
            ClientCheck::State => "state",
            ClientCheck::Iss => "iss",
            ClientCheck::Nonce => "nonce",
        }
    }

    /// What the check defends against, in a few words.
    pub fn defends(self) -> &'static str {
        match self {
            ClientCheck::State => "CSRF and stale answers (RFC 6749 §10.12)",
            ClientCheck::Iss => "mix-up attacks (RFC 9207)",
            ClientCheck::Nonce => "replayed ID tokens (OpenID Connect Core §3.1.3.7)",
        }
    }
}

impl std::fmt::Display for ClientCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClientCheck {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientCheck::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown client check {s:?}; use state, iss or nonce"))
    }
}

/// Everything a grant needs about the client and the request it makes.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    pub endpoints: Endpoints,
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    /// `None`: basic when there is a secret, `none` when there is not.
    pub auth_method: Option<AuthMethod>,
    /// Space-separated scopes, as sent.
    pub scope: Option<String>,
    /// RFC 8707 resource indicators.
    pub resources: Vec<String>,
    /// The non-standard `audience` parameter some servers (Auth0, Okta) want.
    pub audience: Option<String>,
    /// For authorization code: a fixed redirect URI. `None`: loopback on an ephemeral port.
    pub redirect_uri: Option<Url>,
    pub pkce: PkceMode,
    pub pkce_verifier_len: Option<usize>,
    /// Parameters added to (or overriding) the authorization request: `prompt`,
    /// `login_hint`, `acr_values`, `max_age`, `claims`, provider-specific ones.
    pub authorize_params: Vec<(String, String)>,
    /// Parameters added to (or overriding) every token request.
    pub token_params: Vec<(String, String)>,
    /// RFC 9126: push the authorization parameters first and send only a `request_uri`
    /// through the browser (also when the metadata requires it).
    pub par: bool,
    /// RFC 9396 `authorization_details`, compact JSON (an array of objects with a `type`).
    pub authorization_details: Option<String>,
    /// The `response_mode` asked for (`query`, `fragment`, `form_post`, and the JARM modes
    /// `jwt`, `query.jwt`, `fragment.jwt`, `form_post.jwt`); `None` sends none.
    pub response_mode: Option<String>,
    /// The `response_type` (default `code`); `token` and `id_token` ones are the deprecated
    /// implicit and the hybrid flows.
    pub response_type: Option<String>,
    /// RFC 9101: send the authorization request as a request object.
    pub request_object: super::request_object::RequestObject,
    /// What the client authentication methods need (signing key, assertion alg and aud).
    pub auth: super::client_auth::AuthSettings,
    /// Checks of the answers the tester turned off (never from a profile: per run only).
    pub checks_off: Vec<ClientCheck>,
    /// The client's private keys for the encrypted tokens it receives (JWE: ID tokens,
    /// JARM responses, userinfo and introspection responses), loaded by the one way in from
    /// the profile's `decryption_keys`.
    pub decryption: DecryptionKeys,
    /// Where a signing key given by name is looked up: the key store of the config directory
    /// the command or the app was given (set by the one way in, `connect`). `None`: only key
    /// files can be used.
    pub key_store: Option<crate::keys::KeyStore>,
}

/// The decryption keys of a client, shared by the clones of its configuration (a key is
/// parsed once). `Debug` shows their labels only.
#[derive(Clone, Default)]
pub struct DecryptionKeys(std::sync::Arc<Vec<crate::token::jwe::DecryptionKey>>);

impl DecryptionKeys {
    /// These keys.
    pub fn new(keys: Vec<crate::token::jwe::DecryptionKey>) -> DecryptionKeys {
        DecryptionKeys(std::sync::Arc::new(keys))
    }

    /// The keys, in the order given.
    pub fn keys(&self) -> &[crate::token::jwe::DecryptionKey] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for DecryptionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|k| k.label()))
            .finish()
    }
}

impl ClientConfig {
    /// Whether the tester turned `check` off for this run.
    pub fn check_off(&self, check: ClientCheck) -> bool {
        self.checks_off.contains(&check)
    }
}

/// `params` with `extra` laid over: a name in `extra` replaces every pair of that name, an
/// empty value removes it.
pub fn with_extra(
    params: Vec<(String, String)>,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = params
        .into_iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .collect();
    out.extend(extra.iter().filter(|(_, v)| !v.is_empty()).cloned());
    out
}

impl ClientConfig {
    pub fn effective_auth_method(&self) -> AuthMethod {
        self.auth_method.unwrap_or(if self.client_secret.is_some() {
            AuthMethod::ClientSecretBasic
        } else {
            AuthMethod::None
        })
    }

    /// The secret to send: none for a public client even when one is configured.
    pub fn secret_to_send(&self) -> Option<&ClientSecret> {
        match self.effective_auth_method() {
            AuthMethod::None => None,
            _ => self.client_secret.as_ref().filter(|s| !s.is_empty()),
        }
    }

    /// Whether the client can authenticate as a confidential client: a method other than
    /// `none`, with the secret when the method needs one (a key or certificate otherwise,
    /// checked when it is used).
    pub fn can_authenticate(&self) -> bool {
        let method = self.effective_auth_method();
        method != AuthMethod::None
            && (!method.needs_secret()
                || self.client_secret.as_ref().is_some_and(|s| !s.is_empty()))
    }

    /// The response type to ask for: as set, else `code`.
    pub fn response_type(&self) -> String {
        self.response_type
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or("code")
            .to_string()
    }

    pub fn wants_openid(&self) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|x| x == "openid"))
    }

    /// `scope`, each `resource`, `audience` and RAR `authorization_details`, as form pairs.
    pub fn scope_params(&self) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if let Some(d) = self
            .authorization_details
            .as_deref()
            .filter(|d| !d.is_empty())
        {
            p.push(("authorization_details".into(), d.to_string()));
        }
        if let Some(s) = self.scope.as_deref().filter(|s| !s.trim().is_empty()) {
            p.push(("scope".into(), s.trim().to_string()));
        }
        for r in &self.resources {
            p.push(("resource".into(), r.clone()));
        }
        if let Some(a) = self.audience.as_deref().filter(|a| !a.is_empty()) {
            p.push(("audience".into(), a.to_string()));
        }
        p
    }
}

/// Reads RFC 9396 `authorization_details`: a JSON array of objects, each with a string `type`
/// (§2). Returns it compact, as sent.
pub fn parse_authorization_details(text: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("authorization_details is not JSON: {e}"))?;
    let Some(items) = v.as_array() else {
        return Err("authorization_details must be a JSON array (RFC 9396 §2)".into());
    };
    for (i, item) in items.iter().enumerate() {
        if !item.get("type").is_some_and(serde_json::Value::is_string) {
            return Err(format!(
                "authorization_details[{i}] has no string `type` (RFC 9396 §2)"
            ));
        }
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod rar_tests {
    #[test]
    fn authorization_details_are_checked_and_made_compact() {
        let ok = super::parse_authorization_details(
            r#" [ {"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "1"}} ] "#,
        )
        .unwrap();
        assert!(ok.starts_with(r#"[{"type":"payment_initiation""#), "{ok}");
        assert!(super::parse_authorization_details(r#"{"type":"x"}"#).is_err());
        assert!(super::parse_authorization_details(r#"[{"no":"type"}]"#).is_err());
        assert!(super::parse_authorization_details("[1").is_err());
    }
}
