//! Rich authorization requests (RFC 9396): `authorization_details` checked against the two
//! example types the sandbox knows, `payment_initiation` and `account_information` (shaped
//! like RFC 9396 §2's examples), and granted as requested.

use serde_json::Value;

use crate::protocol::wire::OAuthError;

/// The detail types the sandbox accepts (advertised as `authorization_details_types_supported`).
pub(crate) const DETAIL_TYPES: [&str; 2] = ["payment_initiation", "account_information"];
/// What an `account_information` detail may ask to do.
const ACCOUNT_ACTIONS: [&str; 3] = ["list_accounts", "read_balances", "read_transactions"];
/// At most this many details in one request.
const MAX_DETAILS: usize = 10;

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_authorization_details", description)
}

/// Parses and checks `authorization_details` (a JSON array, given as text or, inside a request
/// object, as JSON).
pub(crate) fn parse(value: &Value) -> Result<Value, OAuthError> {
    let parsed;
    let value = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| invalid(format!("authorization_details is not JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let Value::Array(details) = value else {
        return Err(invalid(
            "authorization_details must be a JSON array of objects (RFC 9396 §2)",
        ));
    };
    if details.is_empty() || details.len() > MAX_DETAILS {
        return Err(invalid(format!(
            "authorization_details must hold 1 to {MAX_DETAILS} entries"
        )));
    }
    for (i, detail) in details.iter().enumerate() {
        check_detail(detail)
            .map_err(|reason| invalid(format!("authorization_details[{i}]: {reason}")))?;
    }
    Ok(value.clone())
}

fn check_detail(detail: &Value) -> Result<(), String> {
    let Some(obj) = detail.as_object() else {
        return Err("not an object".into());
    };
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or("no string type (RFC 9396 §2)")?;
    let text = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match kind {
        "payment_initiation" => {
            let amount = obj
                .get("instructedAmount")
                .and_then(Value::as_object)
                .ok_or("payment_initiation needs instructedAmount {currency, amount}")?;
            let currency = amount.get("currency").and_then(Value::as_str).unwrap_or("");
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(
                    "instructedAmount.currency must be an ISO 4217 code such as EUR".into(),
                );
            }
            let value = amount.get("amount").and_then(Value::as_str).unwrap_or("");
            let decimal = !value.is_empty()
                && value.split('.').count() <= 2
                && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && !value.starts_with('.')
                && !value.ends_with('.');
            if !decimal {
                return Err(
                    "instructedAmount.amount must be a decimal string such as \"123.50\"".into(),
                );
            }
            if text("creditorName").is_none() {
                return Err("payment_initiation needs a creditorName".into());
            }
            Ok(())
        }
        "account_information" => {
            let actions = obj
                .get("actions")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or("account_information needs a non-empty actions array")?;
            for action in actions {
                let known = action
                    .as_str()
                    .is_some_and(|a| ACCOUNT_ACTIONS.contains(&a));
                if !known {
                    return Err(format!(
                        "unknown action {action} (known: {})",
                        ACCOUNT_ACTIONS.join(", ")
                    ));
                }
            }
            if let Some(locations) = obj.get("locations") {
                let ok = locations.as_array().is_some_and(|l| {
                    l.iter()
                        .all(|u| u.as_str().is_some_and(|u| url::Url::parse(u).is_ok()))
                });
                if !ok {
                    return Err("locations must be an array of absolute URIs".into());
                }
            }
            Ok(())
        }
        other => Err(format!(
            "type {:?} is not supported here (supported: {})",
            grantscope_core::http::excerpt(other, 64),
            DETAIL_TYPES.join(", ")
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_two_example_types_are_checked() {
        let payment = json!([{"type": "payment_initiation",
            "instructedAmount": {"currency": "EUR", "amount": "123.50"}, "creditorName": "Merchant A"}]);
        assert!(parse(&payment).is_ok());
        assert!(parse(&Value::String(payment.to_string())).is_ok());
        let accounts = json!([{"type": "account_information", "actions": ["list_accounts"],
            "locations": ["https://example.com/accounts"]}]);
        assert!(parse(&accounts).is_ok());
        for bad in [
            json!({"type": "payment_initiation"}),
            json!([]),
            json!([{"type": "payment_initiation", "instructedAmount": {"currency": "eur", "amount": "1"}, "creditorName": "x"}]),
            json!([{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "1."}, "creditorName": "x"}]),
            json!([{"type": "account_information", "actions": ["delete_everything"]}]),
            json!([{"type": "something_else"}]),
        ] {
            let e = parse(&bad).unwrap_err();
            assert_eq!(e.error, "invalid_authorization_details", "{bad}");
        }
    }
}
