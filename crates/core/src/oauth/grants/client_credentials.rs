//! The client credentials grant (RFC 6749 §4.4): a machine acting on its own behalf.

use super::TokenSuccess;
use crate::oauth::error::{FlowError, Missing};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, Session};

const NAME: &str = "client credentials";

pub async fn run(session: &mut Session, cfg: &ClientConfig) -> Result<TokenSuccess, FlowError> {
    if cfg.client_id.is_empty() {
        return Err(FlowError::missing(NAME, Missing::ClientId));
    }
    if !cfg.can_authenticate() {
        return Err(FlowError::missing(NAME, Missing::ConfidentialClient));
    }
    let grant_type = super::GrantKind::ClientCredentials.grant_type();
    let mut params = vec![("grant_type".to_string(), grant_type.to_string())];
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request(StepKind::Token.name(), cfg, params, &[])
        .await?;
    Ok(TokenSuccess::new(raw, tokens))
}
