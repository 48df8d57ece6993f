//! The sandbox's in-memory state: pending authorization requests, authorization codes, device
//! authorizations, issued access and refresh tokens, and the grants ("token families") that tie
//! them together so one event (code reuse, refresh token reuse, revocation) can revoke them all.
//!
//! Tokens are looked up by the SHA-256 of their string, so a forged or altered token simply is
//! not found. Nothing here survives a restart except the signing keys (see `keys`).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::state::clients::{SeededClient, SeededUser};

/// The `response_mode` values the sandbox answers with.
pub(crate) const RESPONSE_MODES: [&str; 7] = [
    "query",
    "fragment",
    "form_post",
    "query.jwt",
    "fragment.jwt",
    "form_post.jwt",
    "jwt",
];
/// A response mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ResponseMode {
    #[default]
    Query,
    Fragment,
    FormPost,
    QueryJwt,
    FragmentJwt,
    FormPostJwt,
}

impl ResponseMode {
    /// Reads `response_mode` (absent: query; `jwt` is `query.jwt` for the code flow).
    pub(crate) fn parse(value: Option<&str>) -> Result<ResponseMode, String> {
        Ok(match value {
            None | Some("query") => ResponseMode::Query,
            Some("fragment") => ResponseMode::Fragment,
            Some("form_post") => ResponseMode::FormPost,
            Some("query.jwt") | Some("jwt") => ResponseMode::QueryJwt,
            Some("fragment.jwt") => ResponseMode::FragmentJwt,
            Some("form_post.jwt") => ResponseMode::FormPostJwt,
            Some(other) => {
                return Err(format!(
                    "response_mode {:?} is not supported (supported: {})",
                    grantscope_core::http::excerpt(other, 32),
                    RESPONSE_MODES.join(", ")
                ));
            }
        })
    }

    pub(crate) fn is_jwt(self) -> bool {
        matches!(
            self,
            ResponseMode::QueryJwt | ResponseMode::FragmentJwt | ResponseMode::FormPostJwt
        )
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    now_ms() / 1000
}

/// Milliseconds of a duration, saturating.
pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A fresh random value of `bytes` bytes, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The lookup key of a token: its SHA-256, base64url.
pub(crate) fn token_key(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Identifies one grant: everything issued from one authorization, one device approval or one
/// client credentials request.
pub(crate) type GrantId = u64;

/// What the resource owner (or the client, for client credentials) granted.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub client: &'static SeededClient,
    pub user: Option<&'static SeededUser>,
    /// RFC 8707 resource indicators granted; empty means the default audience.
    pub resources: Vec<String>,
    pub auth_time: Option<u64>,
    /// The login session (OIDC `sid`) the grant was issued in: every login at the
    /// authorization endpoint starts one; the other grants have none.
    pub sid: Option<String>,
    pub revoked: bool,
    /// Why the grant was revoked, for introspection-side debugging in tests and logs.
    pub revoked_reason: Option<&'static str>,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessRecord {
    pub grant: GrantId,
    pub sub: String,
    pub scope: String,
    pub aud: Vec<String>,
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
    pub revoked: bool,
    /// `x5t#S256` of the certificate the token is bound to (RFC 8705 §3).
    pub cnf_x5t: Option<String>,
    /// RFC 7638 thumbprint of the DPoP key the token is bound to (RFC 9449 §6).
    pub cnf_jkt: Option<String>,
    /// The `acr` of the login behind the token (RFC 9470 step-up).
    pub acr: Option<String>,
    /// The actor of a token-exchange delegation (RFC 8693 §4.1), as its `sub`.
    pub act_sub: Option<String>,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRecord {
    pub grant: GrantId,
    pub scope: String,
    pub iat: u64,
    pub exp: u64,
    /// Set once it was exchanged; a second exchange is reuse.
    pub rotated: bool,
    pub revoked: bool,
    /// The DPoP key a public client's refresh token is bound to (RFC 9449 §5).
    pub cnf_jkt: Option<String>,
    /// The RFC 9396 details granted, carried to the refreshed access tokens.
    pub authorization_details: Option<serde_json::Value>,
}

/// A validated authorization request waiting for the user's decision on the login page.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    pub client: &'static SeededClient,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// `(code_challenge, method)`.
    pub pkce: Option<(String, String)>,
    pub resources: Vec<String>,
    pub login_hint: Option<String>,
    /// RFC 9449 §10: the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 9396 details asked for (checked).
    pub authorization_details: Option<serde_json::Value>,
    /// `acr_values` named the sandbox's second-factor context (RFC 9470 step-up).
    pub wants_mfa: bool,
    /// The user passed the second factor at login.
    pub mfa_done: bool,
    /// How the answer goes back (query, fragment, form_post, JARM).
    pub response_mode: ResponseMode,
    /// What the answer carries (`code`, and behind the implicit switch `token`, `id_token`).
    pub response_type: ResponseType,
}

/// The parts of a `response_type` (OAuth 2.0 Multiple Response Types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseType {
    pub code: bool,
    pub token: bool,
    pub id_token: bool,
}

impl ResponseType {
    /// Reads a space-separated `response_type`; `None` for an unknown or repeated part.
    pub(crate) fn parse(value: &str) -> Option<ResponseType> {
        let mut out = ResponseType {
            code: false,
            token: false,
            id_token: false,
        };
        for part in value.split(' ').filter(|p| !p.is_empty()) {
            let slot = match part {
                "code" => &mut out.code,
                "token" => &mut out.token,
                "id_token" => &mut out.id_token,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        (out.code || out.token || out.id_token).then_some(out)
    }

    /// Only `code`: the one flow that keeps tokens out of the front channel.
    pub(crate) fn is_code_only(self) -> bool {
        self.code && !self.token && !self.id_token
    }
}

/// A pending authorization request, by its unguessable id (which also serves as the CSRF token
/// of the login form).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub request: AuthorizationRequest,
    pub expires_ms: u64,
    /// The pushed request's `request_uri` this login answers, spent when it is answered.
    pub pushed_uri: Option<String>,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub(crate) struct CodeRecord {
    pub request: AuthorizationRequest,
    pub user: &'static SeededUser,
    pub auth_time: u64,
    /// The login session the code was issued in (its grant's `sid`).
    pub sid: String,
    pub expires_ms: u64,
    /// The grant created when the code was redeemed; set means "used".
    pub redeemed: Option<GrantId>,
    /// Whether a redemption was attempted (even a failed one consumes the code).
    pub consumed: bool,
}

/// Where a request that waits for the user's decision on another device stands: a device
/// authorization (RFC 8628) or a CIBA request (CIBA Core 1.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Pending,
    Approved {
        user: &'static SeededUser,
        auth_time: u64,
    },
    Denied,
    Redeemed,
}

/// Where a device authorization stands.
pub(crate) type DeviceStatus = Decision;

/// Where a CIBA request stands.
pub(crate) type CibaStatus = Decision;

/// A device authorization (RFC 8628).
#[derive(Debug, Clone)]
pub(crate) struct DeviceRecord {
    pub client: &'static SeededClient,
    pub scope: String,
    pub resources: Vec<String>,
    pub user_code: String,
    pub expires_ms: u64,
    pub interval: Duration,
    pub last_poll_ms: Option<u64>,
    pub status: DeviceStatus,
}

/// A backchannel authentication request (CIBA Core 1.0).
#[derive(Debug, Clone)]
pub(crate) struct CibaRecord {
    /// What the "phone" (the start page, the Classroom) names the request by: not the
    /// `auth_req_id`, which only the client holds.
    pub ticket: String,
    pub client: &'static SeededClient,
    pub user: &'static SeededUser,
    pub scope: String,
    pub binding_message: Option<String>,
    pub acr_values: Option<String>,
    /// Ping mode: where to ping, and the bearer token the ping carries.
    pub ping: Option<(String, String)>,
    /// The `auth_req_id` itself, for the ping's body (the store's key is its hash).
    pub auth_req_id: String,
    pub expires_ms: u64,
    pub interval: Duration,
    pub last_poll_ms: Option<u64>,
    pub status: CibaStatus,
}

/// All mutable state of one running sandbox.
#[derive(Debug, Default)]
pub(crate) struct Store {
    next_grant: GrantId,
    pub grants: HashMap<GrantId, Grant>,
    pub access: HashMap<String, AccessRecord>,
    pub refresh: HashMap<String, RefreshRecord>,
    pub pending: HashMap<String, Pending>,
    /// Pushed authorization requests (RFC 9126) by their `request_uri`.
    pub pushed: HashMap<String, Pending>,
    pub codes: HashMap<String, CodeRecord>,
    /// Device records by the lookup key of the device code.
    pub devices: HashMap<String, DeviceRecord>,
    /// Normalised user code → lookup key of the device code.
    pub user_codes: HashMap<String, String>,
    /// CIBA requests by the lookup key of their `auth_req_id`.
    pub ciba: HashMap<String, CibaRecord>,
    /// `iss` + `jti` of the JWT assertions seen, with their `exp` (replay detection).
    pub seen_jti: HashMap<(String, String), u64>,
    /// The loopback port each client used first (the `unsafe-pin-loopback-port` switch).
    pub pinned_ports: HashMap<&'static str, u16>,
}

impl Store {
    /// Records a new grant and returns its id.
    pub(crate) fn new_grant(&mut self, grant: Grant) -> GrantId {
        self.next_grant += 1;
        let id = self.next_grant;
        self.grants.insert(id, grant);
        id
    }

    /// Revokes a grant and everything issued under it.
    pub(crate) fn revoke_grant(&mut self, id: GrantId, reason: &'static str) {
        if let Some(grant) = self.grants.get_mut(&id) {
            grant.revoked = true;
            grant.revoked_reason.get_or_insert(reason);
        }
        for record in self.access.values_mut().filter(|r| r.grant == id) {
            record.revoked = true;
        }
        for record in self.refresh.values_mut().filter(|r| r.grant == id) {
            record.revoked = true;
        }
    }

    /// Ends the login session `sid`: revokes every grant issued in it and drops its codes not
    /// yet redeemed; returns the clients that held a grant in it.
    pub(crate) fn end_session(&mut self, sid: &str) -> Vec<&'static str> {
        let grants: Vec<(GrantId, &'static str)> = self
            .grants
            .iter()
            .filter(|(_, g)| g.sid.as_deref() == Some(sid))
            .map(|(id, g)| (*id, g.client.id))
            .collect();
        let mut clients = Vec::new();
        for (id, client) in grants {
            if !clients.contains(&client) {
                clients.push(client);
            }
            self.revoke_grant(id, "the user logged out (end of the login session)");
        }
        self.codes
            .retain(|_, c| c.sid != sid || c.redeemed.is_some());
        clients
    }

    /// An access token that is known, unexpired and not revoked.
    pub(crate) fn active_access(&self, token: &str) -> Option<(&AccessRecord, &Grant)> {
        let record = self.access.get(&token_key(token))?;
        let grant = self.grants.get(&record.grant)?;
        let live = !record.revoked && !grant.revoked && now_secs() < record.exp;
        live.then_some((record, grant))
    }

    /// A refresh token that is known, unexpired, not revoked and not yet rotated.
    pub(crate) fn active_refresh(&self, token: &str) -> Option<(&RefreshRecord, &Grant)> {
        let record = self.refresh.get(&token_key(token))?;
        let grant = self.grants.get(&record.grant)?;
        let live = !record.revoked && !record.rotated && !grant.revoked && now_secs() < record.exp;
        live.then_some((record, grant))
    }

    /// Drops what has expired and can no longer matter. Used codes are kept while their grant
    /// has tokens, so that a late replay still revokes them.
    pub(crate) fn purge(&mut self) {
        let now_ms = now_ms();
        let now = now_ms / 1000;
        self.pending.retain(|_, p| p.expires_ms > now_ms);
        self.pushed.retain(|_, p| p.expires_ms > now_ms);
        self.seen_jti.retain(|_, exp| *exp > now);
        self.access.retain(|_, r| r.exp > now);
        self.refresh.retain(|_, r| r.exp > now);
        // Kept a while past expiry, so a late poll hears `expired_token`, not "unknown".
        self.ciba
            .retain(|_, r| r.expires_ms.saturating_add(600_000) > now_ms);
        let expired_devices: Vec<String> = self
            .devices
            .iter()
            .filter(|(_, d)| d.expires_ms <= now_ms)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired_devices {
            if let Some(device) = self.devices.remove(&key) {
                self.user_codes.remove(&device.user_code);
            }
        }
        let mut referenced: std::collections::HashSet<GrantId> = self
            .access
            .values()
            .map(|r| r.grant)
            .chain(self.refresh.values().map(|r| r.grant))
            .collect();
        self.codes.retain(|_, c| {
            c.expires_ms > now_ms || c.redeemed.is_some_and(|g| referenced.contains(&g))
        });
        referenced.extend(self.codes.values().filter_map(|c| c.redeemed));
        self.grants.retain(|id, _| referenced.contains(id));
    }
}

/// Normalises a user code as typed by a person: upper case, dashes and spaces removed.
pub(crate) fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A fresh user code, `XXXX-XXXX` from 20 consonants (RFC 8628 §6.1: no vowels, no ambiguity).
pub(crate) fn new_user_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..8)
        .map(|_| {
            let i = rand::Rng::random_range(&mut rng, 0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect();
    let (a, b) = chars.split_at(4);
    format!(
        "{}-{}",
        a.iter().collect::<String>(),
        b.iter().collect::<String>()
    )
}

/// A poll of a grant still waiting for the user (device grant, CIBA): `slow_down` when it
/// comes sooner than `interval` after the last one (which then grows by 5 s, RFC 8628 §3.5,
/// CIBA §11), else `authorization_pending` saying `waiting`.
pub(crate) fn pending_poll(
    last_poll_ms: &mut Option<u64>,
    interval: &mut std::time::Duration,
    now: u64,
    waiting: &str,
) -> crate::protocol::wire::OAuthError {
    let too_soon = last_poll_ms.is_some_and(|last| now.saturating_sub(last) < ms(*interval));
    *last_poll_ms = Some(now);
    if too_soon {
        *interval += std::time::Duration::from_secs(5);
        return crate::protocol::wire::OAuthError::new(
            "slow_down",
            format!(
                "polling too fast; wait at least {} seconds between requests",
                interval.as_secs()
            ),
        );
    }
    crate::protocol::wire::OAuthError::new("authorization_pending", waiting.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_normalise() {
        let code = new_user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(normalize_user_code(&code.to_lowercase()).len(), 8);
        assert_eq!(normalize_user_code("bcdf-ghjk"), "BCDFGHJK");
        assert_eq!(normalize_user_code(" BCDF GHJK "), "BCDFGHJK");
    }

    /// A login grant of `client` for alice in session `sid`, with one refresh token.
    fn login(store: &mut Store, client: &str, sid: &str) -> String {
        let grant = store.new_grant(Grant {
            client: crate::state::clients::find_client(client).unwrap(),
            user: crate::state::clients::find_user("alice"),
            resources: Vec::new(),
            auth_time: Some(now_secs()),
            sid: Some(sid.to_string()),
            revoked: false,
            revoked_reason: None,
        });
        let token = random_token(32);
        store.refresh.insert(
            token_key(&token),
            RefreshRecord {
                grant,
                scope: "openid".into(),
                iat: now_secs(),
                exp: now_secs() + 600,
                rotated: false,
                revoked: false,
                cnf_jkt: None,
                authorization_details: None,
            },
        );
        token
    }

    #[test]
    fn ending_a_session_revokes_only_its_grants() {
        let mut store = Store::default();
        let ended = login(&mut store, "sandbox-web", "s1");
        let same = login(&mut store, "sandbox-native", "s1");
        let other = login(&mut store, "sandbox-web", "s2");
        let mut clients = store.end_session("s1");
        clients.sort_unstable();
        assert_eq!(clients, ["sandbox-native", "sandbox-web"]);
        assert!(store.active_refresh(&ended).is_none());
        assert!(store.active_refresh(&same).is_none());
        assert!(store.active_refresh(&other).is_some());
        assert!(store.end_session("no-such-session").is_empty());
    }

    #[test]
    fn random_tokens_differ() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(random_token(32).len(), 43);
    }
}
