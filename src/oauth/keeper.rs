//! Keeping a token set alive: refresh when a chosen share of the access token's lifetime is
//! left, and report whether the server rotated the refresh token each time.

use std::time::Duration;

use super::error::FlowError;
use super::grants::{TokenSuccess, refresh};
use super::{ClientConfig, Session, TokenResponse};

/// A token set and when it was obtained.
#[derive(Debug, Clone)]
pub struct TokenKeeper {
    pub tokens: TokenResponse,
    /// Unix seconds when `tokens` arrived.
    pub obtained_at: i64,
    /// Refresh when this share of the lifetime is left (0.0 - 1.0; e.g. 0.2 = at 80 %).
    pub refresh_at_share: f64,
    /// How many refreshes rotated the refresh token, and how many did not.
    pub rotations: u32,
    pub non_rotations: u32,
}

impl TokenKeeper {
    pub fn new(tokens: TokenResponse, obtained_at: i64, refresh_at_share: f64) -> Self {
        Self {
            tokens,
            obtained_at,
            refresh_at_share: refresh_at_share.clamp(0.0, 1.0),
            rotations: 0,
            non_rotations: 0,
        }
    }

    /// The access token's lifetime in seconds, if the server said (`expires_in`).
    pub fn lifetime(&self) -> Option<f64> {
        self.tokens.expires_in.filter(|e| *e > 0.0)
    }

    /// Unix seconds at which the next refresh is due; `None` when the lifetime is unknown.
    pub fn refresh_due_at(&self) -> Option<i64> {
        let life = self.lifetime()?;
        // Saturating: a server may send any `expires_in` (1e300 included).
        Some(
            self.obtained_at
                .saturating_add((life * (1.0 - self.refresh_at_share)).floor() as i64),
        )
    }

    /// How long until the refresh is due (zero when it is due now).
    pub fn wait(&self, now: i64) -> Option<Duration> {
        self.refresh_due_at()
            .map(|due| Duration::from_secs(due.saturating_sub(now).max(0) as u64))
    }

    pub fn can_refresh(&self) -> bool {
        self.tokens.refresh_token.is_some()
    }

    /// Refreshes now; keeps the old refresh token when the server sends none.
    pub async fn refresh(
        &mut self,
        session: &mut Session,
        cfg: &ClientConfig,
        now: i64,
    ) -> Result<TokenSuccess, FlowError> {
        let old = self.tokens.refresh_token.clone().ok_or_else(|| {
            FlowError::Config("no refresh token to keep this token set alive".into())
        })?;
        let success = refresh::run(session, cfg, &old).await?;
        let mut next = success.tokens.clone();
        if next.refresh_token.is_none() {
            next.refresh_token = Some(old);
        }
        if success.refresh_rotated == Some(true) {
            self.rotations += 1;
        } else {
            self.non_rotations += 1;
        }
        self.tokens = next;
        self.obtained_at = now;
        Ok(success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeper(expires_in: Option<f64>, share: f64) -> TokenKeeper {
        TokenKeeper::new(
            TokenResponse {
                access_token: "a".into(),
                expires_in,
                refresh_token: Some("r".into()),
                ..Default::default()
            },
            1_000,
            share,
        )
    }

    #[test]
    fn due_at_the_chosen_share() {
        let k = keeper(Some(100.0), 0.2);
        assert_eq!(k.refresh_due_at(), Some(1_080));
        assert_eq!(k.wait(1_050), Some(Duration::from_secs(30)));
        assert_eq!(k.wait(1_090), Some(Duration::ZERO));
        assert_eq!(keeper(Some(100.0), 5.0).refresh_due_at(), Some(1_000));
        assert_eq!(keeper(None, 0.2).refresh_due_at(), None);
    }
}
