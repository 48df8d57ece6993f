//! Sending: [`HttpClient`] (reqwest, no redirects followed, timeouts, a body-size cap) records
//! each request/response pair as an [`Exchange`].

use std::time::Instant;

use super::error::HttpError;
use super::exchange::{Exchange, RecordedResponse};
use super::request::HttpRequest;
use super::response::HttpResponse;
use super::settings::HttpOptions;
use super::tls::classify_tls;

/// A reqwest client with the project's transport rules.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    options: HttpOptions,
}

impl HttpClient {
    pub fn new(options: &HttpOptions) -> Result<Self, HttpError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("grantscope/", env!("CARGO_PKG_VERSION")))
            .tls_danger_accept_invalid_certs(options.insecure_tls);
        for ca in &options.ca_certs {
            let certs = reqwest::Certificate::from_pem_bundle(ca.pem.as_bytes()).map_err(|e| {
                HttpError::Setup(format!(
                    "the CA certificates in {} do not parse: {e}",
                    ca.source
                ))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(identity) = &options.client_identity {
            let parsed = reqwest::Identity::from_pem(identity.pem.as_bytes()).map_err(|e| {
                HttpError::Setup(format!(
                    "the client certificate and key from {} are not usable: {e}",
                    identity.source
                ))
            })?;
            builder = builder.identity(parsed);
        }
        let inner = builder
            .build()
            .map_err(|e| HttpError::Setup(error_chain(&e)))?;
        Ok(Self {
            inner,
            options: options.clone(),
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// Sends a request and records it. On failure the error comes with the exchange so far.
    pub async fn send(
        &self,
        step: &str,
        req: HttpRequest,
    ) -> Result<(Exchange, HttpResponse), (Exchange, HttpError)> {
        let mut exchange = Exchange::new(step, &req);
        let started = Instant::now();
        let result = self.send_inner(&req).await;
        exchange.elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(resp) => {
                exchange.response = Some(RecordedResponse {
                    status: resp.status,
                    headers: resp.headers.clone(),
                    body: resp.text(),
                });
                exchange.mark_received_tokens();
                Ok((exchange, resp))
            }
            Err(e) => {
                exchange.error = Some(e.to_string());
                Err((exchange, e))
            }
        }
    }

    async fn send_inner(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let host = req.url.host_str().unwrap_or("?").to_string()
            + &req.url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| HttpError::Setup(format!("bad method {}: {e}", req.method)))?;
        let mut builder = self.inner.request(method, req.url.clone());
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let classify = |e: reqwest::Error| {
            if let Some((what, detail)) = classify_tls(&e) {
                HttpError::Tls {
                    host: host.clone(),
                    what,
                    detail,
                }
            } else if e.is_timeout() {
                HttpError::Timeout {
                    after: humantime::format_duration(self.options.timeout).to_string(),
                    host: host.clone(),
                }
            } else if e.is_connect() {
                HttpError::Connect {
                    host: host.clone(),
                    detail: error_chain(&e),
                }
            } else {
                HttpError::Other {
                    host: host.clone(),
                    detail: error_chain(&e),
                }
            }
        };
        let mut resp = builder.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect();
        let limit = self.options.max_body_bytes;
        if resp.content_length().is_some_and(|n| n as usize > limit) {
            return Err(HttpError::BodyTooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(HttpError::BodyTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// An error and its sources on one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use url::Url;

    use super::super::HttpRequest;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[tokio::test]
    async fn oversized_body_is_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let body = vec![b'a'; 4096];
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n".to_string();
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        });
        let client = HttpClient::new(&HttpOptions {
            max_body_bytes: 1000,
            ..HttpOptions::default()
        })
        .unwrap();
        let req = HttpRequest::get(url(&format!("http://{addr}/")));
        let (ex, err) = client.send("big", req).await.unwrap_err();
        assert!(matches!(err, HttpError::BodyTooLarge { limit: 1000 }));
        assert!(ex.error_view(false).unwrap().contains("1000-byte"));
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _keep = tokio::spawn(async move {
            let (_sock, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let client = HttpClient::new(&HttpOptions {
            timeout: Duration::from_millis(300),
            ..HttpOptions::default()
        })
        .unwrap();
        let req = HttpRequest::get(url(&format!("http://{addr}/")));
        let (_, err) = client.send("slow", req).await.unwrap_err();
        assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
    }
}
