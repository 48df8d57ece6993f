//! What one screen hands another: a token the flow runner obtained, with what the app knows
//! about it, for the inspector ([`InspectRequest`]). Both screens name it; neither names the
//! other.

use grantscope_core::profile::Profile;
use grantscope_core::secret::{ClientSecret, RefreshToken};
use grantscope_core::token::InspectOptions;

/// A token the flow obtained, with what the app knows about it, for the inspector.
#[derive(Clone)]
pub struct InspectRequest {
    /// The token.
    pub token: String,
    /// The profile the flow ran with (server calls on the token use its client).
    pub profile: Profile,
    /// The JWKS the flow's server announced.
    pub jwks_uri: Option<String>,
    /// The checks the core sets for a token received from this client's token endpoint
    /// (expected issuer, the client id as `aud`/`azp`, the nonce sent, `at_hash`, `c_hash`).
    pub options: InspectOptions,
    /// An HS* ID token is verified with the client secret (OIDC Core §10.1).
    pub hs_secret: Option<ClientSecret>,
    /// When the token expires by the token response's `expires_in` (unix seconds).
    pub expires_at: Option<i64>,
    /// The refresh token that came with it (the newest of the token set).
    pub refresh_token: Option<RefreshToken>,
    /// A DPoP flow's access token: the response's `token_type` and the key's thumbprint.
    pub dpop: Option<(Option<String>, String)>,
    /// For an access token: the ID token of the same response and the DPoP key the token is
    /// bound to ("Probe this API" sends them).
    pub id_token: Option<grantscope_core::secret::IdToken>,
    pub dpop_key: Option<std::sync::Arc<grantscope_core::oauth::dpop::DpopState>>,
}

impl std::fmt::Debug for InspectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InspectRequest")
            .field("token", &"<redacted>")
            .field("profile", &self.profile.name)
            .field("kind", &self.options.kind)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// "Probe this API" (the flow runner's Call an API panel, the inspector): the API and the
/// request as the user sends it, the tokens the app has, and where the issuer's public keys
/// come from, for the Probes window's API mode.
#[derive(Clone, Default)]
pub struct ApiProbeRequest {
    /// The API's URL (empty: the window asks for it).
    pub url: String,
    /// The method, the extra headers (`Name: value` lines) and the body, as the form has them.
    pub method: String,
    pub headers: String,
    pub body: String,
    /// The genuine access token.
    pub token: grantscope_core::secret::AccessToken,
    /// The ID token that came with it.
    pub id_token: Option<grantscope_core::secret::IdToken>,
    /// An expired token of the same issuer (the lifecycle lab's), and where it came from.
    pub expired_token: Option<(grantscope_core::secret::AccessToken, String)>,
    /// The profile the tokens came from: its HTTP settings, and its issuer's JWKS.
    pub profile: Option<Profile>,
    /// The issuer's JWKS URL when already known (the flow's discovery, the inspector's form).
    pub jwks_uri: Option<String>,
    /// The DPoP key the token is bound to.
    pub dpop: Option<std::sync::Arc<grantscope_core::oauth::dpop::DpopState>>,
    /// Where the request comes from ("the flow runner", "the token inspector").
    pub from: &'static str,
}

impl std::fmt::Debug for ApiProbeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiProbeRequest")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}
