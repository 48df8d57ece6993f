//! Accepting an access token at a resource (the protected resource and `/userinfo`): Bearer
//! (RFC 6750 §2.1) or DPoP (RFC 9449 §7) with a valid proof, and the refusals with their
//! RFC 6750 §3 / RFC 9449 §7.1 / RFC 9470 challenges.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use crate::protocol::dpop::{self, DPOP_ALGS, ProofError};
use crate::protocol::wire::json_response;
use crate::state::app::App;
use crate::state::clients::SeededUser;
use crate::state::tls::Peer;

/// How the token came: `Authorization: Bearer` or `Authorization: DPoP` with a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Bearer,
    Dpop,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Dpop => "DPoP",
        }
    }
}

/// A request whose token was accepted.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    pub scheme: Scheme,
    pub sub: String,
    pub scope: String,
    pub client_id: &'static str,
    pub user: Option<&'static SeededUser>,
    pub aud: Vec<String>,
    pub cnf_jkt: Option<String>,
    pub cnf_x5t: Option<String>,
    pub acr: Option<String>,
    pub auth_time: Option<u64>,
}

impl Accepted {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// A refusal with its `WWW-Authenticate` challenge.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    status: StatusCode,
    scheme: Scheme,
    /// `None`: no token was sent (RFC 6750 §3.1: no error code).
    error: Option<&'static str>,
    description: String,
    /// Extra challenge parameters (`acr_values`, `max_age`, `scope`).
    pub(crate) extra: Vec<(&'static str, String)>,
}

impl Refusal {
    pub(crate) fn new(
        status: StatusCode,
        scheme: Scheme,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Refusal {
            status,
            scheme,
            error: Some(error),
            description: description.into(),
            extra: Vec::new(),
        }
    }

    pub(crate) fn invalid_token(scheme: Scheme, description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            scheme,
            "invalid_token",
            description,
        )
    }

    fn challenge(&self) -> String {
        // A header value stays printable ASCII (RFC 6750 §3: error_description is ASCII).
        let quoted = |s: &str| {
            s.replace('§', "section ")
                .chars()
                .map(|c| match c {
                    '"' | '\\' => '\'',
                    ' '..='~' => c,
                    _ => '?',
                })
                .collect::<String>()
        };
        let mut params = vec!["realm=\"grantscope-sandbox\"".to_string()];
        if let Some(error) = self.error {
            params.push(format!("error=\"{error}\""));
            params.push(format!(
                "error_description=\"{}\"",
                quoted(&self.description)
            ));
        }
        for (name, value) in &self.extra {
            params.push(format!("{name}=\"{}\"", quoted(value)));
        }
        if self.scheme == Scheme::Dpop {
            params.push(format!("algs=\"{}\"", DPOP_ALGS.join(" ")));
        }
        let own = format!("{} {}", self.scheme.as_str(), params.join(", "));
        match self.error {
            // No token at all: offer both schemes (RFC 9449 §7.1).
            None => format!("{own}, DPoP algs=\"{}\"", DPOP_ALGS.join(" ")),
            Some(_) => own,
        }
    }

    /// The response: the challenge, a JSON body with the same error, and a fresh `DPoP-Nonce`
    /// when the nonce switch is on.
    pub(crate) fn into_response(self, app: &App) -> Response {
        let body = match self.error {
            Some(error) => json!({ "error": error, "error_description": self.description }),
            None => json!({
                "error": "invalid_request",
                "error_description": "no access token: send Authorization: Bearer TOKEN or DPoP TOKEN with a DPoP proof"
            }),
        };
        let mut response = json_response(self.status, &body);
        if let Ok(value) = HeaderValue::from_str(&self.challenge()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        add_nonce(app, &mut response);
        response
    }
}

/// A `WWW-Authenticate` value with `resource_metadata="URL"` added to its first challenge,
/// after its first parameter
/// (RFC 9728 §5.1); `None` when there is no challenge or it has one already.
pub(crate) fn with_resource_metadata(
    challenge: Option<&HeaderValue>,
    url: &str,
) -> Option<HeaderValue> {
    let text = challenge?.to_str().ok()?;
    if text.contains("resource_metadata=") {
        return None;
    }
    let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    let rest = rest.trim();
    let param = format!("resource_metadata=\"{url}\"");
    // After the first parameter when it is a quoted one (`realm="…"` stays first).
    let first_end = rest
        .find('"')
        .and_then(|open| rest[open + 1..].find('"').map(|close| open + close + 2));
    let value = match first_end {
        _ if rest.is_empty() => format!("{scheme} {param}"),
        Some(end) => format!("{scheme} {}, {param}{}", &rest[..end], &rest[end..]),
        None => format!("{scheme} {param}, {rest}"),
    };
    HeaderValue::from_str(&value).ok()
}

#[cfg(test)]
#[test]
fn resource_metadata_goes_into_the_first_challenge() {
    let v = |s: &str| {
        with_resource_metadata(Some(&HeaderValue::from_str(s).unwrap()), "http://x/m")
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(
        v("Bearer realm=\"r\", DPoP algs=\"ES256\"").unwrap(),
        "Bearer realm=\"r\", resource_metadata=\"http://x/m\", DPoP algs=\"ES256\""
    );
    assert_eq!(
        v("Bearer realm=\"r\"").unwrap(),
        "Bearer realm=\"r\", resource_metadata=\"http://x/m\""
    );
    assert_eq!(
        v("Bearer").unwrap(),
        "Bearer resource_metadata=\"http://x/m\""
    );
    assert_eq!(v("Bearer resource_metadata=\"a\""), None);
}

pub(crate) fn add_nonce(app: &App, response: &mut Response) {
    if let Some(nonce) = dpop::nonce_header(app) {
        response.headers_mut().insert("dpop-nonce", nonce);
    }
}

/// The token a request carries, how it came, and for DPoP the key the proof proved.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub scheme: Scheme,
    pub token: String,
    pub proof: Option<dpop::Proven>,
}

/// The refusal of a request that carries no token (RFC 6750 §3.1: a challenge, no error code).
pub(crate) fn no_token() -> Refusal {
    Refusal {
        status: StatusCode::UNAUTHORIZED,
        scheme: Scheme::Bearer,
        error: None,
        description: String::new(),
        extra: Vec::new(),
    }
}

/// Reads the request's `Authorization` header and, for DPoP, checks the proof (with `ath`).
pub(crate) fn credentials(
    app: &App,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<Credentials, Refusal> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            Scheme::Bearer,
            "invalid_request",
            "more than one Authorization header",
        ));
    }
    let Some((scheme, token)) = first
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .and_then(|(scheme, token)| {
            let token = token.trim().to_string();
            if scheme.eq_ignore_ascii_case("bearer") {
                Some((Scheme::Bearer, token))
            } else if scheme.eq_ignore_ascii_case("dpop") {
                Some((Scheme::Dpop, token))
            } else {
                None
            }
        })
    else {
        return Err(no_token());
    };
    let proof = match scheme {
        Scheme::Dpop => {
            let mut htus = vec![app.url(path)];
            htus.extend(app.tls_url(path));
            match dpop::check(app, headers, method.as_str(), &htus, Some(&token)) {
                Ok(Some(proven)) => Some(proven),
                Ok(None) => {
                    return Err(Refusal::new(
                        StatusCode::UNAUTHORIZED,
                        Scheme::Dpop,
                        "invalid_dpop_proof",
                        "Authorization: DPoP needs a DPoP proof header (RFC 9449 §7.1)",
                    ));
                }
                Err(error @ (ProofError::Invalid(_) | ProofError::UseNonce(_))) => {
                    return Err(Refusal::new(
                        StatusCode::UNAUTHORIZED,
                        Scheme::Dpop,
                        error.code(),
                        error.description(),
                    ));
                }
            }
        }
        Scheme::Bearer => None,
    };
    Ok(Credentials {
        scheme,
        token,
        proof,
    })
}

/// Checks a token's binding: a DPoP-bound token (`cnf.jkt`) only with a proof of that key, a
/// proof only for a DPoP-bound token, a certificate-bound token (`cnf.x5t#S256`, RFC 8705 §3)
/// only over the connection presenting that certificate.
pub(crate) fn check_binding(
    app: &App,
    peer: &Peer,
    path: &str,
    presented: &Credentials,
    cnf_jkt: Option<&str>,
    cnf_x5t: Option<&str>,
) -> Result<(), Refusal> {
    match (cnf_jkt, &presented.proof) {
        (Some(_), None) if app.config.unsafe_switches.dpop_token_as_bearer => {}
        (Some(_), None) => {
            return Err(Refusal::invalid_token(
                Scheme::Dpop,
                "the access token is DPoP-bound (cnf.jkt): send it as Authorization: DPoP with a proof of its key, not as Bearer",
            ));
        }
        (Some(jkt), Some(proven))
            if jkt != proven.jkt && !app.config.unsafe_switches.dpop_any_key =>
        {
            return Err(Refusal::invalid_token(
                Scheme::Dpop,
                "the DPoP proof is signed by another key than the one the token is bound to (cnf.jkt)",
            ));
        }
        (None, Some(_)) => {
            return Err(Refusal::invalid_token(
                Scheme::Dpop,
                "the access token is not DPoP-bound; send it as Authorization: Bearer",
            ));
        }
        _ => {}
    }
    if let Some(x5t) = cnf_x5t {
        let thumbprint = peer
            .cert
            .as_deref()
            .map(|der| grantscope_core::keys::x5t_s256(der));
        if thumbprint.as_deref() != Some(x5t) {
            return Err(Refusal::invalid_token(
                presented.scheme,
                format!(
                    "the access token is bound to a client certificate (cnf.x5t#S256, RFC 8705 \
                     section 3): call over mutual TLS ({}) with that certificate",
                    app.tls_url(path).unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the access token of a request to `path` with `method`: the scheme, the token, for
/// DPoP the proof (with `ath`) and its key against the token's `cnf.jkt`, and for a
/// certificate-bound token (`cnf.x5t#S256`, RFC 8705 §3) the connection's client certificate.
pub(crate) fn accept(
    app: &App,
    peer: &Peer,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<Accepted, Refusal> {
    let presented = credentials(app, headers, method, path)?;
    accept_known(app, peer, path, &presented)
}

/// Looks the presented token up in the store (known, unexpired, not revoked) and checks its
/// binding.
pub(crate) fn accept_known(
    app: &App,
    peer: &Peer,
    path: &str,
    presented: &Credentials,
) -> Result<Accepted, Refusal> {
    let scheme = presented.scheme;
    let store = app.store();
    let Some((record, grant)) = store.active_access(&presented.token) else {
        return Err(Refusal::invalid_token(
            scheme,
            "the access token is unknown, expired or revoked",
        ));
    };
    check_binding(
        app,
        peer,
        path,
        presented,
        record.cnf_jkt.as_deref(),
        record.cnf_x5t.as_deref(),
    )?;
    Ok(Accepted {
        scheme,
        sub: record.sub.clone(),
        scope: record.scope.clone(),
        client_id: grant.client.id,
        user: grant.user,
        aud: record.aud.clone(),
        cnf_jkt: record.cnf_jkt.clone(),
        cnf_x5t: record.cnf_x5t.clone(),
        acr: record.acr.clone(),
        auth_time: grant.auth_time,
    })
}
