//! `redirect.exact` (RFC 9700 §2.1, §4.1.3): authorization requests with variants of the
//! registered redirect URI; the server must not redirect to any of them.

use url::Url;

use crate::cx::{Cx, set_param};
use crate::driver::Landing;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::oauth::PkceMode;

pub static PROBE: Probe = Probe {
    id: "redirect.exact",
    title: "Redirect URIs are matched exactly",
    group: Group::Redirects,
    level: Level::Must,
    reference: "RFC 9700 §2.1, §4.1.3",
    tests: "Authorize with redirect variants (extra query, extra path, trailing slash, path case, encoded path confusion, http/https, userinfo in host): a redirect to any variant fails; a redirect to the registered URI after normalising an equivalent spelling does not.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: None,
    run,
};

/// The variants of `base`, each with a name.
pub fn variants(base: &Url) -> Vec<(&'static str, String)> {
    let s = base.as_str().trim_end_matches('/').to_string();
    let path = base.path().trim_end_matches('/');
    let origin = s.strip_suffix(path).unwrap_or(&s).to_string();
    let upper = path.to_uppercase();
    let other_scheme = if base.scheme() == "http" {
        s.replacen("http://", "https://", 1)
    } else {
        s.replacen("https://", "http://", 1)
    };
    let userinfo = s.replacen("://", "://grantscope-probe@", 1);
    let mut v = vec![
        ("extra query", format!("{s}?probe=1")),
        ("extra path", format!("{s}/probe")),
        ("trailing slash", format!("{s}/")),
        ("encoded ..", format!("{s}%2F..%2Fprobe")),
        ("; path parameter", format!("{s};/../probe")),
        ("double encoding", format!("{s}%252F..%252Fprobe")),
        ("other scheme", other_scheme),
        ("userinfo in host", userinfo),
    ];
    if upper != path {
        v.push(("path case", format!("{origin}{upper}")));
    }
    v
}

/// Whether `landed` is the variant (not the registered URI the server may normalise to).
fn went_to_variant(landed: &Url, variant: &str, registered: &Url) -> bool {
    let mut l = landed.clone();
    l.set_query(None);
    l.set_fragment(None);
    let mut r = registered.clone();
    r.set_query(None);
    let variant_query = Url::parse(variant)
        .ok()
        .and_then(|u| u.query().map(str::to_string));
    if l.as_str() == r.as_str() {
        // The registered path: still the variant if the variant's extra query came along.
        return variant_query.is_some_and(|q| landed.query().is_some_and(|lq| lq.contains(&q)));
    }
    true
}

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if let Err(v) = cx.control().await? {
            return Ok(v);
        }
        let registered = cx.target.redirect_uri.clone();
        let mut notes = Vec::new();
        let mut unseen = Vec::new();
        for (what, variant) in variants(&registered) {
            let request = cx.auth_request(PkceMode::S256)?;
            let mut url = request.url.clone();
            set_param(&mut url, "redirect_uri", Some(&variant));
            match cx.authorize(&url).await? {
                Landing::Redirect(to) if went_to_variant(&to, &variant, &registered) => {
                    return Ok(Verdict::fail(format!(
                        "the server redirected to an unregistered variant ({what}): {}",
                        grantscope_core::text::inert(&variant)
                    )));
                }
                Landing::Redirect(_) => {
                    notes.push(format!("{what}: normalised to the registered URI"))
                }
                Landing::Page { status, .. } => {
                    notes.push(format!("{what}: refused (HTTP {status})"))
                }
                Landing::NoAnswer(why) => unseen.push(format!("{what}: {why}")),
            }
        }
        // A variant the server did not refuse up front (it asked for a login) whose landing
        // cannot be heard (https on the loopback listener): said, not waited for.
        if !unseen.is_empty() {
            return Ok(Verdict::warn(format!(
                "no variant was seen redirected to, but the server did not refuse {} up front ({}); {}",
                if unseen.len() == 1 { "one" } else { "some" },
                unseen.join("; "),
                notes.join("; ")
            )));
        }
        Ok(Verdict::pass(format!(
            "no variant was redirected to ({})",
            notes.join("; ")
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_differ_from_the_registered_uri() {
        let base = Url::parse("http://127.0.0.1:4000/callback").unwrap();
        let v = variants(&base);
        assert!(v.len() >= 9);
        for (what, u) in &v {
            assert_ne!(u, base.as_str(), "{what}");
        }
        let find = |w: &str| {
            v.iter()
                .find(|(n, _)| *n == w)
                .map(|(_, u)| u.clone())
                .unwrap()
        };
        assert_eq!(find("extra path"), "http://127.0.0.1:4000/callback/probe");
        assert_eq!(find("path case"), "http://127.0.0.1:4000/CALLBACK");
        assert_eq!(find("other scheme"), "https://127.0.0.1:4000/callback");
        assert_eq!(
            find("userinfo in host"),
            "http://grantscope-probe@127.0.0.1:4000/callback"
        );
    }

    #[test]
    fn normalising_to_the_registered_uri_is_not_a_variant() {
        let reg = Url::parse("http://127.0.0.1:4000/callback").unwrap();
        let landed = Url::parse("http://127.0.0.1:4000/callback?code=x").unwrap();
        assert!(!went_to_variant(
            &landed,
            "http://127.0.0.1:4000/CALLBACK",
            &reg
        ));
        assert!(went_to_variant(
            &Url::parse("http://127.0.0.1:4000/callback/probe?code=x").unwrap(),
            "http://127.0.0.1:4000/callback/probe",
            &reg
        ));
        let with_query = Url::parse("http://127.0.0.1:4000/callback?probe=1&code=x").unwrap();
        assert!(went_to_variant(
            &with_query,
            "http://127.0.0.1:4000/callback?probe=1",
            &reg
        ));
    }
}
