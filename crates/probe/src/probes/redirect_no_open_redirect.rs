//! `redirect.no-open-redirect` (RFC 9700 §4.11.2): an unregistered `redirect_uri` with an
//! error in the request must not be redirected to.

use crate::cx::{Cx, set_param};
use crate::driver::Landing;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::PkceMode;

/// Never contacted: the probe only reads where the server would send the browser.
pub const ELSEWHERE: &str = "https://grantscope-probe.invalid/callback";

pub static PROBE: Probe = Probe {
    id: "redirect.no-open-redirect",
    title: "No open redirect on errors",
    group: Group::Redirects,
    level: Level::Must,
    reference: "RFC 9700 §4.11.2",
    tests: "An unregistered redirect_uri together with an error (bad scope, bad response_type): an error shown at the server passes; any redirect to it fails.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if let Err(v) = cx.control().await? {
            return Ok(v);
        }
        let mut seen = Vec::new();
        for (what, name, value) in [
            ("bad scope", "scope", "grantscope-probe-unknown-scope"),
            ("bad response_type", "response_type", "grantscope-probe"),
        ] {
            let request = cx.auth_request(PkceMode::S256)?;
            let mut url = request.url.clone();
            set_param(&mut url, "redirect_uri", Some(ELSEWHERE));
            set_param(&mut url, name, Some(value));
            match cx.authorize(&url).await? {
                Landing::Redirect(to) if to.host_str() == Some("grantscope-probe.invalid") => {
                    return Ok(Verdict::fail(format!(
                        "with a {what}, the server redirected to the unregistered {ELSEWHERE}"
                    )));
                }
                Landing::Redirect(to) => seen.push(format!(
                    "{what}: redirected to {}",
                    grantscope_core::text::inert(&crate::cx::Reply::from_url(&to).target())
                )),
                Landing::Page { status, .. } => {
                    seen.push(format!("{what}: error page (HTTP {status})"))
                }
                Landing::NoAnswer(w) => seen.push(format!("{what}: {w}")),
            }
        }
        Ok(Verdict::pass(format!(
            "the server did not redirect to the unregistered URI ({})",
            seen.join("; ")
        )))
    })
}
