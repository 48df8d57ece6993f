//! The client credentials grant (RFC 6749 §4.4): a machine acting on its own behalf.

use super::TokenSuccess;
use crate::oauth::error::FlowError;
use crate::oauth::{AuthMethod, ClientConfig, Session};

pub async fn run(session: &mut Session, cfg: &ClientConfig) -> Result<TokenSuccess, FlowError> {
    if cfg.client_id.is_empty() {
        return Err(FlowError::Config(
            "client credentials needs --client-id".into(),
        ));
    }
    if cfg.effective_auth_method() == AuthMethod::None || cfg.secret_to_send().is_none() {
        return Err(FlowError::Config(
            "client credentials needs a confidential client: give --client-secret (and --auth-method client_secret_basic or client_secret_post)".into(),
        ));
    }
    let mut params = vec![("grant_type".to_string(), "client_credentials".to_string())];
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request("token request", cfg, params, &[])
        .await?;
    Ok(TokenSuccess::new(raw, tokens))
}
