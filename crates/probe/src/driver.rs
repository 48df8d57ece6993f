//! The authorization driver: the one interface through which probes get past the user's part
//! of a flow. [`Direct`] follows the server's redirects itself (the sandbox's auto-approve, or a
//! server that already knows the user); [`Loopback`] opens the system browser, or prints
//! `authorize: URL` for an external driver (`--no-browser`), and waits for the browser to come
//! back to one shared listener on 127.0.0.1 (answers are told apart by their `state`); a
//! window that shows what the run waits for hears each wait start and end ([`Wait`]: the URL,
//! whether the browser opened, the limit). A probe's redirect variant (another port, another
//! loopback host) gets a listener of its own before the user is asked to log in, or is ended
//! at once with the reason it cannot come back ([`AuthorizeDriver::listen_at`]). Tests implement the trait with their scripted
//! browser, which drives the provider's login page.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use url::Url;

use grantscope_core::http::HttpRequest;
use grantscope_core::oauth::{FlowError, Session};

/// Where a visit to the authorization endpoint ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// The server sent the browser out of its origin, to this URL (the redirect URI, with a
    /// code or an error, or wherever else the server redirects to).
    Redirect(Url),
    /// The server answered with a page and did not send the browser back.
    Page {
        status: u16,
        url: Url,
        title: String,
    },
    /// Nothing came back (the browser was not finished in time).
    NoAnswer(String),
}

/// A future the driver returns.
pub type DriverFuture<'a> = Pin<Box<dyn Future<Output = Result<Landing, FlowError>> + Send + 'a>>;

/// A future that says whether a landing can come back (`Err`: why not).
pub type ListenFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Takes a user through an authorization request.
pub trait AuthorizeDriver: Send + Sync {
    /// Short name for the plan ("system browser", "sandbox auto-approve", ...).
    fn name(&self) -> &'static str;
    /// Whether a person (or an external driver) takes part: the plan counts their logins.
    fn needs_user(&self) -> bool;
    /// The redirect URI to send when the profile names none (the listener's address).
    fn redirect_uri(&self) -> Option<Url> {
        None
    }
    /// Visits `url` as the user's browser would, and says where it ended. Exchanges made
    /// through `session` are the probe's evidence.
    fn visit<'a>(&'a self, session: &'a mut Session, url: &'a Url) -> DriverFuture<'a>;
    /// [`Self::visit`] on behalf of the probe `probe` (a window shows whose login it is).
    fn visit_for<'a>(
        &'a self,
        _probe: &'static str,
        session: &'a mut Session,
        url: &'a Url,
    ) -> DriverFuture<'a> {
        self.visit(session, url)
    }
    /// Makes sure a browser sent to `landing` (a redirect URI variant: another port, another
    /// loopback host) can come back: a listener there, or the reason there cannot be one, said
    /// before the user is asked to log in (never a login-timeout wait for a landing nobody
    /// hears). Drivers that see the redirect themselves need nothing.
    /// [`visit_for`](Self::visit_for) a pushed request's URL (`client_id` and `request_uri`
    /// only), whose redirect carries the `state` of the request that was pushed.
    fn visit_pushed<'a>(
        &'a self,
        probe: Option<&'static str>,
        session: &'a mut Session,
        url: &'a Url,
        _state: &'a str,
    ) -> DriverFuture<'a> {
        match probe {
            Some(p) => self.visit_for(p, session, url),
            None => self.visit(session, url),
        }
    }
    fn listen_at<'a>(&'a self, _landing: &'a Url) -> ListenFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// GETs `url` once, with no cookies, recorded in `session`: the first look of every probe (a
/// refusal, or a redirect the server makes before any login, needs no user) and the whole
/// visit for a server that approves at once (the sandbox's auto-approve). A redirect inside
/// the server's origin (to its login or consent) ends as a [`Landing::Page`] with that 3xx
/// status: the server accepted the request so far and wants a user.
pub async fn follow(session: &mut Session, url: &Url) -> Result<Landing, FlowError> {
    let mut req = HttpRequest::get(url.clone());
    req.headers = vec![("Accept".into(), "text/html".into())];
    let resp = session.send("authorization request", req).await?;
    if (300..400).contains(&resp.status) {
        let Some(location) = resp.header("location") else {
            return Ok(Landing::Page {
                status: resp.status,
                url: url.clone(),
                title: "a redirect without Location".into(),
            });
        };
        let next = url.join(location).map_err(|e| {
            FlowError::Redirect(format!("the server redirected to a bad Location: {e}"))
        })?;
        if next.origin() != url.origin() {
            return Ok(Landing::Redirect(next));
        }
        return Ok(Landing::Page {
            status: resp.status,
            url: next,
            title: "the server's login or consent".into(),
        });
    }
    Ok(Landing::Page {
        status: resp.status,
        url: url.clone(),
        title: page_title(&resp.text()),
    })
}

/// Whether a first look ended where a user must act (a login page, or a redirect to one).
pub fn wants_user(landing: &Landing) -> bool {
    matches!(landing, Landing::Page { status, .. } if (200..400).contains(status))
}

/// The `<title>` of an HTML page (inert, capped), or the start of the text.
pub fn page_title(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let t = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => &html[a + 7..b],
        _ => html,
    };
    grantscope_core::http::excerpt(&grantscope_core::text::inert(t.trim()), 120)
}

/// Follows the server's redirects (the sandbox's auto-approve; a server whose session already
/// knows the user). Never involves a person.
#[derive(Debug, Clone, Copy, Default)]
pub struct Direct;

impl AuthorizeDriver for Direct {
    fn name(&self) -> &'static str {
        "direct (the server approves without a login page, e.g. the sandbox's --auto-approve)"
    }
    fn needs_user(&self) -> bool {
        false
    }
    fn visit<'a>(&'a self, session: &'a mut Session, url: &'a Url) -> DriverFuture<'a> {
        Box::pin(follow(session, url))
    }
}

type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<Url>>>>;

/// Whether the system browser was opened for a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Browser {
    /// It was opened on the URL.
    Opened,
    /// Opening it failed (no browser, no desktop): the user must open the URL.
    Failed(String),
    /// Not asked for (`--no-browser`, the window's "Open the system browser" off).
    NotAsked,
}

/// A wait of the [`Loopback`] driver, for a window that shows what it waits for.
#[derive(Debug, Clone)]
pub enum Wait {
    /// Waiting for the browser to come back from `url` (its `state` tells the waits apart).
    Started {
        state: String,
        url: Url,
        browser: Browser,
        timeout: Duration,
        /// The probe whose login it is, when known.
        probe: Option<&'static str>,
    },
    /// That wait ended (the redirect came, or the time ran out).
    Ended { state: String, answered: bool },
}

/// Hears the driver's waits.
pub type WaitObserver = Arc<dyn Fn(Wait) + Send + Sync>;

/// The system browser (or, with `open_browser` false, whoever reads `authorize: URL` on
/// stderr) and one listener on 127.0.0.1 for every probe's redirect.
pub struct Loopback {
    redirect_uri: Url,
    open_browser: bool,
    timeout: Duration,
    waiters: Waiters,
    announce: Arc<dyn Fn(&Url) + Send + Sync>,
    waits: Option<WaitObserver>,
    name: Option<&'static str>,
    _task: tokio::task::JoinHandle<()>,
    /// The addresses listened on (the redirect URI's, then each variant's a probe sent), and
    /// the accept loops of the variants' listeners (ended with the driver).
    listening: Mutex<Vec<(std::net::IpAddr, u16)>>,
    extra: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Loopback {
    /// Binds 127.0.0.1 on the port of `redirect` (none or no port: an ephemeral one).
    /// `announce` is told each authorization URL (the CLI prints `authorize: URL`).
    pub async fn start(
        redirect: Option<&Url>,
        open_browser: bool,
        timeout: Duration,
        announce: Arc<dyn Fn(&Url) + Send + Sync>,
    ) -> Result<Self, FlowError> {
        if let Some(u) = redirect
            && !grantscope_core::oauth::loopback::is_loopback(u)
        {
            return Err(FlowError::Config(format!(
                "probes need a loopback redirect URI to listen on; {u} is not one"
            )));
        }
        let port = redirect.and_then(Url::port).unwrap_or(0);
        // Loopback only: ::1 for a `[::1]` redirect URI, else 127.0.0.1 (also for `localhost`).
        let ip: std::net::IpAddr = match redirect.and_then(Url::host) {
            Some(url::Host::Ipv6(_)) => std::net::Ipv6Addr::LOCALHOST.into(),
            _ => std::net::Ipv4Addr::LOCALHOST.into(),
        };
        let listener = TcpListener::bind((ip, port)).await.map_err(|e| {
            FlowError::Config(format!(
                "cannot listen on {ip} port {port} for the redirects: {e}"
            ))
        })?;
        let real = listener
            .local_addr()
            .map_err(|e| FlowError::Config(format!("loopback listener: {e}")))?
            .port();
        let path = redirect.map(|u| u.path().to_string());
        let path = path.unwrap_or_else(|| "/callback".into());
        // The host as registered (a server may compare it exactly), with the real port.
        let host = redirect.and_then(Url::host_str).unwrap_or("127.0.0.1");
        let redirect_uri = Url::parse(&format!("http://{host}:{real}{path}"))
            .map_err(|e| FlowError::Config(format!("redirect URI: {e}")))?;
        let waiters: Waiters = Arc::default();
        let task = tokio::spawn(accept_loop(listener, redirect_uri.clone(), waiters.clone()));
        Ok(Self {
            redirect_uri,
            open_browser,
            timeout,
            waiters,
            announce,
            waits: None,
            name: None,
            _task: task,
            listening: Mutex::new(vec![(ip, real)]),
            extra: Mutex::new(Vec::new()),
        })
    }

    /// Listens at `landing` too (see [`AuthorizeDriver::listen_at`]).
    async fn listen_also(&self, landing: &Url) -> Result<(), String> {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        if landing.scheme() != "http" {
            return Err(format!(
                "grantscope's listener speaks plain http; a browser sent to {}:// cannot come back to it",
                grantscope_core::text::inert(landing.scheme())
            ));
        }
        let port = landing.port_or_known_default().unwrap_or(80);
        let (ips, any_will_do): (Vec<IpAddr>, bool) = match landing.host() {
            Some(url::Host::Ipv4(a)) if a.is_loopback() => (vec![a.into()], false),
            Some(url::Host::Ipv6(a)) if a.is_loopback() => (vec![a.into()], false),
            // A browser may try either address for localhost: both, where they can be had.
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => (
                vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()],
                true,
            ),
            _ => {
                return Err(format!(
                    "{} is not a loopback address: grantscope cannot listen there",
                    grantscope_core::text::inert(landing.host_str().unwrap_or(""))
                ));
            }
        };
        let mut bound = 0;
        let mut failures = Vec::new();
        for ip in ips {
            let known = self
                .listening
                .lock()
                .map(|l| l.contains(&(ip, port)))
                .unwrap_or(false);
            if known {
                bound += 1;
                continue;
            }
            match TcpListener::bind((ip, port)).await {
                Ok(listener) => {
                    let task =
                        tokio::spawn(accept_loop(listener, landing.clone(), self.waiters.clone()));
                    if let Ok(mut l) = self.listening.lock() {
                        l.push((ip, port));
                    }
                    if let Ok(mut e) = self.extra.lock() {
                        e.push(task);
                    }
                    bound += 1;
                }
                Err(e) => failures.push(format!("cannot listen on {ip} port {port}: {e}")),
            }
        }
        if failures.is_empty() || (any_will_do && bound > 0) {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }

    /// Tells `observer` when each visit starts and ends waiting (the desktop app's Probes
    /// window shows the URL, whether the browser opened, and the time left).
    pub fn with_waits(mut self, observer: WaitObserver) -> Self {
        self.waits = Some(observer);
        self
    }

    /// Names the driver in the plan (the desktop app shows the URL in its window, not on
    /// stderr).
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        self
    }

    /// The address the listener answers on (the redirect URI as sent).
    pub fn listening_on(&self) -> &Url {
        &self.redirect_uri
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self._task.abort();
        if let Ok(extra) = self.extra.lock() {
            for task in extra.iter() {
                task.abort();
            }
        }
    }
}

impl AuthorizeDriver for Loopback {
    fn name(&self) -> &'static str {
        if let Some(name) = self.name {
            return name;
        }
        if self.open_browser {
            "system browser with a loopback listener"
        } else {
            "external driver (each authorization URL on its own stderr line) with a loopback listener"
        }
    }
    fn needs_user(&self) -> bool {
        true
    }
    fn redirect_uri(&self) -> Option<Url> {
        Some(self.redirect_uri.clone())
    }
    fn listen_at<'a>(&'a self, landing: &'a Url) -> ListenFuture<'a> {
        Box::pin(self.listen_also(landing))
    }
    fn visit<'a>(&'a self, _session: &'a mut Session, url: &'a Url) -> DriverFuture<'a> {
        Box::pin(self.wait_for(None, url))
    }
    fn visit_for<'a>(
        &'a self,
        probe: &'static str,
        _session: &'a mut Session,
        url: &'a Url,
    ) -> DriverFuture<'a> {
        Box::pin(self.wait_for(Some(probe), url))
    }
    fn visit_pushed<'a>(
        &'a self,
        probe: Option<&'static str>,
        _session: &'a mut Session,
        url: &'a Url,
        state: &'a str,
    ) -> DriverFuture<'a> {
        Box::pin(self.wait_for_state(probe, url, state.to_string()))
    }
}

impl Loopback {
    /// Announces `url` (and opens the browser), then waits for its redirect to come back.
    async fn wait_for(&self, probe: Option<&'static str>, url: &Url) -> Result<Landing, FlowError> {
        let state = url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        self.wait_for_state(probe, url, state).await
    }

    /// [`wait_for`](Self::wait_for) the redirect that carries `state` (a pushed request's URL
    /// has none of its own).
    async fn wait_for_state(
        &self,
        probe: Option<&'static str>,
        url: &Url,
        state: String,
    ) -> Result<Landing, FlowError> {
        {
            let (tx, rx) = oneshot::channel();
            if let Ok(mut w) = self.waiters.lock() {
                w.insert(state.clone(), tx);
            }
            (self.announce)(url);
            let browser = if self.open_browser {
                match webbrowser::open(url.as_str()) {
                    Ok(()) => Browser::Opened,
                    Err(e) => Browser::Failed(e.to_string()),
                }
            } else {
                Browser::NotAsked
            };
            if let Some(w) = &self.waits {
                w(Wait::Started {
                    state: state.clone(),
                    url: url.clone(),
                    browser,
                    timeout: self.timeout,
                    probe,
                });
            }
            // Told when the wait ends, however it ends (a cancelled run drops this future).
            let mut ended = WaitEnded {
                observer: self.waits.clone(),
                state: state.clone(),
                answered: false,
            };
            let landed = tokio::time::timeout(self.timeout, rx).await;
            if let Ok(mut w) = self.waiters.lock() {
                w.remove(&state);
            }
            ended.answered = matches!(landed, Ok(Ok(_)));
            drop(ended);
            Ok(match landed {
                Ok(Ok(u)) => Landing::Redirect(u),
                _ => Landing::NoAnswer(format!(
                    "no redirect came back to {} within {}",
                    self.redirect_uri,
                    humantime::format_duration(self.timeout)
                )),
            })
        }
    }
}

/// Says a wait ended, however it ended: answered, out of time, or dropped before it finished
/// (a cancelled run).
struct WaitEnded {
    observer: Option<WaitObserver>,
    state: String,
    answered: bool,
}

impl Drop for WaitEnded {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Some(w) = &self.observer {
            w(Wait::Ended {
                state: std::mem::take(&mut self.state),
                answered: self.answered,
            });
        }
    }
}

async fn accept_loop(listener: TcpListener, base: Url, waiters: Waiters) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let base = base.clone();
        let waiters = waiters.clone();
        tokio::spawn(async move { answer(stream, base, waiters).await });
    }
}

/// Reads one request; any path counts (a probe may have sent a variant of the redirect URI),
/// the `state` says which probe it answers.
async fn answer(mut stream: TcpStream, base: Url, waiters: Waiters) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > 16 * 1024 {
                return Some(());
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        return;
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let target = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/");
    let url = base.join(target).ok();
    let state = url.as_ref().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
    });
    let waiter = state.and_then(|s| waiters.lock().ok().and_then(|mut w| w.remove(&s)));
    let (status, message) = match (waiter, url) {
        (Some(tx), Some(u)) => {
            let _ = tx.send(u);
            (
                "200 OK",
                "grantscope received this answer for a probe. You can close this tab.",
            )
        }
        _ => ("404 Not Found", "No probe is waiting for this."),
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>grantscope probe</title></head><body><p>{message}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}
