//! A response as received ([`HttpResponse`]) and reading its body as JSON, with a message
//! that says what came instead ([`BodyError`]).

use serde_json::Value;
use thiserror::Error;

/// A response as received: status, headers and the (size-capped) body. Its `Debug` leaves the
/// body out (it may hold tokens; the exchange views mask them).
#[derive(Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("header_names", &names)
            .field(
                "body",
                &format_args!("{} bytes, not shown", self.body.len()),
            )
            .finish()
    }
}

/// The body was not the JSON that was expected.
#[derive(Debug, Error)]
pub enum BodyError {
    #[error("expected JSON but the server sent an HTML page (HTTP {status}): {excerpt}")]
    Html { status: u16, excerpt: String },
    #[error("expected JSON but the body is empty (HTTP {status})")]
    Empty { status: u16 },
    #[error(
        "expected JSON but the body does not parse (HTTP {status}): {detail}; body starts: {excerpt}"
    )]
    NotJson {
        status: u16,
        detail: String,
        excerpt: String,
    },
    #[error("the JSON body has an unexpected shape (HTTP {status}): {detail}")]
    Shape { status: u16, detail: String },
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parses the body as JSON, with a message that says what came instead.
    pub fn json_value(&self) -> Result<Value, BodyError> {
        let text = self.text();
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return Err(BodyError::Empty {
                status: self.status,
            });
        }
        let content_type = self.header("content-type").unwrap_or("");
        let looks_html = content_type.contains("html")
            || trimmed.starts_with('<')
            || trimmed[..trimmed.len().min(15)]
                .to_ascii_lowercase()
                .starts_with("<!doctype");
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => Ok(v),
            Err(_) if looks_html => Err(BodyError::Html {
                status: self.status,
                excerpt: html_excerpt(trimmed),
            }),
            Err(e) => Err(BodyError::NotJson {
                status: self.status,
                detail: e.to_string(),
                excerpt: excerpt(trimmed, 80),
            }),
        }
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, BodyError> {
        let value = self.json_value()?;
        serde_json::from_value(value).map_err(|e| BodyError::Shape {
            status: self.status,
            detail: e.to_string(),
        })
    }
}

/// The first `max` characters of a text, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one_line.chars().take(max).collect();
    if one_line.chars().count() > max {
        out.push('…');
    }
    out
}

/// The page's `<title>` if any, else the start of its text without tags.
fn html_excerpt(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
        && end > start + 7
    {
        return format!("title \"{}\"", excerpt(html[start + 7..end].trim(), 80));
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    excerpt(&text.split_whitespace().collect::<Vec<_>>().join(" "), 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_instead_of_json_is_named() {
        let resp = HttpResponse {
            status: 502,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html><head><title>Bad Gateway</title></head><body>x</body></html>".to_vec(),
        };
        let err = resp.json_value().unwrap_err().to_string();
        assert!(err.contains("HTML page"), "{err}");
        assert!(err.contains("Bad Gateway"), "{err}");
    }

    #[test]
    fn not_json_shows_the_start_of_the_body() {
        let resp = HttpResponse {
            status: 200,
            headers: vec![],
            body: b"access_token=abc&token_type=bearer".to_vec(),
        };
        let err = resp.json_value().unwrap_err().to_string();
        assert!(err.contains("access_token=abc"), "{err}");
    }
}
