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
