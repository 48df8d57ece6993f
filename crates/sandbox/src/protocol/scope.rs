//! Scope and resource rules shared by the authorization, device and token endpoints: what a
//! client may ask for (RFC 6749 §3.3), narrowing on refresh (§6), and RFC 8707 resources at the
//! token endpoint (§2.2).

use crate::protocol::wire::{OAuthError, validate_resources};
use crate::state::clients::SeededClient;

/// Resolves a requested scope against what the client may ask for; `None` gives its default.
pub(crate) fn resolve_scope(
    client: &SeededClient,
    requested: Option<&str>,
) -> Result<String, OAuthError> {
    let requested = requested.unwrap_or(client.default_scope);
    let mut scopes: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !client.scopes.contains(&scope) {
            return Err(OAuthError::new(
                "invalid_scope",
                format!(
                    "scope {scope:?} is not allowed for client {} (allowed: {})",
                    client.id,
                    client.scopes.join(" ")
                ),
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes.join(" "))
}

/// A narrower-or-equal scope for a refresh (RFC 6749 §6).
pub(crate) fn narrow_scope(granted: &str, requested: Option<&str>) -> Result<String, OAuthError> {
    let Some(requested) = requested else {
        return Ok(granted.to_string());
    };
    let granted: Vec<&str> = granted.split(' ').collect();
    let mut scopes: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !granted.contains(&scope) {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("scope {scope:?} exceeds the scope originally granted"),
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes.join(" "))
}

/// Resources requested at the token endpoint must be among those granted (RFC 8707 §2.2).
pub(crate) fn narrow_resources(
    granted: &[String],
    requested: Vec<String>,
) -> Result<Vec<String>, OAuthError> {
    validate_resources(&requested)?;
    if requested.is_empty() {
        return Ok(granted.to_vec());
    }
    if let Some(extra) = requested.iter().find(|r| !granted.contains(r)) {
        return Err(OAuthError::new(
            "invalid_target",
            format!("resource {extra:?} was not part of the authorization"),
        ));
    }
    Ok(requested)
}

/// Whether a space-separated scope string holds `wanted`.
pub(crate) fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scopes_resolve_and_narrow() {
        let native = crate::state::clients::find_client("sandbox-native").unwrap();
        assert_eq!(resolve_scope(native, None).unwrap(), "openid profile");
        assert_eq!(
            resolve_scope(native, Some("openid openid email")).unwrap(),
            "openid email"
        );
        assert_eq!(
            resolve_scope(native, Some("api:write")).unwrap_err().error,
            "invalid_scope"
        );
        assert_eq!(narrow_scope("a b", Some("b")).unwrap(), "b");
        assert!(narrow_scope("a b", Some("c")).is_err());
    }
}
