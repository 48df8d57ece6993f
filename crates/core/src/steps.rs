//! What each step of a flow is for, in plain words: the text that step mode shows before a
//! request and that `grantscope token GRANT --explain` prints. It lives here, beside the
//! wizard's data ([`crate::wizard`]), as data reviewed like code: one place for the CLI, the
//! desktop app and the tests.
//!
//! A step is a [`StepKind`] (the engine names its exchanges by [`StepKind::name`]); the token
//! request's text depends on the grant. Both matches below are exhaustive, with no fallback
//! arm: a new step kind or a new grant does not compile until it has its text.

use crate::oauth::GrantKind;
pub use crate::oauth::step::StepKind;

/// The explanation of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepText {
    /// A short title ("Token request: exchange the code").
    pub title: &'static str,
    /// What the step is for.
    pub purpose: &'static str,
    /// The specification section it follows.
    pub reference: &'static str,
    /// What a server must check when it receives this request.
    pub server_checks: &'static str,
}

/// The name the authorization step (the browser's visit) has in step mode.
pub const AUTHORIZE: &str = StepKind::Authorization.name();

const DISCOVERY: StepText = StepText {
    title: "Discovery: read the server's metadata",
    purpose: "The client fetches the issuer's metadata document to learn its endpoints, the grants and client authentication methods it supports, and where its signing keys are.",
    reference: "RFC 8414 §3; OpenID Connect Discovery 1.0 §4",
    server_checks: "Nothing secret is sent. The client must check that the document's `issuer` is exactly the issuer it asked for (mix-up defence, RFC 8414 §3.3).",
};

const AUTHORIZATION: StepText = StepText {
    title: "Authorization request: the user signs in",
    purpose: "The browser goes to the authorization endpoint with the client id, the redirect URI, the scope, a random `state`, an OpenID `nonce`, and the PKCE `code_challenge` (the hash of a secret verifier the client keeps). The user signs in and consents; the server redirects back with a one-time code.",
    reference: "RFC 6749 §4.1.1; RFC 7636 §4.3; RFC 9700 §2.1",
    server_checks: "The redirect URI must match a registered one exactly (loopback: any port); a public client must send a PKCE challenge; the response carries `state` back unchanged and, per RFC 9207, its own `iss`.",
};

const PUSHED_AUTHORIZATION: StepText = StepText {
    title: "Pushed authorization request: the parameters go first, directly",
    purpose: "Instead of putting the authorization parameters in the browser's URL, the client posts them to the server (authenticating itself) and gets a short-lived `request_uri`; the browser then carries only that and the client id, so nobody on the front channel can read or change them.",
    reference: "RFC 9126 §2; RFC 9700 §2.1",
    server_checks: "The client is authenticated; the redirect URI is registered; the request_uri is single-use, short-lived and bound to this client.",
};

const TOKEN_CODE: StepText = StepText {
    title: "Token request: exchange the code",
    purpose: "The client sends the code it received, the same redirect URI, and the PKCE `code_verifier` to the token endpoint, authenticating itself if it is confidential. Only the client that started the flow knows the verifier, so a stolen code is worthless.",
    reference: "RFC 6749 §4.1.3; RFC 7636 §4.5",
    server_checks: "The code is used once and belongs to this client; the redirect URI is the one of the authorization request; SHA-256(code_verifier) equals the challenge; a second use of the code revokes what it issued (RFC 9700 §4.2.4).",
};

const TOKEN_CLIENT_CREDENTIALS: StepText = StepText {
    title: "Token request: the client proves who it is",
    purpose: "A machine with no user asks for a token on its own behalf, authenticating with its own credentials (a secret, a signed assertion or a certificate).",
    reference: "RFC 6749 §4.4",
    server_checks: "Only a confidential client may use this grant, and its authentication must be checked; the scope is limited to what the client itself may do.",
};

const TOKEN_JWT_BEARER: StepText = StepText {
    title: "Token request: a signed assertion stands for the grant",
    purpose: "The client sends a JWT, signed by a party the server trusts, that names the subject the token is for; no user is asked. Enterprise and cross-domain set-ups use it to turn an existing identity into an access token.",
    reference: "RFC 7523 §2.1, §3",
    server_checks: "The assertion's signature verifies with a trusted key; `iss`, `sub` and `aud` (this server) are present and `aud` names this server; `exp` has not passed; its `jti` is not replayed.",
};

const TOKEN_EXCHANGE: StepText = StepText {
    title: "Token request: trade one token for another",
    purpose: "The client presents a subject token (and maybe an actor token) and asks for a new token of a given type, for another audience or with less scope: delegation and impersonation between services.",
    reference: "RFC 8693 §2.1, §2.2",
    server_checks: "The subject token is valid and was issued for this use; the client may exchange it; the new token's audience and scope are no wider than policy allows; `act` records who acts for whom.",
};

const RESOURCE_CALL: StepText = StepText {
    title: "API call: use the token",
    purpose: "The client calls a protected resource with the access token: `Authorization: Bearer` or, for a DPoP-bound token, `Authorization: DPoP` with a fresh proof that hashes the token (`ath`). The resource answers 401 with a `WWW-Authenticate` challenge when it wants something else.",
    reference: "RFC 6750 §2.1, §3; RFC 9449 §7; RFC 9470 §3",
    server_checks: "The token is valid, unexpired, meant for this resource (`aud`) and carries the scope needed; a DPoP-bound token comes with a proof of its key (`cnf.jkt`), never as a plain Bearer token.",
};

const TOKEN_PASSWORD: StepText = StepText {
    title: "Token request: the user's password (deprecated)",
    purpose: "The client sends the user's name and password itself. This is why the grant is deprecated: the client sees the password, and no second factor or consent can happen.",
    reference: "RFC 6749 §4.3; RFC 9700 §2.4 (must not be used)",
    server_checks: "A server should not offer this grant at all; if it does, it must rate-limit and authenticate the client.",
};

const TOKEN_DEVICE_POLL: StepText = StepText {
    title: "Token poll: has the user approved yet?",
    purpose: "While the user enters the code on another device, the client asks the token endpoint with its device code every `interval` seconds. `authorization_pending` is the expected answer until the user approves; `slow_down` means wait 5 s longer.",
    reference: "RFC 8628 §3.4, §3.5",
    server_checks: "The device code belongs to this client, has not expired, and polling faster than the interval gets `slow_down`.",
};

const DEVICE_AUTHORIZATION: StepText = StepText {
    title: "Device authorization: get a user code",
    purpose: "A device without a browser or keyboard asks for a device code (kept by the client) and a short user code with a verification URL that the user opens on a phone or computer.",
    reference: "RFC 8628 §3.1, §3.2",
    server_checks: "The client is authenticated if confidential; the codes are random, short-lived, and the user code is easy to type but hard to guess.",
};

const BACKCHANNEL_AUTHENTICATION: StepText = StepText {
    title: "Backchannel authentication: ask the provider to reach the user",
    purpose: "The client names the user (`login_hint`) and a short `binding_message` the user sees on both screens; the provider authenticates them on their own device and answers with an `auth_req_id` the client waits on.",
    reference: "OpenID Connect CIBA Core 1.0 §7.1, §7.3",
    server_checks: "The client is authenticated; the hint names a known user; `scope` has `openid`; the binding message is shown to the user, so a phished approval is caught; the request expires.",
};

const TOKEN_CIBA_POLL: StepText = StepText {
    title: "Token request: has the user approved on their device?",
    purpose: "With the `auth_req_id`, the client polls every `interval` seconds (poll mode) or asks once after the provider's ping (ping mode). `authorization_pending` until the user decides; `slow_down` means wait 5 s longer; `access_denied` or `expired_token` end it.",
    reference: "OpenID Connect CIBA Core 1.0 §10.1, §11",
    server_checks: "The auth_req_id belongs to this client, has not expired, is redeemed once; polling faster than the interval gets `slow_down`.",
};

const REFRESH: StepText = StepText {
    title: "Refresh request: a new access token without the user",
    purpose: "The client sends its refresh token to get a fresh access token. Servers rotate refresh tokens: the answer carries a new one and the old one stops working.",
    reference: "RFC 6749 §6; RFC 9700 §4.14",
    server_checks: "The refresh token belongs to this client (which must authenticate if confidential); a reused, rotated-out token revokes the whole family; the scope cannot grow.",
};

const INTROSPECTION: StepText = StepText {
    title: "Introspection: is this token still active?",
    purpose: "A resource server (or this client) asks the authorization server about a token and gets `active` and its claims.",
    reference: "RFC 7662 §2",
    server_checks: "The caller must be authenticated; a revoked or expired token is `active: false` with nothing else.",
};

const REVOCATION: StepText = StepText {
    title: "Revocation: this token must stop working",
    purpose: "The client tells the server it no longer needs a token (at logout, say). Revoking a refresh token should also end the access tokens issued with it.",
    reference: "RFC 7009 §2",
    server_checks: "The client is authenticated and owns the token; the answer is 200 even for an unknown token.",
};

const USERINFO: StepText = StepText {
    title: "Userinfo: who signed in",
    purpose: "The client calls the OpenID Provider's userinfo endpoint with the access token as a Bearer token and gets the user's claims.",
    reference: "OpenID Connect Core 1.0 §5.3; RFC 6750 §2.1",
    server_checks: "The access token is valid, not expired or revoked, and carries the `openid` scope.",
};

const JWKS: StepText = StepText {
    title: "JWKS: the server's public keys",
    purpose: "The client fetches the keys that verify the server's signed tokens.",
    reference: "RFC 7517 §5; RFC 8414 §2 (`jwks_uri`)",
    server_checks: "Only public keys are published; the client follows no key URL named inside a token (`jku`, `x5u`).",
};

/// The explanation of a step named `step` (a [`StepKind::name`]), for the grant being run
/// (when known); `None` for a name that is no step of the engine's.
pub fn explain(step: &str, grant: Option<GrantKind>) -> Option<&'static StepText> {
    StepKind::from_name(step).map(|kind| text(kind, grant))
}

/// The explanation of a kind of step, for the grant being run (when known).
pub fn text(step: StepKind, grant: Option<GrantKind>) -> &'static StepText {
    match step {
        StepKind::Discovery => &DISCOVERY,
        StepKind::Authorization => &AUTHORIZATION,
        StepKind::PushedAuthorization => &PUSHED_AUTHORIZATION,
        StepKind::Token => match grant {
            Some(grant) => token_request(grant),
            None => &TOKEN_CODE,
        },
        StepKind::ResourceCall => &RESOURCE_CALL,
        StepKind::TokenPoll if grant == Some(GrantKind::Ciba) => &TOKEN_CIBA_POLL,
        StepKind::TokenPoll => &TOKEN_DEVICE_POLL,
        StepKind::BackchannelAuthentication => &BACKCHANNEL_AUTHENTICATION,
        StepKind::DeviceAuthorization => &DEVICE_AUTHORIZATION,
        StepKind::Refresh => &REFRESH,
        StepKind::Introspection => &INTROSPECTION,
        StepKind::Revocation => &REVOCATION,
        StepKind::Userinfo => &USERINFO,
        StepKind::Jwks => &JWKS,
    }
}

/// The token request's explanation for each grant.
fn token_request(grant: GrantKind) -> &'static StepText {
    match grant {
        GrantKind::AuthorizationCode => &TOKEN_CODE,
        GrantKind::ClientCredentials => &TOKEN_CLIENT_CREDENTIALS,
        GrantKind::RefreshToken => &REFRESH,
        GrantKind::DeviceCode => &TOKEN_DEVICE_POLL,
        GrantKind::Password => &TOKEN_PASSWORD,
        GrantKind::JwtBearer => &TOKEN_JWT_BEARER,
        GrantKind::TokenExchange => &TOKEN_EXCHANGE,
        GrantKind::Ciba => &TOKEN_CIBA_POLL,
    }
}

impl StepText {
    /// The explanation as lines for a terminal: title, then the three parts.
    pub fn to_lines(&self) -> Vec<String> {
        vec![
            format!("── {} ──", self.title),
            format!("  why:    {}", self.purpose),
            format!("  spec:   {}", self.reference),
            format!("  server: {}", self.server_checks),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::grants::GRANTS;

    #[test]
    fn every_grant_step_has_an_explanation() {
        for g in GRANTS {
            assert!(!g.steps.is_empty(), "{}", g.name);
            for s in g.steps {
                let t = explain(s.name(), Some(g.kind))
                    .unwrap_or_else(|| panic!("{s:?} for {}", g.name));
                assert!(!t.purpose.is_empty() && t.reference.contains('§'), "{s:?}");
            }
        }
        for kind in StepKind::ALL {
            assert_eq!(StepKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            explain("token request", Some(GrantKind::ClientCredentials))
                .unwrap()
                .reference,
            "RFC 6749 §4.4"
        );
        // Each grant's token request is its own, not the code exchange's.
        for kind in [GrantKind::JwtBearer, GrantKind::TokenExchange] {
            assert_ne!(
                explain("token request", Some(kind)),
                explain("token request", Some(GrantKind::AuthorizationCode)),
                "{kind:?}"
            );
        }
        assert!(explain("JWKS", None).is_some(), "steps are named JWKS");
        assert!(explain("resource call", None).is_some());
        assert!(explain("resource call (workbench token)", None).is_some());
        assert!(explain("made up", None).is_none());
    }
}
