//! The device authorization grant (RFC 8628): for a user on an input-constrained device.
//! Shows the verification URI and user code, then polls the token endpoint at the server's
//! `interval`, slowing down on `slow_down`, until approval, denial or expiry.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::TokenSuccess;
use crate::oauth::endpoint::EndpointKind;
use crate::oauth::error::{FlowError, Missing};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, FlowEvent, Session};
use crate::secret::{DeviceCode, SecretKind};

const NAME: &str = "the device grant";

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: DeviceCode,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    #[serde(default)]
    pub interval: Option<u64>,
}

/// Asks the device authorization endpoint for a code.
pub async fn authorize(
    session: &mut Session,
    cfg: &ClientConfig,
) -> Result<DeviceAuthorization, FlowError> {
    let endpoint = cfg
        .endpoints
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| {
            FlowError::missing(NAME, Missing::Endpoint(EndpointKind::DeviceAuthorization))
        })?;
    if cfg.client_id.is_empty() {
        return Err(FlowError::missing(NAME, Missing::ClientId));
    }
    // The observer sees the exchange once the device code in it is marked.
    session.hold_exchanges();
    let answered = session
        .post_authenticated(
            StepKind::DeviceAuthorization.name(),
            "device authorization",
            &endpoint,
            cfg,
            cfg.scope_params(),
            &[],
        )
        .await;
    let (status, json) = match answered {
        Ok(ok) => ok,
        Err(e) => {
            session.release_exchanges();
            return Err(e);
        }
    };
    let parsed: Result<DeviceAuthorization, _> = serde_json::from_value(json);
    if let Ok(a) = &parsed {
        session.mark_received(SecretKind::DeviceCode, a.device_code.expose());
    }
    session.release_exchanges();
    parsed.map_err(|e| FlowError::Body {
        what: "device authorization",
        source: crate::http::BodyError::Shape {
            status,
            detail: e.to_string(),
        },
    })
}

/// Runs the whole device flow. `max_wait` caps the wait below the code's own lifetime.
pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    max_wait: Option<Duration>,
) -> Result<TokenSuccess, FlowError> {
    let auth = authorize(session, cfg).await?;
    session.emit(FlowEvent::DeviceCode {
        verification_uri: auth.verification_uri.clone(),
        verification_uri_complete: auth.verification_uri_complete.clone(),
        user_code: auth.user_code.clone(),
        expires_in: auth.expires_in,
    });
    poll(session, cfg, &auth, max_wait).await
}

/// Polls until tokens, an error, or expiry.
pub async fn poll(
    session: &mut Session,
    cfg: &ClientConfig,
    auth: &DeviceAuthorization,
    max_wait: Option<Duration>,
) -> Result<TokenSuccess, FlowError> {
    let mut lifetime = Duration::from_secs(auth.expires_in.max(1));
    if let Some(m) = max_wait {
        lifetime = lifetime.min(m);
    }
    let mut params = vec![
        ("grant_type".to_string(), GRANT_TYPE.to_string()),
        (
            "device_code".to_string(),
            auth.device_code.expose().to_string(),
        ),
    ];
    params.extend(
        cfg.resources
            .iter()
            .map(|r| ("resource".to_string(), r.clone())),
    );
    let secrets = [(SecretKind::DeviceCode, auth.device_code.expose())];
    poll_token_endpoint(
        session,
        cfg,
        &params,
        &secrets,
        auth.interval.unwrap_or(5),
        lifetime,
        |lifetime| {
            FlowError::DeviceCodeExpired(format!(
                "the device code expired after {} without approval",
                humantime::format_duration(lifetime)
            ))
        },
    )
    .await
}

/// The polling both the device grant and CIBA's poll mode use: the token endpoint with
/// `params` every `interval` seconds (at least 1), `authorization_pending` waits another round,
/// `slow_down` adds 5 s to the interval (RFC 8628 §3.5, CIBA §11), anything else ends the wait;
/// after `lifetime` the error `expired` makes. The server chooses `interval`: never overflow,
/// never sleep past the deadline. Cancel it by dropping the future.
pub(crate) async fn poll_token_endpoint(
    session: &mut Session,
    cfg: &ClientConfig,
    params: &[(String, String)],
    secrets: &[(SecretKind, &str)],
    interval: u64,
    lifetime: Duration,
    expired: impl Fn(Duration) -> FlowError,
) -> Result<TokenSuccess, FlowError> {
    let mut interval = interval.max(1);
    let start = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        session.emit(FlowEvent::Polling { attempt, interval });
        let left = lifetime.saturating_sub(start.elapsed());
        tokio::time::sleep(Duration::from_secs(interval).min(left)).await;
        if start.elapsed() >= lifetime {
            return Err(expired(lifetime));
        }
        match session
            .token_request(StepKind::TokenPoll.name(), cfg, params.to_vec(), secrets)
            .await
        {
            Ok((raw, tokens)) => return Ok(TokenSuccess::new(raw, tokens)),
            Err(e) => match e.oauth_code() {
                Some("authorization_pending") => continue,
                Some("slow_down") => {
                    interval = interval.saturating_add(5);
                    continue;
                }
                _ => return Err(e),
            },
        }
    }
}
