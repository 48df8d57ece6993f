//! What registered names mean: the JWT claims (IANA "JSON Web Token Claims" registry) and the
//! JOSE header parameters (IANA "JSON Web Signature and Encryption Header Parameters") that
//! tokens carry, each with a one-line meaning and the specification that defines it. The
//! inspector shows them on hover and the command line's human report beside each line; a name
//! not in these tables is the issuer's own (private claims, RFC 7519 §4.3).

/// One registered name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameInfo {
    /// The name as it appears in the JSON (`exp`, `x5t#S256`).
    pub name: &'static str,
    /// One line, in plain words.
    pub meaning: &'static str,
    /// Where it is defined (`RFC 7519 §4.1.4`, `OpenID Connect Core §2`).
    pub spec: &'static str,
}

impl NameInfo {
    /// `meaning (spec)`, for a hover or a report line.
    pub fn line(&self) -> String {
        format!("{} ({})", self.meaning, self.spec)
    }
}

const fn n(name: &'static str, meaning: &'static str, spec: &'static str) -> NameInfo {
    NameInfo {
        name,
        meaning,
        spec,
    }
}

/// Registered JWT claims.
pub const CLAIMS: &[NameInfo] = &[
    n(
        "iss",
        "Issuer: who made and signed the token",
        "RFC 7519 §4.1.1",
    ),
    n(
        "sub",
        "Subject: whom the token is about (unique within the issuer)",
        "RFC 7519 §4.1.2",
    ),
    n(
        "aud",
        "Audience: who the token is meant for; anyone else must refuse it",
        "RFC 7519 §4.1.3",
    ),
    n(
        "exp",
        "Expiration time: not to be accepted on or after this instant",
        "RFC 7519 §4.1.4",
    ),
    n(
        "nbf",
        "Not before: not to be accepted before this instant",
        "RFC 7519 §4.1.5",
    ),
    n(
        "iat",
        "Issued at: when the token was made",
        "RFC 7519 §4.1.6",
    ),
    n(
        "jti",
        "JWT ID: a unique identifier, used to detect replays",
        "RFC 7519 §4.1.7",
    ),
    n(
        "azp",
        "Authorized party: the client the ID token was issued to",
        "OpenID Connect Core §2",
    ),
    n(
        "nonce",
        "The client's nonce from the authorization request, against replayed ID tokens",
        "OpenID Connect Core §2",
    ),
    n(
        "auth_time",
        "When the user last authenticated",
        "OpenID Connect Core §2",
    ),
    n(
        "acr",
        "Authentication context class: how strongly the user was authenticated",
        "OpenID Connect Core §2",
    ),
    n(
        "amr",
        "Authentication methods used (pwd, otp, mfa, hwk, ...)",
        "OpenID Connect Core §2; RFC 8176",
    ),
    n(
        "at_hash",
        "Access token hash: binds the ID token to the access token issued with it",
        "OpenID Connect Core §3.1.3.6",
    ),
    n(
        "c_hash",
        "Code hash: binds the ID token to the authorization code",
        "OpenID Connect Core §3.3.2.11",
    ),
    n(
        "s_hash",
        "State hash: binds the ID token to the request's state",
        "FAPI 1.0 Advanced §5.1",
    ),
    n(
        "sid",
        "Session ID: the user's session at the provider (used by logout)",
        "OpenID Connect Front-Channel Logout §3",
    ),
    n("name", "The user's full name", "OpenID Connect Core §5.1"),
    n(
        "given_name",
        "The user's given (first) name",
        "OpenID Connect Core §5.1",
    ),
    n(
        "family_name",
        "The user's family (last) name",
        "OpenID Connect Core §5.1",
    ),
    n(
        "middle_name",
        "The user's middle name",
        "OpenID Connect Core §5.1",
    ),
    n(
        "nickname",
        "The user's casual name",
        "OpenID Connect Core §5.1",
    ),
    n(
        "preferred_username",
        "The name the user wants to be shown as; not unique, not stable",
        "OpenID Connect Core §5.1",
    ),
    n(
        "profile",
        "URL of the user's profile page",
        "OpenID Connect Core §5.1",
    ),
    n(
        "picture",
        "URL of the user's picture",
        "OpenID Connect Core §5.1",
    ),
    n(
        "website",
        "URL of the user's web page",
        "OpenID Connect Core §5.1",
    ),
    n(
        "email",
        "The user's e-mail address (check email_verified before trusting it)",
        "OpenID Connect Core §5.1",
    ),
    n(
        "email_verified",
        "Whether the provider verified the e-mail address",
        "OpenID Connect Core §5.1",
    ),
    n("gender", "The user's gender", "OpenID Connect Core §5.1"),
    n(
        "birthdate",
        "The user's birthday (YYYY-MM-DD)",
        "OpenID Connect Core §5.1",
    ),
    n(
        "zoneinfo",
        "The user's time zone",
        "OpenID Connect Core §5.1",
    ),
    n("locale", "The user's locale", "OpenID Connect Core §5.1"),
    n(
        "phone_number",
        "The user's telephone number",
        "OpenID Connect Core §5.1",
    ),
    n(
        "phone_number_verified",
        "Whether the provider verified the telephone number",
        "OpenID Connect Core §5.1",
    ),
    n(
        "address",
        "The user's postal address",
        "OpenID Connect Core §5.1",
    ),
    n(
        "updated_at",
        "When the user's information was last updated",
        "OpenID Connect Core §5.1",
    ),
    n(
        "sub_jwk",
        "The public key of a self-issued ID token's subject",
        "OpenID Connect Core §7.4",
    ),
    n(
        "cnf",
        "Confirmation: the key the presenter must prove it holds (jkt, x5t#S256, jwk)",
        "RFC 7800 §3.1",
    ),
    n(
        "scope",
        "The scopes granted to this access token",
        "RFC 8693 §4.2; RFC 9068 §2.2.3",
    ),
    n(
        "client_id",
        "The client the access token was issued to",
        "RFC 8693 §4.3; RFC 9068 §2.2",
    ),
    n(
        "act",
        "Actor: who acts on behalf of the subject (delegation)",
        "RFC 8693 §4.1",
    ),
    n(
        "may_act",
        "Who may act on behalf of the subject",
        "RFC 8693 §4.4",
    ),
    n(
        "roles",
        "The subject's roles",
        "RFC 7643 §4.1.2; RFC 9068 §2.2.3.1",
    ),
    n(
        "groups",
        "The subject's groups",
        "RFC 7643 §4.1.2; RFC 9068 §2.2.3.1",
    ),
    n(
        "entitlements",
        "The subject's entitlements",
        "RFC 7643 §4.1.2; RFC 9068 §2.2.3.1",
    ),
    n(
        "authorization_details",
        "Fine-grained authorization granted (rich authorization requests)",
        "RFC 9396 §9.1",
    ),
    n(
        "events",
        "Security events this token reports (a logout token's event)",
        "RFC 8417 §2.2",
    ),
    n("toe", "Time of the event reported", "RFC 8417 §2.2"),
    n(
        "txn",
        "Transaction identifier, for correlating events",
        "RFC 8417 §2.2",
    ),
    n(
        "htm",
        "DPoP: the HTTP method of the request the proof is for",
        "RFC 9449 §4.2",
    ),
    n(
        "htu",
        "DPoP: the URL of the request the proof is for (no query or fragment)",
        "RFC 9449 §4.2",
    ),
    n(
        "ath",
        "DPoP: hash of the access token the proof is sent with",
        "RFC 9449 §4.2",
    ),
    n(
        "_sd",
        "SD-JWT: digests of the selectively disclosable claims of this object",
        "RFC 9901 §4.2.4.1",
    ),
    n(
        "_sd_alg",
        "SD-JWT: the hash algorithm of the disclosure digests",
        "RFC 9901 §4.1.1",
    ),
    n(
        "sd_hash",
        "SD-JWT key binding: hash of the presented SD-JWT",
        "RFC 9901 §4.3",
    ),
    n(
        "vct",
        "SD-JWT VC: the credential's type",
        "SD-JWT VC §3.2.2.1.1",
    ),
    n(
        "status",
        "Where the token's revocation status is published (status list)",
        "OAuth Token Status List (draft) §6.1",
    ),
];

/// Registered JOSE header parameters.
pub const HEADER_PARAMS: &[NameInfo] = &[
    n(
        "alg",
        "The algorithm that signs (JWS) or wraps the key (JWE); never trust 'none'",
        "RFC 7515 §4.1.1",
    ),
    n(
        "jku",
        "URL of a JWK Set said to hold the key; never followed by grantscope",
        "RFC 7515 §4.1.2",
    ),
    n(
        "jwk",
        "A public key embedded in the header; trusting it lets anyone sign",
        "RFC 7515 §4.1.3",
    ),
    n(
        "kid",
        "Key ID: which of the issuer's keys to use",
        "RFC 7515 §4.1.4",
    ),
    n(
        "x5u",
        "URL of an X.509 certificate chain; never followed by grantscope",
        "RFC 7515 §4.1.5",
    ),
    n(
        "x5c",
        "The X.509 certificate chain of the key",
        "RFC 7515 §4.1.6",
    ),
    n(
        "x5t",
        "SHA-1 thumbprint of the key's certificate",
        "RFC 7515 §4.1.7",
    ),
    n(
        "x5t#S256",
        "SHA-256 thumbprint of the key's certificate",
        "RFC 7515 §4.1.8",
    ),
    n(
        "typ",
        "The token's type (JWT, at+jwt, dpop+jwt, logout+jwt, ...)",
        "RFC 7515 §4.1.9",
    ),
    n(
        "cty",
        "Content type: 'JWT' when the payload is itself a token (nested)",
        "RFC 7515 §4.1.10",
    ),
    n(
        "crit",
        "Extensions the recipient must understand, or refuse the token",
        "RFC 7515 §4.1.11",
    ),
    n(
        "enc",
        "JWE: the content encryption algorithm",
        "RFC 7516 §4.1.2",
    ),
    n(
        "zip",
        "JWE: the plaintext was compressed (DEF) before encryption",
        "RFC 7516 §4.1.3",
    ),
    n(
        "epk",
        "JWE ECDH-ES: the sender's ephemeral public key",
        "RFC 7518 §4.6.1.1",
    ),
    n(
        "apu",
        "JWE ECDH-ES: agreement PartyUInfo",
        "RFC 7518 §4.6.1.2",
    ),
    n(
        "apv",
        "JWE ECDH-ES: agreement PartyVInfo",
        "RFC 7518 §4.6.1.3",
    ),
    n(
        "iv",
        "JWE AES-GCM key wrap: the initialization vector",
        "RFC 7518 §4.7.1.1",
    ),
    n(
        "tag",
        "JWE AES-GCM key wrap: the authentication tag",
        "RFC 7518 §4.7.1.2",
    ),
    n("p2s", "JWE PBES2: the salt input", "RFC 7518 §4.8.1.1"),
    n("p2c", "JWE PBES2: the iteration count", "RFC 7518 §4.8.1.2"),
    n(
        "b64",
        "Whether the payload is base64url-encoded (unencoded payload option)",
        "RFC 7797 §3",
    ),
    n("ppt", "PASSporT extension", "RFC 8225 §8.1"),
    n("url", "ACME: the URL the request is for", "RFC 8555 §6.4.1"),
    n(
        "nonce",
        "ACME: the server's anti-replay nonce",
        "RFC 8555 §6.5.2",
    ),
];

/// What a registered claim name means.
pub fn claim(name: &str) -> Option<&'static NameInfo> {
    CLAIMS.iter().find(|c| c.name == name)
}

/// What a registered JOSE header parameter means.
pub fn header_param(name: &str) -> Option<&'static NameInfo> {
    HEADER_PARAMS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_entry_says_something() {
        for table in [CLAIMS, HEADER_PARAMS] {
            for (i, a) in table.iter().enumerate() {
                assert!(!a.meaning.is_empty() && !a.spec.is_empty(), "{}", a.name);
                assert!(
                    table[i + 1..].iter().all(|b| b.name != a.name),
                    "{} twice",
                    a.name
                );
            }
        }
    }

    #[test]
    fn the_registered_names_are_found_and_private_ones_are_not() {
        assert_eq!(claim("exp").map(|c| c.spec), Some("RFC 7519 §4.1.4"));
        assert!(claim("azp").is_some() && claim("cnf").is_some() && claim("act").is_some());
        assert!(header_param("x5t#S256").is_some());
        assert!(claim("https://example.com/roles").is_none());
        assert_eq!(
            claim("iss").unwrap().line(),
            "Issuer: who made and signed the token (RFC 7519 §4.1.1)"
        );
    }
}
