//! The verdict line ([`Headline`](super::Headline)): what the token is worth now, by the checks
//! or by what the server said since; the countdown; and the quick "this is prose, not a token"
//! test.

use super::*;

/// The verdict from the report and what the server said since.
pub(super) fn headline(
    ins: &Inspection,
    server: &ServerSays,
    watch_rejected: bool,
    known_exp: Option<i64>,
    key_error: bool,
    now: i64,
) -> Headline {
    let h = |text, status, detail: &str| Headline {
        text,
        status,
        detail: detail.to_owned(),
    };
    if ins
        .checks
        .iter()
        .any(|c| c.id == "decode" && c.status == CheckStatus::Fail)
    {
        return h("NOT READABLE", "fail", "it does not decode");
    }
    if let Some(at) = server.revoked_at {
        return Headline {
            text: "REVOKED",
            status: "fail",
            detail: format!("the server accepted its revocation at {}", clock(at)),
        };
    }
    if watch_rejected {
        return h(
            "REJECTED",
            "fail",
            "the server stopped accepting it (Watch)",
        );
    }
    let active = server
        .introspection
        .as_ref()
        .and_then(|v| v.get("active"))
        .and_then(Value::as_bool);
    if active == Some(false) {
        return h("INACTIVE", "fail", "introspection says active: false");
    }
    let exp = ins.lifetime().expires_at.or(known_exp);
    if let Some(e) = exp.filter(|e| *e <= now) {
        let leeway = ins
            .check("exp")
            .is_some_and(|c| c.status == CheckStatus::Warn);
        let detail = if leeway {
            format!(
                "its lifetime ended at {}; a verifier may still take it within its leeway (exp below)",
                clock(e)
            )
        } else {
            format!("its lifetime ended at {}", clock(e))
        };
        return Headline {
            text: "EXPIRED",
            status: "fail",
            detail,
        };
    }
    if ins.format == TokenFormat::Opaque {
        return if active == Some(true) {
            h("ACTIVE", "pass", "opaque; introspection says active: true")
        } else {
            h("OPAQUE", "info", "the server decides: Introspect asks it")
        };
    }
    if ins.valid {
        h("VALID", "pass", "signature verified, every check passed")
    } else if ins.verdict == grantscope_core::token::Verdict::Unverifiable {
        // Nothing failed: the signature could not be checked (the Signature section says why,
        // once).
        h(
            "UNVERIFIABLE",
            "warn",
            if key_error {
                "nothing failed, but the keys could not be loaded to check the signature (see Signature)"
            } else {
                "nothing failed, but the signature could not be checked (see Signature)"
            },
        )
    } else {
        let first = ins
            .checks
            .iter()
            .find(|c| c.status == CheckStatus::Fail)
            .map_or("the signature is not verified", |c| c.message.as_str());
        h(
            "NOT VALID",
            "fail",
            &grantscope_core::http::excerpt(first, 90),
        )
    }
}

/// Why `text` is plainly not a token, if it is not: a bearer token is one b64token (RFC 6750
/// §2.1: letters, digits, `-._~+/`, then `=` padding), with no spaces inside.
pub fn plainly_not_a_token(text: &str) -> Option<String> {
    let t = text.trim();
    if t.chars().any(char::is_whitespace) {
        return Some("it has spaces in it; a token is one word (RFC 6750 §2.1)".into());
    }
    let body = t.trim_end_matches('=');
    if let Some(c) = body
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~+/".contains(*c)))
    {
        return Some(format!(
            "it has {:?} in it; tokens use letters, digits and -._~+/ only (RFC 6750 §2.1)",
            c
        ));
    }
    None
}

/// The time of day of `t`, `12:03:05 UTC`, for answers and events of this session.
pub fn clock(t: i64) -> String {
    timefmt::time_of_day_utc(t)
}

/// How far ahead the ticking countdown starts: further out, "expires in 5 d" says enough (a
/// token valid for 73 years showed "640514:10:39" ticking, and a repaint each second).
pub const COUNTDOWN_FROM: i64 = 48 * 3600;

/// When the expiry line next reads differently, for a token that expires at `exp` and lives at
/// `now`: each second within [`COUNTDOWN_FROM`] of the end; further out when its whole days (or
/// years, past two) go down by one, or when the countdown starts, whichever is first.
pub fn expiry_wake(exp: i64, now: i64) -> i64 {
    let left = exp.saturating_sub(now);
    if left <= COUNTDOWN_FROM {
        return now + 1;
    }
    const DAY: i64 = 86_400;
    let unit = if left < 2 * 365 * DAY { DAY } else { 365 * DAY };
    let next_unit = now + left % unit + 1;
    next_unit.min(exp - COUNTDOWN_FROM)
}

/// `h:mm:ss` (or `m:ss`) left, for the ticking countdown.
pub fn countdown(secs: i64) -> String {
    timefmt::clock_duration(u64::try_from(secs).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_line_wakes_when_it_would_read_differently() {
        let now = 1_000_000;
        // Within two days: every second.
        assert_eq!(expiry_wake(now + 30, now), now + 1);
        assert_eq!(expiry_wake(now + COUNTDOWN_FROM, now), now + 1);
        // Three days and an hour ("expires in 3 d"): it reads "2 d" an hour and a second on.
        let exp = now + 3 * 86_400 + 3600;
        let wake = expiry_wake(exp, now);
        assert_eq!(wake, now + 3601);
        assert_eq!(
            timefmt::expiry_phrase(exp, wake - 1),
            timefmt::expiry_phrase(exp, now)
        );
        assert_ne!(
            timefmt::expiry_phrase(exp, wake),
            timefmt::expiry_phrase(exp, now)
        );
        // 73 years: once a year-step, never a second-by-second tick.
        let far = now + 73 * 365 * 86_400 + 5;
        assert_eq!(expiry_wake(far, now), now + 6);
        // Just over two days: the countdown's start.
        let soon = now + COUNTDOWN_FROM + 10;
        assert_eq!(expiry_wake(soon, now), now + 10);
    }

    #[test]
    fn prose_is_not_a_token_but_token_alphabets_are() {
        assert!(plainly_not_a_token("hello world this is not a token").is_some());
        assert!(plainly_not_a_token("<script>").is_some());
        assert_eq!(plainly_not_a_token("eyJhbGciOi.eyJzdWIi.c2ln"), None);
        assert_eq!(plainly_not_a_token("2YotnFZFEjr1zCsicMWpAA=="), None);
        assert_eq!(plainly_not_a_token("  trimmed-opaque~token+/  "), None);
    }

    fn opaque() -> Inspection {
        grantscope_core::token::inspect_with_keys(
            "2YotnFZFEjr1zCsicMWpAA",
            &Default::default(),
            &InspectOptions::default(),
            1_000,
        )
    }

    #[test]
    fn an_opaque_token_is_neutral_until_the_server_speaks() {
        let ins = opaque();
        assert_eq!(ins.format, TokenFormat::Opaque);
        let mut server = ServerSays::default();
        let h = headline(&ins, &server, false, None, false, 1_000);
        assert_eq!((h.text, h.status), ("OPAQUE", "info"));
        server.introspection = Some(serde_json::json!({"active": true, "exp": 1_060}));
        assert_eq!(
            headline(&ins, &server, false, Some(1_060), false, 1_000).text,
            "ACTIVE"
        );
        assert_eq!(
            headline(&ins, &server, false, Some(1_060), false, 1_061).text,
            "EXPIRED"
        );
        server.revoked_at = Some(1_010);
        assert_eq!(
            headline(&ins, &server, false, Some(1_060), false, 1_020).text,
            "REVOKED"
        );
        server.revoked_at = None;
        assert_eq!(
            headline(&ins, &server, true, None, false, 1_020).text,
            "REJECTED"
        );
    }
}
