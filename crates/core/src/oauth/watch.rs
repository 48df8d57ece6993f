//! Watching a token: asks the server at an interval whether it still accepts the token
//! (introspection, or userinfo when there is no introspection endpoint) and measures when it
//! stopped, against the moment it was revoked or its `exp`. The QA measurement:
//! "revoked at 12:00:03.120, rejected from 12:00:03.410 (290 ms)".

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::endpoint::EndpointKind;
use super::error::{FlowError, Missing};
use super::lifecycle;
use super::{ClientConfig, Session};

/// How the server is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    Introspection,
    Userinfo,
}

/// What to do while watching.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub interval: Duration,
    /// Stop at the first rejection.
    pub until_inactive: bool,
    /// Revoke the token this long after the start (then keep watching).
    pub revoke_after: Option<Duration>,
    /// Give up after this long.
    pub max_duration: Duration,
    pub token_type_hint: Option<String>,
}

/// How long a watch goes on when not told: until `exp` + 2 minutes (the server had time to
/// stop accepting an expired token), or 10 minutes for a token whose `exp` is unknown. The
/// command line and the desktop app use the same rule.
pub fn default_max_duration(exp: Option<i64>, now: i64) -> Duration {
    match exp {
        Some(e) => Duration::from_secs(u64::try_from(e.saturating_sub(now)).unwrap_or(0) + 120),
        None => Duration::from_secs(600),
    }
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            until_inactive: true,
            revoke_after: None,
            max_duration: Duration::from_secs(3600),
            token_type_hint: None,
        }
    }
}

/// One answer from the server.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Unix milliseconds when the probe was sent.
    pub at_ms: u64,
    pub accepted: bool,
    /// `active: true`, `HTTP 401 invalid_token`, ...
    pub detail: String,
    pub elapsed_ms: u64,
}

/// The measurement.
#[derive(Debug, Clone, Serialize)]
pub struct WatchReport {
    pub probe: Probe,
    pub samples: Vec<Sample>,
    /// Unix milliseconds the revocation was answered, when this watch revoked the token.
    pub revoked_at_ms: Option<u64>,
    /// The token's `exp` in unix milliseconds, when known.
    pub exp_ms: Option<u64>,
    /// The last probe that was accepted.
    pub last_accepted_ms: Option<u64>,
    /// The first probe that was rejected.
    pub first_rejected_ms: Option<u64>,
    /// First rejection minus revocation (how long a revoked token kept working, at most).
    pub rejected_after_revocation_ms: Option<i64>,
    /// First rejection minus `exp` (negative: rejected before exp).
    pub rejected_after_exp_ms: Option<i64>,
    /// Why the watch ended.
    pub ended: String,
}

impl WatchReport {
    /// One line for people: "revoked at …, rejected from … (290 ms)".
    pub fn summary(&self) -> String {
        let t = rfc3339_millis;
        match (self.first_rejected_ms, self.revoked_at_ms, self.exp_ms) {
            (Some(r), Some(rev), _) => format!(
                "revoked at {}, rejected from {} ({} ms; resolution {}: the gap between the last two answers)",
                t(rev),
                t(r),
                r as i64 - rev as i64,
                self.resolution()
            ),
            (Some(r), None, Some(exp)) => format!(
                "exp at {}, rejected from {} ({:+} ms relative to exp; resolution {}: the gap between the last two answers)",
                t(exp),
                t(r),
                r as i64 - exp as i64,
                self.resolution()
            ),
            (Some(r), None, None) => format!("rejected from {}", t(r)),
            (None, _, _) => format!("still accepted when the watch ended ({})", self.ended),
        }
    }

    fn resolution(&self) -> String {
        match self.samples.as_slice() {
            [.., a, b] => format!("{} ms", b.at_ms.saturating_sub(a.at_ms)),
            _ => "-".into(),
        }
    }
}

/// `2026-11-27T12:00:03.120Z` for unix milliseconds.
/// Clamped to year 9999 (a token's `exp` can be anything; humantime refuses later years).
pub fn rfc3339_millis(ms: u64) -> String {
    crate::timefmt::rfc3339_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn now_ms() -> u64 {
    u64::try_from(crate::timefmt::now_unix_millis()).unwrap_or(0)
}

/// Which probe a configuration allows.
pub fn probe_for(cfg: &ClientConfig) -> Result<Probe, FlowError> {
    if cfg.endpoints.introspection_endpoint.is_some() {
        Ok(Probe::Introspection)
    } else if cfg.endpoints.userinfo_endpoint.is_some() {
        Ok(Probe::Userinfo)
    } else {
        Err(FlowError::missing(
            "watching",
            Missing::AnyEndpoint(vec![EndpointKind::Introspection, EndpointKind::Userinfo]),
        ))
    }
}

/// Asks once whether the server accepts the token.
pub async fn probe_once(
    session: &mut Session,
    cfg: &ClientConfig,
    probe: Probe,
    token: &str,
    hint: Option<&str>,
) -> Result<(bool, String), FlowError> {
    match probe {
        Probe::Introspection => {
            let v = lifecycle::introspect(session, cfg, token, hint).await?;
            let active = v.get("active").and_then(Value::as_bool).unwrap_or(false);
            Ok((active, format!("active: {active}")))
        }
        Probe::Userinfo => match lifecycle::userinfo(session, cfg, token).await {
            Ok(_) => Ok((true, "userinfo answered 200".into())),
            Err(FlowError::OAuth { status, error }) if status == 401 || status == 403 => {
                Ok((false, format!("HTTP {status} {}", error.error)))
            }
            Err(FlowError::Status { status, .. }) if status == 401 || status == 403 => {
                Ok((false, format!("HTTP {status}")))
            }
            Err(e) => Err(e),
        },
    }
}

/// Watches until the token is rejected (with `until_inactive`) or `max_duration` passes.
/// `on_sample` sees each answer as it comes (for live output).
pub async fn watch(
    session: &mut Session,
    cfg: &ClientConfig,
    token: &str,
    exp: Option<i64>,
    opts: &WatchOptions,
    mut on_sample: impl FnMut(&Sample, Option<u64>),
) -> Result<WatchReport, FlowError> {
    let probe = probe_for(cfg)?;
    if opts.revoke_after.is_some() && cfg.endpoints.revocation_endpoint.is_none() {
        return Err(FlowError::missing(
            "revoking while watching",
            Missing::Endpoint(EndpointKind::Revocation),
        ));
    }
    let hint = opts.token_type_hint.as_deref();
    let start = Instant::now();
    let mut report = WatchReport {
        probe,
        samples: Vec::new(),
        revoked_at_ms: None,
        exp_ms: exp
            .filter(|e| *e > 0)
            .map(|e| e.saturating_mul(1000) as u64),
        last_accepted_ms: None,
        first_rejected_ms: None,
        rejected_after_revocation_ms: None,
        rejected_after_exp_ms: None,
        ended: String::new(),
    };
    let interval = opts.interval.max(Duration::from_millis(50));
    loop {
        if report.revoked_at_ms.is_none()
            && opts
                .revoke_after
                .is_some_and(|after| start.elapsed() >= after)
        {
            lifecycle::revoke(session, cfg, token, hint).await?;
            report.revoked_at_ms = Some(now_ms());
        }
        let at_ms = now_ms();
        let sent = Instant::now();
        let (accepted, detail) = probe_once(session, cfg, probe, token, hint).await?;
        let sample = Sample {
            at_ms,
            accepted,
            detail,
            elapsed_ms: sent.elapsed().as_millis() as u64,
        };
        on_sample(&sample, report.revoked_at_ms);
        if accepted {
            report.last_accepted_ms = Some(at_ms);
        } else if report.first_rejected_ms.is_none() {
            report.first_rejected_ms = Some(at_ms);
        }
        report.samples.push(sample);
        if !accepted && opts.until_inactive {
            report.ended = "the token was rejected".into();
            break;
        }
        if start.elapsed() >= opts.max_duration {
            report.ended = format!(
                "the time limit of {} passed",
                humantime::format_duration(opts.max_duration)
            );
            break;
        }
        // Sleep to the next tick, or to the revocation if that comes first.
        let mut wait = interval;
        if let (Some(after), None) = (opts.revoke_after, report.revoked_at_ms) {
            wait = wait.min(after.saturating_sub(start.elapsed()));
        }
        tokio::time::sleep(wait).await;
    }
    if let Some(r) = report.first_rejected_ms {
        report.rejected_after_revocation_ms = report.revoked_at_ms.map(|rev| r as i64 - rev as i64);
        report.rejected_after_exp_ms = report.exp_ms.map(|e| r as i64 - e as i64);
    }
    Ok(report)
}
