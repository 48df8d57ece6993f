//! A client's back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0 §2.5) on
//! the loopback address: the provider POSTs `logout_token=…` (form-encoded) to
//! `http://127.0.0.1:PORT/backchannel-logout`. The listener hands each token to its caller,
//! which judges it and answers 200 (accepted) or 400 (refused) with a JSON body; other paths
//! get 404, other requests 400, and neither ends the wait.
//!
//! [`LogoutJudge`] holds each token to the rules of §2.6 (those of `inspect --kind logout`:
//! signature against the issuer's keys, iss, aud = the client id, iat, events, sid or sub, no
//! nonce, typ `logout+jwt` where given) and to a `jti` not seen before: the one judge of the
//! CLI's `logout listen` and the desktop app's Logout listener.

use std::collections::HashSet;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use url::Url;

use super::error::FlowError;
use super::loopback::read_request_target;
use crate::http::HttpClient;
use crate::token::{
    InspectOptions, Inspection, KeySource, SignatureStatus, TokenKind, inspect_decrypting,
};

/// The path the provider posts to.
pub const PATH: &str = "/backchannel-logout";

/// The listening endpoint.
pub struct BackchannelListener {
    listener: TcpListener,
    url: Url,
}

/// One POSTed logout token, waiting for its verdict.
pub struct Delivery {
    stream: TcpStream,
    /// The `logout_token` as posted (untrusted), or why the request carried none.
    pub token: Result<String, String>,
}

impl Delivery {
    /// Answers the provider: 200 for an accepted token, 400 with the reason otherwise
    /// (§2.8), and closes the connection.
    pub async fn answer(mut self, accepted: bool, reason: &str) {
        let (status, body) = if accepted {
            ("200 OK", serde_json::json!({}))
        } else {
            (
                "400 Bad Request",
                serde_json::json!({ "error": "invalid_request", "error_description": reason }),
            )
        };
        respond(&mut self.stream, status, &body).await;
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &serde_json::Value) {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

impl BackchannelListener {
    /// Listens on `127.0.0.1:port` (0: a free port).
    pub async fn bind(port: u16) -> Result<Self, FlowError> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            FlowError::Config(format!(
                "cannot listen on 127.0.0.1:{port} for back-channel logout: {e}"
            ))
        })?;
        let bound = listener
            .local_addr()
            .map_err(|e| FlowError::Config(format!("the listener has no address: {e}")))?;
        let url = Url::parse(&format!("http://127.0.0.1:{}{PATH}", bound.port()))
            .map_err(|e| FlowError::Config(e.to_string()))?;
        Ok(Self { listener, url })
    }

    /// `http://127.0.0.1:PORT/backchannel-logout`: what the client registers as its
    /// `backchannel_logout_uri`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Waits for the next POST to [`PATH`] (answering anything else on the way); cancel it by
    /// dropping the future.
    pub async fn next(&self) -> Result<Delivery, FlowError> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .await
                .map_err(|e| FlowError::Config(format!("the listener failed: {e}")))?;
            let Some((target, body)) = read_request_target(&mut stream).await else {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    &serde_json::json!({ "error": "invalid_request",
                        "error_description": "expected a form-encoded POST (§2.5)" }),
                )
                .await;
                continue;
            };
            if target.split('?').next() != Some(PATH) {
                respond(&mut stream, "404 Not Found", &serde_json::json!({})).await;
                continue;
            }
            let token = match body {
                None => Err("a logout token is POSTed, form-encoded (§2.5)".to_string()),
                Some(form) => {
                    let tokens: Vec<String> = url::form_urlencoded::parse(form.as_bytes())
                        .filter(|(k, _)| k == "logout_token")
                        .map(|(_, v)| v.into_owned())
                        .collect();
                    match tokens.as_slice() {
                        [one] if !one.is_empty() => Ok(one.clone()),
                        [] => Err("the request carries no logout_token (§2.5)".to_string()),
                        _ => Err("the request carries more than one logout_token".to_string()),
                    }
                }
            };
            return Ok(Delivery { stream, token });
        }
    }
}

/// What a received logout token was judged to be.
#[derive(Debug, Clone)]
pub struct LogoutVerdict {
    /// Every rule held (the provider was answered 200).
    pub valid: bool,
    /// Each broken rule, `id: why` (the signature first); empty when valid.
    pub failures: Vec<String>,
    /// The token's `sid`, `sub` and `jti` (untrusted unless `valid`).
    pub sid: Option<String>,
    pub sub: Option<String>,
    pub jti: Option<String>,
    /// The token as posted (none: the request carried none).
    pub token: Option<String>,
    /// The whole report (none: no token to inspect).
    pub inspection: Option<Box<Inspection>>,
}

impl LogoutVerdict {
    /// The broken rules in one line (what the 400 answer says).
    pub fn reason(&self) -> String {
        self.failures.join("; ")
    }
}

/// Judges logout tokens for one client: its issuer's keys and issuer, its id as `aud`, and
/// the `jti`s of the valid tokens seen so far (a second one is a replay).
pub struct LogoutJudge {
    source: KeySource,
    options: InspectOptions,
    http: HttpClient,
    seen_jti: HashSet<String>,
}

impl LogoutJudge {
    /// A judge: `source` the issuer's keys, `issuer` the expected `iss` (none: not compared),
    /// `client_id` the expected `aud`, `leeway` the clock skew tolerated on iat and exp.
    pub fn new(
        source: KeySource,
        issuer: Option<String>,
        client_id: &str,
        leeway: u64,
        http: HttpClient,
    ) -> Self {
        Self {
            source,
            options: InspectOptions {
                issuer,
                audience: Some(client_id.to_string()),
                leeway,
                kind: TokenKind::Logout,
                strict_typ: true,
                ..InspectOptions::default()
            },
            http,
            seen_jti: HashSet::new(),
        }
    }

    /// Judges what one delivery carried (`now` in unix seconds).
    pub async fn judge(&mut self, delivered: &Result<String, String>, now: i64) -> LogoutVerdict {
        let token = match delivered {
            Err(why) => {
                return LogoutVerdict {
                    valid: false,
                    failures: vec![why.clone()],
                    sid: None,
                    sub: None,
                    jti: None,
                    token: None,
                    inspection: None,
                };
            }
            Ok(t) => t,
        };
        let inspection =
            inspect_decrypting(token, &self.source, &[], &self.http, &self.options, now)
                .await
                .inspection;
        let claim = |name: &str| {
            inspection
                .claims
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(String::from)
        };
        let (sid, sub, jti) = (claim("sid"), claim("sub"), claim("jti"));
        let mut failures: Vec<String> = inspection
            .failures()
            .map(|c| format!("{}: {}", c.id, c.shown_message()))
            .collect();
        // The signature's verdict first, unless a failed check says it already.
        if inspection.signature.status != SignatureStatus::Verified
            && !inspection.failures().any(|c| c.id == "signature")
        {
            failures.insert(
                0,
                format!("signature: {}", inspection.signature.shown_detail()),
            );
        }
        let replayed = jti.as_ref().is_some_and(|j| self.seen_jti.contains(j));
        if replayed {
            failures.push("jti: seen before, a replayed logout token".into());
        }
        let valid = inspection.valid && !replayed;
        if valid && let Some(j) = &jti {
            self.seen_jti.insert(j.clone());
        }
        LogoutVerdict {
            valid,
            failures,
            sid,
            sub,
            jti,
            token: Some(token.clone()),
            inspection: Some(Box::new(inspection)),
        }
    }

    /// Judges a delivery and answers the provider with the verdict (200, or 400 with the
    /// broken rules).
    pub async fn answer(&mut self, delivery: Delivery, now: i64) -> LogoutVerdict {
        let verdict = self.judge(&delivery.token, now).await;
        delivery.answer(verdict.valid, &verdict.reason()).await;
        verdict
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::token::SharedSecret;

    const SECRET: &[u8] = b"a shared secret of at least thirty-two bytes";

    fn token(claims: &serde_json::Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.typ = Some("logout+jwt".into());
        jsonwebtoken::encode(
            &header,
            claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    /// One judge for the CLI and the app: a valid token passes once, its replay is refused,
    /// a nonce is a broken rule, and a request without a token is refused with why.
    #[tokio::test]
    async fn the_judge_accepts_once_and_names_each_broken_rule() {
        let http = HttpClient::new(&crate::http::HttpOptions::default()).unwrap();
        let source = KeySource::Secret(SharedSecret::new(SECRET.to_vec()));
        let mut judge = LogoutJudge::new(source, Some("https://as".into()), "c1", 60, http);
        let now = 1_700_000_000;
        let claims = serde_json::json!({
            "iss": "https://as", "aud": "c1", "iat": now, "exp": now + 120, "jti": "j1",
            "sid": "s1", "events": { crate::token::claims::BACKCHANNEL_LOGOUT_EVENT: {} },
        });
        let t = token(&claims);
        let v = judge.judge(&Ok(t.clone()), now).await;
        assert!(v.valid, "{:?}", v.failures);
        assert_eq!(
            (v.sid.as_deref(), v.jti.as_deref()),
            (Some("s1"), Some("j1"))
        );
        let again = judge.judge(&Ok(t), now).await;
        assert!(!again.valid);
        assert!(again.reason().contains("replayed"), "{}", again.reason());
        let mut with_nonce = claims.clone();
        with_nonce["nonce"] = "n".into();
        with_nonce["jti"] = "j2".into();
        let v = judge.judge(&Ok(token(&with_nonce)), now).await;
        assert!(
            v.failures.iter().any(|f| f.starts_with("logout.nonce")),
            "{:?}",
            v.failures
        );
        let none = judge.judge(&Err("no logout_token".into()), now).await;
        assert!(!none.valid && none.inspection.is_none());
        assert_eq!(none.reason(), "no logout_token");
    }
}
