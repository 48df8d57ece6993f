//! The token inspector screen: paste (Ctrl+V anywhere), drop a file, or receive a token from a
//! flow. A headline that never scrolls away says what the token is worth now (the verdict of
//! the checks, or what the server said since: revoked, rejected, inactive; "opaque" when only
//! the server can tell), beside Inspect, Clear and Copy. The token box has a capped height and
//! shows header, payload and signature in the jwt.io colours. Below: the server calls with their
//! answers (each with when it came, marked when a revocation or the expiry came after it) right
//! under their buttons, the lifetime bar and countdown, the checklist, the header and claims as
//! JSON trees, the lifecycle lab ([`lifecycle_lab`]) and the token workbench ([`workbench`]:
//! edit, re-sign, forge).
//!
//! Every result says when it was true: the clock-dependent checks (`exp`, `nbf`, `iat`) run
//! again as time passes (a repaint each second while the countdown runs, else one at the next
//! instant a check changes, else none), so headline, checklist, countdown and bar agree.
//!
//! How a token is verified is a choice ([`VerifyWith`]): a pasted or dropped token is judged on
//! its own (format, times, structure) until the user picks the active profile's keys and issuer
//! or a JWKS, key file or secret. Server calls go to the client the token was issued to (the
//! flow's profile for a token from a flow) or to the profile the user chose, never to one
//! assumed; an ID token is offered none. A token from a flow is checked with what the app knows
//! about it (the nonce it sent, the client id as audience, the access token for `at_hash`, the
//! `expires_in` it got).

mod headline;
pub mod jwe_view;
pub mod lifecycle_lab;
pub mod logout;
mod probe_api;
mod sd_view;
mod server;
mod token_view;
mod view;
pub mod workbench;

use std::time::Duration;

use serde_json::Value;

use crate::connect;
use crate::exchange_view::capped_text_ui;
use crate::handoff::InspectRequest;
use crate::layout::{self, Width};
use crate::widgets::{
    JsonTree, SECRET_NOTE, badge_ui, copy_secret_ui, lifetime_bar_ui, status_color,
};
use crate::worker::{Jobs, Sink};
use grantscope_core::http::{Exchange, HttpClient};
use grantscope_core::oauth::{Connection, EndpointKind, FlowEvent, lifecycle};
use grantscope_core::profile::Profile;
use grantscope_core::secret::{AccessToken, AuthorizationCode, ClientSecret, RefreshToken};
use grantscope_core::timefmt;
use grantscope_core::token::{
    CheckStatus, InspectOptions, Inspection, KeySource, Lifetime, SharedSecret, SignatureStatus,
    TokenFormat, TokenKind,
};
use headline::headline;
use lifecycle_lab::{KeeperPanel, LifecycleCommand, LifecycleMsg, WatchPanel};
use server::{history_observer, key_source, non_empty, server_call};
use token_view::{JwtColors, MAX_EDITABLE, token_view_ui};

/// The token box's height before it scrolls, in monospace rows.
const TOKEN_BOX_ROWS: f32 = 4.0;

/// Messages from inspector jobs.
#[derive(Debug)]
pub enum InspectorMsg {
    /// An inspection finished.
    Inspected {
        /// Which request (older answers are dropped).
        seq: u64,
        /// The report.
        inspection: Box<Inspection>,
        /// Why keys could not be loaded, if so.
        key_error: Option<String>,
        /// When it was checked (unix seconds).
        checked_at: i64,
        /// What it was checked against (the clock-dependent checks run again with it).
        options: Box<InspectOptions>,
        /// For a JWE: the decryption keys stored and tried.
        jwe_keys: Option<jwe_view::JweKeys>,
    },
    /// A server call on the token finished.
    ServerCall {
        /// The token it was made for (answers for a token no longer shown are dropped).
        token_gen: u64,
        /// Which call.
        what: Call,
        /// The answer, or the error.
        result: Result<CallAnswer, String>,
    },
    /// An HTTP exchange a job made (for the history, as it happens).
    Exchange(Box<Exchange>),
    /// Watch and auto-refresh progress.
    Lifecycle(LifecycleMsg),
    /// The token workbench made its token(s).
    Forged(workbench::Forged),
    /// A logout of the ID token on screen.
    Logout(logout::LogoutMsg),
}

/// What the inspector asks of the app.
#[must_use]
#[derive(Debug, Clone)]
pub enum InspectorCommand {
    /// Record these exchanges in the history.
    Record(Vec<Exchange>),
    /// "Probe this API": the Probes window's API mode with the inspected token.
    ProbeApi(Box<crate::handoff::ApiProbeRequest>),
    /// Run the refresh grant in the flow runner (with this refresh token when the flow has no
    /// token set of its own).
    Refresh(Option<RefreshToken>),
    /// Send this token (made in the workbench) through the flow runner's "Call an API".
    CallApi {
        /// The token.
        token: AccessToken,
        /// Its name in the workbench (`edited`, or the forgery's variant).
        name: String,
    },
    /// Open the Logout listener window.
    OpenLogoutListener,
    /// Auto-refresh rotated the refresh token: the flow runner's token set follows.
    Rotated {
        /// The refresh token replaced.
        old: RefreshToken,
        /// The one that replaced it.
        new: RefreshToken,
    },
}

/// A server call on the inspected token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// RFC 7662.
    Introspect,
    /// RFC 7009.
    Revoke,
    /// OIDC Core §5.3.
    Userinfo,
}

impl Call {
    pub(super) fn label(self) -> &'static str {
        match self {
            Call::Introspect => "Introspect",
            Call::Revoke => "Revoke",
            Call::Userinfo => "Userinfo",
        }
    }

    fn answer_title(self) -> &'static str {
        match self {
            Call::Introspect => "Introspection says",
            Call::Revoke => "Revocation",
            Call::Userinfo => "Userinfo says",
        }
    }
}

/// What a server call answered.
#[derive(Debug, Clone)]
pub struct CallAnswer {
    /// As shown.
    pub text: String,
    /// Introspection's JSON.
    pub introspection: Option<Value>,
}

/// Where to get keys from and what to expect, as typed in the form (plus what a flow knows).
#[derive(Debug, Clone, Default)]
pub struct VerifyForm {
    /// JWKS URL or file path.
    pub jwks: String,
    /// Shared secret for HS* tokens.
    pub secret: ClientSecret,
    /// Expected issuer.
    pub issuer: String,
    /// Expected audience (for an ID token from a flow: the client id, also checked as `azp`).
    pub audience: String,
    /// Expected nonce (ID tokens).
    pub nonce: String,
    /// Access, ID or unknown.
    pub kind: TokenKind,
    /// The access token issued with an ID token, for `at_hash` (from a flow, not typed).
    pub access_token: Option<AccessToken>,
    /// The code exchanged for an ID token, for `c_hash` (from a flow, not typed).
    pub code: Option<AuthorizationCode>,
    /// A non-RFC 9068 `typ` is only a warning (the token came from the token endpoint as an
    /// access token).
    pub lenient_typ: bool,
    /// From a DPoP flow: the response's `token_type` and the thumbprint of the key in use, for
    /// the `token_type` and `cnf.jkt` checks (RFC 9449 §6).
    pub dpop: Option<(Option<String>, String)>,
}

/// How the token on screen is verified, and so which server its calls go to: the user's choice
/// for a pasted token (judged on its own until then), what the flow knows for a flow's token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VerifyWith {
    /// Decoded and judged on its own (format, times, structure): no key, no server.
    #[default]
    OnItsOwn,
    /// This profile's keys (its JWKS, or discovery from its issuer) and issuer; server calls
    /// go to its server.
    Profile(String),
    /// The keys and expectations typed in the Verification form (JWKS URL or file, secret).
    Form,
    /// A flow's token: its server's keys, the issuer, nonce and client the flow knows; server
    /// calls go to the flow's client.
    Flow,
}

struct Shown {
    inspection: Inspection,
    header: JsonTree,
    claims: JsonTree,
    key_error: Option<String>,
    /// When the keys were loaded and the signature checked.
    checked_at: i64,
    /// The options it was inspected with.
    options: InspectOptions,
    /// When `exp`, `nbf` and `iat` were last checked (they are checked again as time passes).
    retimed_at: i64,
    /// A JWE's layers.
    jwe: Option<jwe_view::JweView>,
    /// For a JWE: the decryption keys stored and tried.
    jwe_keys: Option<jwe_view::JweKeys>,
    /// An SD-JWT's Disclosures, key binding and the presentation the holder makes.
    sd: Option<sd_view::SdView>,
}

/// One server answer on screen, with when it came.
#[derive(Debug, Clone)]
struct Answer {
    what: Call,
    /// When it arrived (unix seconds).
    at: i64,
    /// Its place among the answers for this token (orders answers within one second).
    no: u64,
    result: Result<String, String>,
}

/// What the server said about the inspected token since it was inspected.
#[derive(Debug, Clone, Default)]
struct ServerSays {
    /// The server accepted the revocation (unix seconds).
    revoked_at: Option<i64>,
    /// The revocation's place among the answers (see `Answer::no`).
    revoked_no: Option<u64>,
    /// Introspection said `active: false` (unix seconds).
    inactive_at: Option<i64>,
    /// The last introspection answer.
    introspection: Option<Value>,
    /// Its members as a claims tree (an opaque token's claims), built once per answer so its
    /// expanded rows stay as the user left them.
    introspection_claims: Option<JsonTree>,
}

/// The verdict line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    /// VALID, NOT VALID, REVOKED, OPAQUE, ...
    pub text: &'static str,
    /// pass / fail / warn / info (its colour).
    pub status: &'static str,
    /// Why, in a few words.
    pub detail: String,
}

/// The inspector's runtime state.
#[derive(Default)]
pub struct InspectorScreen {
    /// The token text.
    pub input: String,
    /// Verification settings.
    pub verify: VerifyForm,
    /// The refresh token that came with the inspected token (from a flow), for "Refresh".
    pub refresh_token: Option<RefreshToken>,
    /// The token from a flow and that flow's profile: server calls on that token use its
    /// client (a revocation by another client is refused). Any other token uses the active
    /// profile.
    origin: Option<(String, Profile)>,
    /// How the token is verified (and where its server calls go).
    with: VerifyWith,
    /// What the flow gave with its access token for "Probe this API": the ID token of the same
    /// response and the DPoP key (valid while `origin` is).
    flow_extras: (
        Option<grantscope_core::secret::IdToken>,
        Option<std::sync::Arc<grantscope_core::oauth::dpop::DpopState>>,
    ),
    /// The user chose the form's keys: open the Verification form once.
    open_form: bool,
    /// The token the results on screen belong to.
    inspected: String,
    /// Bumped whenever another token is inspected: late answers for the old one are dropped.
    token_gen: u64,
    /// `exp` known from outside the token (`expires_in`, introspection).
    known_exp: Option<i64>,
    /// `iat` known from an introspection (kept when a later one says only `active: false`).
    known_iat: Option<i64>,
    server: ServerSays,
    watch: WatchPanel,
    keeper: KeeperPanel,
    /// Auto-refresh replaced the token: inspect it on the next frame.
    reinspect: bool,
    /// Auto-refresh rotated the refresh token: (old, new), for the flow runner's token set.
    rotated: Option<(RefreshToken, RefreshToken)>,
    shown: Option<Shown>,
    seq: u64,
    pending: bool,
    calls: Vec<Answer>,
    /// Answers received for this token so far.
    answers: u64,
    calls_pending: usize,
    /// The token workbench.
    workbench: workbench::Workbench,
    /// The decryption keys chosen for the JWE on screen (none chosen: the profile's, else
    /// every stored encryption key).
    decrypt_with: Option<std::collections::BTreeSet<String>>,
    /// "Probe this API" was clicked: the app gets the request on this frame.
    probe_asked: bool,
    /// "Log out…" for an ID token (RP-initiated logout).
    logout: logout::LogoutPart,
    /// "Logout listener…" was clicked: the app opens the window on this frame.
    listener_asked: bool,
}

impl InspectorScreen {
    /// The token workbench (tests read its result).
    pub fn workbench(&self) -> &workbench::Workbench {
        &self.workbench
    }

    /// The logout part (tests read its URL and outcome).
    pub fn logout(&self) -> &logout::LogoutPart {
        &self.logout
    }

    /// The current report, if any.
    pub fn inspection(&self) -> Option<&Inspection> {
        self.shown.as_ref().map(|s| &s.inspection)
    }

    /// Whether an inspection is running.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// For a JWE on screen: the decryption keys stored and tried.
    pub fn jwe_keys(&self) -> Option<&jwe_view::JweKeys> {
        self.shown.as_ref().and_then(|s| s.jwe_keys.as_ref())
    }

    /// For an SD-JWT on screen: the presentation the ticks make and the claims a verifier
    /// gets from it.
    pub fn presentation(&self) -> Option<(&str, &Value)> {
        let v = self.shown.as_ref()?.sd.as_ref()?.verifier();
        Some((v.presentation.as_str(), v.claims.value()))
    }

    /// For an SD-JWT on screen: the marked (disclosed) rows of the verifier's claims tree, as
    /// last drawn.
    pub fn disclosed_rows(&self) -> Vec<String> {
        self.shown
            .as_ref()
            .and_then(|s| s.sd.as_ref())
            .map(|sd| sd.verifier().claims.drawn_marked_keys())
            .unwrap_or_default()
    }

    /// For an SD-JWT on screen: how long computing the verifier's view took last (ms).
    pub fn presentation_took_ms(&self) -> Option<f64> {
        Some(self.shown.as_ref()?.sd.as_ref()?.verifier().took_ms)
    }

    /// The profile server calls on the inspected token use: its flow's, else the profile the
    /// user chose to verify it against (while it is the active one); none for a pasted token
    /// until the user chooses.
    pub fn client_profile<'a>(&'a self, active: Option<&'a Profile>) -> Option<&'a Profile> {
        match &self.origin {
            Some((token, p)) if token == self.input.trim() => Some(p),
            _ => match &self.with {
                VerifyWith::Profile(name) => active.filter(|p| &p.name == name),
                _ => None,
            },
        }
    }

    /// How the token is verified.
    pub fn verify_with(&self) -> &VerifyWith {
        &self.with
    }

    /// Whether the token on screen is an ID token (the flow said so, the form says so, or its
    /// claims carry what only ID tokens carry).
    pub fn is_id_token(&self) -> bool {
        match self.verify.kind {
            TokenKind::Id => true,
            TokenKind::Access | TokenKind::Logout => false,
            TokenKind::Unknown => self.shown.as_ref().is_some_and(|s| {
                ["nonce", "at_hash", "c_hash", "auth_time"]
                    .iter()
                    .any(|c| s.inspection.claims.get(c).is_some())
            }),
        }
    }

    /// Whether the token on screen is a back-channel logout token (the form says so, or it
    /// carries the back-channel logout event).
    pub fn is_logout_token(&self) -> bool {
        match self.verify.kind {
            TokenKind::Logout => true,
            TokenKind::Id | TokenKind::Access => false,
            TokenKind::Unknown => self.shown.as_ref().is_some_and(|s| {
                s.inspection
                    .claims
                    .get("events")
                    .and_then(|e| e.get(grantscope_core::token::claims::BACKCHANNEL_LOGOUT_EVENT))
                    .is_some()
            }),
        }
    }

    /// Where server calls on this token go, or why there is nowhere to send them.
    pub fn call_target<'a>(&'a self, active: Option<&'a Profile>) -> Result<&'a Profile, String> {
        if self.is_logout_token() {
            return Err(
                "a logout token is the provider's message to the client (Back-Channel Logout \
                 1.0 §2.4): no server takes it as an access token"
                    .to_owned(),
            );
        }
        if self.is_id_token() {
            return Err(
                "an ID token is for the client: introspection, revocation and userinfo \
                        take access (and refresh) tokens (RFC 7662, RFC 7009, OIDC Core §5.3)"
                    .to_owned(),
            );
        }
        if let Some(p) = self.client_profile(active) {
            return Ok(p);
        }
        Err(match active {
            Some(p) => format!(
                "a pasted token goes to no server until you choose one: \"Against profile {}\" \
                 above sends it to that profile's server",
                p.name
            ),
            None => "needs an active profile (Profiles screen)".to_owned(),
        })
    }

    /// Chooses how to verify the token and checks it again.
    pub fn choose(
        &mut self,
        with: VerifyWith,
        jobs: &Jobs<InspectorMsg>,
        active: Option<&Profile>,
    ) {
        if with == self.with {
            return;
        }
        self.open_form = with == VerifyWith::Form;
        self.with = with;
        // Server answers were for the old choice's server.
        self.token_gen += 1;
        self.calls.clear();
        self.server = ServerSays::default();
        if !self.input.trim().is_empty() {
            self.inspect(jobs, active);
        }
    }

    /// The Watch panel (tests read its rows and report).
    pub fn watch(&self) -> &WatchPanel {
        &self.watch
    }

    /// The Auto-refresh panel (tests read its log).
    pub fn keeper(&self) -> &KeeperPanel {
        &self.keeper
    }

    /// Why the keys could not be loaded for the report on screen, if so.
    pub fn key_error(&self) -> Option<&str> {
        self.shown.as_ref().and_then(|s| s.key_error.as_deref())
    }

    /// Runs the clock-dependent checks (`exp`, `nbf`, `iat`) again when the clock has moved
    /// since they last ran, so the checklist says what the headline, countdown and lifetime
    /// bar say.
    fn retime(&mut self, now: i64) {
        if let Some(s) = self.shown.as_mut()
            && s.retimed_at != now
        {
            s.inspection.retime(&s.options, now);
            s.retimed_at = now;
        }
    }

    /// The server no longer takes the token: when it said so (if known) and how.
    fn stopped(&self) -> Option<(Option<i64>, &'static str)> {
        if let Some(at) = self.server.revoked_at {
            Some((Some(at), "revoked"))
        } else if self.watch.rejected() {
            Some((None, "rejected"))
        } else {
            self.server.inactive_at.map(|at| (Some(at), "inactive"))
        }
    }

    /// When the screen next changes by itself (unix seconds): each second while the countdown
    /// runs, else the next instant a time check changes its verdict (`exp`, `exp` + leeway,
    /// `nbf`, ...); `None` when nothing on screen will change with time (idle means idle).
    pub fn next_wake(&self, now: i64) -> Option<i64> {
        let shown = self.shown.as_ref()?;
        let exp = self.lifetime().expires_at;
        // Each second while the token lives, and once more just after its last second, so that
        // nothing is left saying "expires now"; after that only at the next boundary a check
        // changes (the texts carry the time they were computed at).
        let ticking = self
            .stopped()
            .is_none()
            .then_some(exp)
            .flatten()
            .filter(|e| *e >= now)
            .map(|e| headline::expiry_wake(e, now));
        if ticking == Some(now + 1) {
            return ticking;
        }
        let boundary = shown.inspection.next_time_boundary(&shown.options, now);
        let boundary = match (boundary, ticking) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let outside = self.known_exp.filter(|e| *e > now);
        match (boundary, outside) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The verdict line as shown now.
    pub fn headline(&self, now: i64) -> Option<Headline> {
        let text = self.input.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(why) = plainly_not_a_token(text) {
            return Some(Headline {
                text: "NOT A TOKEN",
                status: "fail",
                detail: why,
            });
        }
        let shown = self.shown.as_ref()?;
        // The checks as they stand at `now` (the screen re-runs them each second it is drawn).
        let ins = if shown.retimed_at == now {
            std::borrow::Cow::Borrowed(&shown.inspection)
        } else {
            let mut ins = shown.inspection.clone();
            ins.retime(&shown.options, now);
            std::borrow::Cow::Owned(ins)
        };
        let h = headline(
            &ins,
            &self.server,
            self.watch.rejected(),
            self.known_exp,
            shown.key_error.is_some(),
            now,
        );
        // Judged on its own: not a verdict on the signature, which nobody asked for yet.
        if self.with == VerifyWith::OnItsOwn && h.text == "OPAQUE" {
            return Some(Headline {
                detail: "only its server can judge it: choose its profile (Verify: above), then \
                         Introspect"
                    .to_owned(),
                ..h
            });
        }
        if self.with == VerifyWith::OnItsOwn && h.text == "UNVERIFIABLE" {
            return Some(Headline {
                text: "UNVERIFIED",
                status: "info",
                detail: "decoded and judged on its own (format, times, structure); choose how \
                         to verify its signature"
                    .to_owned(),
            });
        }
        Some(h)
    }

    /// Forgets everything about the last token: its report, the server's answers, the watch
    /// and auto-refresh logs.
    fn forget(&mut self) {
        self.token_gen += 1;
        self.shown = None;
        self.decrypt_with = None;
        self.calls.clear();
        self.server = ServerSays::default();
        self.known_exp = None;
        self.known_iat = None;
        self.watch.clear();
        self.keeper.clear();
        self.logout.reset();
    }

    /// Inspects a token pasted or dropped, on its own (no key, no server) until the user
    /// chooses how to verify it; nothing from an earlier token stays on screen.
    pub fn set_token(
        &mut self,
        token: String,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
    ) {
        self.forget();
        self.refresh_token = None;
        self.origin = None;
        // A token from elsewhere is judged on its own until the user says how to verify it:
        // nothing of the active profile or of the last token is assumed.
        self.verify = VerifyForm::default();
        self.with = VerifyWith::OnItsOwn;
        self.input = token.trim().to_owned();
        self.inspect(jobs, profile);
    }

    /// Inspects a logout token (from the Logout listener) as a logout token, verified with
    /// `profile`'s keys and issuer and its client id as the audience.
    pub fn set_logout_token(
        &mut self,
        token: String,
        jobs: &Jobs<InspectorMsg>,
        profile: &Profile,
    ) {
        self.forget();
        self.refresh_token = None;
        self.origin = None;
        self.verify = VerifyForm {
            kind: TokenKind::Logout,
            audience: profile.client_id.clone(),
            ..VerifyForm::default()
        };
        self.with = VerifyWith::Profile(profile.name.clone());
        self.input = token.trim().to_owned();
        self.inspect(jobs, Some(profile));
    }

    /// Inspects a token a flow obtained, with everything the flow knows about it.
    pub fn set_from_flow(&mut self, req: InspectRequest, jobs: &Jobs<InspectorMsg>) {
        self.forget();
        let o = &req.options;
        self.verify = VerifyForm {
            jwks: req.jwks_uri.clone().unwrap_or_default(),
            secret: req.hs_secret.clone().unwrap_or_default(),
            issuer: o.issuer.clone().unwrap_or_default(),
            audience: o.audience.clone().unwrap_or_default(),
            nonce: o.nonce.clone().unwrap_or_default(),
            kind: o.kind,
            access_token: o.access_token.clone().map(AccessToken::new),
            code: o.code.clone().map(AuthorizationCode::new),
            lenient_typ: !o.strict_typ,
            dpop: req.dpop.clone(),
        };
        self.input = req.token.trim().to_owned();
        self.known_exp = req.expires_at;
        self.refresh_token = req.refresh_token.clone();
        self.origin = Some((self.input.clone(), req.profile.clone()));
        self.flow_extras = (req.id_token.clone(), req.dpop_key.clone());
        self.with = VerifyWith::Flow;
        self.inspect(jobs, Some(&req.profile));
    }

    /// Starts an inspection of the current input, verified as chosen ([`VerifyWith`]);
    /// `active` is the active profile (a flow's token uses the flow's own).
    pub fn inspect(&mut self, jobs: &Jobs<InspectorMsg>, active: Option<&Profile>) {
        self.seq += 1;
        self.pending = true;
        self.inspected = self.input.trim().to_owned();
        let seq = self.seq;
        let token = self.inspected.clone();
        let mut form = self.verify.clone();
        let origin = match &self.origin {
            Some((t, p)) if *t == self.inspected => Some(p.clone()),
            _ => None,
        };
        // Where the keys come from: none, the chosen profile's, the form's, the flow's.
        let key_profile = match &self.with {
            VerifyWith::OnItsOwn => {
                // Format, times and structure only: no keys, and no issuer or audience to hold
                // it to (those come with a choice of how to verify).
                form.jwks.clear();
                form.secret = ClientSecret::default();
                form.issuer.clear();
                form.audience.clear();
                form.nonce.clear();
                None
            }
            VerifyWith::Profile(name) => match active.filter(|p| &p.name == name) {
                Some(p) => {
                    form.jwks = p.jwks_uri.clone().unwrap_or_default();
                    form.secret = ClientSecret::default();
                    form.issuer = p.issuer.clone().unwrap_or_default();
                    Some(p.clone())
                }
                None => {
                    form.jwks.clear();
                    form.secret = ClientSecret::default();
                    None
                }
            },
            VerifyWith::Form => Some(Profile::new("inspector")),
            VerifyWith::Flow => origin.clone().or_else(|| Some(Profile::new("inspector"))),
        };
        // A JWE's decryption keys: those chosen, else the profile's.
        let key_choice = jwe_view::KeyChoice {
            chosen: self.decrypt_with.clone(),
            profile: key_profile
                .as_ref()
                .map(|p| p.decryption_keys.clone())
                .unwrap_or_default(),
        };
        let store = jobs.keys().clone();
        // No key given but an issuer is known: find its JWKS by discovery.
        let discover = match key_profile {
            Some(mut p) if form.jwks.trim().is_empty() && form.secret.expose().is_empty() => {
                if p.issuer.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    p.issuer = non_empty(&form.issuer);
                }
                p.issuer
                    .is_some()
                    .then(|| connect::prepare(&p, jobs.keys()).ok())
                    .flatten()
            }
            _ => None,
        };
        let http = origin
            .as_ref()
            .or(active)
            .and_then(|p| p.http.to_options(jobs.keys()).ok())
            .unwrap_or_default();
        let sink = jobs.sink();
        jobs.spawn(async move {
            let mut source = key_source(&form);
            if let Some(prepared) = discover
                && let Ok(Connection { config, .. }) = prepared
                    .connect(&[EndpointKind::Jwks], Some(history_observer(&sink)))
                    .await
                && let Some(j) = config.endpoints.jwks_uri
            {
                source = KeySource::JwksUrl(j);
            }
            let opts = inspect_options(&form);
            let now = timefmt::now_unix();
            let mut jwe_keys = None;
            let (inspection, key_error) = match HttpClient::new(&http) {
                Ok(c) => {
                    let (r, keys) = jwe_view::inspect_opening(
                        &token,
                        &source,
                        &c,
                        &opts,
                        now,
                        &store,
                        &key_choice,
                    )
                    .await;
                    jwe_keys = keys;
                    for ex in r.exchanges {
                        sink.send(InspectorMsg::Exchange(Box::new(ex)));
                    }
                    let mut inspection = r.inspection;
                    if let Some((token_type, jkt)) = &form.dpop {
                        grantscope_core::oauth::received::dpop_checks(
                            &mut inspection,
                            token_type.as_deref(),
                            jkt,
                        );
                    }
                    (inspection, r.key_error.map(|e| e.to_string()))
                }
                Err(e) => (
                    grantscope_core::token::inspect_with_keys(
                        &token,
                        &Default::default(),
                        &opts,
                        now,
                    ),
                    Some(e.to_string()),
                ),
            };
            InspectorMsg::Inspected {
                seq,
                inspection: Box::new(inspection),
                key_error,
                checked_at: now,
                options: Box::new(opts),
                jwe_keys,
            }
        });
    }

    /// Handles a finished job; returns what the app should do (record the exchanges in the
    /// history, follow a rotated refresh token).
    pub fn on_message(&mut self, msg: InspectorMsg) -> Vec<InspectorCommand> {
        let exchanges = self.handle_message(msg);
        let mut commands = Vec::new();
        if !exchanges.is_empty() {
            commands.push(InspectorCommand::Record(exchanges));
        }
        if let Some((old, new)) = self.rotated.take() {
            commands.push(InspectorCommand::Rotated { old, new });
        }
        commands
    }

    fn handle_message(&mut self, msg: InspectorMsg) -> Vec<Exchange> {
        match msg {
            InspectorMsg::Inspected {
                seq,
                inspection,
                key_error,
                checked_at,
                options,
                jwe_keys,
            } => {
                if seq == self.seq {
                    self.pending = false;
                    // The claims search stays as typed when the token is checked again.
                    let search = self
                        .shown
                        .as_ref()
                        .map(|s| s.claims.filter().to_owned())
                        .unwrap_or_default();
                    let mut claims = JsonTree::new(inspection.shown_claims())
                        .with_names(grantscope_core::token::names::claim);
                    claims.set_filter(&search);
                    let jwe = jwe_view::JweView::new(&inspection);
                    let sd =
                        sd_view::SdView::new(&self.inspected, &inspection, &options, checked_at);
                    self.shown = Some(Shown {
                        jwe,
                        jwe_keys,
                        sd,
                        // What a token carries is shown inert: controls, escapes and bidi
                        // overrides escaped (`\u{1b}`), in keys and values alike. Registered
                        // names say what they mean on hover.
                        header: JsonTree::new(inspection.shown_header())
                            .with_names(grantscope_core::token::names::header_param),
                        claims,
                        inspection: *inspection,
                        key_error,
                        checked_at,
                        options: *options,
                        retimed_at: checked_at,
                    });
                }
            }
            InspectorMsg::ServerCall {
                token_gen,
                what,
                result,
            } => {
                self.calls_pending = self.calls_pending.saturating_sub(1);
                if token_gen != self.token_gen {
                    return Vec::new();
                }
                let at = timefmt::now_unix();
                self.answers += 1;
                let no = self.answers;
                if let Ok(answer) = &result {
                    match what {
                        Call::Revoke => {
                            self.server.revoked_at = Some(at);
                            self.server.revoked_no = Some(no);
                        }
                        Call::Introspect => {
                            self.server.introspection = answer.introspection.clone();
                            self.server.introspection_claims =
                                answer.introspection.as_ref().map(|v| {
                                    JsonTree::new(grantscope_core::text::inert_json(v))
                                        .with_names(grantscope_core::token::names::claim)
                                });
                            let active = answer
                                .introspection
                                .as_ref()
                                .and_then(|v| v.get("active"))
                                .and_then(Value::as_bool);
                            self.server.inactive_at = (active == Some(false)).then_some(at);
                            if let Some(exp) = answer
                                .introspection
                                .as_ref()
                                .and_then(|v| v.get("exp"))
                                .and_then(Value::as_i64)
                            {
                                self.known_exp = Some(exp);
                            }
                            if let Some(iat) = answer
                                .introspection
                                .as_ref()
                                .and_then(|v| v.get("iat"))
                                .and_then(Value::as_i64)
                            {
                                self.known_iat = Some(iat);
                            }
                        }
                        Call::Userinfo => {}
                    }
                }
                // One answer per call: the newest replaces the last.
                self.calls.retain(|a| a.what != what);
                self.calls.push(Answer {
                    what,
                    at,
                    no,
                    result: result.map(|a| a.text),
                });
            }
            InspectorMsg::Exchange(ex) => return vec![*ex],
            InspectorMsg::Lifecycle(msg) => return self.on_lifecycle(msg),
            InspectorMsg::Forged(forged) => self.workbench.on_forged(forged),
            InspectorMsg::Logout(m) => self.logout.on_message(m),
        }
        Vec::new()
    }

    fn on_lifecycle(&mut self, msg: LifecycleMsg) -> Vec<Exchange> {
        match msg {
            LifecycleMsg::Exchange(ex) => return vec![*ex],
            LifecycleMsg::WatchSample {
                run,
                sample,
                revoked_at_ms,
            } => {
                // What the watch learns is what the server said: a revocation it made, or
                // the first rejection, stops the countdown and marks earlier answers as the
                // Revoke button and an inactive introspection do.
                let at = |ms: u64| i64::try_from(ms / 1000).unwrap_or(i64::MAX);
                let rejected_at = (!sample.accepted).then(|| at(sample.at_ms));
                if self.watch.on_sample(run, sample, revoked_at_ms) {
                    if let Some(ms) = revoked_at_ms
                        && self.server.revoked_at.is_none()
                    {
                        self.answers += 1;
                        self.server.revoked_at = Some(at(ms));
                        self.server.revoked_no = Some(self.answers);
                    }
                    if let Some(t) = rejected_at
                        && self.server.inactive_at.is_none()
                    {
                        self.server.inactive_at = Some(t);
                    }
                }
            }
            LifecycleMsg::WatchDone { run, result } => self.watch.on_done(run, result),
            LifecycleMsg::KeeperDue { run, due_at } => self.keeper.on_due(run, due_at),
            LifecycleMsg::Refreshed { run, entry, tokens } => {
                if let Some(t) = self.keeper.on_refreshed(run, entry, *tokens, &self.input) {
                    if let Some((token, _)) = self
                        .origin
                        .as_mut()
                        .filter(|(token, _)| token == self.input.trim())
                    {
                        *token = t.access_token.expose().to_owned();
                    }
                    // A new access token: the old one's report and server answers go; the
                    // auto-refresh log stays (it is about the token set).
                    self.token_gen += 1;
                    self.calls.clear();
                    self.server = ServerSays::default();
                    self.watch.clear();
                    self.known_exp = t
                        .expires_in
                        .filter(|e| e.is_finite() && *e > 0.0)
                        .map(|e| timefmt::now_unix().saturating_add(e.min(1e12) as i64));
                    self.input = t.access_token.into_exposed();
                    if let (Some(old), Some(new)) = (self.refresh_token.clone(), t.refresh_token) {
                        if old != new {
                            self.rotated = Some((old, new.clone()));
                        }
                        self.refresh_token = Some(new);
                    }
                    self.reinspect = true;
                }
            }
            LifecycleMsg::KeeperStopped { run, error } => self.keeper.on_stopped(run, error),
        }
        Vec::new()
    }

    /// Starts or stops a lifecycle job for the inspected token.
    fn lifecycle_command(
        &mut self,
        cmd: LifecycleCommand,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
    ) {
        let lifetime = self.lifetime();
        let token = self.input.trim().to_owned();
        let jobs = jobs.map(InspectorMsg::Lifecycle);
        match cmd {
            LifecycleCommand::StartWatch => {
                if let Some(p) = profile {
                    self.watch.start(&jobs, p, token, lifetime.expires_at);
                }
            }
            LifecycleCommand::StopWatch => self.watch.stop(),
            LifecycleCommand::StartKeeper => {
                if let (Some(p), Some(rt)) = (profile, self.refresh_token.clone()) {
                    self.keeper
                        .start(&jobs, p, token, rt.into_exposed(), &lifetime);
                }
            }
            LifecycleCommand::StopKeeper => self.keeper.stop(),
        }
    }

    /// The token's lifetime: its own claims, else what the server said (`expires_in`,
    /// introspection's `exp`/`iat`).
    fn lifetime(&self) -> Lifetime {
        let own = self
            .shown
            .as_ref()
            .map(|s| s.inspection.lifetime())
            .unwrap_or(Lifetime {
                issued_at: None,
                not_before: None,
                expires_at: None,
            });
        if own.expires_at.is_some() {
            return own;
        }
        // The last introspection that said when it was issued (a later `active: false` does
        // not say, and the bar must not vanish with it).
        let iat = self.known_iat;
        Lifetime {
            issued_at: own.issued_at.or(iat),
            not_before: own.not_before,
            expires_at: self.known_exp,
        }
    }

    fn lifecycle_ui(
        &mut self,
        ui: &mut egui::Ui,
        profile: Option<&Profile>,
        now: i64,
    ) -> Option<LifecycleCommand> {
        let mut cmd = None;
        ui.heading("Lifecycle");
        ui.label(egui::RichText::new("Watch").strong());
        let why_not = self.call_target(profile).err();
        cmd = cmd.or(self.watch.ui(ui, why_not.as_deref()));
        ui.separator();
        let keeper_disabled = if self.refresh_token.is_none() {
            Some(
                "No refresh token came with this token: run a grant that returns one \
                 (authorization code with offline_access, device) and inspect its token",
            )
        } else if self.client_profile(profile).is_none() {
            Some("Needs an active profile (Profiles screen)")
        } else {
            None
        };
        cmd = cmd.or(self.keeper.ui(ui, keeper_disabled, now));
        cmd
    }

    fn server_call(&mut self, what: Call, jobs: &Jobs<InspectorMsg>, profile: &Profile) {
        let prepared = match connect::prepare(profile, jobs.keys()) {
            Ok(c) => c,
            Err(e) => {
                self.calls.retain(|a| a.what != what);
                self.answers += 1;
                self.calls.push(Answer {
                    what,
                    at: timefmt::now_unix(),
                    no: self.answers,
                    result: Err(connect::describe(&e)),
                });
                return;
            }
        };
        let token = self.input.trim().to_owned();
        let token_gen = self.token_gen;
        self.calls_pending += 1;
        let sink = jobs.sink();
        jobs.spawn(async move {
            let result = server_call(what, prepared, token, &sink).await;
            InspectorMsg::ServerCall {
                token_gen,
                what,
                result,
            }
        });
    }
}

pub use headline::{clock, countdown, plainly_not_a_token};

/// The checks a form asks for.
fn inspect_options(form: &VerifyForm) -> InspectOptions {
    InspectOptions {
        issuer: non_empty(&form.issuer),
        audience: non_empty(&form.audience),
        nonce: non_empty(&form.nonce),
        access_token: form.access_token.as_ref().map(|t| t.expose().to_owned()),
        code: form.code.as_ref().map(|c| c.expose().to_owned()),
        kind: form.kind,
        strict_typ: !form.lenient_typ,
        ..InspectOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_formats() {
        assert_eq!(countdown(59), "0:59");
        assert_eq!(countdown(3599), "59:59");
        assert_eq!(countdown(3600), "1:00:00");
        assert_eq!(countdown(-5), "0:00");
    }
}
