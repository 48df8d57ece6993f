//! Keeping a token set alive: refresh when a chosen share of the access token's lifetime is
//! left, and report whether the server rotated the refresh token each time.

use std::time::Duration;

use super::error::FlowError;
use super::grants::{TokenSuccess, refresh};
use super::{ClientConfig, Session, TokenResponse};
use crate::token::Lifetime;

/// The shortest pause between two automatic refreshes, so a token whose lifetime rounds the
/// refresh point down to "now" does not make a keeper hammer the token endpoint.
pub const MIN_REFRESH_GAP: Duration = Duration::from_secs(1);

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

    /// A keeper for a token that is already in hand (inspected, not just received): the lifetime
    /// from its own `iat`/`exp` when it has both, from `exp` and `now` when only that is known,
    /// else unknown (the first refresh is due at once; later ones follow the server's
    /// `expires_in`).
    pub fn for_token(
        access_token: &str,
        refresh_token: String,
        lifetime: &Lifetime,
        now: i64,
        refresh_at_share: f64,
    ) -> Self {
        let (obtained_at, expires_in) = match (lifetime.issued_at, lifetime.expires_at) {
            (Some(iat), Some(exp)) if exp > iat => (iat, Some((exp - iat) as f64)),
            (_, Some(exp)) if exp > now => (now, Some((exp - now) as f64)),
            _ => (now, None),
        };
        Self::new(
            TokenResponse {
                access_token: access_token.into(),
                refresh_token: Some(refresh_token.into()),
                expires_in,
                ..TokenResponse::default()
            },
            obtained_at,
            refresh_at_share,
        )
    }

    /// A percentage of the lifetime left (as typed: 20 for 20 %) as a share, kept inside
    /// 1-99 %; not a number gives the default 20 %.
    pub fn share_from_percent(percent_left: f64) -> f64 {
        if percent_left.is_finite() {
            percent_left.clamp(1.0, 99.0) / 100.0
        } else {
            0.2
        }
    }

    /// How long to sleep before the next refresh: the due time, but at least
    /// [`MIN_REFRESH_GAP`] after a previous refresh (`first` is the first refresh of a run).
    pub fn next_wait(&self, now: i64, first: bool) -> Duration {
        let wait = self.wait(now).unwrap_or(Duration::ZERO);
        if first {
            wait
        } else {
            wait.max(MIN_REFRESH_GAP)
        }
    }

    /// When the server sent no `expires_in`, takes the lifetime from the new access token's
    /// own `exp` (read without verification: only the refresh schedule depends on it).
    pub fn fill_lifetime_from_claims(&mut self, now: i64) {
        if self.lifetime().is_some() {
            return;
        }
        self.tokens.expires_in = crate::token::inspect_with_keys(
            self.tokens.access_token.expose(),
            &Default::default(),
            &crate::token::InspectOptions::default(),
            now,
        )
        .lifetime()
        .expires_at
        .filter(|exp| *exp > now)
        .map(|exp| (exp - now) as f64);
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

    #[test]
    fn a_token_in_hand_starts_from_its_own_lifetime() {
        let lt = |iat, exp| Lifetime {
            issued_at: iat,
            not_before: None,
            expires_at: exp,
        };
        // iat 1000, exp 1100, refresh at 20 % left: due at 1080.
        let k = TokenKeeper::for_token("a", "r".into(), &lt(Some(1_000), Some(1_100)), 1_050, 0.2);
        assert_eq!(k.refresh_due_at(), Some(1_080));
        assert_eq!(k.wait(1_050), Some(Duration::from_secs(30)));
        assert!(k.can_refresh());
        // Only exp: counted from now.
        let k = TokenKeeper::for_token("a", "r".into(), &lt(None, Some(1_100)), 1_000, 0.5);
        assert_eq!(k.refresh_due_at(), Some(1_050));
        // No exp (opaque) or already expired: unknown, refresh at once.
        let k = TokenKeeper::for_token("a", "r".into(), &lt(None, None), 1_000, 0.2);
        assert_eq!(k.refresh_due_at(), None);
        assert_eq!(k.next_wait(1_000, true), Duration::ZERO);
        assert_eq!(k.next_wait(1_000, false), MIN_REFRESH_GAP);
        let k = TokenKeeper::for_token("a", "r".into(), &lt(Some(900), Some(950)), 1_000, 0.2);
        assert_eq!(k.wait(1_000), Some(Duration::ZERO));
    }

    #[test]
    fn share_is_a_bounded_fraction() {
        let s = TokenKeeper::share_from_percent;
        assert!((s(20.0) - 0.2).abs() < 1e-9);
        assert!((s(0.0) - 0.01).abs() < 1e-9);
        assert!((s(250.0) - 0.99).abs() < 1e-9);
        assert!((s(f64::NAN) - 0.2).abs() < 1e-9);
    }

    #[test]
    fn an_opaque_access_token_without_expires_in_stays_unknown() {
        let mut k = keeper(None, 0.2);
        k.fill_lifetime_from_claims(1_000);
        assert_eq!(k.lifetime(), None);
    }
}
