//! How a sandbox runs: lifetimes, signing algorithm, key directory and the teaching switches.

use std::path::PathBuf;
use std::time::Duration;

use crate::state::keys::SigningAlg;

/// Environment variable that overrides the configuration directory (also used by tests).
pub const CONFIG_DIR_ENV: &str = "GRANTSCOPE_CONFIG_DIR";

/// Lifetimes used by the `long_lived_tokens` unsafe switch.
pub const UNSAFE_LONG_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// Refresh token lifetime under the `long_lived_tokens` unsafe switch.
pub const UNSAFE_LONG_REFRESH_TOKEN_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Deliberate mistakes for teaching. All off by default; each is named `--unsafe-…` on the
/// command line and announced on every page and in discovery when on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnsafeSwitches {
    /// Accept `code_challenge_method=plain` (and a missing method, which means plain).
    pub allow_plain_pkce: bool,
    /// Let a public client run the authorization code grant without PKCE.
    pub allow_missing_pkce: bool,
    /// Hand back the same refresh token on refresh instead of rotating it.
    pub no_refresh_rotation: bool,
    /// Redirect to any absolute redirect URI, registered or not.
    pub any_redirect_uri: bool,
    /// Issue access tokens valid for a year and refresh tokens for ten.
    pub long_lived_tokens: bool,
    /// Accept a JWT assertion (client authentication or JWT bearer grant) whose `aud` does not
    /// name this server.
    pub accept_wrong_assertion_audience: bool,
    /// Accept a JWT assertion whose `jti` was seen before (a replay).
    pub accept_replayed_assertion: bool,
    /// Accept a JWT assertion past its `exp`.
    pub accept_expired_assertion: bool,
    /// Accept an unsigned request object (`alg: none`, RFC 9101 §10.2 says refuse it).
    pub accept_unsigned_request_object: bool,
    /// Answer the deprecated implicit (`token`, `id_token token`) and hybrid (`code id_token`,
    /// ...) response types: tokens in the front channel (RFC 9700 §2.1.2).
    pub allow_implicit: bool,
    /// Redeem an authorization code as often as it is presented.
    pub allow_code_reuse: bool,
    /// Leave `iss` out of authorization responses (while the metadata still promises it).
    pub no_iss: bool,
    /// Answer the authorization endpoint with CORS headers for any origin.
    pub cors_on_authorize: bool,
    /// Accept a `code_verifier` for a code issued without a challenge (PKCE downgrade).
    pub allow_pkce_downgrade: bool,
    /// Let any client refresh any refresh token (tokens not bound to their client).
    pub refresh_any_client: bool,
    /// Answer the deprecated password grant (RFC 6749 §4.3) for the clients that may use the
    /// authorization code grant.
    pub allow_password_grant: bool,
    /// Accept any well-formed `code_verifier`, matching the challenge or not.
    pub skip_verifier_check: bool,
    /// Accept a `code_verifier` that is too short, too long or has characters outside the
    /// unreserved set (RFC 7636 §4.1), when it matches the challenge.
    pub accept_malformed_verifier: bool,
    /// Redeem a code whatever `redirect_uri` the token request names (or none).
    pub ignore_token_redirect_uri: bool,
    /// Leave `state` out of error responses of the authorization endpoint.
    pub no_state_on_error: bool,
    /// Take a confidential client's `client_id` alone as its authentication (no secret needed).
    pub client_id_alone: bool,
    /// On a reused rotated refresh token, refuse it but leave the rest of its family working.
    pub no_refresh_family_revocation: bool,
    /// On a reused authorization code, refuse it but leave the tokens first issued for it alive.
    pub keep_tokens_on_code_reuse: bool,
    /// Accept a DPoP-bound access token sent as a plain Bearer token (no proof).
    pub dpop_token_as_bearer: bool,
    /// Accept a DPoP-bound access token with a valid proof by any key, not only its `cnf.jkt`.
    pub dpop_any_key: bool,
    /// Publish the private part (`d`) of the ES256 signing key in the JWKS.
    pub jwks_private_key: bool,
    /// Hold each client's loopback redirect URI to the first port it used (RFC 8252 §7.3 says
    /// any port must be accepted for native apps).
    pub pin_loopback_port: bool,
    /// The protected resource verifies JWT access tokens itself and takes `alg: none` (any
    /// spelling) as signed.
    pub accept_alg_none: bool,
    /// The protected resource decodes JWT access tokens without checking their signature or
    /// issuer (`exp`, `aud` and `typ` are still checked).
    pub skip_token_signature: bool,
    /// The protected resource verifies an HS256/384/512 token with its RSA public key (SPKI
    /// PEM) as the HMAC secret: HS/RS key confusion.
    pub hmac_key_confusion: bool,
    /// The protected resource verifies a token with the key in its own `jwk` header.
    pub trust_header_jwk: bool,
    /// The protected resource fetches the keys a token's `jku` header names (loopback URLs
    /// only) and verifies the token with them.
    pub follow_jku: bool,
    /// The protected resource takes access tokens past their `exp`.
    pub ignore_exp: bool,
    /// The protected resource takes access tokens whatever their `aud`.
    pub ignore_audience: bool,
    /// The protected resource takes the sandbox's ID tokens as access tokens.
    pub accept_id_tokens: bool,
    /// The protected resource takes the token from the `access_token` query parameter.
    pub accept_query_token: bool,
    /// The protected resource answers a missing or refused token 401 without a
    /// `WWW-Authenticate` challenge.
    pub no_challenge: bool,
    /// Register any redirect URI a client asks for (plain http to another host, a fragment,
    /// no URI at all for a code client): RFC 7591 §5 and RFC 6749 §3.1.2 say to refuse them.
    pub registration_any_redirect_uri: bool,
    /// Put a `nonce` into back-channel logout tokens (Back-Channel Logout §2.4 forbids one:
    /// it lets an ID token pass for a logout token).
    pub logout_token_nonce: bool,
    /// Accept a CIBA request without a `binding_message`: the phone then shows the user
    /// nothing to compare with the client's screen, so an attacker's request is approved as
    /// readily as the user's own.
    pub ciba_without_binding_message: bool,
    /// Take the first value of a repeated parameter instead of refusing the request (RFC 6749
    /// §3.1, §3.2: parameters must not be repeated).
    pub accept_duplicate_params: bool,
    /// Refuse a request that carries a parameter the sandbox does not know (OAuth 2.1 §3.1:
    /// unknown parameters must be ignored).
    pub refuse_unknown_params: bool,
    /// Let any client revoke any token (RFC 7009 §2.1: only the client it was issued to).
    pub revoke_any_client: bool,
    /// Issue authorization codes of 4 random bytes (about 32 bits) instead of 32.
    pub short_codes: bool,
    /// Keep a pushed request's `request_uri` usable after it was used (RFC 9126 §4: one use).
    pub reusable_request_uri: bool,
    /// Redeem a code bound with `dpop_jkt` whatever key signs the token request's proof.
    pub ignore_dpop_jkt: bool,
    /// Accept a DPoP proof whose `jti` was seen before (RFC 9449 §11.1: a replay).
    pub accept_replayed_dpop_proof: bool,
}

/// Stricter behaviours for teaching (RFC 9449 nonces, RFC 9126 required PAR, RFC 9470 step-up).
/// All off by default; each is named `--…` on the command line and announced on every page, in
/// discovery and on stderr when on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TeachingSwitches {
    /// Demand a server nonce in every DPoP proof (`use_dpop_nonce`, RFC 9449 §8 and §9).
    pub require_dpop_nonce: bool,
    /// Refuse authorization requests that were not pushed first (RFC 9126 §5).
    pub require_par: bool,
    /// The protected resource demands a stronger authentication than the sandbox's login gives
    /// (RFC 9470 `insufficient_user_authentication` with `acr_values` and `max_age`).
    pub require_step_up: bool,
    /// Dynamic client registration only with the initial access token
    /// ([`INITIAL_ACCESS_TOKEN`], RFC 7591 §3); off, registration is open.
    pub require_initial_access_token: bool,
    /// Require PKCE of every client, confidential ones too (OAuth 2.1 §4.1.1, FAPI 2.0
    /// §5.3.2.2).
    pub require_pkce: bool,
    /// Issue tokens only to a token request with a DPoP proof or a client certificate (FAPI 2.0
    /// §5.3.2.1: sender-constrained tokens).
    pub require_sender_constraint: bool,
    /// Accept and advertise only the FAPI 2.0 JWS algorithms (PS256, ES256, EdDSA, §5.4.1) for
    /// client assertions and ID tokens.
    pub require_fapi2_algs: bool,
    /// Keep refresh tokens across refreshes instead of rotating them (FAPI 2.0 §5.3.2.1: they
    /// are bound to the client's authentication).
    pub keep_refresh_tokens: bool,
    /// Accept a client assertion only when its `aud` is the issuer, as a string (RFC 7523bis,
    /// FAPI 2.0 after CVE-2025-27370/27371).
    pub require_issuer_audience: bool,
}

/// The initial access token the `require-initial-access-token` switch asks registrations for
/// (public on purpose, like the demo secrets).
pub const INITIAL_ACCESS_TOKEN: &str = "sandbox-initial-access-token";

/// The `acr` the resource's step-up switch demands: reached by a login whose request named it
/// in `acr_values` and that passed the demo second factor ([`STEP_UP_CODE`]).
pub const STEP_UP_ACR: &str = "urn:grantscope:sandbox:acr:mfa";
/// The demo second factor the login page asks for when `acr_values` names [`STEP_UP_ACR`].
pub const STEP_UP_CODE: &str = "246810";
/// The `max_age` (seconds) the resource's step-up switch demands.
pub const STEP_UP_MAX_AGE: u64 = 300;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// TCP port of the TLS listener (mutual TLS, RFC 8705) on 127.0.0.1; 0 picks a free one.
    pub tls_port: u16,
    /// Lifetime of access tokens (and ID tokens).
    pub access_token_ttl: Duration,
    /// Lifetime of each refresh token (a rotated one gets a fresh lifetime).
    pub refresh_token_ttl: Duration,
    /// Lifetime of authorization codes.
    pub code_ttl: Duration,
    /// Lifetime of device codes and user codes.
    pub device_code_ttl: Duration,
    /// Minimum polling interval announced for the device grant (RFC 8628 §3.2).
    pub device_poll_interval: Duration,
    /// Approve every authorization and device request at once as this seeded user (for scripts).
    pub auto_approve: Option<String>,
    /// Algorithm of issued access tokens and ID tokens.
    pub signing_alg: SigningAlg,
    /// Where the signing keys live; `None` means [`default_key_dir`].
    pub key_dir: Option<PathBuf>,
    /// Replace the signing keys at start (the old pair stays in the JWKS until the next rotation).
    pub rotate_keys: bool,
    /// Deliberate mistakes for teaching, all off by default.
    pub unsafe_switches: UnsafeSwitches,
    /// Stricter behaviours for teaching, all off by default.
    pub teaching_switches: TeachingSwitches,
    /// The public JWK (`use: enc`) ID tokens are encrypted to (RSA-OAEP-256 or ECDH-ES,
    /// A256GCM), for every client: `--id-token-encryption-key NAME`. None: signed only.
    pub id_token_encryption_key: Option<serde_json::Value>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            tls_port: 0,
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(14 * 24 * 3600),
            code_ttl: Duration::from_secs(60),
            device_code_ttl: Duration::from_secs(600),
            device_poll_interval: Duration::from_secs(5),
            auto_approve: None,
            signing_alg: SigningAlg::Rs256,
            key_dir: None,
            rotate_keys: false,
            unsafe_switches: UnsafeSwitches::default(),
            teaching_switches: TeachingSwitches::default(),
            id_token_encryption_key: None,
        }
    }
}

/// The teaching presets (`grantscope sandbox --preset NAME`).
pub const PRESETS: &[&str] = &["fapi2"];

impl SandboxConfig {
    /// The `fapi2` teaching preset: a FAPI 2.0 Security Profile server. PAR and PKCE required,
    /// DPoP or mutual TLS required, PS256/ES256 only (ES256 ID tokens), 60-second codes, refresh tokens
    /// kept (not rotated), client assertions only for the issuer.
    pub fn fapi2() -> Self {
        SandboxConfig {
            signing_alg: SigningAlg::Es256,
            code_ttl: Duration::from_secs(60),
            teaching_switches: TeachingSwitches {
                require_par: true,
                require_pkce: true,
                require_sender_constraint: true,
                require_fapi2_algs: true,
                keep_refresh_tokens: true,
                require_issuer_audience: true,
                ..TeachingSwitches::default()
            },
            ..SandboxConfig::default()
        }
    }

    /// The preset named `name` (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Self> {
        (name == "fapi2").then(Self::fapi2)
    }

    /// The access token lifetime in force (after the long-lived switch).
    pub fn effective_access_token_ttl(&self) -> Duration {
        if self.unsafe_switches.long_lived_tokens {
            UNSAFE_LONG_ACCESS_TOKEN_TTL
        } else {
            self.access_token_ttl
        }
    }

    /// The refresh token lifetime in force (after the long-lived switch).
    pub fn effective_refresh_token_ttl(&self) -> Duration {
        if self.unsafe_switches.long_lived_tokens {
            UNSAFE_LONG_REFRESH_TOKEN_TTL
        } else {
            self.refresh_token_ttl
        }
    }
}
