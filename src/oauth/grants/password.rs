//! The resource owner password credentials grant (RFC 6749 §4.3). Deprecated: the OAuth 2.0
//! Security BCP (RFC 9700 §2.4) says it must not be used, as it hands the user's password to
//! the client. Kept for testing legacy servers.

use super::TokenSuccess;
use crate::oauth::error::FlowError;
use crate::oauth::{ClientConfig, Session};

pub const DEPRECATION: &str = "the password grant is deprecated (OAuth 2.0 Security BCP, RFC 9700 §2.4): it exposes the user's password to the client; use authorization code with PKCE";

pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    username: &str,
    password: &str,
) -> Result<TokenSuccess, FlowError> {
    if username.is_empty() {
        return Err(FlowError::Config(
            "the password grant needs --username".into(),
        ));
    }
    session.emit(crate::oauth::FlowEvent::Note(format!(
        "warning: {DEPRECATION}"
    )));
    let mut params = vec![
        ("grant_type".to_string(), "password".to_string()),
        ("username".to_string(), username.to_string()),
        ("password".to_string(), password.to_string()),
    ];
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request("token request", cfg, params, &[password])
        .await?;
    Ok(TokenSuccess::new(raw, tokens))
}
