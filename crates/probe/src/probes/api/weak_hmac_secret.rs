//! `api.weak-hmac-secret`: offline, no request. An HS256/384/512 token's signature checked
//! against a built-in list of secrets that tutorials, libraries' examples and defaults use;
//! a match means anyone can mint tokens the API accepts. The secret found is shown masked,
//! with the list entry that matched.

use grantscope_core::keys::{JwsAlg, ParsedJws, Signer};

use crate::api_cx::{ApiCx, ApiTarget};
use crate::model::{ApiProbe, ApiProbeFuture};
use crate::verdict::{Level, Verdict};

pub static PROBE: ApiProbe = ApiProbe {
    id: "api.weak-hmac-secret",
    title: "The HMAC secret is not a common one",
    level: Level::Must,
    reference: "RFC 7518 §3.2, RFC 8725 §3.5",
    tests: "(HS-signed tokens only, offline) the signature checked against a built-in list of common secrets; found → fail",
    why_not,
    offline: true,
    run,
};

/// The built-in list: each secret with where it comes from.
pub const COMMON_SECRETS: &[(&str, &str)] = &[
    ("your-256-bit-secret", "jwt.io's HS256 example"),
    ("your-384-bit-secret", "jwt.io's HS384 example"),
    ("your-512-bit-secret", "jwt.io's HS512 example"),
    ("secret", "the word secret"),
    ("Secret", "the word Secret"),
    ("SECRET", "the word SECRET"),
    ("secretkey", "secretkey"),
    ("secret-key", "secret-key"),
    ("secret_key", "secret_key"),
    ("mysecret", "mysecret"),
    ("my-secret", "my-secret"),
    ("my_secret", "my_secret"),
    ("mysecretkey", "mysecretkey"),
    ("supersecret", "supersecret"),
    ("super-secret", "super-secret"),
    ("topsecret", "topsecret"),
    ("s3cr3t", "s3cr3t"),
    ("jwt", "the word jwt"),
    ("jwtsecret", "jwtsecret"),
    ("jwt-secret", "jwt-secret"),
    ("jwt_secret", "jwt_secret"),
    ("JWT_SECRET", "an unset JWT_SECRET placeholder"),
    ("jwt-key", "jwt-key"),
    ("token", "the word token"),
    ("key", "the word key"),
    ("private", "the word private"),
    ("password", "the word password"),
    ("changeme", "a changeme placeholder"),
    ("change-me", "a change-me placeholder"),
    ("changeit", "a changeit placeholder"),
    ("default", "the word default"),
    ("test", "the word test"),
    ("dev", "the word dev"),
    ("development", "the word development"),
    ("admin", "the word admin"),
    ("123456", "123456"),
    ("12345678", "12345678"),
    ("1234567890", "1234567890"),
    ("qwerty", "qwerty"),
    ("shhhhh", "express-jwt's README example"),
    ("keyboard cat", "express-session's README example"),
    ("", "the empty secret"),
];

fn hs_alg(t: &ApiTarget) -> Result<JwsAlg, String> {
    let d = t.genuine()?;
    let alg = d.header.get("alg").and_then(|a| a.as_str()).unwrap_or("");
    match alg {
        "HS256" => Ok(JwsAlg::Hs256),
        "HS384" => Ok(JwsAlg::Hs384),
        "HS512" => Ok(JwsAlg::Hs512),
        other => Err(format!(
            "the token is signed with {}, not an HMAC algorithm (HS256/384/512)",
            if other.is_empty() {
                "no alg".to_string()
            } else {
                grantscope_core::text::inert(other).into_owned()
            }
        )),
    }
}

fn why_not(t: &ApiTarget) -> Option<String> {
    hs_alg(t).err()
}

/// The secret masked: its first character, the mask and its length.
fn masked(secret: &str) -> String {
    match secret.chars().next() {
        None => "(empty)".into(),
        Some(first) => format!(
            "{first}{} ({} characters)",
            grantscope_core::secret::MASK,
            secret.chars().count()
        ),
    }
}

/// The list entry whose secret signed `token`, with its 1-based position.
pub fn find_secret(token: &str) -> Option<(usize, &'static str, &'static str)> {
    let parsed = ParsedJws::parse(token).ok()?;
    COMMON_SECRETS
        .iter()
        .enumerate()
        .find(|(_, (s, _))| parsed.verify(Signer::Secret(s.as_bytes())))
        .map(|(i, (s, from))| (i + 1, *s, *from))
}

fn run(cx: &mut ApiCx) -> ApiProbeFuture<'_> {
    Box::pin(async move {
        let alg = match hs_alg(&cx.target) {
            Ok(a) => a,
            Err(why) => return Ok(Verdict::skipped(why)),
        };
        let token = cx.target.token.expose().to_string();
        let n = COMMON_SECRETS.len();
        Ok(match find_secret(&token) {
            Some((i, secret, from)) => Verdict::fail(format!(
                "the {alg} signature verifies with a common secret, {}: entry {i} of the built-in list ({from}); anyone can mint tokens this API accepts",
                masked(secret)
            )),
            None => Verdict::pass(format!(
                "the {alg} signature verifies with none of the {n} secrets of the built-in list"
            )),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    #[test]
    fn finds_a_listed_secret_and_masks_it() {
        let token = grantscope_core::keys::sign_compact(
            &Map::new(),
            &json!({"sub": "a"}),
            Signer::Secret(b"shhhhh"),
            JwsAlg::Hs256,
        )
        .unwrap();
        let (i, s, from) = find_secret(&token).unwrap();
        assert_eq!((s, from), ("shhhhh", "express-jwt's README example"));
        assert_eq!(COMMON_SECRETS[i - 1].0, "shhhhh");
        assert_eq!(
            masked(s),
            format!("s{} (6 characters)", grantscope_core::secret::MASK)
        );
        let strong = grantscope_core::keys::sign_compact(
            &Map::new(),
            &json!({"sub": "a"}),
            Signer::Secret(b"a long random secret nobody would list 8f3a"),
            JwsAlg::Hs256,
        )
        .unwrap();
        assert!(find_secret(&strong).is_none());
    }
}
