//! The attacker's host of the API probes `api.jku` and `api.x5u`: a tiny HTTP server on
//! 127.0.0.1 (port picked by the system) that serves the documents a forged header points at
//! (a JWKS, a certificate) and notes every path asked for, so that a probe can say whether the
//! API fetched it. It serves nothing else, answers one request per connection, reads at most
//! a few KiB of each request, and stops when dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// The most of a request the host reads (its request line and headers).
const MAX_REQUEST: usize = 8 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// One document the host serves.
#[derive(Debug, Clone)]
pub struct Served {
    /// The path, starting with `/`.
    pub path: String,
    pub content_type: &'static str,
    pub body: String,
}

/// A running host; dropping it stops it.
#[derive(Debug)]
pub struct AttackerHost {
    base: Url,
    hits: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AttackerHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AttackerHost {
    /// Starts listening on 127.0.0.1 and serving `documents`.
    pub async fn start(documents: Vec<Served>) -> Result<AttackerHost, String> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1 for the attacker's host: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("the attacker's host has no address: {e}"))?
            .port();
        let base = Url::parse(&format!("http://127.0.0.1:{port}/"))
            .map_err(|e| format!("the attacker's host URL: {e}"))?;
        let hits = Arc::new(Mutex::new(Vec::new()));
        let documents = Arc::new(documents);
        let seen = hits.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let documents = documents.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; MAX_REQUEST];
                    let mut len = 0;
                    let read = async {
                        while len < buf.len() {
                            match stream.read(&mut buf[len..]).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => len += n,
                            }
                            if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                                break;
                            }
                        }
                    };
                    if tokio::time::timeout(READ_TIMEOUT, read).await.is_err() {
                        return;
                    }
                    let head = String::from_utf8_lossy(&buf[..len]);
                    let path = head
                        .lines()
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("")
                        .to_string();
                    if let Ok(mut s) = seen.lock() {
                        s.push(path.clone());
                    }
                    let reply = match documents.iter().find(|d| d.path == path) {
                        Some(d) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                            d.content_type,
                            d.body.len(),
                            d.body
                        ),
                        None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .to_string(),
                    };
                    let _ = stream.write_all(reply.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Ok(AttackerHost { base, hits, task })
    }

    /// The URL of `path` on this host.
    pub fn url(&self, path: &str) -> Url {
        self.base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// Whether anyone asked for `path` (with or without a query).
    pub fn fetched(&self, path: &str) -> bool {
        self.hits.lock().is_ok_and(|h| {
            h.iter()
                .any(|p| p == path || p.split('?').next() == Some(path))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_its_documents_and_notes_who_asked() {
        let host = AttackerHost::start(vec![Served {
            path: "/k/jwks.json".into(),
            content_type: "application/json",
            body: "{\"keys\":[]}".into(),
        }])
        .await
        .unwrap();
        assert!(!host.fetched("/k/jwks.json"));
        let url = host.url("/k/jwks.json");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", url.port().unwrap()))
            .await
            .unwrap();
        s.write_all(b"GET /k/jwks.json HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.ends_with("{\"keys\":[]}"), "{out}");
        assert!(host.fetched("/k/jwks.json"));
        assert!(!host.fetched("/other"));
    }
}
