//! The recorded exchange ([`Exchange`]): a request/response pair with timing, holding raw
//! values that it shows only through its views (text, JSON, curl, HAR), masked the same way in
//! every one unless the caller asks to reveal them.

use serde::Serialize;
use serde_json::{Map, Value, json};
use url::Url;

use super::request::{HttpRequest, push_secret};
use crate::secret::{MASK, Secret, SecretKind};

/// One recorded request (as sent).
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// One recorded response (as received, body as text).
#[derive(Debug, Clone, Serialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpRequest {
    /// The request as an exchange would show it before it is sent (step mode): secrets masked
    /// the same way unless `reveal`.
    pub fn view(&self, reveal: bool) -> RecordedRequest {
        Exchange::new("", self).request_view(reveal)
    }
}

/// A request's `Debug` shows it masked, as every view does.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked = self.view(false);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &masked.url)
            .field("headers", &masked.headers)
            .field("body", &masked.body)
            .field("secrets", &format_args!("{} redacted", self.secrets.len()))
            .finish_non_exhaustive()
    }
}

/// A request/response pair with timing. Holds raw values, which it shows only through the
/// views below: masked, unless the caller explicitly asks to reveal them.
#[derive(Clone)]
pub struct Exchange {
    /// What this call was for, e.g. "token request".
    pub step: String,
    request: RecordedRequest,
    pub(super) response: Option<RecordedResponse>,
    /// Why there is no response (timeout, connection refused, body too large).
    pub(super) error: Option<String>,
    pub elapsed_ms: u64,
    /// When the request was sent, unix milliseconds.
    pub started_at_ms: u128,
    secrets: Vec<(SecretKind, String)>,
    /// Step mode: the request as the flow built it, when the user edited it before sending.
    edited_from: Option<RecordedRequest>,
    decoded: Vec<(String, Value)>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("step", &self.step)
            .field("request", &self.request_view(false))
            .field("response", &self.response_view(false))
            .field("error", &self.error_view(false))
            .field("elapsed_ms", &self.elapsed_ms)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    pub(super) fn new(step: &str, req: &HttpRequest) -> Self {
        Self {
            step: step.to_string(),
            request: RecordedRequest {
                method: req.method.clone(),
                url: req.url.to_string(),
                headers: req.headers.clone(),
                body: req.body.clone(),
            },
            response: None,
            error: None,
            elapsed_ms: 0,
            started_at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0),
            secrets: req.secrets.clone(),
            edited_from: None,
            decoded: req.decoded.clone(),
        }
    }

    /// The browser's part of a flow as an exchange (front channel): the authorization request
    /// the browser was sent with, and the redirect that came back (as a `Location`), with the
    /// secrets in it marked. Nothing was sent by grantscope itself; the step says so.
    pub fn front_channel(
        step: &str,
        request_url: &Url,
        redirect: &str,
        secrets: &[(SecretKind, String)],
    ) -> Exchange {
        let mut ex = Exchange::new(step, &HttpRequest::get(request_url.clone()));
        ex.request.headers.clear();
        ex.response = Some(RecordedResponse {
            status: 302,
            headers: vec![("Location".into(), redirect.to_string())],
            body: String::new(),
        });
        for (kind, v) in secrets {
            ex.add_secret(*kind, v.clone());
        }
        ex
    }

    /// Marks this exchange as edited in step mode, keeping the request as the flow built it.
    pub fn set_edited_from(&mut self, original: &HttpRequest) {
        for (kind, v) in &original.secrets {
            push_secret(&mut self.secrets, *kind, v.clone());
        }
        self.edited_from = Some(RecordedRequest {
            method: original.method.clone(),
            url: original.url.to_string(),
            headers: original.headers.clone(),
            body: original.body.clone(),
        });
    }

    /// Whether the user edited the request before it was sent.
    pub fn is_edited(&self) -> bool {
        self.edited_from.is_some()
    }

    /// The request as the flow built it, before the user's edit; masked unless `reveal`.
    pub fn original_request_view(&self, reveal: bool) -> Option<RecordedRequest> {
        self.edited_from.as_ref().map(|r| self.view_of(r, reveal))
    }

    /// The request again, ready to re-send (replay): raw values, with the same secrets marked
    /// so that the new exchange masks them too.
    pub fn replay_request(&self) -> Result<HttpRequest, url::ParseError> {
        Ok(HttpRequest {
            method: self.request.method.clone(),
            url: Url::parse(&self.request.url)?,
            headers: self.request.headers.clone(),
            body: self.request.body.clone(),
            secrets: self.secrets.clone(),
            decoded: self.decoded.clone(),
        })
    }

    /// Decoded views of what the request carried (a client assertion's header and claims),
    /// free of secrets: shown beside the raw, masked form.
    pub fn decoded(&self) -> &[(String, Value)] {
        &self.decoded
    }

    /// Adds a value to mask (e.g. a token received in this exchange's response).
    pub fn add_secret(&mut self, kind: SecretKind, value: impl Into<String>) {
        push_secret(&mut self.secrets, kind, value.into());
    }

    /// Marks the tokens a JSON response body carries (`access_token`, `refresh_token`,
    /// `id_token`, token exchange's `issued_token`) as secrets of this exchange. The client
    /// does it once, when the response is recorded, so every view of the exchange (the
    /// observer's included) masks them; no caller marks them again.
    pub(super) fn mark_received_tokens(&mut self) {
        let Some(body) = self.response.as_ref().map(|r| r.body.as_str()) else {
            return;
        };
        let Ok(Value::Object(v)) = serde_json::from_str::<Value>(body) else {
            return;
        };
        for (key, kind) in [
            ("access_token", SecretKind::AccessToken),
            ("refresh_token", SecretKind::RefreshToken),
            ("id_token", SecretKind::IdToken),
            ("issued_token", SecretKind::AccessToken),
        ] {
            if let Some(t) = v.get(key).and_then(Value::as_str) {
                push_secret(&mut self.secrets, kind, t.to_string());
            }
        }
    }

    /// Adds a typed secret to mask.
    pub fn mark<S: Secret>(&mut self, value: &S) {
        self.add_secret(S::KIND, value.expose());
    }

    /// The kinds of secret this exchange masks, for a note beside a masked view.
    pub fn secret_kinds(&self) -> Vec<SecretKind> {
        let mut kinds: Vec<SecretKind> = Vec::new();
        for (k, _) in &self.secrets {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
        kinds
    }

    /// Whether any view of this exchange hides something unless revealed.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
            || self
                .request
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    }

    /// The request method (never secret).
    pub fn method(&self) -> &str {
        &self.request.method
    }

    /// The HTTP status of the response, if one came.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// Whether the call failed: no response, or a status of 400 and above.
    pub fn failed(&self) -> bool {
        self.status().is_none_or(|s| s >= 400)
    }

    /// Why there is no response, masked unless `reveal`.
    pub fn error_view(&self, reveal: bool) -> Option<String> {
        self.error.as_ref().map(|e| self.show(e, reveal))
    }

    /// Replaces every secret (raw and in its URL-encoded forms) with [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        // Longest first, so a secret that contains another is masked whole.
        let mut secrets: Vec<&String> = self.secrets.iter().map(|(_, v)| v).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in secrets {
            for form in secret_forms(secret) {
                if !form.is_empty() {
                    out = out.replace(&form, MASK);
                }
            }
        }
        out
    }

    fn show(&self, text: &str, reveal: bool) -> String {
        if reveal {
            text.to_string()
        } else {
            self.mask(text)
        }
    }

    /// The recorded request with secrets masked unless `reveal`.
    pub fn request_view(&self, reveal: bool) -> RecordedRequest {
        self.view_of(&self.request, reveal)
    }

    fn view_of(&self, r: &RecordedRequest, reveal: bool) -> RecordedRequest {
        RecordedRequest {
            method: r.method.clone(),
            url: self.show(&r.url, reveal),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.show_header(k, v, reveal)))
                .collect(),
            body: r.body.as_ref().map(|b| self.show(b, reveal)),
        }
    }

    fn show_header(&self, name: &str, value: &str, reveal: bool) -> String {
        if !reveal && name.eq_ignore_ascii_case("authorization") {
            // Keep the scheme, mask the credentials, whatever they are.
            match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} {MASK}"),
                None => MASK.to_string(),
            }
        } else {
            self.show(value, reveal)
        }
    }

    /// The recorded response with secrets masked unless `reveal`.
    pub fn response_view(&self, reveal: bool) -> Option<RecordedResponse> {
        self.response.as_ref().map(|r| RecordedResponse {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), self.show(v, reveal)))
                .collect(),
            body: self.show(&r.body, reveal),
        })
    }

    /// The DESIGN.md `exchanges[]` entry.
    pub fn to_json(&self, reveal: bool) -> Value {
        let req = self.request_view(reveal);
        let mut request = Map::new();
        request.insert("method".into(), Value::String(req.method));
        request.insert("url".into(), Value::String(req.url));
        request.insert("headers".into(), headers_json(&req.headers));
        request.insert(
            "body".into(),
            req.body.map(Value::String).unwrap_or(Value::Null),
        );
        let response = match self.response_view(reveal) {
            Some(r) => {
                let mut m = Map::new();
                m.insert("status".into(), Value::from(r.status));
                m.insert("headers".into(), headers_json(&r.headers));
                m.insert("body".into(), Value::String(r.body));
                Value::Object(m)
            }
            None => Value::Null,
        };
        let mut m = Map::new();
        m.insert("step".into(), Value::String(self.step.clone()));
        m.insert("request".into(), Value::Object(request));
        m.insert("response".into(), response);
        if !self.decoded.is_empty() {
            let decoded: Map<String, Value> = self.decoded.iter().cloned().collect();
            m.insert("decoded".into(), Value::Object(decoded));
        }
        if let Some(err) = self.error_view(reveal) {
            m.insert("error".into(), Value::String(err));
        }
        if let Some(orig) = self.original_request_view(reveal) {
            m.insert("edited".into(), Value::Bool(true));
            m.insert(
                "original_request".into(),
                serde_json::json!({
                    "method": orig.method, "url": orig.url,
                    "headers": headers_json(&orig.headers), "body": orig.body,
                }),
            );
        }
        m.insert("elapsed_ms".into(), Value::from(self.elapsed_ms));
        Value::Object(m)
    }

    /// The request as a runnable curl command (POSIX shell quoting).
    pub fn to_curl(&self, reveal: bool) -> String {
        let req = self.request_view(reveal);
        let mut parts = vec!["curl".to_string()];
        if req.method != "GET" || req.body.is_some() {
            parts.push("-X".into());
            parts.push(req.method.clone());
        }
        parts.push(shell_quote(&req.url));
        for (k, v) in &req.headers {
            parts.push("-H".into());
            parts.push(shell_quote(&format!("{k}: {v}")));
        }
        if let Some(body) = &req.body {
            parts.push("--data-raw".into());
            parts.push(shell_quote(body));
        }
        parts.join(" ")
    }

    /// Status line for lists: "200 OK 12 ms", or the transport error.
    pub fn summary(&self) -> String {
        match (&self.response, self.error_view(false)) {
            (Some(r), _) => format!("{} · {} ms", r.status, self.elapsed_ms),
            (None, Some(e)) => format!("failed · {e}"),
            (None, None) => "pending".into(),
        }
    }
}

fn headers_json(headers: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in headers {
        match m.get_mut(k) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(v);
            }
            _ => {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(m)
}

/// A secret as it may appear in a URL, a form body, a Basic header or a JSON string.
fn secret_forms(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut forms = vec![secret.to_string()];
    if form != secret {
        forms.push(form);
    }
    // As a JSON string escapes it (`"` and `\\`), for a server that echoes it in a JSON body.
    if let Ok(json) = serde_json::to_string(secret)
        && let Some(inner) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"'))
        && inner != secret
    {
        forms.push(inner.to_string());
    }
    forms
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

// HAR 1.2 export.

fn header_list(headers: &[(String, String)]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect(),
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The exchanges as a HAR 1.2 document (which browsers' developer tools open), masked like
/// every other view unless `reveal`. Exchanges edited in step mode carry their original
/// request (`_edited`, `_originalRequest`).
pub fn to_har(exchanges: &[Exchange], reveal: bool) -> Value {
    let entries: Vec<Value> = exchanges
        .iter()
        .map(|ex| {
            let req = ex.request_view(reveal);
            let query: Vec<Value> = url::Url::parse(&req.url)
                .map(|u| {
                    u.query_pairs()
                        .map(|(k, v)| json!({"name": k, "value": v}))
                        .collect()
                })
                .unwrap_or_default();
            let mut request = json!({
                "method": req.method,
                "url": req.url,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": header_list(&req.headers),
                "queryString": query,
                "headersSize": -1,
                "bodySize": req.body.as_ref().map_or(0, String::len),
            });
            if let Some(body) = &req.body {
                request["postData"] = json!({
                    "mimeType": header(&req.headers, "content-type")
                        .unwrap_or("application/x-www-form-urlencoded"),
                    "text": body,
                });
            }
            let response = match ex.response_view(reveal) {
                Some(r) => json!({
                    "status": r.status,
                    "statusText": "",
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": header_list(&r.headers),
                    "content": {
                        "size": r.body.len(),
                        "mimeType": header(&r.headers, "content-type").unwrap_or(""),
                        "text": r.body,
                    },
                    "redirectURL": header(&r.headers, "location").unwrap_or(""),
                    "headersSize": -1,
                    "bodySize": r.body.len(),
                }),
                // HAR has no "no response": status 0 is what browsers write for a failed request.
                None => json!({
                    "status": 0,
                    "statusText": ex.error_view(reveal).unwrap_or_default(),
                    "httpVersion": "",
                    "cookies": [],
                    "headers": [],
                    "content": {"size": 0, "mimeType": ""},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": -1,
                }),
            };
            let mut entry = json!({
                "startedDateTime": started(ex.started_at_ms),
                "time": ex.elapsed_ms,
                "request": request,
                "response": response,
                "cache": {},
                "timings": {"send": 0, "wait": ex.elapsed_ms, "receive": 0},
                "comment": ex.step,
            });
            // Step mode: an edited request carries the original (HAR custom fields start
            // with an underscore).
            if let Some(orig) = ex.original_request_view(reveal) {
                entry["comment"] = json!(format!("{} (edited before sending)", ex.step));
                entry["_edited"] = json!(true);
                entry["_originalRequest"] = json!({
                    "method": orig.method,
                    "url": orig.url,
                    "headers": header_list(&orig.headers),
                    "postData": orig.body.map(|b| json!({"text": b})),
                });
            }
            entry
        })
        .collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "grantscope", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
        }
    })
}

fn started(ms: u128) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    let base = crate::timefmt::rfc3339(secs);
    // rfc3339() gives whole seconds ending in Z; HAR wants milliseconds.
    match base.strip_suffix('Z') {
        Some(b) => format!("{b}.{:03}Z", ms % 1000),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn secrets_are_masked_in_body_url_and_authorization() {
        let req = HttpRequest::post_form(
            url("https://as.example/token?pw=s3cr%26t"),
            &[("client_secret", "s3cr&t"), ("client_id", "app")],
        )
        .header("Authorization", "Basic YXBwOnMzY3ImdA==")
        .secret(SecretKind::ClientSecret, "s3cr&t");
        let ex = Exchange::new("token request", &req);
        let view = ex.request_view(false);
        assert_eq!(
            view.body.as_deref(),
            Some("client_secret=••••••&client_id=app")
        );
        assert!(!view.url.contains("s3cr"), "{}", view.url);
        assert_eq!(view.headers.last().unwrap().1, "Basic ••••••");
        let revealed = ex.request_view(true);
        assert_eq!(
            revealed.body.as_deref(),
            Some("client_secret=s3cr%26t&client_id=app")
        );
        assert!(!ex.to_curl(false).contains("s3cr"));
        assert!(ex.to_curl(true).contains("s3cr%26t"));
    }

    #[test]
    fn har_is_masked_like_every_view_unless_revealed() {
        let req = HttpRequest::post_form(
            url("https://as.example/token?x=1"),
            &[
                ("client_secret", "s3cr3t-value"),
                ("grant_type", "client_credentials"),
            ],
        )
        .secret(SecretKind::ClientSecret, "s3cr3t-value");
        let mut ex = Exchange::new("token request", &req);
        ex.response = Some(RecordedResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: r#"{"access_token":"tok-123456"}"#.into(),
        });
        ex.add_secret(SecretKind::AccessToken, "tok-123456");
        let har = to_har(std::slice::from_ref(&ex), false);
        let text = har.to_string();
        assert!(
            !text.contains("s3cr3t-value") && !text.contains("tok-123456"),
            "{text}"
        );
        assert_eq!(har["log"]["version"], "1.2");
        let entry = &har["log"]["entries"][0];
        assert_eq!(entry["request"]["method"], "POST");
        assert_eq!(entry["request"]["queryString"][0]["name"], "x");
        assert_eq!(entry["response"]["status"], 200);
        assert_eq!(entry["comment"], "token request");
        let revealed = to_har(&[ex], true).to_string();
        assert!(revealed.contains("s3cr3t-value") && revealed.contains("tok-123456"));
    }

    #[test]
    fn curl_quotes_for_the_shell() {
        let req = HttpRequest::post_form(url("https://as.example/token"), &[("a", "b c")])
            .header("X-Note", "it's");
        let curl = Exchange::new("x", &req).to_curl(true);
        assert_eq!(
            curl,
            "curl -X POST https://as.example/token -H 'Content-Type: application/x-www-form-urlencoded' -H 'Accept: application/json' -H 'X-Note: it'\\''s' --data-raw a=b+c"
        );
    }
}
