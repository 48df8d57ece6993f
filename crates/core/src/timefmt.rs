//! Time shown to people: RFC 3339 dates for unix seconds and short relative phrases
//! ("in 4 min", "3 h ago", "expired 12 s ago").
//!
//! Everything here is pure and takes "now" as a parameter, so the token inspector, its lifetime
//! view and the tests all agree on one injected clock. [`now_unix`] is the one place that reads
//! the system clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as unix seconds, read from the system clock.
///
/// Call it once at the edge (the command line, a GUI frame) and pass the value down.
pub fn now_unix() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Earliest and latest instants [`rfc3339`] formats: years 0000 to 9999.
const MIN_SECS: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
const MAX_SECS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

/// Formats unix seconds as an RFC 3339 UTC timestamp, e.g. `2026-11-26T12:00:00Z`.
///
/// Values outside the years 0000..=9999 (which RFC 3339 cannot express) are clamped to the
/// nearest representable instant, so a hostile `exp` of `1e300` still prints something sane.
pub fn rfc3339(secs: i64) -> String {
    let secs = secs.clamp(MIN_SECS, MAX_SECS);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// An instant for people: its RFC 3339 form, or "after the year 9999" / "before the year 0000"
/// where [`rfc3339`] would clamp it to a date the value does not carry.
pub fn instant(secs: i64) -> String {
    if secs > MAX_SECS {
        "after the year 9999".to_owned()
    } else if secs < MIN_SECS {
        "before the year 0000".to_owned()
    } else {
        rfc3339(secs)
    }
}

/// The time of day of unix seconds `secs` in UTC, `12:03:05` (or what [`instant`] says of an
/// instant outside the years 0000..=9999).
pub fn time_of_day(secs: i64) -> String {
    let s = instant(secs);
    match s.split_once('T') {
        Some((_, time)) => time.trim_end_matches('Z').to_owned(),
        None => s,
    }
}

/// [`time_of_day`] with its zone, `12:03:05 UTC`, for answers and events of a session.
pub fn time_of_day_utc(secs: i64) -> String {
    if (MIN_SECS..=MAX_SECS).contains(&secs) {
        format!("{} UTC", time_of_day(secs))
    } else {
        instant(secs)
    }
}

/// A length of time as a clock, `h:mm:ss` (or `m:ss` under an hour): countdowns and waits.
pub fn clock_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Formats unix milliseconds as RFC 3339 UTC with milliseconds, e.g. `2026-11-26T12:00:03.120Z`
/// (for measurements such as "rejected 290 ms after revocation").
pub fn rfc3339_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let base = rfc3339(secs);
    let stem = base.strip_suffix('Z').unwrap_or(&base);
    format!("{stem}.{millis:03}Z")
}

/// The current time as unix milliseconds, read from the system clock.
pub fn now_unix_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's `civil_from_days`, valid for the whole clamped range.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A duration in whole seconds as a short phrase: `12 s`, `4 min`, `3 h`, `2 d`, `3 y`.
///
/// Rounds down, so a token with 59 seconds left never reads "1 min". Units switch at 60 s,
/// 90 min, 48 h and 2 years, so the number stays readable.
pub fn duration_phrase(secs: u64) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;
    const YEAR: u64 = 365 * DAY;
    if secs < MIN {
        format!("{secs} s")
    } else if secs < 90 * MIN {
        format!("{} min", secs / MIN)
    } else if secs < 48 * HOUR {
        format!("{} h", secs / HOUR)
    } else if secs < 2 * YEAR {
        format!("{} d", secs / DAY)
    } else {
        format!("{} y", secs / YEAR)
    }
}

/// Where `target` lies relative to `now`: `in 4 min`, `3 h ago`, or `now`.
pub fn relative(target: i64, now: i64) -> String {
    let delta = i128::from(target) - i128::from(now);
    match delta.cmp(&0) {
        std::cmp::Ordering::Equal => "now".to_owned(),
        std::cmp::Ordering::Greater => format!("in {}", duration_phrase(clamp_u64(delta))),
        std::cmp::Ordering::Less => format!("{} ago", duration_phrase(clamp_u64(-delta))),
    }
}

/// How an expiry instant reads at `now`: `expires in 4 min`, `expires now` or `expired 12 s ago`.
pub fn expiry_phrase(exp: i64, now: i64) -> String {
    let delta = i128::from(exp) - i128::from(now);
    match delta.cmp(&0) {
        std::cmp::Ordering::Equal => "expires now".to_owned(),
        std::cmp::Ordering::Greater => format!("expires in {}", duration_phrase(clamp_u64(delta))),
        std::cmp::Ordering::Less => format!("expired {} ago", duration_phrase(clamp_u64(-delta))),
    }
}

fn clamp_u64(v: i128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_694_400), "2026-11-26T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_agrees_with_humantime() {
        // An independent formatter for the range both support.
        let mut secs: i64 = 0;
        while secs < 4_102_444_800 {
            let expected = humantime::format_rfc3339_seconds(
                UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0)),
            )
            .to_string();
            assert_eq!(rfc3339(secs), expected, "at {secs}");
            secs += 7_654_321;
        }
    }

    #[test]
    fn rfc3339_clamps_out_of_range() {
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(instant(1_000_000_000_000_000), "after the year 9999");
        assert_eq!(instant(MAX_SECS), "9999-12-31T23:59:59Z");
        assert_eq!(instant(i64::MIN), "before the year 0000");
        assert_eq!(time_of_day(1_700_000_003), "22:13:23");
        assert_eq!(time_of_day_utc(1_700_000_003), "22:13:23 UTC");
        assert_eq!(time_of_day_utc(i64::MAX), "after the year 9999");
        assert_eq!(clock_duration(72), "1:12");
        assert_eq!(clock_duration(3600), "1:00:00");
        assert_eq!(rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_with_millis() {
        assert_eq!(
            rfc3339_millis(1_795_694_403_120),
            "2026-11-26T12:00:03.120Z"
        );
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_millis(5), "1970-01-01T00:00:00.005Z");
    }

    #[test]
    fn duration_units() {
        assert_eq!(duration_phrase(0), "0 s");
        assert_eq!(duration_phrase(59), "59 s");
        assert_eq!(duration_phrase(60), "1 min");
        assert_eq!(duration_phrase(4 * 60 + 59), "4 min");
        assert_eq!(duration_phrase(89 * 60), "89 min");
        assert_eq!(duration_phrase(90 * 60), "1 h");
        assert_eq!(duration_phrase(3 * 3600 + 1), "3 h");
        assert_eq!(duration_phrase(47 * 3600), "47 h");
        assert_eq!(duration_phrase(48 * 3600), "2 d");
        assert_eq!(duration_phrase(800 * 86_400), "2 y");
        assert_eq!(
            duration_phrase(u64::MAX),
            format!("{} y", u64::MAX / (365 * 86_400))
        );
    }

    #[test]
    fn relative_phrases() {
        assert_eq!(relative(1240, 1000), "in 4 min");
        assert_eq!(relative(1000 - 3 * 3600, 1000), "3 h ago");
        assert_eq!(relative(1000, 1000), "now");
        assert_eq!(
            relative(i64::MAX, i64::MIN),
            format!("in {}", duration_phrase(u64::MAX))
        );
    }

    #[test]
    fn expiry_phrases() {
        assert_eq!(expiry_phrase(988, 1000), "expired 12 s ago");
        assert_eq!(expiry_phrase(1240, 1000), "expires in 4 min");
        assert_eq!(expiry_phrase(1000, 1000), "expires now");
    }

    #[test]
    fn now_is_after_2024() {
        assert!(now_unix() > 1_704_067_200);
    }
}
