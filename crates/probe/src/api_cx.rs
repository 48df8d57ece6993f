//! What an API probe (`probe --api`, PROBES.md "API probes") runs with: the [`ApiTarget`] (the
//! API's URL and the user's request as it is sent: method, headers, body; the genuine token and
//! the other tokens given; the issuer's public keys when `--issuer`/`--jwks-uri` named them; the
//! DPoP key when the token goes as DPoP) and its own recording [`Session`] ([`ApiCx`]), with the
//! one way every probe presents a token ([`ApiCx::present`]) and reads the answer
//! ([`Reaction`]: accepted is 2xx, refused is 401/403, anything else decides nothing). Every
//! token sent is masked in the exchange and shown decoded beside it (its header and claims).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use url::Url;

use grantscope_core::http::{Exchange, HttpClient, HttpRequest, HttpResponse};
use grantscope_core::keys::PrivateKey;
use grantscope_core::oauth::FlowError;
use grantscope_core::oauth::dpop::DpopState;
use grantscope_core::oauth::resource::{Challenge, parse_www_authenticate};
use grantscope_core::secret::{AccessToken, IdToken, SecretKind};
use grantscope_core::token::forge::{Token, attacker_key_for};

/// The issuer's public keys, as given (`--issuer` discovery or `--jwks-uri`).
#[derive(Debug, Clone)]
pub struct IssuerKeys {
    /// The JWKS document (only public members are used).
    pub jwks: Value,
    /// Where it came from, for reasons ("https://as.example/jwks", a file path).
    pub origin: String,
}

/// The API under test and what a probe may send it; shared by every probe of a run.
pub struct ApiTarget {
    pub url: Url,
    /// The user's request: method, extra headers and body, sent with every token.
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The genuine access token.
    pub token: AccessToken,
    pub http: HttpClient,
    /// The DPoP key the genuine token is presented with (`--dpop`), if any.
    pub dpop: Option<Arc<DpopState>>,
    /// The issuer's public keys, or why there are none.
    pub issuer_keys: Result<IssuerKeys, String>,
    pub expired_token: Option<AccessToken>,
    pub other_audience_token: Option<AccessToken>,
    pub id_token: Option<IdToken>,
    /// The attacker's key of the run (`api.embedded-jwk`, `api.jku`, `api.x5u`,
    /// `api.foreign-issuer`), made once: see [`ApiTarget::attacker_key`].
    pub attacker: tokio::sync::OnceCell<Result<Arc<PrivateKey>, String>>,
}

impl std::fmt::Debug for ApiTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTarget")
            .field("url", &self.url.as_str())
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// A token split into its decoded header and claims (nothing verified), when it is a JWS.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub header: Map<String, Value>,
    pub claims: Value,
    /// The signature part's length in bytes (0: none).
    pub signature_len: usize,
    /// The token had no signature part at all (`header.claims`, two parts).
    pub two_parts: bool,
}

/// Decodes a compact JWS's header and claims, leniently (no signature check), also when the
/// signature part is missing altogether (a stripped token's `header.claims`): `None` for an
/// opaque token or anything else.
pub fn decode(token: &str) -> Option<Decoded> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let (h, p, s, two_parts) = match parts.as_slice() {
        [h, p, s] => (*h, *p, *s, false),
        [h, p] => (*h, *p, "", true),
        _ => return None,
    };
    let header: Map<String, Value> =
        serde_json::from_slice(&grantscope_core::token::decode::b64_lenient(h)?).ok()?;
    let claims: Value =
        serde_json::from_slice(&grantscope_core::token::decode::b64_lenient(p)?).ok()?;
    let signature_len = if s.is_empty() {
        0
    } else {
        grantscope_core::token::decode::b64_lenient(s).map_or(s.len(), |b| b.len())
    };
    Some(Decoded {
        header,
        claims,
        signature_len,
        two_parts,
    })
}

/// The decoded view shown beside a masked token in an exchange.
pub fn decoded_view(what: &str, token: &str) -> Value {
    match decode(token) {
        Some(d) => json!({
            "what": what,
            "header": d.header,
            "claims": d.claims,
            "signature": if d.two_parts {
                "(no signature part: two parts only)".to_string()
            } else if d.signature_len == 0 {
                "(none)".to_string()
            } else {
                format!("{} bytes", d.signature_len)
            },
        }),
        None => json!({ "what": what, "format": "not a JWS (opaque)" }),
    }
}

impl ApiTarget {
    /// The attacker's key, a fresh key of the genuine token's family (the core's
    /// `attacker_key_for`), made once per run off the async threads (an RSA key takes a
    /// while) and shared by the probes that sign with it.
    pub async fn attacker_key(&self) -> Result<Arc<PrivateKey>, String> {
        self.attacker
            .get_or_init(|| async {
                let token = Token::parse(self.token.expose()).map_err(|e| e.to_string())?;
                tokio::task::spawn_blocking(move || {
                    attacker_key_for(&token)
                        .map(Arc::new)
                        .map_err(|e| format!("the attacker's key could not be made: {e}"))
                })
                .await
                .map_err(|e| format!("the attacker's key could not be made: {e}"))?
            })
            .await
            .clone()
    }

    /// The genuine token decoded, or why it cannot be (an opaque token).
    pub fn genuine(&self) -> Result<Decoded, String> {
        decode(self.token.expose()).ok_or_else(|| {
            "the access token is not a JWS (opaque or encrypted); forgeries are made from its header and claims".to_string()
        })
    }

    /// Whether the genuine token is DPoP-bound: its `cnf.jkt`, or `--dpop` for a token that
    /// cannot be read.
    pub fn dpop_bound(&self) -> bool {
        match decode(self.token.expose()) {
            Some(d) => d.claims.pointer("/cnf/jkt").is_some(),
            None => self.dpop.is_some(),
        }
    }
}

/// How a token goes to the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carry {
    /// As the genuine token goes: `Authorization: DPoP` with a proof when `--dpop`, else Bearer.
    AsGenuine,
    /// `Authorization: Bearer`, whatever the genuine token's scheme.
    Bearer,
    /// As the `access_token` query parameter, no `Authorization` header (RFC 6750 §2.3).
    Query,
    /// No token at all.
    Nothing,
}

/// How the API answered a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// 2xx.
    Accepted(u16),
    /// 401 or 403.
    Refused(u16),
    /// Any other status: decides nothing.
    Other(u16),
}

impl Reaction {
    pub fn of(status: u16) -> Reaction {
        match status {
            200..=299 => Reaction::Accepted(status),
            401 | 403 => Reaction::Refused(status),
            s => Reaction::Other(s),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reaction::Accepted(s) | Reaction::Refused(s) | Reaction::Other(s) => *s,
        }
    }
}

/// The answer to one presented token.
#[derive(Debug, Clone)]
pub struct Presented {
    pub reaction: Reaction,
    pub response: HttpResponse,
    pub challenges: Vec<Challenge>,
}

/// Whether the baseline held (the genuine token accepted, no token refused).
#[derive(Debug, Clone)]
pub struct Baseline {
    pub holds: bool,
    /// One sentence: what was seen.
    pub reason: String,
    pub exchanges: Vec<Exchange>,
}

/// Retries after a 429, at most this many times.
const MAX_RETRIES: u32 = 2;
/// The longest `Retry-After` honoured.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One API probe's context.
pub struct ApiCx {
    pub target: Arc<ApiTarget>,
    pub session: grantscope_core::oauth::Session,
}

impl ApiCx {
    pub fn new(target: Arc<ApiTarget>) -> Self {
        let session = grantscope_core::oauth::Session::new(target.http.clone());
        Self { target, session }
    }

    /// Sends the user's request with `token` carried as `carry`; the token is masked in the
    /// exchange and shown decoded (`what` says what it is). A 429 backs off and is retried
    /// twice; a DPoP nonce challenge is answered once.
    pub async fn present(
        &mut self,
        step: &str,
        what: &str,
        token: &str,
        carry: Carry,
    ) -> Result<Presented, FlowError> {
        let t = self.target.clone();
        let dpop = match carry {
            Carry::AsGenuine => t.dpop.clone(),
            _ => None,
        };
        let mut attempt = 0;
        let mut nonce_retried = false;
        loop {
            let mut url = t.url.clone();
            if carry == Carry::Query {
                url.query_pairs_mut().append_pair("access_token", token);
            }
            let mut req = HttpRequest::get(url.clone());
            req.method = t.method.to_ascii_uppercase();
            req.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("accept"));
            for (k, v) in &t.headers {
                req = req.header(k.clone(), v.clone());
            }
            if !t
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
            {
                req = req.header("Accept", "application/json, */*");
            }
            req.body = t.body.clone();
            req = match (carry, &dpop) {
                (Carry::AsGenuine, Some(d)) => {
                    let proof = d.proof_for(&req.method, &t.url, Some(token))?;
                    req.header("Authorization", format!("DPoP {token}"))
                        .header("DPoP", proof)
                }
                (Carry::AsGenuine | Carry::Bearer, _) => {
                    req.header("Authorization", format!("Bearer {token}"))
                }
                (Carry::Query | Carry::Nothing, _) => req,
            };
            if carry != Carry::Nothing && !token.is_empty() {
                req = req
                    .secret(SecretKind::AccessToken, token)
                    .decoded("token", decoded_view(what, token));
            }
            let resp = self.session.send(step, req).await?;
            let challenges: Vec<Challenge> = resp
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
                .flat_map(|(_, v)| parse_www_authenticate(v))
                .collect();
            if let Some(d) = &dpop {
                let fresh = resp
                    .header("dpop-nonce")
                    .is_some_and(|n| d.remember_nonce(&t.url, n));
                if !nonce_retried
                    && fresh
                    && challenges
                        .iter()
                        .any(|c| c.error() == Some("use_dpop_nonce"))
                {
                    nonce_retried = true;
                    continue;
                }
            }
            if resp.status == 429 {
                attempt += 1;
                if attempt > MAX_RETRIES {
                    return Err(FlowError::Status {
                        status: 429,
                        excerpt: "the API kept answering 429 (too many requests); nothing can be concluded".into(),
                    });
                }
                let wait = resp
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(Duration::from_secs(u64::from(attempt)))
                    .min(MAX_BACKOFF);
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(Presented {
                reaction: Reaction::of(resp.status),
                response: resp,
                challenges,
            });
        }
    }

    /// [`present`](Self::present) for one variant of a forgery: accepted, refused or neither.
    pub async fn try_token(
        &mut self,
        probe: &str,
        variant: &str,
        token: &str,
    ) -> Result<Reaction, FlowError> {
        let step = format!("{probe}: {variant}");
        Ok(self
            .present(&step, variant, token, Carry::AsGenuine)
            .await?
            .reaction)
    }

    pub fn take_exchanges(&mut self) -> Vec<Exchange> {
        self.session.take_exchanges()
    }
}

/// Runs the baseline: the genuine token must be accepted (2xx) and no token refused (401/403).
pub async fn baseline(target: Arc<ApiTarget>) -> Baseline {
    let mut cx = ApiCx::new(target.clone());
    let genuine = cx
        .present(
            "baseline: the genuine token",
            "the genuine token",
            target.token.expose(),
            Carry::AsGenuine,
        )
        .await;
    let none = cx
        .present("baseline: no token", "", "", Carry::Nothing)
        .await;
    let scheme = if target.dpop.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    let (holds, reason) = match (&genuine, &none) {
        (Err(e), _) => (
            false,
            format!(
                "the baseline did not hold: the genuine token could not be sent: {}",
                grantscope_core::text::inert(&e.to_string())
            ),
        ),
        (_, Err(e)) => (
            false,
            format!(
                "the baseline did not hold: the request without a token could not be sent: {}",
                grantscope_core::text::inert(&e.to_string())
            ),
        ),
        (Ok(g), Ok(n)) => match (&g.reaction, &n.reaction) {
            (Reaction::Accepted(a), Reaction::Refused(r)) => (
                true,
                format!(
                    "the baseline holds: the genuine token ({scheme}) is accepted (HTTP {a}) and no token is refused (HTTP {r})"
                ),
            ),
            (Reaction::Accepted(a), other) => (
                false,
                format!(
                    "the baseline did not hold: the genuine token is accepted (HTTP {a}) but so is no token at all (HTTP {}): the API does not ask for a token, so no refusal can be told apart",
                    other.status()
                ),
            ),
            (other, _) => (
                false,
                format!(
                    "the baseline did not hold: the genuine token ({scheme}) is not accepted (HTTP {}); give a token the API accepts with this request (--method, --header, --data{})",
                    other.status(),
                    if target.dpop.is_some() {
                        ""
                    } else {
                        ", --dpop for a DPoP-bound token"
                    }
                ),
            ),
        },
    };
    Baseline {
        holds,
        reason,
        exchanges: cx.take_exchanges(),
    }
}

/// The most of a JWKS file read.
const MAX_JWKS_FILE: u64 = 1024 * 1024;

/// Loads the issuer's public keys from `source` (`--jwks-uri`, discovery's `jwks_uri`, the
/// GUI's profile or form), recording any fetch in `session`; a file is read up to 1 MiB.
pub async fn issuer_keys(
    session: &mut grantscope_core::oauth::Session,
    source: &grantscope_core::token::jwks::KeySource,
) -> Result<IssuerKeys, String> {
    match source {
        grantscope_core::token::jwks::KeySource::JwksUrl(url) => {
            let resp = session
                .send("issuer JWKS", HttpRequest::get(url.clone()))
                .await
                .map_err(|e| format!("cannot fetch the issuer's JWKS from {url}: {e}"))?;
            if !resp.is_success() {
                return Err(format!(
                    "the issuer's JWKS at {url} answered HTTP {}",
                    resp.status
                ));
            }
            let jwks = resp
                .json_value()
                .map_err(|e| format!("the issuer's JWKS at {url} is not JSON: {e}"))?;
            Ok(IssuerKeys {
                jwks,
                origin: url.to_string(),
            })
        }
        grantscope_core::token::jwks::KeySource::JwksFile(path) => {
            let shown = path.display().to_string();
            let len = std::fs::metadata(path)
                .map_err(|e| format!("cannot read the JWKS file {shown}: {e}"))?
                .len();
            if len > MAX_JWKS_FILE {
                return Err(format!(
                    "the JWKS file {shown} is {len} bytes; at most {MAX_JWKS_FILE} are read"
                ));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the JWKS file {shown}: {e}"))?;
            let jwks: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("the JWKS file {shown} is not JSON: {e}"))?;
            Ok(IssuerKeys {
                jwks,
                origin: shown,
            })
        }
        _ => Err("no key source".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_and_decoding() {
        assert_eq!(Reaction::of(204), Reaction::Accepted(204));
        assert_eq!(Reaction::of(403), Reaction::Refused(403));
        assert_eq!(Reaction::of(400), Reaction::Other(400));
        // {"alg":"none"}.{"sub":"a"}.
        let d = decode("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.").unwrap();
        assert_eq!(d.header["alg"], "none");
        assert_eq!(d.claims["sub"], "a");
        assert_eq!(d.signature_len, 0);
        assert!(decode("opaque-token").is_none());
        let two = decode("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0").unwrap();
        assert!(two.two_parts);
        assert_eq!(two.claims["sub"], "a");
        assert_eq!(
            decoded_view("x", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0")["signature"],
            "(no signature part: two parts only)"
        );
        assert_eq!(decoded_view("x", "opaque")["format"], "not a JWS (opaque)");
    }
}
