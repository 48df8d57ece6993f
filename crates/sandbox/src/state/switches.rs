//! The teaching switches as data: one table ([`SWITCHES`]) that the command line (`grantscope
//! sandbox --NAME`), the sandbox's own banner and discovery document, and the desktop app's
//! classroom panel all read, so every place lists the same switches with the same words.
//!
//! A switch is either a deliberate mistake ([`SwitchKind::Unsafe`], named `unsafe-…`) that a
//! probe of `grantscope probe` should catch, or a stricter behaviour ([`SwitchKind::Stricter`])
//! that teaches a newer specification. Each row names the probes (PROBES.md ids) it teaches.

use crate::state::config::{SandboxConfig, TeachingSwitches, UnsafeSwitches};

/// What kind of teaching a switch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchKind {
    /// The sandbox commits a classic mistake on purpose (a probe should fail).
    Unsafe,
    /// The sandbox demands more than the baseline (a newer RFC's stricter behaviour).
    Stricter,
}

/// One teaching switch: its command-line name, its one-line explanation, the probes it
/// teaches, and how to read and set it on a [`SandboxConfig`].
#[derive(Debug, Clone, Copy)]
pub struct SwitchInfo {
    /// The command-line name without the dashes (`unsafe-allow-plain-pkce`).
    pub name: &'static str,
    /// A mistake or a stricter behaviour.
    pub kind: SwitchKind,
    /// One line, in plain words: what the sandbox does while the switch is on.
    pub explanation: &'static str,
    /// The probe ids (PROBES.md) whose verdict this switch changes; empty when no probe
    /// covers it.
    pub probes: &'static [&'static str],
    /// Whether the switch is on in a configuration.
    pub get: fn(&SandboxConfig) -> bool,
    /// Turns the switch on or off in a configuration.
    pub set: fn(&mut SandboxConfig, bool),
}

impl SwitchInfo {
    /// Whether the switch is on in `config`.
    pub fn is_on(&self, config: &SandboxConfig) -> bool {
        (self.get)(config)
    }
}

macro_rules! switch {
    ($kind:ident, $set:ident . $field:ident, $name:literal, $probes:expr, $text:literal) => {
        SwitchInfo {
            name: $name,
            kind: SwitchKind::$kind,
            explanation: $text,
            probes: $probes,
            get: |c| c.$set.$field,
            set: |c, on| c.$set.$field = on,
        }
    };
}

/// Every teaching switch, in the order they are listed everywhere.
pub const SWITCHES: &[SwitchInfo] = &[
    switch!(
        Unsafe,
        unsafe_switches.allow_plain_pkce,
        "unsafe-allow-plain-pkce",
        &["pkce.plain"],
        "Accept code_challenge_method=plain (and a missing method, which means plain)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.allow_missing_pkce,
        "unsafe-allow-missing-pkce",
        &["pkce.required", "pkce.verifier-omitted"],
        "Let public clients skip PKCE, and accept a token request without the code_verifier."
    ),
    switch!(
        Unsafe,
        unsafe_switches.no_refresh_rotation,
        "unsafe-no-refresh-rotation",
        &["refresh.rotation"],
        "Do not rotate refresh tokens: the same one comes back on every refresh."
    ),
    switch!(
        Unsafe,
        unsafe_switches.any_redirect_uri,
        "unsafe-any-redirect-uri",
        &["redirect.exact", "redirect.no-open-redirect"],
        "Redirect to any absolute redirect_uri, registered or not (an open redirector)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.long_lived_tokens,
        "unsafe-long-lived-tokens",
        &["token.lifetimes"],
        "Issue access tokens valid for a year and refresh tokens for ten."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_wrong_assertion_audience,
        "unsafe-accept-wrong-assertion-audience",
        &["client-assertion.audience"],
        "Accept JWT assertions (client authentication, JWT bearer) whose aud names another server."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_replayed_assertion,
        "unsafe-accept-replayed-assertion",
        &["client-assertion.claims"],
        "Accept a JWT assertion whose jti was already used (a replay)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_expired_assertion,
        "unsafe-accept-expired-assertion",
        &["client-assertion.claims"],
        "Accept a JWT assertion after its exp."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_unsigned_request_object,
        "unsafe-accept-unsigned-request-object",
        &[],
        "Accept unsigned request objects (alg none, which RFC 9101 says to refuse)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.allow_implicit,
        "unsafe-allow-implicit",
        &["grants.legacy", "response-type.code-only"],
        "Answer the deprecated implicit and hybrid response types: tokens in the browser's front channel."
    ),
    switch!(
        Unsafe,
        unsafe_switches.allow_code_reuse,
        "unsafe-allow-code-reuse",
        &["code.single-use", "code.race"],
        "Redeem an authorization code as often as it is presented."
    ),
    switch!(
        Unsafe,
        unsafe_switches.no_iss,
        "unsafe-no-iss",
        &["iss.response"],
        "Leave iss out of authorization responses (while the metadata still promises it)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.cors_on_authorize,
        "unsafe-cors-on-authorize",
        &["headers"],
        "Answer the authorization endpoint with CORS headers for any origin."
    ),
    switch!(
        Unsafe,
        unsafe_switches.allow_pkce_downgrade,
        "unsafe-allow-pkce-downgrade",
        &["pkce.downgrade"],
        "Accept a code_verifier for a code that was issued without a challenge (PKCE downgrade)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.refresh_any_client,
        "unsafe-refresh-any-client",
        &["refresh.client-bound"],
        "Let any client refresh any refresh token (refresh tokens not bound to their client)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.allow_password_grant,
        "unsafe-allow-password-grant",
        &["grants.legacy"],
        "Answer the deprecated password grant (RFC 6749 §4.3): the client sees the user's password."
    ),
    switch!(
        Unsafe,
        unsafe_switches.skip_verifier_check,
        "unsafe-skip-pkce-verifier-check",
        &["pkce.verifier-checked", "pkce.plain"],
        "Accept any code_verifier without comparing it with the code_challenge."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_malformed_verifier,
        "unsafe-accept-malformed-verifier",
        &["pkce.verifier-format"],
        "Accept a code_verifier that is too short, too long or not of [A-Za-z0-9-._~] (RFC 7636 §4.1)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.ignore_token_redirect_uri,
        "unsafe-ignore-token-redirect-uri",
        &["code.redirect-bound"],
        "Redeem a code whatever redirect_uri the token request names, or none (RFC 6749 §4.1.3)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.no_state_on_error,
        "unsafe-no-state-on-error",
        &["state.echo"],
        "Leave state out of the authorization endpoint's error responses."
    ),
    switch!(
        Unsafe,
        unsafe_switches.client_id_alone,
        "unsafe-client-id-alone",
        &["client-auth.enforced", "refresh.client-bound"],
        "Take a confidential client's client_id alone as its authentication (no secret checked)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.no_refresh_family_revocation,
        "unsafe-no-refresh-family-revocation",
        &["refresh.reuse-revokes-family"],
        "Refuse a reused refresh token but leave the newest one of its family working."
    ),
    switch!(
        Unsafe,
        unsafe_switches.keep_tokens_on_code_reuse,
        "unsafe-keep-tokens-on-code-reuse",
        &["code.reuse-revokes"],
        "Refuse a reused authorization code but leave the tokens first issued for it alive."
    ),
    switch!(
        Unsafe,
        unsafe_switches.dpop_token_as_bearer,
        "unsafe-dpop-token-as-bearer",
        &["dpop.enforced", "api.dpop-as-bearer"],
        "Accept a DPoP-bound access token sent as a plain Bearer token, without a proof."
    ),
    switch!(
        Unsafe,
        unsafe_switches.dpop_any_key,
        "unsafe-dpop-any-key",
        &["dpop.enforced"],
        "Accept a DPoP-bound access token with a valid proof by any key, not only the one it is bound to (cnf.jkt)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.jwks_private_key,
        "unsafe-jwks-private-key",
        &["jwks.hygiene"],
        "Publish the private part (d) of the ES256 signing key in the JWKS: anyone can forge tokens."
    ),
    switch!(
        Unsafe,
        unsafe_switches.pin_loopback_port,
        "unsafe-pin-loopback-port",
        &["redirect.loopback-port"],
        "Hold each client's loopback redirect URI to the first port it used (native apps need any port)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_alg_none,
        "unsafe-accept-alg-none",
        &["api.alg-none"],
        "The protected resource takes a JWT with alg none (any spelling) as signed."
    ),
    switch!(
        Unsafe,
        unsafe_switches.skip_token_signature,
        "unsafe-skip-token-signature",
        &[
            "api.alg-none",
            "api.signature-stripped",
            "api.signature-invalid",
            "api.claims-tampered",
            "api.hmac-key-confusion",
            "api.embedded-jwk",
            "api.jku",
            "api.x5u",
            "api.kid-injection",
            "api.psychic-signature",
            "api.foreign-issuer",
        ],
        "The protected resource decodes JWT access tokens without checking their signature or issuer."
    ),
    switch!(
        Unsafe,
        unsafe_switches.hmac_key_confusion,
        "unsafe-hmac-key-confusion",
        &["api.hmac-key-confusion"],
        "The protected resource verifies an HS256 token with its RSA public key (PEM) as the secret: HS/RS key confusion."
    ),
    switch!(
        Unsafe,
        unsafe_switches.trust_header_jwk,
        "unsafe-trust-header-jwk",
        &["api.embedded-jwk"],
        "The protected resource verifies a token with the key its own jwk header carries."
    ),
    switch!(
        Unsafe,
        unsafe_switches.follow_jku,
        "unsafe-follow-jku",
        &["api.jku"],
        "The protected resource fetches the keys a token's jku header names (loopback URLs) and trusts them."
    ),
    switch!(
        Unsafe,
        unsafe_switches.ignore_exp,
        "unsafe-ignore-exp",
        &["api.expired"],
        "The protected resource takes access tokens past their exp."
    ),
    switch!(
        Unsafe,
        unsafe_switches.ignore_audience,
        "unsafe-ignore-audience",
        &["api.audience"],
        "The protected resource takes access tokens whatever their aud names."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_id_tokens,
        "unsafe-accept-id-tokens",
        &["api.id-token"],
        "The protected resource takes the sandbox's ID tokens as access tokens."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_query_token,
        "unsafe-accept-query-token",
        &["api.token-in-query"],
        "The protected resource takes the token from the access_token query parameter (RFC 6750 section 2.3)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.no_challenge,
        "unsafe-no-challenge",
        &["api.challenge"],
        "The protected resource answers 401 without a WWW-Authenticate challenge."
    ),
    switch!(
        Unsafe,
        unsafe_switches.registration_any_redirect_uri,
        "unsafe-registration-any-redirect-uri",
        &[],
        "Dynamic registration accepts any redirect URI (plain http to any host, fragments): a client registered by anyone can send codes anywhere."
    ),
    switch!(
        Unsafe,
        unsafe_switches.logout_token_nonce,
        "unsafe-logout-token-with-nonce",
        &[],
        "Back-channel logout tokens carry a nonce, which §2.4 forbids: a client that accepts them would accept an ID token as a logout."
    ),
    switch!(
        Unsafe,
        unsafe_switches.ciba_without_binding_message,
        "unsafe-ciba-without-binding-message",
        &[],
        "A CIBA request is accepted without a binding_message, so the phone shows the user nothing that ties the approval to the screen in front of them (CIBA §7.1)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_duplicate_params,
        "unsafe-accept-duplicate-params",
        &["params.duplicate"],
        "Take the first value of a repeated parameter instead of refusing the request (RFC 6749 §3.1)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.refuse_unknown_params,
        "unsafe-refuse-unknown-params",
        &["params.unknown-ignored"],
        "Refuse requests that carry a parameter the sandbox does not know (OAuth 2.1 says ignore it)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.revoke_any_client,
        "unsafe-revoke-any-client",
        &["revocation.client-bound"],
        "Let any client revoke any token, not only its own (RFC 7009 §2.1)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.short_codes,
        "unsafe-short-codes",
        &["tokens.entropy"],
        "Issue authorization codes of 4 random bytes (about 32 bits): guessable."
    ),
    switch!(
        Unsafe,
        unsafe_switches.reusable_request_uri,
        "unsafe-reusable-request-uri",
        &["par.request-uri"],
        "Keep a pushed request's request_uri usable after its use (RFC 9126 §4: one use)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.ignore_dpop_jkt,
        "unsafe-ignore-dpop-jkt",
        &["dpop.code-binding"],
        "Redeem a code bound with dpop_jkt whatever key signs the token request's DPoP proof (RFC 9449 §10)."
    ),
    switch!(
        Unsafe,
        unsafe_switches.accept_replayed_dpop_proof,
        "unsafe-accept-replayed-dpop-proof",
        &["dpop.enforced", "dpop.proof"],
        "Accept a DPoP proof whose jti was already used (a replay, RFC 9449 §11.1)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_dpop_nonce,
        "require-dpop-nonce",
        &[],
        "Demand a server nonce in every DPoP proof (use_dpop_nonce, RFC 9449 §8, §9)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_par,
        "require-par",
        &["par.required"],
        "Accept authorization requests only when pushed first (PAR, RFC 9126 §5)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_pkce,
        "require-pkce",
        &["pkce.required"],
        "Require PKCE of every client, confidential ones too (OAuth 2.1, FAPI 2.0)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_sender_constraint,
        "require-sender-constraint",
        &["sender-constraint.required"],
        "Issue tokens only to token requests with a DPoP proof or a client certificate (FAPI 2.0 §5.3.2.1)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_fapi2_algs,
        "require-fapi2-algs",
        &[],
        "Accept and advertise only PS256, ES256 and EdDSA for client assertions and ID tokens (FAPI 2.0 §5.4.1)."
    ),
    switch!(
        Stricter,
        teaching_switches.keep_refresh_tokens,
        "keep-refresh-tokens",
        &["refresh.rotation"],
        "Keep refresh tokens across refreshes, as FAPI 2.0 §5.3.2.1 asks (the BCP wants public clients' rotated)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_issuer_audience,
        "require-issuer-audience",
        &["client-assertion.audience"],
        "Accept a client assertion only when its aud is the issuer, as a string (RFC 7523bis, FAPI 2.0)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_step_up,
        "require-step-up",
        &[],
        "The protected resource demands a step-up login (RFC 9470 acr_values and max_age; demo one-time code)."
    ),
    switch!(
        Stricter,
        teaching_switches.require_initial_access_token,
        "require-initial-access-token",
        &[],
        "Dynamic registration only with the initial access token sandbox-initial-access-token (RFC 7591 §3); otherwise it is open."
    ),
];

/// The switch named `name` (without the dashes).
pub fn find_switch(name: &str) -> Option<&'static SwitchInfo> {
    SWITCHES.iter().find(|s| s.name == name)
}

/// The switches of `kind` that are on in `config`, in table order.
pub fn enabled(config: &SandboxConfig, kind: SwitchKind) -> Vec<&'static str> {
    SWITCHES
        .iter()
        .filter(|s| s.kind == kind && s.is_on(config))
        .map(|s| s.name)
        .collect()
}

// The switches' names, listed here beside their table (the configuration below knows nothing
// of the table).
impl UnsafeSwitches {
    /// The command-line names of the switches that are on (the order of
    /// [`SWITCHES`]).
    pub fn enabled(&self) -> Vec<&'static str> {
        let config = SandboxConfig {
            unsafe_switches: *self,
            ..SandboxConfig::default()
        };
        enabled(&config, SwitchKind::Unsafe)
    }
}

impl TeachingSwitches {
    /// The command-line names of the switches that are on (the order of
    /// [`SWITCHES`]).
    pub fn enabled(&self) -> Vec<&'static str> {
        let config = SandboxConfig {
            teaching_switches: *self,
            ..SandboxConfig::default()
        };
        enabled(&config, SwitchKind::Stricter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_switch_sets_and_reads_only_itself() {
        for switch in SWITCHES {
            let mut config = SandboxConfig::default();
            assert!(!switch.is_on(&config), "{} on by default", switch.name);
            (switch.set)(&mut config, true);
            assert!(switch.is_on(&config), "{}", switch.name);
            let on: Vec<&str> = SWITCHES
                .iter()
                .filter(|s| s.is_on(&config))
                .map(|s| s.name)
                .collect();
            assert_eq!(on, vec![switch.name], "{} sets another switch", switch.name);
            (switch.set)(&mut config, false);
            assert!(!switch.is_on(&config), "{}", switch.name);
        }
    }

    #[test]
    fn names_are_unique_and_kinds_match_their_prefix() {
        let mut names: Vec<&str> = SWITCHES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SWITCHES.len());
        for switch in SWITCHES {
            assert_eq!(
                switch.name.starts_with("unsafe-"),
                switch.kind == SwitchKind::Unsafe,
                "{}",
                switch.name
            );
            assert!(!switch.explanation.contains('\n'), "{}", switch.name);
            assert!(find_switch(switch.name).is_some());
        }
    }
}
