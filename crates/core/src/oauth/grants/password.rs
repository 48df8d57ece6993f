//! The resource owner password credentials grant (RFC 6749 §4.3). Deprecated: the OAuth 2.0
//! Security BCP (RFC 9700 §2.4) says it must not be used, as it hands the user's password to
//! the client. Kept for testing legacy servers.

use super::TokenSuccess;
use crate::oauth::error::{FlowError, GrantInput, Missing};
use crate::oauth::step::StepKind;
use crate::oauth::{ClientConfig, Session};
use crate::secret::{Password, Secret};

pub const DEPRECATION: &str = "the password grant is deprecated (OAuth 2.0 Security BCP, RFC 9700 §2.4): it exposes the user's password to the client; use authorization code with PKCE";

pub async fn run(
    session: &mut Session,
    cfg: &ClientConfig,
    username: &str,
    password: &Password,
) -> Result<TokenSuccess, FlowError> {
    if username.is_empty() {
        return Err(FlowError::missing(
            "the password grant",
            Missing::Input(GrantInput::Username),
        ));
    }
    session.emit(crate::oauth::FlowEvent::Note(format!(
        "warning: {DEPRECATION}"
    )));
    let mut params = vec![
        (
            "grant_type".to_string(),
            super::GrantKind::Password.grant_type().to_string(),
        ),
        ("username".to_string(), username.to_string()),
        ("password".to_string(), password.expose().to_string()),
    ];
    params.extend(cfg.scope_params());
    let (raw, tokens) = session
        .token_request(
            StepKind::Token.name(),
            cfg,
            params,
            &[(Password::KIND, password.expose())],
        )
        .await?;
    Ok(TokenSuccess::new(raw, tokens))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpClient, HttpOptions};
    use crate::oauth::Endpoints;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Sends the RFC 6749 §4.3.2 request and keeps the password out of the record.
    #[tokio::test]
    async fn sends_credentials_and_masks_the_password() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let mut got = Vec::new();
            loop {
                let n = sock.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            let body = r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#;
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(resp.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&got).to_string()
        });
        let cfg = ClientConfig {
            endpoints: Endpoints {
                token_endpoint: Some(
                    url::Url::parse(&format!("http://127.0.0.1:{port}/token")).unwrap(),
                ),
                ..Default::default()
            },
            client_id: "legacy".into(),
            client_secret: Some("cs".into()),
            ..Default::default()
        };
        let mut session = Session::new(HttpClient::new(&HttpOptions::default()).unwrap());
        let ok = run(&mut session, &cfg, "bob", &Password::new("hunter 2"))
            .await
            .unwrap();
        assert_eq!(ok.tokens.access_token.expose(), "at");
        let raw = server.await.unwrap();
        assert!(
            raw.contains("grant_type=password&username=bob&password=hunter+2"),
            "{raw}"
        );
        let recorded = session.exchanges()[0].request_view(false).body.unwrap();
        assert_eq!(recorded, "grant_type=password&username=bob&password=••••••");
    }
}
