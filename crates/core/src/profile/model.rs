//! A connection profile: everything needed to talk to one server as one client.
//! Serialised as versioned, human-readable JSON; unknown or missing fields keep old files loading.

use serde::{Deserialize, Serialize};

use crate::http::HttpSettings;
use crate::oauth::client_auth::AuthSettings;
use crate::oauth::{AuthMethod, ClientConfig, Endpoints, PkceMode};
use crate::secret::{AccessToken, ClientSecret};

/// The current file format version.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub version: u32,
    pub name: String,
    /// Discovery fills the endpoints from here; endpoints given below win.
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 7591 dynamic client registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// CIBA's backchannel authentication endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_authentication_endpoint: Option<String>,
    /// RP-Initiated Logout's end session endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    pub client_id: String,
    /// In the OS keychain when one is available (see `secret_store`), else in the clear in
    /// this file, which only its owner can read (mode 0600).
    pub client_secret: Option<ClientSecret>,
    /// Where the client secret lives at rest.
    pub secret_store: SecretStore,
    pub auth_method: Option<AuthMethod>,
    pub scope: Option<String>,
    pub resources: Vec<String>,
    pub audience: Option<String>,
    pub redirect_uri: Option<String>,
    pub pkce: PkceMode,
    /// PKCE code verifier length, 43–128 (default 64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pkce_verifier_length: Option<usize>,
    /// What client authentication methods need beyond the id and secret (signing key,
    /// assertion alg and audience), kept in the file's top level as before.
    #[serde(flatten)]
    pub auth: AuthSettings,
    /// Timeouts, body cap, TLS verification, extra CA, client certificate.
    pub http: HttpSettings,
    /// Extra authorization request parameters (name, value); an empty value removes one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorize_params: Vec<(String, String)>,
    /// Extra token request parameters (name, value); an empty value removes one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_params: Vec<(String, String)>,
    /// RFC 9126: push the authorization request first.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub par: bool,
    /// RFC 9396 authorization details (JSON array) for the authorization and token requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<String>,
    /// The response type (default `code`; `token`, `id_token token`, `code id_token`, ...
    /// are the deprecated implicit and the hybrid flows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_type: Option<String>,
    /// The authorization response mode (query, fragment, form_post, jwt, query.jwt, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mode: Option<String>,
    /// RFC 9101: the authorization request as a (signed) request object.
    #[serde(skip_serializing_if = "is_off")]
    pub request_object: crate::oauth::request_object::RequestObject,
    /// DPoP (RFC 9449): prove possession of a key on token requests and resource calls.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dpop: bool,
    /// The stored key (name or file) for DPoP; none: a fresh ES256 key per session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<String>,
    /// The client's decryption keys for encrypted tokens (JWE): stored key names or key
    /// files (a PEM private key, a private JWK or JWKS), tried in this order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decryption_keys: Vec<String>,
    /// RFC 7592: where the registration of a dynamically registered client is managed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_client_uri: Option<String>,
    /// RFC 7592: the token that manages the registration; a secret, kept where the client
    /// secret is kept (`secret_store`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<AccessToken>,
    /// A note for people (what this profile is for).
    pub description: Option<String>,
}

fn is_off(r: &crate::oauth::request_object::RequestObject) -> bool {
    *r == crate::oauth::request_object::RequestObject::Off
}

/// Where a profile's client secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretStore {
    /// In the profile file (mode 0600): headless machines and CI.
    #[default]
    File,
    /// In the OS keychain (secret service, Keychain, Credential Manager); not in the file.
    Keychain,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            name: String::new(),
            issuer: None,
            authorization_endpoint: None,
            token_endpoint: None,
            device_authorization_endpoint: None,
            introspection_endpoint: None,
            revocation_endpoint: None,
            userinfo_endpoint: None,
            jwks_uri: None,
            pushed_authorization_request_endpoint: None,
            registration_endpoint: None,
            backchannel_authentication_endpoint: None,
            end_session_endpoint: None,
            client_id: String::new(),
            client_secret: None,
            secret_store: SecretStore::File,
            auth_method: None,
            scope: None,
            resources: Vec::new(),
            audience: None,
            redirect_uri: None,
            pkce: PkceMode::S256,
            pkce_verifier_length: None,
            auth: AuthSettings::default(),
            http: HttpSettings::default(),
            authorize_params: Vec::new(),
            token_params: Vec::new(),
            par: false,
            request_object: Default::default(),
            response_mode: None,
            response_type: None,
            authorization_details: None,
            dpop: false,
            dpop_key: None,
            decryption_keys: Vec::new(),
            registration_client_uri: None,
            registration_access_token: None,
            description: None,
        }
    }
}

/// A profile value that is not a valid URL.
#[derive(Debug, thiserror::Error)]
#[error("profile field `{field}` is not a valid URL ({value:?}): {reason}")]
pub struct BadUrl {
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

fn parse_url(field: &'static str, v: &Option<String>) -> Result<Option<url::Url>, BadUrl> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => url::Url::parse(s).map(Some).map_err(|e| BadUrl {
            field,
            value: s.to_string(),
            reason: e.to_string(),
        }),
    }
}

impl Profile {
    /// The setting of an endpoint given by hand.
    pub fn endpoint(&self, kind: crate::oauth::EndpointKind) -> &Option<String> {
        use crate::oauth::EndpointKind;
        match kind {
            EndpointKind::Authorization => &self.authorization_endpoint,
            EndpointKind::Token => &self.token_endpoint,
            EndpointKind::DeviceAuthorization => &self.device_authorization_endpoint,
            EndpointKind::Introspection => &self.introspection_endpoint,
            EndpointKind::Revocation => &self.revocation_endpoint,
            EndpointKind::Userinfo => &self.userinfo_endpoint,
            EndpointKind::Jwks => &self.jwks_uri,
            EndpointKind::PushedAuthorization => &self.pushed_authorization_request_endpoint,
            EndpointKind::Registration => &self.registration_endpoint,
            EndpointKind::BackchannelAuthentication => &self.backchannel_authentication_endpoint,
            EndpointKind::EndSession => &self.end_session_endpoint,
        }
    }

    /// The setting of an endpoint given by hand (a face sets it from its flag or field).
    pub fn endpoint_mut(&mut self, kind: crate::oauth::EndpointKind) -> &mut Option<String> {
        use crate::oauth::EndpointKind;
        match kind {
            EndpointKind::Authorization => &mut self.authorization_endpoint,
            EndpointKind::Token => &mut self.token_endpoint,
            EndpointKind::DeviceAuthorization => &mut self.device_authorization_endpoint,
            EndpointKind::Introspection => &mut self.introspection_endpoint,
            EndpointKind::Revocation => &mut self.revocation_endpoint,
            EndpointKind::Userinfo => &mut self.userinfo_endpoint,
            EndpointKind::Jwks => &mut self.jwks_uri,
            EndpointKind::PushedAuthorization => &mut self.pushed_authorization_request_endpoint,
            EndpointKind::Registration => &mut self.registration_endpoint,
            EndpointKind::BackchannelAuthentication => {
                &mut self.backchannel_authentication_endpoint
            }
            EndpointKind::EndSession => &mut self.end_session_endpoint,
        }
    }

    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The endpoints given by hand (not from discovery).
    pub fn endpoints(&self) -> Result<Endpoints, BadUrl> {
        let mut endpoints = Endpoints {
            issuer: parse_url("issuer", &self.issuer)?,
            ..Endpoints::default()
        };
        for kind in crate::oauth::EndpointKind::ALL {
            *kind.slot(&mut endpoints) = parse_url(kind.metadata_name(), self.endpoint(kind))?;
        }
        Ok(endpoints)
    }

    /// The client settings (endpoints as given; discovery is the caller's step).
    pub fn client_config(&self) -> Result<ClientConfig, BadUrl> {
        Ok(ClientConfig {
            endpoints: self.endpoints()?,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone().filter(|s| !s.is_empty()),
            auth_method: self.auth_method,
            scope: self.scope.clone().filter(|s| !s.trim().is_empty()),
            resources: self.resources.clone(),
            audience: self.audience.clone().filter(|s| !s.is_empty()),
            redirect_uri: parse_url("redirect_uri", &self.redirect_uri)?,
            pkce: self.pkce,
            pkce_verifier_len: self.pkce_verifier_length,
            authorize_params: self.authorize_params.clone(),
            token_params: self.token_params.clone(),
            par: self.par,
            request_object: self.request_object,
            response_mode: self.response_mode.clone().filter(|m| !m.is_empty()),
            response_type: self.response_type.clone().filter(|m| !m.is_empty()),
            authorization_details: self.authorization_details.clone(),
            auth: AuthSettings {
                signing_key: self.auth.signing_key.clone().filter(|s| !s.is_empty()),
                ..self.auth.clone()
            },
            checks_off: Vec::new(),
            decryption: Default::default(),
            key_store: None,
        })
    }

    /// A copy fit to share: the secret left out.
    pub fn without_secret(&self) -> Profile {
        Profile {
            client_secret: None,
            registration_access_token: None,
            secret_store: SecretStore::File,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client-authentication settings stay at the file's top level (serde flatten), so
    /// profiles written before they moved into `AuthSettings` read the same.
    #[test]
    fn auth_settings_keep_the_file_shape() {
        let text = r#"{"version":1,"name":"p","client_id":"c","auth_method":"private_key_jwt",
            "signing_key":"k1","signing_alg":"ES256","assertion_audience":"issuer"}"#;
        let p: Profile = serde_json::from_str(text).unwrap();
        assert_eq!(p.auth.signing_key.as_deref(), Some("k1"));
        assert_eq!(p.auth.signing_alg, Some(crate::keys::JwsAlg::Es256));
        let back = serde_json::to_value(&p).unwrap();
        assert_eq!(back["signing_key"], "k1");
        assert_eq!(back["assertion_audience"], "issuer");
        assert!(back.get("auth").is_none());
        let cfg = p.client_config().unwrap();
        assert_eq!(cfg.auth.signing_key.as_deref(), Some("k1"));
    }
}
