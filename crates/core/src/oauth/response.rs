//! The token endpoint's success response (RFC 6749 §5.1), kept next to the raw JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::secret::{AccessToken, IdToken, RefreshToken};

/// The fields every tool needs; the raw JSON is kept alongside for display.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<f64>,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub id_token: Option<IdToken>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub issued_token_type: Option<String>,
}

impl TokenResponse {
    /// Reads a success response; `None` if `access_token` is missing or not a string.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        if !value.is_object() {
            return Err("the token response is not a JSON object".into());
        }
        match value.get("access_token") {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => return Err("`access_token` is not a non-empty string".into()),
            None => return Err("the token response has no `access_token`".into()),
        }
        let mut v = value.clone();
        // Some servers send expires_in as a string; accept it rather than fail.
        if let Some(Value::String(s)) = v.get("expires_in") {
            let n = s.trim().parse::<f64>().ok();
            v["expires_in"] = n.map(Value::from).unwrap_or(Value::Null);
        }
        serde_json::from_value(v).map_err(|e| format!("the token response does not parse: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_rfc6749_example() {
        let v = json!({"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example",
            "expires_in":3600,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value"});
        let t = TokenResponse::from_json(&v).unwrap();
        assert_eq!(t.expires_in, Some(3600.0));
        assert_eq!(
            t.refresh_token.as_ref().map(|s| s.expose()),
            Some("tGzv3JOkF0XG5Qx2TlKWIA")
        );
    }

    #[test]
    fn rejects_missing_access_token_and_accepts_string_expiry() {
        assert!(TokenResponse::from_json(&json!({"token_type":"Bearer"})).is_err());
        assert!(TokenResponse::from_json(&json!([1])).is_err());
        let t = TokenResponse::from_json(&json!({"access_token":"a","expires_in":"60"})).unwrap();
        assert_eq!(t.expires_in, Some(60.0));
    }
}
