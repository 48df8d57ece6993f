//! Certificate-bound tokens (RFC 8705 §3): does a token's `cnf.x5t#S256` — in the JWT's claims
//! or in an introspection response — name the client certificate in use?

use serde_json::{Value, json};

/// The verdict on one token's certificate binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// `cnf.x5t#S256` equals the certificate in use.
    Matches,
    /// It names another certificate.
    Differs { token: String, certificate: String },
    /// The token is bound, but no certificate is in use (it will be refused at the resource).
    NoCertificate { token: String },
    /// A certificate is in use but the token is not bound to it (a bearer token).
    Unbound,
}

/// `cnf.x5t#S256` of claims or an introspection response, if any.
pub fn token_thumbprint(claims: &Value) -> Option<&str> {
    claims.get("cnf")?.get("x5t#S256")?.as_str()
}

/// Compares the token's binding with `certificate` (the `x5t#S256` of the client certificate
/// in use). `None` when there is nothing to say: no binding and no certificate.
pub fn check(claims: &Value, certificate: Option<&str>) -> Option<Binding> {
    match (token_thumbprint(claims), certificate) {
        (Some(t), Some(c)) if t == c => Some(Binding::Matches),
        (Some(t), Some(c)) => Some(Binding::Differs {
            token: t.to_string(),
            certificate: c.to_string(),
        }),
        (Some(t), None) => Some(Binding::NoCertificate {
            token: t.to_string(),
        }),
        (None, Some(_)) => Some(Binding::Unbound),
        (None, None) => None,
    }
}

impl Binding {
    /// The inspection check (`{id, status, message}`, DESIGN.md) for this verdict.
    pub fn to_check(&self) -> Value {
        let (status, message) = match self {
            Binding::Matches => (
                "pass",
                "cnf.x5t#S256 matches the client certificate in use (RFC 8705 §3)".to_string(),
            ),
            Binding::Differs { token, certificate } => (
                "fail",
                format!(
                    "cnf.x5t#S256 {} is not the client certificate in use ({})",
                    crate::http::excerpt(token, 64),
                    certificate
                ),
            ),
            Binding::NoCertificate { token } => (
                "warn",
                format!(
                    "the token is bound to certificate {} but no client certificate is in use",
                    crate::http::excerpt(token, 64)
                ),
            ),
            Binding::Unbound => (
                "info",
                "a client certificate is in use, but the token carries no cnf.x5t#S256 (not \
                 certificate-bound)"
                    .to_string(),
            ),
        };
        json!({ "id": "cnf.x5t#S256", "status": status, "message": message })
    }
}

/// Adds the binding check to an inspection document (`checks`, and `valid` false on a
/// mismatch). Does nothing when there is nothing to say.
pub fn annotate_inspection(inspection: &mut Value, certificate: Option<&str>) {
    let Some(binding) = inspection
        .get("claims")
        .and_then(|claims| check(claims, certificate))
    else {
        return;
    };
    let failed = matches!(binding, Binding::Differs { .. });
    if let Some(checks) = inspection.get_mut("checks").and_then(Value::as_array_mut) {
        checks.push(binding.to_check());
    }
    if failed && let Some(valid) = inspection.get_mut("valid") {
        *valid = Value::Bool(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let bound = json!({ "cnf": { "x5t#S256": "abc" } });
        assert_eq!(check(&bound, Some("abc")), Some(Binding::Matches));
        assert!(matches!(
            check(&bound, Some("xyz")),
            Some(Binding::Differs { .. })
        ));
        assert!(matches!(
            check(&bound, None),
            Some(Binding::NoCertificate { .. })
        ));
        assert_eq!(check(&json!({}), Some("abc")), Some(Binding::Unbound));
        assert_eq!(check(&json!({}), None), None);
        let mut inspection = json!({ "claims": bound, "checks": [], "valid": true });
        annotate_inspection(&mut inspection, Some("xyz"));
        assert_eq!(inspection["valid"], false);
        assert_eq!(inspection["checks"][0]["status"], "fail");
    }
}
