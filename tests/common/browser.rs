//! A tiny scripted "user agent" for end-to-end tests: it follows redirects by hand, keeps cookies
//! (path-aware), reads the HTML forms of a provider's login, consent and device pages, and submits
//! them like a person would, so an authorization code or device flow completes without a person.
//!
//! It knows panva's oidc-provider development interactions (`prompt=login` / `prompt=consent`
//! forms, `op.deviceInputForm` / `op.deviceConfirmForm`) and falls back to generic rules (a form
//! with a password field is a login form; a form with an approve/deny button is a consent form) so
//! other providers such as the built-in sandbox can be driven too.

use anyhow::{Context, Result, anyhow, bail};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use std::time::Duration;
use url::Url;

/// What the scripted user does at a login or consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sign in and approve.
    Approve,
    /// Cancel at the first page that offers it (login or consent).
    Deny,
}

/// Who the scripted user signs in as. oidc-provider's development login accepts any
/// password; the sandbox checks it.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

/// One cookie as the jar keeps it.
#[derive(Debug, Clone)]
struct Cookie {
    name: String,
    value: String,
    path: String,
}

/// A minimal RFC 6265 cookie jar for a single host: path matching, replacement by (name, path),
/// deletion by an expired date, `Max-Age<=0` or an empty value.
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// Stores one `Set-Cookie` header value received for a request to `request_path`.
    pub fn store(&mut self, set_cookie: &str, request_path: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim().to_string(), value.trim().to_string());
        let mut path = default_path(request_path);
        let mut expired = value.is_empty();
        for attr in parts {
            let (key, val) = attr.split_once('=').unwrap_or((attr, ""));
            match key.trim().to_ascii_lowercase().as_str() {
                "path" if val.trim().starts_with('/') => path = val.trim().to_string(),
                "max-age" => expired |= val.trim().parse::<i64>().is_ok_and(|age| age <= 0),
                // oidc-provider (via the `cookies` package) deletes with the epoch date.
                "expires" => expired |= val.contains("1970"),
                _ => {}
            }
        }
        self.cookies.retain(|c| !(c.name == name && c.path == path));
        if !expired {
            self.cookies.push(Cookie { name, value, path });
        }
    }

    /// The `Cookie` header value for a request to `request_path`, longest paths first.
    pub fn header_for(&self, request_path: &str) -> Option<String> {
        let mut matching: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| path_matches(&c.path, request_path))
            .collect();
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        if matching.is_empty() {
            return None;
        }
        Some(
            matching
                .iter()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// Number of cookies held (for tests of the jar itself).
    pub fn len(&self) -> usize {
        self.cookies.len()
    }
}

fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => request_path[..i].to_string(),
    }
}

fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// One HTML element's attributes, in document order.
#[derive(Debug, Clone, Default)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A form found in a page: its own attributes, its inputs, and its buttons (including buttons
/// outside the form that name it with `form="id"`).
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub id: Option<String>,
    pub action: Option<String>,
    pub method: String,
    pub inputs: Vec<Tag>,
    pub buttons: Vec<Tag>,
}

impl Form {
    /// The input named `name`, if any.
    pub fn input(&self, name: &str) -> Option<&Tag> {
        self.inputs.iter().find(|t| t.attr("name") == Some(name))
    }

    fn has_password(&self) -> bool {
        self.inputs.iter().any(|t| {
            t.attr("type")
                .is_some_and(|ty| ty.eq_ignore_ascii_case("password"))
        })
    }

    /// The form's successful controls with their current values (text, hidden, password, ...;
    /// not checkboxes/radios that are unchecked, not buttons).
    pub fn fields(&self) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .filter_map(|t| {
                let name = t.attr("name")?;
                let ty = t.attr("type").unwrap_or("text").to_ascii_lowercase();
                match ty.as_str() {
                    "submit" | "button" | "image" | "reset" | "file" => None,
                    "checkbox" | "radio" if t.attr("checked").is_none() => None,
                    _ => Some((name.to_string(), t.attr("value").unwrap_or("").to_string())),
                }
            })
            .collect()
    }
}

/// Splits `html` into tags (name + attributes) in document order, skipping text, comments,
/// `<script>` and `<style>` bodies.
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off;
        if html[start..].starts_with("<!--") {
            i = html[start..]
                .find("-->")
                .map_or(html.len(), |e| start + e + 3);
            continue;
        }
        let mut j = start + 1;
        let closing = bytes.get(j) == Some(&b'/');
        if closing {
            j += 1;
        }
        let name_start = j;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
            j += 1;
        }
        if j == name_start {
            i = start + 1;
            continue;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        let (attrs, end) = parse_attrs(html, j);
        let tag_name = if closing {
            format!("/{name}")
        } else {
            name.clone()
        };
        out.push(Tag {
            name: tag_name,
            attrs,
        });
        i = end;
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            i = html[i..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(html.len(), |e| i + e);
        }
    }
    out
}

/// Parses attributes from `pos` up to the tag's closing `>` (quote-aware); returns them and the
/// index just after the `>`.
fn parse_attrs(html: &str, mut pos: usize) -> (Vec<(String, String)>, usize) {
    let b = html.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while pos < b.len() && (b[pos].is_ascii_whitespace() || b[pos] == b'/') {
            pos += 1;
        }
        if pos >= b.len() {
            return (attrs, b.len());
        }
        if b[pos] == b'>' {
            return (attrs, pos + 1);
        }
        let name_start = pos;
        while pos < b.len()
            && !b[pos].is_ascii_whitespace()
            && !matches!(b[pos], b'=' | b'>' | b'/')
        {
            pos += 1;
        }
        let name = html[name_start..pos].to_ascii_lowercase();
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let mut value = String::new();
        if pos < b.len() && b[pos] == b'=' {
            pos += 1;
            while pos < b.len() && b[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if pos < b.len() && (b[pos] == b'"' || b[pos] == b'\'') {
                let quote = b[pos];
                let vstart = pos + 1;
                let vend = html[vstart..]
                    .find(quote as char)
                    .map_or(html.len(), |e| vstart + e);
                value = decode_entities(&html[vstart..vend]);
                pos = (vend + 1).min(b.len());
            } else {
                let vstart = pos;
                while pos < b.len() && !b[pos].is_ascii_whitespace() && b[pos] != b'>' {
                    pos += 1;
                }
                value = decode_entities(&html[vstart..pos]);
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

/// Decodes the HTML character references that templates produce in attribute values.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// All forms of a page, with their inputs and buttons.
/// The prefix of what [`Browser::authorize`] returns for a form_post response.
pub const FORM_POST: &str = "FORM_POST";

pub fn forms(html: &str) -> Vec<Form> {
    let mut forms: Vec<Form> = Vec::new();
    let mut open: Option<usize> = None;
    let mut outside_buttons: Vec<Tag> = Vec::new();
    for tag in tags(html) {
        match tag.name.as_str() {
            "form" => {
                forms.push(Form {
                    id: tag.attr("id").map(str::to_string),
                    action: tag.attr("action").map(str::to_string),
                    method: tag.attr("method").unwrap_or("get").to_ascii_lowercase(),
                    ..Form::default()
                });
                open = Some(forms.len() - 1);
            }
            "/form" => open = None,
            "input" | "select" | "textarea" => {
                if let Some(owner) = owner_of(&tag, open, &forms) {
                    forms[owner].inputs.push(tag);
                }
            }
            "button" => match (tag.attr("form"), open) {
                (Some(_), _) => outside_buttons.push(tag),
                (None, Some(idx)) => forms[idx].buttons.push(tag),
                (None, None) => {}
            },
            _ => {}
        }
    }
    for button in outside_buttons {
        if let Some(form) = forms
            .iter_mut()
            .find(|f| f.id.as_deref() == button.attr("form"))
        {
            form.buttons.push(button);
        }
    }
    forms
}

fn owner_of(tag: &Tag, open: Option<usize>, forms: &[Form]) -> Option<usize> {
    match tag.attr("form") {
        Some(id) => forms.iter().position(|f| f.id.as_deref() == Some(id)),
        None => open,
    }
}

/// Links (`<a href>`) of a page, resolved later against the page URL.
pub fn links(html: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter(|t| t.name == "a")
        .filter_map(|t| t.attr("href").map(str::to_string))
        .collect()
}

/// A short human summary of a page for error messages: its title and the text of `<pre>`,
/// `<h1>` and `<p>` elements, tags stripped.
pub fn page_summary(html: &str) -> String {
    let mut out = Vec::new();
    for el in ["title", "h1", "pre", "p"] {
        let open = format!("<{el}");
        let close = format!("</{el}>");
        let lower = html.to_ascii_lowercase();
        let mut from = 0;
        while let Some(s) = lower[from..].find(&open) {
            let s = from + s;
            let Some(gt) = lower[s..].find('>') else {
                break;
            };
            let Some(e) = lower[s + gt..].find(&close) else {
                break;
            };
            let inner = &html[s + gt + 1..s + gt + e];
            let text = strip_tags(inner);
            if !text.is_empty() {
                out.push(text);
            }
            from = s + gt + e;
        }
    }
    let joined = out.join(" | ");
    if joined.is_empty() {
        html.chars().take(300).collect()
    } else {
        joined.chars().take(600).collect()
    }
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(
        out.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
    )
}

/// A form submission (`Some(fields)`, POST) or a link to follow (`None`, GET) at a URL.
type Step = (String, Option<Vec<(String, String)>>);

/// Where a navigation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The provider redirected to a URL outside its own origin (the client's redirect URI).
    Redirect(String),
    /// The provider answered with a page (any non-redirect status).
    Page { status: u16, url: Url, body: String },
}

/// A scripted browser bound to one provider origin.
pub struct Browser {
    client: reqwest::Client,
    jar: CookieJar,
    origin: url::Origin,
    /// Every step taken (`GET url -> status`), for error messages.
    pub trail: Vec<String>,
    submissions: Vec<String>,
}

const MAX_STEPS: usize = 40;
/// How often the same form may be submitted before the flow counts as stuck.
const MAX_REPEATS: usize = 3;

impl Browser {
    /// A browser for the provider whose issuer (or any URL of it) is `issuer`.
    pub fn new(issuer: &str) -> Result<Self> {
        let issuer = Url::parse(issuer).with_context(|| format!("bad issuer URL {issuer}"))?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            // A fresh connection per request: a pooled keep-alive connection that the server
            // closes just as a POST goes out fails that POST, and forms must not be re-sent.
            .pool_max_idle_per_host(0)
            .no_proxy()
            .build()?;
        Ok(Self {
            client,
            jar: CookieJar::default(),
            origin: issuer.origin(),
            trail: Vec::new(),
            submissions: Vec::new(),
        })
    }

    /// GETs `url` (or POSTs a form to it) and follows redirects inside the provider's origin.
    pub async fn navigate(
        &mut self,
        url: &str,
        form: Option<Vec<(String, String)>>,
    ) -> Result<Outcome> {
        let mut url = Url::parse(url).with_context(|| format!("bad URL {url}"))?;
        let mut form = form;
        for _ in 0..MAX_STEPS {
            let mut req = match &form {
                Some(pairs) => {
                    let body = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs.iter())
                        .finish();
                    self.client
                        .post(url.clone())
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(body)
                }
                None => self.client.get(url.clone()),
            };
            if let Some(cookie) = self.jar.header_for(url.path()) {
                req = req.header(COOKIE, cookie);
            }
            let method = if form.is_some() { "POST" } else { "GET" };
            let resp = req
                .send()
                .await
                .with_context(|| format!("{method} {url} failed"))?;
            let status = resp.status();
            self.trail
                .push(format!("{method} {url} -> {}", status.as_u16()));
            for value in resp.headers().get_all(SET_COOKIE) {
                if let Ok(v) = value.to_str() {
                    self.jar.store(v, url.path());
                }
            }
            if status.is_redirection() {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| anyhow!("{method} {url}: redirect without Location"))?;
                let next = url
                    .join(location)
                    .with_context(|| format!("bad Location {location}"))?;
                if next.origin() != self.origin {
                    return Ok(Outcome::Redirect(next.to_string()));
                }
                url = next;
                form = None;
                continue;
            }
            let body = resp.text().await.unwrap_or_default();
            return Ok(Outcome::Page {
                status: status.as_u16(),
                url,
                body,
            });
        }
        bail!("more than {MAX_STEPS} redirects; trail: {:#?}", self.trail)
    }

    /// Drives login and consent from `start` (an authorization URL) until the provider redirects
    /// out of its origin, and returns that redirect URL (`...callback?code=...&state=...`, or an
    /// error redirect).
    pub async fn authorize(
        &mut self,
        start: &str,
        login: Login<'_>,
        decision: Decision,
    ) -> Result<String> {
        let mut outcome = self.navigate(start, None).await?;
        for _ in 0..MAX_STEPS {
            let (status, page_url, body) = match outcome {
                Outcome::Redirect(to) => return Ok(to),
                Outcome::Page { status, url, body } => (status, url, body),
            };
            // response_mode=form_post: a self-submitting form posts the answer out of the
            // provider's origin. Returned as `FORM_POST <action>?<fields>` for the test to POST.
            if let Some(posted) = forms(&body).into_iter().find(|f| {
                f.method.eq_ignore_ascii_case("post")
                    && f.action
                        .as_deref()
                        .and_then(|a| page_url.join(a).ok())
                        .is_some_and(|a| a.origin() != self.origin)
            }) {
                let mut action = page_url.join(posted.action.as_deref().unwrap_or(""))?;
                {
                    let mut q = action.query_pairs_mut();
                    for input in &posted.inputs {
                        if let (Some(n), Some(v)) = (input.attr("name"), input.attr("value")) {
                            q.append_pair(n, v);
                        }
                    }
                }
                return Ok(format!("{FORM_POST} {action}"));
            }
            let next = self.interaction_step(&page_url, &body, login, None, decision)?;
            match next {
                Some((target, fields)) => {
                    self.note_submission(&target, &body)?;
                    outcome = self.navigate(&target, fields).await?;
                }
                None => bail!(
                    "unexpected page at {page_url} (HTTP {status}): {}\ntrail: {:#?}",
                    page_summary(&body),
                    self.trail
                ),
            }
        }
        bail!(
            "login did not finish in {MAX_STEPS} pages; trail: {:#?}",
            self.trail
        )
    }

    /// Drives the device verification page (RFC 8628 §3.3): enters `user_code` (unless the URL
    /// already carries it), confirms, signs in and consents. Ok when the provider shows its
    /// success page; with [`Decision::Deny`] it aborts and is Ok when the provider says so.
    pub async fn verify_device(
        &mut self,
        verification_uri: &str,
        user_code: &str,
        login: Login<'_>,
        decision: Decision,
    ) -> Result<String> {
        let mut outcome = self.navigate(verification_uri, None).await?;
        for _ in 0..MAX_STEPS {
            let (status, page_url, body) = match outcome {
                Outcome::Redirect(to) => bail!(
                    "device verification redirected out of the provider to {to}; trail: {:#?}",
                    self.trail
                ),
                Outcome::Page { status, url, body } => (status, url, body),
            };
            let all = forms(&body);
            if let Some(form) = all
                .iter()
                .find(|f| f.id.as_deref() == Some("op.deviceInputForm"))
            {
                if body.contains("class=\"red\"") && body.contains("incorrect") {
                    bail!(
                        "the provider rejected the user code: {}",
                        page_summary(&body)
                    );
                }
                let mut fields = form.fields();
                set_field(&mut fields, "user_code", user_code);
                outcome = self
                    .navigate(&action_url(&page_url, form)?, Some(fields))
                    .await?;
                continue;
            }
            if let Some(form) = all
                .iter()
                .find(|f| f.id.as_deref() == Some("op.deviceConfirmForm"))
            {
                let mut fields = form.fields();
                if decision == Decision::Deny {
                    fields.push(("abort".into(), "yes".into()));
                }
                outcome = self
                    .navigate(&action_url(&page_url, form)?, Some(fields))
                    .await?;
                continue;
            }
            if all.is_empty() && (200..300).contains(&status) {
                // A final page without forms: the success or the "aborted" page.
                return Ok(page_summary(&body));
            }
            match self.interaction_step(&page_url, &body, login, Some(user_code), decision)? {
                Some((target, fields)) => {
                    self.note_submission(&target, &body)?;
                    outcome = self.navigate(&target, fields).await?;
                }
                None => bail!(
                    "unexpected page at {page_url} (HTTP {status}): {}\ntrail: {:#?}",
                    page_summary(&body),
                    self.trail
                ),
            }
        }
        bail!(
            "device verification did not finish; trail: {:#?}",
            self.trail
        )
    }

    /// Fails when the same form target is submitted too often (a page that keeps coming back,
    /// e.g. a rejected password or user code), with the page's own words.
    fn note_submission(&mut self, target: &str, page: &str) -> Result<()> {
        self.submissions.push(target.to_string());
        let repeats = self.submissions.iter().filter(|t| *t == target).count();
        if repeats > MAX_REPEATS {
            bail!(
                "the provider keeps showing the same form ({target}): {}\ntrail: {:#?}",
                page_summary(page),
                self.trail
            );
        }
        Ok(())
    }

    /// Decides what to submit on a login or consent page: `(target URL, Some(form) | None for GET)`.
    fn interaction_step(
        &self,
        page_url: &Url,
        body: &str,
        login_as: Login<'_>,
        user_code: Option<&str>,
        decision: Decision,
    ) -> Result<Option<Step>> {
        let all = forms(body);
        let login = all.iter().find(|f| {
            f.input("prompt").and_then(|t| t.attr("value")) == Some("login") || f.has_password()
        });
        let consent = all.iter().find(|f| {
            f.input("prompt").and_then(|t| t.attr("value")) == Some("consent")
                || f.buttons.iter().any(|b| is_choice_button(b, true))
        });
        let Some(form) = login.or(consent) else {
            return Ok(None);
        };
        if decision == Decision::Deny {
            if let Some(abort) = links(body)
                .into_iter()
                .find(|href| href.ends_with("/abort") || href.contains("/abort?"))
            {
                let target = page_url.join(&abort)?;
                return Ok(Some((target.to_string(), None)));
            }
            if let Some(deny) = form.buttons.iter().find(|b| is_choice_button(b, false)) {
                let mut fields = form.fields();
                push_button(&mut fields, deny);
                return Ok(Some((action_url(page_url, form)?, Some(fields))));
            }
            bail!("no way to deny on page {page_url}: {}", page_summary(body));
        }
        let mut fields = form.fields();
        if let Some(code) = user_code
            && form
                .input("user_code")
                .is_some_and(|t| t.attr("value").unwrap_or("").is_empty())
        {
            set_field(&mut fields, "user_code", code);
        }
        if login.is_some() {
            for t in &form.inputs {
                let (Some(name), ty) = (t.attr("name"), t.attr("type").unwrap_or("text")) else {
                    continue;
                };
                let ty = ty.to_ascii_lowercase();
                if ty == "password" {
                    set_field(&mut fields, name, login_as.password);
                } else if matches!(ty.as_str(), "text" | "email")
                    && matches!(name, "login" | "username" | "user" | "email" | "sub")
                {
                    set_field(&mut fields, name, login_as.user);
                }
            }
        }
        if let Some(approve) = form.buttons.iter().find(|b| is_choice_button(b, true)) {
            push_button(&mut fields, approve);
        }
        Ok(Some((action_url(page_url, form)?, Some(fields))))
    }
}

/// Whether a named submit button approves (`approve`) or refuses (`!approve`): a button whose
/// name or value is a refusal word (`deny`, `abort`, ...) refuses, whatever else it says.
fn is_choice_button(b: &Tag, approve: bool) -> bool {
    const APPROVE: &[&str] = &["approve", "allow", "accept", "consent", "yes", "grant"];
    const REFUSE: &[&str] = &["deny", "reject", "cancel", "abort", "no"];
    let name = b.attr("name").unwrap_or("").to_ascii_lowercase();
    let value = b.attr("value").unwrap_or("").to_ascii_lowercase();
    if name.is_empty() {
        return false;
    }
    let refuses = REFUSE.iter().any(|w| name == *w || value == *w);
    if approve {
        !refuses && APPROVE.iter().any(|w| name == *w || value == *w)
    } else {
        refuses
    }
}

fn push_button(fields: &mut Vec<(String, String)>, b: &Tag) {
    if let Some(name) = b.attr("name") {
        fields.push((name.to_string(), b.attr("value").unwrap_or("").to_string()));
    }
}

fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

fn action_url(page_url: &Url, form: &Form) -> Result<String> {
    if form.method != "post" {
        bail!(
            "only POST forms are supported, got method {:?}",
            form.method
        );
    }
    let action = form.action.as_deref().unwrap_or("");
    Ok(page_url.join(action)?.to_string())
}
