//! Dynamic client registration (RFC 7591) and its management (RFC 7592): the client metadata a
//! registration sends (built pure, from what the user asked for), the registration itself,
//! and reading, updating and deleting the registration with its registration access token.
//! What the server answers is kept raw; the secrets in it (`client_secret`,
//! `registration_access_token`) are marked so every view of the exchange masks them.

use serde_json::{Map, Value, json};
use url::Url;

use super::error::FlowError;
use super::session::Session;
use crate::http::HttpRequest;
use crate::secret::{AccessToken, SecretKind};

/// What the user asks a registration to say about the client.
#[derive(Debug, Clone, Default)]
pub struct ClientRequest {
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `grant_type` values; empty: `authorization_code` (and `refresh_token`) with redirect
    /// URIs, else `client_credentials`.
    pub grant_types: Vec<String>,
    /// `token_endpoint_auth_method`; `None`: the server's default.
    pub auth_method: Option<String>,
    pub client_name: Option<String>,
    pub scope: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    /// The public JWK of the client's signing key (`private_key_jwt`, signed request objects).
    pub signing_jwk: Option<Value>,
    /// The public JWK of the client's encryption key (encrypted ID tokens).
    pub encryption_jwk: Option<Value>,
}

/// Whether `uri` is a loopback redirect (RFC 8252 §7.3: any port works for a native client).
pub fn is_loopback(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(
                u.host_str(),
                Some("127.0.0.1") | Some("[::1]") | Some("localhost")
            )
    })
}

impl ClientRequest {
    /// The grant types the registration asks for.
    pub fn effective_grant_types(&self) -> Vec<String> {
        if !self.grant_types.is_empty() {
            return self.grant_types.clone();
        }
        if self.redirect_uris.is_empty() {
            vec!["client_credentials".into()]
        } else {
            vec!["authorization_code".into(), "refresh_token".into()]
        }
    }

    /// The client metadata document (RFC 7591 §2). Loopback redirect URIs register as
    /// `application_type: native`; without the authorization code grant `response_types` is
    /// `[]` (the default would be `["code"]`).
    pub fn metadata(&self) -> Value {
        let mut m = Map::new();
        let grants = self.effective_grant_types();
        if !self.redirect_uris.is_empty() {
            m.insert("redirect_uris".into(), json!(self.redirect_uris));
        }
        if self.redirect_uris.iter().any(|u| is_loopback(u)) {
            m.insert("application_type".into(), json!("native"));
        }
        let code = grants.iter().any(|g| g == "authorization_code");
        m.insert(
            "response_types".into(),
            if code { json!(["code"]) } else { json!([]) },
        );
        m.insert("grant_types".into(), json!(grants));
        if let Some(method) = &self.auth_method {
            m.insert("token_endpoint_auth_method".into(), json!(method));
        }
        if let Some(name) = &self.client_name {
            m.insert("client_name".into(), json!(name));
        }
        if let Some(scope) = &self.scope {
            m.insert("scope".into(), json!(scope));
        }
        if !self.post_logout_redirect_uris.is_empty() {
            m.insert(
                "post_logout_redirect_uris".into(),
                json!(self.post_logout_redirect_uris),
            );
        }
        if let Some(uri) = &self.backchannel_logout_uri {
            m.insert("backchannel_logout_uri".into(), json!(uri));
        }
        let keys: Vec<Value> = [&self.signing_jwk, &self.encryption_jwk]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if !keys.is_empty() {
            m.insert("jwks".into(), json!({ "keys": keys }));
        }
        if let Some(alg) = self.encryption_jwk.as_ref().and_then(|k| k.get("alg")) {
            m.insert("id_token_encrypted_response_alg".into(), alg.clone());
        }
        Value::Object(m)
    }
}

/// The members of a registration response that must not be sent back in an update (RFC 7592
/// §2.2).
const NOT_SENT_BACK: [&str; 4] = [
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

/// The whole record to PUT in an update: the registration as read, minus what RFC 7592 §2.2
/// forbids sending, with `changes` laid over it (a `null` change removes the member).
pub fn update_body(current: &Value, changes: &Value) -> Value {
    let mut out = current.as_object().cloned().unwrap_or_default();
    for name in NOT_SENT_BACK {
        out.remove(name);
    }
    if let Some(changes) = changes.as_object() {
        for (k, v) in changes {
            if v.is_null() {
                out.remove(k);
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// A JSON request with an optional Bearer token (the initial or registration access token).
fn json_request(
    method: &str,
    url: &Url,
    body: Option<&Value>,
    bearer: Option<&str>,
) -> HttpRequest {
    let mut req = HttpRequest::get(url.clone());
    req.method = method.to_string();
    if let Some(body) = body {
        req.headers
            .push(("Content-Type".into(), "application/json".into()));
        req.body = Some(serde_json::to_string(body).unwrap_or_default());
    }
    if let Some(token) = bearer {
        req = req
            .header("Authorization", format!("Bearer {token}"))
            .secret(SecretKind::Credentials, token);
    }
    req
}

/// Marks the secrets a registration answer delivered, so every view of the exchange masks them.
fn mark_secrets(session: &mut Session, client: &Value) {
    if let Some(s) = client.get("client_secret").and_then(Value::as_str) {
        session.mark_received(SecretKind::ClientSecret, s);
    }
    if let Some(t) = client
        .get("registration_access_token")
        .and_then(Value::as_str)
    {
        session.mark_received(SecretKind::AccessToken, t);
    }
}

/// The answer's JSON object, or the server's error (RFC 7591 §3.2.2).
fn client_of(
    session: &mut Session,
    resp: &crate::http::HttpResponse,
    what: &'static str,
) -> Result<Value, FlowError> {
    let (_, value) = session.check_response(resp, what)?;
    if !value.is_object() || value.get("client_id").and_then(Value::as_str).is_none() {
        return Err(FlowError::Discovery(format!(
            "the {what} answer has no client_id (RFC 7591 §3.2.1 requires it)"
        )));
    }
    mark_secrets(session, &value);
    Ok(value)
}

/// RFC 7591 §3.1: POSTs the metadata to the registration endpoint, with the initial access
/// token when one is given; returns the registered client as the server answered.
pub async fn register(
    session: &mut Session,
    endpoint: &Url,
    metadata: &Value,
    initial_access_token: Option<&AccessToken>,
) -> Result<Value, FlowError> {
    let req = json_request(
        "POST",
        endpoint,
        Some(metadata),
        initial_access_token.map(AccessToken::expose),
    );
    let resp = session.send("client registration", req).await?;
    client_of(session, &resp, "client registration")
}

/// RFC 7592 §2.1: reads the registration.
pub async fn read(
    session: &mut Session,
    client_uri: &Url,
    token: &AccessToken,
) -> Result<Value, FlowError> {
    let req = json_request("GET", client_uri, None, Some(token.expose()));
    let resp = session.send("read the registration", req).await?;
    client_of(session, &resp, "registration read")
}

/// RFC 7592 §2.2: PUTs the whole record.
pub async fn update(
    session: &mut Session,
    client_uri: &Url,
    token: &AccessToken,
    record: &Value,
) -> Result<Value, FlowError> {
    let req = json_request("PUT", client_uri, Some(record), Some(token.expose()));
    let resp = session.send("update the registration", req).await?;
    client_of(session, &resp, "registration update")
}

/// RFC 7592 §2.3: deletes the registration (204 No Content).
pub async fn delete(
    session: &mut Session,
    client_uri: &Url,
    token: &AccessToken,
) -> Result<(), FlowError> {
    let req = json_request("DELETE", client_uri, None, Some(token.expose()));
    let resp = session.send("delete the registration", req).await?;
    if resp.is_success() {
        return Ok(());
    }
    session
        .check_response(&resp, "registration delete")
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_make_a_native_client_and_no_code_grant_means_no_response_types() {
        let native = ClientRequest {
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            ..Default::default()
        }
        .metadata();
        assert_eq!(native["application_type"], "native");
        assert_eq!(native["response_types"], json!(["code"]));
        assert_eq!(
            native["grant_types"],
            json!(["authorization_code", "refresh_token"])
        );
        let machine = ClientRequest {
            auth_method: Some("client_secret_basic".into()),
            ..Default::default()
        }
        .metadata();
        assert_eq!(machine["response_types"], json!([]));
        assert_eq!(machine["grant_types"], json!(["client_credentials"]));
        assert!(machine.get("application_type").is_none());
        let web = ClientRequest {
            redirect_uris: vec!["https://app.example/cb".into()],
            ..Default::default()
        }
        .metadata();
        assert!(web.get("application_type").is_none());
    }

    #[test]
    fn an_update_sends_the_whole_record_without_the_forbidden_members() {
        let current = json!({
            "client_id": "c", "client_secret": "s", "client_name": "old",
            "registration_access_token": "t", "registration_client_uri": "https://as/r/c",
            "client_id_issued_at": 1, "client_secret_expires_at": 0,
            "redirect_uris": ["http://127.0.0.1/cb"],
        });
        let body = update_body(&current, &json!({ "client_name": "new" }));
        assert_eq!(body["client_name"], "new");
        assert_eq!(body["client_id"], "c");
        assert_eq!(body["redirect_uris"], json!(["http://127.0.0.1/cb"]));
        for gone in NOT_SENT_BACK {
            assert!(body.get(gone).is_none(), "{gone}");
        }
    }
}
