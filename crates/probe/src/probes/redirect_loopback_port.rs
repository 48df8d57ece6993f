//! `redirect.loopback-port` (RFC 8252 §7.3, RFC 9700 §4.1.3): a loopback redirect URI with
//! another port must work; other loopback host spellings are noted.

use crate::cx::{Cx, set_param};
use crate::driver::Landing;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::PkceMode;

pub static PROBE: Probe = Probe {
    id: "redirect.loopback-port",
    title: "Loopback redirects may use any port",
    group: Group::Redirects,
    level: Level::Must,
    reference: "RFC 9700 §4.1.3, RFC 8252 §7.3",
    tests: "The loopback redirect URI with another port: accepted passes, refused fails for a public client (interop, MUST) and is info for a confidential one; the 127.0.0.1 / [::1] / localhost swaps are reported; no loopback URI is skipped.",
    needs: &[],
    logins: 2,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let base = cx.target.redirect_uri.clone();
        if !grantscope_core::oauth::loopback::is_loopback(&base) {
            return Ok(Verdict::skipped("the redirect URI is not a loopback one"));
        }
        if let Err(v) = cx.control().await? {
            return Ok(v);
        }
        // Another port where grantscope can listen, so that the browser's landing there comes
        // back (nothing listened on port + 1: each such login waited out its timeout).
        let first = match base.port() {
            Some(p) if p < 65000 => p + 1,
            _ => 49_153,
        };
        let mut other = base.clone();
        let mut port = None;
        let mut why_not = Vec::new();
        for candidate in first..first + 8 {
            let _ = other.set_port(Some(candidate));
            match cx.target.driver.listen_at(&other).await {
                Ok(()) => {
                    port = Some(candidate);
                    break;
                }
                Err(e) => why_not.push(e),
            }
        }
        let Some(port) = port else {
            return Ok(Verdict::inconclusive(format!(
                "no other port could be listened on for the redirect: {}",
                why_not.join("; ")
            )));
        };
        let request = cx.auth_request(PkceMode::S256)?;
        let mut url = request.url.clone();
        set_param(&mut url, "redirect_uri", Some(other.as_str()));
        let port_verdict = match cx.authorize(&url).await? {
            Landing::Redirect(to) if to.port() == Some(port) => None,
            Landing::Redirect(to) => Some(format!(
                "redirected elsewhere ({})",
                grantscope_core::text::inert(&crate::cx::Reply::from_url(&to).target())
            )),
            Landing::Page { status, title, .. } => {
                Some(format!("refused (HTTP {status}: {title})"))
            }
            Landing::NoAnswer(why) => {
                return Ok(Verdict::inconclusive(format!(
                    "the redirect to port {port} could not be seen: {why}"
                )));
            }
        };
        if let Some(why) = port_verdict {
            // RFC 8252 §7.3 is about native apps (public clients); a confidential web client
            // may be held to its exact registered port.
            return Ok(if cx.target.is_public() {
                Verdict::fail(format!(
                    "the loopback redirect URI with port {port} was {why}"
                ))
            } else {
                Verdict::info(format!(
                    "for this confidential client the loopback redirect URI with port {port} was {why} (RFC 8252's any-port rule is for native apps)"
                ))
            });
        }
        let mut hosts = Vec::new();
        for host in ["localhost", "[::1]", "127.0.0.1"] {
            if base.host_str() == Some(host) {
                continue;
            }
            let mut swapped = base.clone();
            if swapped.set_host(Some(host)).is_err() {
                continue;
            }
            let request = cx.auth_request(PkceMode::S256)?;
            let mut url = request.url.clone();
            set_param(&mut url, "redirect_uri", Some(swapped.as_str()));
            let said = match cx.authorize(&url).await? {
                Landing::Redirect(to) if to.host_str() == Some(host) => "accepted".to_owned(),
                Landing::NoAnswer(why) => format!("not seen ({why})"),
                _ => "refused".to_owned(),
            };
            hosts.push(format!("{host} {said}"));
        }
        Ok(Verdict::pass(format!(
            "another port was accepted; host swaps: {}",
            hosts.join(", ")
        )))
    })
}
