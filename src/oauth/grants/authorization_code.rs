//! The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636), for a user. The user
//! signs in in the system browser; the code comes back to a one-shot loopback listener
//! (RFC 8252) or is pasted by hand, and is exchanged at the token endpoint.

use std::time::Duration;

use url::Url;

use super::{GrantKind, TokenSuccess};
use crate::oauth::endpoint::EndpointKind;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::loopback::{self, Expected, LoopbackListener};
use crate::oauth::{ClientConfig, FlowEvent, PkceMode, Session, pkce};
use crate::secret::{AuthorizationCode, PkceVerifier, SecretKind};

const NAME: &str = "authorization code";

/// Default time the user has to finish signing in.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The authorization request and the secrets it binds (state, nonce, PKCE verifier).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub url: Url,
    pub redirect_uri: Url,
    pub state: String,
    pub nonce: Option<String>,
    pub code_verifier: Option<PkceVerifier>,
}

/// Builds the authorization URL (pure apart from the random values).
pub fn build_request(
    cfg: &ClientConfig,
    redirect_uri: &Url,
) -> Result<AuthorizationRequest, FlowError> {
    let endpoint = cfg
        .endpoints
        .authorization_endpoint
        .clone()
        .ok_or_else(|| FlowError::missing(NAME, Missing::Endpoint(EndpointKind::Authorization)))?;
    if cfg.client_id.is_empty() {
        return Err(FlowError::missing(NAME, Missing::ClientId));
    }
    let state = pkce::random_token();
    let nonce = cfg.wants_openid().then(pkce::random_token);
    let verifier = match cfg.pkce {
        PkceMode::Off => None,
        _ => Some(PkceVerifier::new(pkce::new_verifier(
            cfg.pkce_verifier_len.unwrap_or(pkce::DEFAULT_VERIFIER_LEN),
        ))),
    };
    let mut url = endpoint;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair("client_id", &cfg.client_id);
        q.append_pair("redirect_uri", redirect_uri.as_str());
        for (k, v) in cfg.scope_params() {
            q.append_pair(&k, &v);
        }
        q.append_pair("state", &state);
        if let Some(n) = &nonce {
            q.append_pair("nonce", n);
        }
        if let Some(v) = &verifier {
            match cfg.pkce {
                PkceMode::Plain => {
                    q.append_pair("code_challenge", v);
                    q.append_pair("code_challenge_method", "plain");
                }
                _ => {
                    q.append_pair("code_challenge", &pkce::s256_challenge(v));
                    q.append_pair("code_challenge_method", "S256");
                }
            }
        }
    }
    Ok(AuthorizationRequest {
        url,
        redirect_uri: redirect_uri.clone(),
        state,
        nonce,
        code_verifier: verifier,
    })
}

/// Exchanges a code at the token endpoint.
pub async fn exchange_code(
    session: &mut Session,
    cfg: &ClientConfig,
    code: &AuthorizationCode,
    redirect_uri: &Url,
    code_verifier: Option<&PkceVerifier>,
) -> Result<TokenSuccess, FlowError> {
    let mut params = vec![
        (
            "grant_type".to_string(),
            GrantKind::AuthorizationCode.grant_type().to_string(),
        ),
        ("code".to_string(), code.expose().to_string()),
        ("redirect_uri".to_string(), redirect_uri.to_string()),
    ];
    let mut secrets = vec![(SecretKind::AuthorizationCode, code.expose())];
    if let Some(v) = code_verifier {
        params.push(("code_verifier".into(), v.expose().to_string()));
        secrets.push((SecretKind::PkceVerifier, v.expose()));
    }
    // RFC 8707: the resource may be repeated at the token endpoint to pick the audience.
    for r in &cfg.resources {
        params.push(("resource".into(), r.clone()));
    }
    let (raw, tokens) = session
        .token_request("token request", cfg, params, &secrets)
        .await?;
    let mut s = TokenSuccess::new(raw, tokens);
    s.code = Some(code.clone());
    Ok(s)
}

/// Where the authorization response comes from.
pub enum RedirectSource {
    /// The loopback listener; open the system browser unless `open_browser` is false.
    Loopback {
        open_browser: bool,
        timeout: Duration,
    },
    /// The user pastes the redirect URL (servers that do not allow loopback redirects).
    Paste(tokio::sync::oneshot::Receiver<String>),
}

/// Runs the whole flow: authorization request, redirect, code exchange.
pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    source: RedirectSource,
    require_iss: bool,
) -> Result<TokenSuccess, FlowError> {
    let expected_issuer = cfg.endpoints.issuer.as_ref().map(|u| u.to_string());
    let (request, callback) = match source {
        RedirectSource::Loopback {
            open_browser,
            timeout,
        } => {
            let listener = LoopbackListener::bind(cfg.redirect_uri.as_ref()).await?;
            let request = build_request(cfg, listener.redirect_uri())?;
            let opened = open_browser && webbrowser::open(request.url.as_str()).is_ok();
            session.emit(FlowEvent::Authorize {
                url: request.url.to_string(),
                opened,
            });
            session.emit(FlowEvent::WaitingForRedirect {
                redirect_uri: request.redirect_uri.to_string(),
            });
            let expected = Expected {
                state: request.state.clone(),
                issuer: expected_issuer,
                require_iss,
            };
            let cb = listener.wait(&expected, timeout).await?;
            (request, cb)
        }
        RedirectSource::Paste(rx) => {
            let redirect = cfg.redirect_uri.clone().ok_or_else(|| {
                FlowError::missing(
                    "pasting the redirect",
                    Missing::Input(GrantInput::RedirectUri),
                )
            })?;
            let request = build_request(cfg, &redirect)?;
            session.emit(FlowEvent::Authorize {
                url: request.url.to_string(),
                opened: false,
            });
            let pasted = rx.await.map_err(|_| FlowError::Cancelled)?;
            let expected = Expected {
                state: request.state.clone(),
                issuer: expected_issuer,
                require_iss,
            };
            let cb = loopback::parse_redirect(&pasted, &expected)?;
            (request, cb)
        }
    };
    session.emit(FlowEvent::RedirectReceived {
        url: format!("{}?code=…&state=…", request.redirect_uri),
    });
    let mut success = exchange_code(
        session,
        cfg,
        &callback.code,
        &request.redirect_uri,
        request.code_verifier.as_ref(),
    )
    .await?;
    success.nonce = request.nonce;
    Ok(success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::Endpoints;

    fn cfg(pkce: PkceMode, scope: &str) -> ClientConfig {
        ClientConfig {
            endpoints: Endpoints {
                authorization_endpoint: Some(
                    Url::parse("https://as.example/auth?tenant=1").unwrap(),
                ),
                ..Default::default()
            },
            client_id: "native app".into(),
            scope: Some(scope.into()),
            resources: vec!["https://api.example".into()],
            pkce,
            ..Default::default()
        }
    }

    fn params(u: &Url) -> std::collections::HashMap<String, String> {
        u.query_pairs().into_owned().collect()
    }

    #[test]
    fn s256_request_carries_state_nonce_and_challenge() {
        let redirect = Url::parse("http://127.0.0.1:4000/callback").unwrap();
        let r = build_request(&cfg(PkceMode::S256, "openid profile"), &redirect).unwrap();
        let p = params(&r.url);
        assert_eq!(p["tenant"], "1", "existing query kept");
        assert_eq!(p["response_type"], "code");
        assert_eq!(p["client_id"], "native app");
        assert_eq!(p["redirect_uri"], "http://127.0.0.1:4000/callback");
        assert_eq!(p["state"], r.state);
        assert_eq!(p["nonce"], r.nonce.clone().unwrap());
        assert_eq!(p["resource"], "https://api.example");
        assert_eq!(p["code_challenge_method"], "S256");
        assert_eq!(
            p["code_challenge"],
            pkce::s256_challenge(r.code_verifier.as_deref().unwrap())
        );
    }

    #[test]
    fn plain_and_off_and_no_openid() {
        let redirect = Url::parse("http://127.0.0.1:4000/cb").unwrap();
        let r = build_request(&cfg(PkceMode::Plain, "api"), &redirect).unwrap();
        let p = params(&r.url);
        assert_eq!(
            p["code_challenge"],
            r.code_verifier.clone().unwrap().expose()
        );
        assert_eq!(p["code_challenge_method"], "plain");
        assert!(!p.contains_key("nonce"));
        let r = build_request(&cfg(PkceMode::Off, "api"), &redirect).unwrap();
        assert!(!params(&r.url).contains_key("code_challenge"));
        assert!(r.code_verifier.is_none());
    }
}
