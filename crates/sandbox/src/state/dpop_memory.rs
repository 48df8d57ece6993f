//! The DPoP proofs' memory of one running sandbox (RFC 9449): the `jti`s seen within the
//! replay window and the server nonces handed out.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::state::store::{now_secs, random_token};

/// How old a proof's `iat` may be, and how long its `jti` is remembered (seconds).
pub(crate) const WINDOW_SECS: u64 = 300;
/// How far in the future a proof's `iat` may be (clock skew, seconds).
pub(crate) const FUTURE_SKEW_SECS: u64 = 60;
/// How long one server nonce is handed out before a new one replaces it (the previous stays
/// valid for one more period).
const NONCE_PERIOD_SECS: u64 = 300;

/// The proofs' `jti`s seen within the window and the server nonces.
#[derive(Debug, Default)]
pub(crate) struct DpopMemory {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// `jkt` + `jti` → when it may be forgotten.
    seen: HashMap<(String, String), u64>,
    /// The nonce handed out now, and since when.
    current: Option<(String, u64)>,
    /// The one before it (still accepted).
    previous: Option<String>,
}

impl DpopMemory {
    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The nonce to hand out now (rotating it when its period is over).
    pub(crate) fn nonce(&self) -> String {
        let now = now_secs();
        let mut memory = self.lock();
        match &memory.current {
            Some((nonce, since)) if now.saturating_sub(*since) < NONCE_PERIOD_SECS => nonce.clone(),
            _ => {
                let fresh = random_token(16);
                memory.previous = memory.current.take().map(|(n, _)| n);
                memory.current = Some((fresh.clone(), now));
                fresh
            }
        }
    }

    pub(crate) fn nonce_valid(&self, nonce: &str) -> bool {
        let current = self.nonce();
        let memory = self.lock();
        nonce == current || memory.previous.as_deref() == Some(nonce)
    }

    /// Remembers `jti` for the key; false when it was seen within the window (a replay).
    pub(crate) fn first_use(&self, jkt: &str, jti: &str, now: u64) -> bool {
        let mut memory = self.lock();
        memory.seen.retain(|_, until| *until > now);
        let key = (jkt.to_string(), jti.to_string());
        if memory.seen.contains_key(&key) {
            return false;
        }
        memory
            .seen
            .insert(key, now + WINDOW_SECS + FUTURE_SKEW_SECS);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_accepted_once_per_key() {
        let memory = DpopMemory::default();
        assert!(memory.first_use("k", "j", 100));
        assert!(!memory.first_use("k", "j", 101));
        assert!(memory.first_use("other", "j", 101));
        // Past the window it is forgotten.
        assert!(memory.first_use("k", "j", 100 + WINDOW_SECS + FUTURE_SKEW_SECS + 1));
    }

    #[test]
    fn the_previous_nonce_stays_valid() {
        let memory = DpopMemory::default();
        let first = memory.nonce();
        assert!(memory.nonce_valid(&first));
        assert!(!memory.nonce_valid("made-up"));
    }
}
