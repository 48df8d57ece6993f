//! Calling an API with a token: Bearer (RFC 6750 §2.1), or DPoP (RFC 9449 §7: `Authorization:
//! DPoP` plus a proof with `ath`) when the session proves possession of a key, with one retry on
//! a `use_dpop_nonce` challenge. The answer's `WWW-Authenticate` challenges are parsed: RFC 6750
//! §3 errors, RFC 9449 §7.1, and RFC 9470 step-up (`insufficient_user_authentication` with
//! `acr_values` / `max_age`).

use url::Url;

use super::error::FlowError;
use super::session::{FlowEvent, Session};
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretKind;

/// One challenge of a `WWW-Authenticate` header: a scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// RFC 9470: the resource wants a stronger or more recent authentication.
    pub fn step_up(&self) -> Option<StepUp> {
        (self.error() == Some("insufficient_user_authentication")).then(|| StepUp {
            acr_values: self.param("acr_values").map(String::from),
            max_age: self.param("max_age").and_then(|m| m.parse().ok()),
        })
    }

    /// A one-line reading of the challenge for people.
    pub fn describe(&self) -> String {
        let mut out = self.scheme.clone();
        if let Some(e) = self.error() {
            out.push_str(&format!(" error={e}"));
            if let Some(d) = self.param("error_description") {
                out.push_str(&format!(" ({})", crate::text::inert(d)));
            }
            out.push_str(": ");
            out.push_str(match e {
                "invalid_token" => {
                    "the token is expired, revoked, malformed or not for this resource"
                }
                "insufficient_scope" => "the token lacks a scope this call needs",
                "invalid_request" => "the request is malformed (a missing or repeated parameter)",
                "invalid_dpop_proof" => "the DPoP proof was refused (RFC 9449 §7.1)",
                "use_dpop_nonce" => "the resource wants a DPoP nonce in the proof",
                "insufficient_user_authentication" => {
                    "step-up: sign in again with the acr_values / max_age it names (RFC 9470)"
                }
                _ => "see the resource's documentation",
            });
        }
        out
    }
}

/// What a step-up challenge asks for: a new authorization request with these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUp {
    pub acr_values: Option<String>,
    pub max_age: Option<u64>,
}

/// Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1): one or more challenges, each a
/// scheme followed by `name=value` or `name="quoted value"` parameters.
pub fn parse_www_authenticate(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        // A token followed by `=` is a parameter; otherwise it starts a new challenge.
        let end = rest.find([' ', ',', '=', '\t']).unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() {
            break;
        }
        let after = &rest[end..];
        if after.trim_start().starts_with('=') && !out.is_empty() {
            let after = after.trim_start()[1..].trim_start();
            let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
                let mut value = String::new();
                let mut chars = q.char_indices();
                let mut consumed = q.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => {
                            consumed = i + 1;
                            break;
                        }
                        _ => value.push(c),
                    }
                }
                (value, &q[consumed.min(q.len())..])
            } else {
                let e = after.find([',', ' ']).unwrap_or(after.len());
                (after[..e].to_string(), &after[e..])
            };
            if let Some(last) = out.last_mut() {
                last.params.push((word.to_string(), value));
            }
            rest = remaining;
        } else {
            out.push(Challenge {
                scheme: word.to_string(),
                params: Vec::new(),
            });
            rest = after;
        }
    }
    out
}

/// A call to an API.
#[derive(Debug, Clone)]
pub struct ResourceCall {
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// What the API answered.
#[derive(Debug, Clone)]
pub struct ResourceAnswer {
    pub response: HttpResponse,
    pub challenges: Vec<Challenge>,
    /// Whether the token went as DPoP (else Bearer).
    pub dpop: bool,
}

/// Calls the API with `token`: DPoP when the session has a DPoP key, Bearer otherwise.
pub async fn call(
    session: &mut Session,
    call: &ResourceCall,
    token: &str,
    step: &str,
) -> Result<ResourceAnswer, FlowError> {
    let dpop = session.dpop().cloned();
    let mut retried = false;
    loop {
        let mut req = HttpRequest::get(call.url.clone());
        req.method = call.method.to_ascii_uppercase();
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("accept"));
        for (k, v) in &call.headers {
            req = req.header(k.clone(), v.clone());
        }
        if !call
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
        {
            req = req.header("Accept", "application/json, */*");
        }
        req.body = call.body.clone();
        req = match &dpop {
            Some(d) => {
                let proof = d.proof_for(&req.method, &call.url, Some(token))?;
                req.header("Authorization", format!("DPoP {token}"))
                    .header("DPoP", proof)
            }
            None => req.header("Authorization", format!("Bearer {token}")),
        };
        req = req.secret(SecretKind::AccessToken, token);
        let resp = session.send(step, req).await?;
        let challenges = resp
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
            .flat_map(|(_, v)| parse_www_authenticate(v))
            .collect::<Vec<_>>();
        if let Some(d) = &dpop {
            let fresh = resp
                .header("dpop-nonce")
                .is_some_and(|n| d.remember_nonce(&call.url, n));
            let wants_nonce = challenges
                .iter()
                .any(|c| c.error() == Some("use_dpop_nonce"));
            if !retried && fresh && wants_nonce {
                retried = true;
                session.emit(FlowEvent::Note(
                    "the resource asked for a DPoP nonce; retrying once with it".into(),
                ));
                continue;
            }
        }
        return Ok(ResourceAnswer {
            response: resp,
            challenges,
            dpop: dpop.is_some(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_6750_and_9449_challenges() {
        let c = parse_www_authenticate(
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].param("realm"), Some("example"));
        assert_eq!(c[0].error(), Some("invalid_token"));
        assert_eq!(
            c[0].param("error_description"),
            Some("The access token expired")
        );
        // RFC 9449 §7.1: two challenges in one header.
        let c = parse_www_authenticate(
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 PS256", Bearer realm="x""#,
        );
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].scheme, "DPoP");
        assert_eq!(c[0].error(), Some("use_dpop_nonce"));
        assert_eq!(c[0].param("algs"), Some("ES256 PS256"));
        assert_eq!(c[1].scheme, "Bearer");
        assert_eq!(parse_www_authenticate("Bearer")[0].params.len(), 0);
    }

    #[test]
    fn step_up_challenge_names_what_to_ask_for() {
        // RFC 9470 §3's example.
        let c = parse_www_authenticate(
            r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR""#,
        );
        let up = c[0].step_up().unwrap();
        assert_eq!(up.acr_values.as_deref(), Some("myACR"));
        assert_eq!(up.max_age, None);
        let c = parse_www_authenticate(
            r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5""#,
        );
        assert_eq!(c[0].step_up().unwrap().max_age, Some(5));
        assert!(c[0].describe().contains("RFC 9470"));
    }

    #[test]
    fn quoted_values_unescape_and_control_text_is_shown_inert() {
        let header =
            "Bearer error=\"invalid_token\", error_description=\"a \\\"quoted\\\" \u{1b}[2J\"";
        let c = parse_www_authenticate(header);
        assert_eq!(
            c[0].param("error_description"),
            Some("a \"quoted\" \u{1b}[2J")
        );
        let shown = c[0].describe();
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
    }
}
