//! Issuing an SD-JWT VC (RFC 9901, SD-JWT VC) for a seeded user: every claim of the user
//! selectively disclosable (the address recursively: the object is a Disclosure whose members
//! are Disclosures too; the nationalities as array elements), decoy digests beside them, and
//! the claims an SD-JWT VC never discloses selectively (`iss`, `nbf`, `exp`, `cnf`, `vct`,
//! `status`) plain; `cnf.jwk` is the holder's key, so the holder can add key binding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::state::app::App;
use crate::state::clients::SeededUser;
use crate::state::store::{now_secs, random_token};

/// The credential type the sandbox issues.
pub const VCT: &str = "urn:grantscope:sandbox:identity";

/// How long a credential is valid (30 days).
pub const CREDENTIAL_TTL: u64 = 30 * 24 * 3600;

/// Decoy digests added beside the real ones in each `_sd` array (RFC 9901 §4.2.5).
const DECOYS: usize = 2;

/// Checks the holder's JWK: a public key of a kind that signs (EC, OKP, RSA), no private part.
pub fn check_holder_jwk(jwk: &Value) -> Result<(), String> {
    let Some(map) = jwk.as_object() else {
        return Err("holder_jwk must be a JWK object".into());
    };
    match map.get("kty").and_then(Value::as_str) {
        Some("EC" | "OKP" | "RSA") => {}
        Some(other) => {
            return Err(format!(
                "holder_jwk has kty {other:?}: the holder key must be EC, OKP or RSA (a key that signs the key-binding JWT)"
            ));
        }
        None => return Err("holder_jwk has no kty".into()),
    }
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| map.contains_key(*m))
    {
        return Err("holder_jwk holds private members: send the holder's public key only".into());
    }
    Ok(())
}

/// A Disclosure and its digest.
struct Disclosure {
    text: String,
    digest: String,
}

fn disclose(name: Option<&str>, value: Value) -> Disclosure {
    let salt = random_token(16);
    let array = match name {
        Some(name) => json!([salt, name, value]),
        None => json!([salt, value]),
    };
    let text = URL_SAFE_NO_PAD.encode(array.to_string());
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()));
    Disclosure { text, digest }
}

fn decoy() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(random_token(32).as_bytes()))
}

/// An object whose members are all Disclosures: its `_sd` array (sorted, with decoys), and the
/// Disclosures made, appended to `out`.
fn sd_object(members: Vec<(&str, Value)>, out: &mut Vec<Disclosure>) -> Map<String, Value> {
    let mut digests: Vec<String> = Vec::new();
    for (name, value) in members {
        let d = disclose(Some(name), value);
        digests.push(d.digest.clone());
        out.push(d);
    }
    digests.extend((0..DECOYS).map(|_| decoy()));
    // Sorted, so the order tells nothing about which digest is which claim.
    digests.sort();
    let mut map = Map::new();
    map.insert("_sd".into(), json!(digests));
    map
}

/// The SD-JWT VC for `user`, bound to `holder_jwk` (checked with [`check_holder_jwk`]).
pub fn issue(app: &App, user: &SeededUser, holder_jwk: &Value) -> Result<String, String> {
    check_holder_jwk(holder_jwk)?;
    let now = now_secs();
    let (given, family) = user.name.split_once(' ').unwrap_or((user.name, ""));
    let mut disclosures = Vec::new();
    // The address: a Disclosure whose value's members are Disclosures too (recursive, RFC
    // 9901 §6.3).
    let mut address_parts = Vec::new();
    let address = sd_object(
        vec![
            ("street_address", json!("1 Loopback Lane")),
            ("locality", json!("Localhost")),
            ("country", json!("NZ")),
        ],
        &mut address_parts,
    );
    // The nationalities: each element a Disclosure of its own (§4.2.2).
    let mut nationality_parts = Vec::new();
    let nationalities: Vec<Value> = ["NZ", "DE"]
        .into_iter()
        .map(|n| {
            let d = disclose(None, json!(n));
            let element = json!({"...": d.digest});
            nationality_parts.push(d);
            element
        })
        .collect();
    let mut payload = sd_object(
        vec![
            ("sub", json!(user.sub)),
            ("given_name", json!(given)),
            ("family_name", json!(family)),
            ("name", json!(user.name)),
            ("preferred_username", json!(user.username)),
            ("email", json!(user.email)),
            ("email_verified", json!(true)),
            ("address", Value::Object(address)),
            ("nationalities", json!(nationalities)),
        ],
        &mut disclosures,
    );
    disclosures.extend(address_parts);
    disclosures.extend(nationality_parts);
    payload.insert("iss".into(), json!(app.issuer));
    payload.insert("iat".into(), json!(now));
    payload.insert("nbf".into(), json!(now));
    payload.insert("exp".into(), json!(now.saturating_add(CREDENTIAL_TTL)));
    payload.insert("vct".into(), json!(VCT));
    payload.insert("cnf".into(), json!({ "jwk": holder_jwk }));
    payload.insert("_sd_alg".into(), json!("sha-256"));
    let issuer_jwt = app
        .keys()
        .sign_jwt(app.config.signing_alg, "dc+sd-jwt", &Value::Object(payload))
        .map_err(|e| e.to_string())?;
    let mut out = issuer_jwt;
    out.push('~');
    for d in disclosures {
        out.push_str(&d.text);
        out.push('~');
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::state::clients::find_user;
    use crate::state::config::UnsafeSwitches;
    use grantscope_core::token::{InspectOptions, Keys, Verdict, inspect_with_keys, parse_jwks};

    /// The credential verifies with the sandbox's JWKS: every claim of alice's disclosed, the
    /// address's members inside it, decoys counted, the VC's checks passing.
    #[test]
    fn the_credential_verifies_and_discloses_every_claim() {
        let (app, _dir) = App::for_tests(UnsafeSwitches::default());
        let holder = json!({"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        let alice = find_user("alice").unwrap();
        let token = issue(&app, alice, &holder).unwrap();
        let jwks = parse_jwks(app.keys().jwks().to_string().as_bytes()).unwrap();
        let ins = inspect_with_keys(
            &token,
            &Keys::Jwks(jwks),
            &InspectOptions::default(),
            now_secs() as i64,
        );
        assert_eq!(ins.verdict, Verdict::Valid, "{:?}", ins.checks);
        assert_eq!(ins.claims["address"]["country"], "NZ");
        assert_eq!(ins.claims["nationalities"], json!(["NZ", "DE"]));
        assert_eq!(ins.claims["email"], alice.email);
        assert_eq!(ins.claims["cnf"]["jwk"], holder);
        let sd = ins.sd_jwt.unwrap();
        assert_eq!(sd.disclosures.len(), 14);
        assert_eq!(sd.undisclosed, 2 * DECOYS);
        assert!(check_holder_jwk(&json!({"kty": "oct", "k": "AA"})).is_err());
        assert!(issue(&app, alice, &json!({"kty": "EC", "d": "x"})).is_err());
    }
}
