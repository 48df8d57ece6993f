//! The token set of the flow runner's runs ([`TokenSet`]): the newest refresh token, the scope
//! first granted and the client that obtained them, which the refresh form uses.

use grantscope_core::secret::{ClientSecret, RefreshToken};

/// The tokens of the last run that returned a refresh token, as the server left them: the
/// refresh grant uses the newest refresh token (rotation replaces it) with the scope first
/// granted and the client that obtained it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    /// The profile the tokens came from.
    pub profile: String,
    /// The client they were issued to.
    pub client_id: String,
    /// Its secret, if any.
    pub client_secret: Option<ClientSecret>,
    /// Its authentication method.
    pub auth_method: Option<grantscope_core::oauth::AuthMethod>,
    /// The newest refresh token.
    pub refresh_token: RefreshToken,
    /// The scope granted first (or, when the server did not say, the scope requested).
    pub scope: Option<String>,
}
