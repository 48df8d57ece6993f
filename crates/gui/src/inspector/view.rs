//! The inspector's screen: the headline that never scrolls away, the token box, the verification
//! form, the server calls with their answers under their buttons, the lifetime bar, the
//! checklist (with the token workbench under it), the header and claims as JSON trees, and the
//! lifecycle lab.

use super::*;

impl InspectorScreen {
    /// Draws the screen. `now` is the frame's clock (unix seconds). Returns the refresh request
    /// when "Refresh" was clicked (the app runs the refresh grant in the flow runner), or the
    /// workbench's token to send through the flow runner's "Call an API".
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
        now: i64,
    ) -> Option<InspectorCommand> {
        // Where server calls on this token go (its flow's client, or the profile the user chose),
        // or why nowhere yet.
        let target = self.call_target(profile).cloned();
        let server = target.as_ref().ok();
        if std::mem::take(&mut self.reinspect) {
            self.inspect(jobs, profile);
        }
        self.retime(now);
        egui::Panel::top("inspector_input").show(ui, |ui| {
            self.input_ui(ui, jobs, profile, now);
        });
        if self.shown.is_none() {
            egui::CentralPanel::default().show(ui, |ui| {
                if self.pending {
                    ui.spinner();
                } else if self.input.trim().is_empty() {
                    ui.label(
                        "Paste a token (Ctrl+V anywhere), drop a file on the window, or inspect a \
                         token from the flow runner.",
                    );
                }
            });
            return None;
        }
        let mut call = None;
        let mut lifecycle = None;
        let mut refresh = false;
        let width = layout::width_of(ui);
        let total = ui.available_width();
        let mut inspect_this = None;
        let mut send_this = None;
        let mut checks = |this: &mut Self, ui: &mut egui::Ui| {
            let (c, r) = this.checks_ui(ui, now, &target);
            call = call.or(c);
            refresh |= r;
            ui.separator();
            if this.is_id_token() {
                // The logout goes to the token's client: its flow's profile, else the active one.
                let client = this.client_profile(profile).or(profile).cloned();
                let token = this.inspected.clone();
                if let Some(logout::LogoutAction::OpenListener) =
                    this.logout.ui(ui, &token, client.as_ref(), jobs)
                {
                    this.listener_asked = true;
                }
                ui.separator();
            }
            let token = this.inspected.clone();
            match this.workbench.ui(ui, &token, jobs) {
                Some(workbench::WorkbenchAction::Inspect(t)) => inspect_this = Some(t),
                Some(workbench::WorkbenchAction::Call { token, name }) => {
                    send_this = Some((token, name));
                }
                None => {}
            }
        };
        match width {
            Width::Narrow => {
                egui::CentralPanel::default().show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("inspector_all")
                        .show(ui, |ui| {
                            checks(self, ui);
                            ui.separator();
                            // The page scrolls: the claims get most of a screen's height (a
                            // box of 2-3 claims at 1024x768 / 150 % before).
                            let tall = (ui.ctx().content_rect().height() * 0.8).max(320.0);
                            self.claims_ui(ui, now, tall);
                            ui.separator();
                            lifecycle = self.lifecycle_ui(ui, profile, now);
                        });
                });
            }
            Width::Medium | Width::Wide => {
                egui::Panel::left("inspector_checks")
                    .resizable(true)
                    .default_size(total * if width == Width::Wide { 0.32 } else { 0.46 })
                    .min_size(260.0)
                    .max_size(total * 0.6)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("checks_scroll")
                            .show(ui, |ui| {
                                checks(self, ui);
                                if width == Width::Medium {
                                    ui.separator();
                                    lifecycle = self.lifecycle_ui(ui, profile, now);
                                }
                            });
                    });
                if width == Width::Wide {
                    egui::Panel::right("inspector_lifecycle")
                        .resizable(true)
                        .default_size(total * 0.3)
                        .min_size(260.0)
                        .max_size(total * 0.45)
                        .show(ui, |ui| {
                            egui::ScrollArea::vertical()
                                .id_salt("lifecycle_scroll")
                                .show(ui, |ui| {
                                    lifecycle = self.lifecycle_ui(ui, profile, now);
                                });
                        });
                }
                egui::CentralPanel::default().show(ui, |ui| {
                    let h = ui.available_height();
                    let layered = self
                        .shown
                        .as_ref()
                        .is_some_and(|s| s.sd.is_some() || s.jwe.is_some());
                    if layered {
                        // An SD-JWT's or a JWE's parts run past one screen: the column
                        // scrolls as a whole (each part's box keeps its own scroll).
                        egui::ScrollArea::vertical()
                            .id_salt("inspector_middle")
                            .show(ui, |ui| self.claims_ui(ui, now, h));
                    } else {
                        self.claims_ui(ui, now, h);
                    }
                });
            }
        }
        if let Some(token) = inspect_this {
            self.set_token(token, jobs, profile);
        }
        if let Some(cmd) = lifecycle {
            self.lifecycle_command(cmd, jobs, server);
        }
        if let (Some(what), Some(p)) = (call, server) {
            self.server_call(what, jobs, p);
        }
        // The countdown: one repaint a second while this screen is drawn and the token has
        // under two days left (further out, when its days go down);
        // else one at the next instant a time check changes; else none (idle means idle).
        if let Some(at) = self.next_wake(now) {
            let secs = u64::try_from(at.saturating_sub(now)).unwrap_or(1).max(1);
            ui.ctx().request_repaint_after(Duration::from_secs(secs));
        }
        if let Some((token, name)) = send_this {
            return Some(InspectorCommand::CallApi {
                token: AccessToken::new(token),
                name,
            });
        }
        if std::mem::take(&mut self.listener_asked) {
            return Some(InspectorCommand::OpenLogoutListener);
        }
        if std::mem::take(&mut self.probe_asked) {
            // The button is off (saying why) whenever there is no request to make.
            if let Ok(req) = self.probe_request(profile, now) {
                return Some(InspectorCommand::ProbeApi(Box::new(req)));
            }
        }
        refresh.then(|| InspectorCommand::Refresh(self.refresh_token.clone()))
    }

    fn claims_ui(&mut self, ui: &mut egui::Ui, now: i64, height: f32) {
        // An opaque token has no header or claims: what the server said of it instead.
        if self
            .shown
            .as_ref()
            .is_some_and(|s| s.inspection.format == TokenFormat::Opaque)
        {
            ui.label(egui::RichText::new("Opaque token").strong());
            ui.label(
                "It carries no header or claims a client can read: what it stands for is known \
                 to the server that issued it. Introspect asks it.",
            );
            if let Some(tree) = self.server.introspection_claims.as_mut() {
                // Its members as claims, names explained (the raw answer is under Introspect).
                ui.label(egui::RichText::new("Claims, as introspection gave them").strong());
                tree.ui(ui, "opaque_introspection", now, (height - 80.0).max(120.0));
            }
            return;
        }
        let Some(shown) = self.shown.as_mut() else {
            return;
        };
        // An SD-JWT: the issuer-signed JWT, the Disclosures, what the verifier sees.
        if let Some(sd) = shown.sd.as_mut() {
            sd.ui(ui, now, height);
            return;
        }
        // A JWE: the envelope, then the token inside (whose claims are the tree below).
        if let Some(layers) = shown.jwe.as_mut() {
            let choice = jwe_view::KeyChoice {
                chosen: self.decrypt_with.clone(),
                profile: Vec::new(),
            };
            let picked = layers.ui(
                ui,
                &shown.inspection,
                shown.jwe_keys.as_ref(),
                &choice,
                now,
                height,
            );
            if let Some(keys) = picked {
                self.decrypt_with = Some(keys);
                self.reinspect = true;
                ui.ctx().request_repaint();
            }
            if shown.inspection.claims.is_null() {
                return;
            }
        } else {
            ui.label(egui::RichText::new("Header").strong());
            shown
                .header
                .ui(ui, "inspector_header", now, (height * 0.25).max(80.0));
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Claims").strong());
            let mut q = shown.claims.filter().to_owned();
            let r = ui.add(
                egui::TextEdit::singleline(&mut q)
                    .hint_text("search names, values, meanings")
                    .desired_width(220.0),
            );
            let r = r.accessible_name("Search claims");
            if r.changed() {
                shown.claims.set_filter(&q);
            }
            if !q.is_empty() && ui.small_button("Clear search").clicked() {
                shown.claims.set_filter("");
            }
        });
        ui.label(egui::RichText::new("Hover a registered name for what it means.").weak());
        let left = (ui.available_height() - 8.0).max(height * 0.5).max(120.0);
        if !shown.claims.filter().trim().is_empty() && shown.claims.visible_rows() == 0 {
            ui.label(format!(
                "No claim matches \"{}\" (names, values and meanings were searched).",
                grantscope_core::text::inert(shown.claims.filter().trim())
            ));
        }
        shown.claims.ui(ui, "inspector_claims", now, left);
    }

    /// The headline, the token box and Inspect / Clear: always on screen.
    fn input_ui(
        &mut self,
        ui: &mut egui::Ui,
        jobs: &Jobs<InspectorMsg>,
        profile: Option<&Profile>,
        now: i64,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Token inspector");
            if self.pending {
                ui.spinner();
            }
            if let Some(h) = self.headline(now) {
                ui.separator();
                let color = status_color(ui.visuals(), h.status);
                ui.label(egui::RichText::new(h.text).heading().strong().color(color));
                ui.label(egui::RichText::new(grantscope_core::text::inert(&h.detail)).color(color));
            }
            if let Some(exp) = self.lifetime().expires_at {
                ui.separator();
                match self.stopped() {
                    // The server stopped taking it: no countdown to an end already reached.
                    Some((_, how)) if exp > now => {
                        ui.label(
                            egui::RichText::new(format!(
                                "exp {}: moot, the token is {how}",
                                clock(exp)
                            ))
                            .weak(),
                        );
                    }
                    _ if exp <= now => {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            timefmt::expiry_phrase(exp, now),
                        );
                    }
                    _ => {
                        ui.colored_label(
                            ui.visuals().strong_text_color(),
                            timefmt::expiry_phrase(exp, now),
                        );
                        if exp - now <= headline::COUNTDOWN_FROM {
                            ui.label(
                                egui::RichText::new(countdown(exp - now))
                                    .monospace()
                                    .strong(),
                            );
                        }
                    }
                }
            }
            // A running watch shows at the top too, with its way out (at 1024x768 / 150 % its
            // panel is far down the page).
            if self.watch.running() {
                ui.separator();
                ui.label(egui::RichText::new("Watch running (Lifecycle below)").strong());
                if ui.small_button("Stop the watch").clicked() {
                    self.watch.stop();
                }
            }
        });
        // The editable line clips the text (its height never grows); under it the whole token
        // in the jwt.io colours, wrapped, in a box of capped height that scrolls.
        let colors = JwtColors::for_visuals(ui.visuals());
        let mut enter = false;
        let long = self.input.len() > MAX_EDITABLE;
        let edited = ui
            .horizontal(|ui| {
                let l = ui.label("Token");
                if long {
                    // An edit line would lay out every character each frame.
                    ui.label(
                        egui::RichText::new(format!(
                            "{} characters: too long to edit here; paste another (Ctrl+V \
                             anywhere) or Clear",
                            self.input.len()
                        ))
                        .weak(),
                    );
                    return false;
                }
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.input)
                            .hint_text("eyJ... (paste with Ctrl+V anywhere)")
                            .desired_width(ui.available_width())
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(l.id);
                enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                r.changed()
            })
            .inner;
        if enter && !self.input.trim().is_empty() {
            self.inspect(jobs, profile);
        }
        if !self.input.trim().is_empty() {
            egui::Frame::group(ui.style())
                .show(ui, |ui| token_view_ui(ui, self.input.trim(), &colors));
        }
        if edited {
            // The results on screen belong to the text they came from.
            let text = self.input.trim().to_owned();
            if text.is_empty() {
                self.clear();
            } else if text != self.inspected {
                let keep = self.verify.clone();
                self.forget();
                self.origin = None;
                self.refresh_token = None;
                if self.with == VerifyWith::Flow {
                    // A token typed or pasted over a flow's is not the flow's: it is judged on
                    // its own, with none of the flow's keys or expectations, until the user
                    // picks how to verify it.
                    self.with = VerifyWith::OnItsOwn;
                    self.verify = VerifyForm::default();
                } else {
                    self.verify = VerifyForm {
                        nonce: String::new(),
                        access_token: None,
                        code: None,
                        dpop: None,
                        ..keep
                    };
                }
                self.inspect(jobs, profile);
            }
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!self.input.trim().is_empty(), egui::Button::new("Inspect"))
                .on_hover_text("Check it again (keys, times, the form below)")
                .clicked()
            {
                self.inspect(jobs, profile);
            }
            if ui.button("Clear").clicked() {
                self.clear();
            }
            if !self.input.trim().is_empty() {
                copy_secret_ui(ui, "token", self.input.trim());
                ui.label(egui::RichText::new(SECRET_NOTE).weak());
            }
            let len = self.input.trim().len();
            if len > 0 {
                ui.label(egui::RichText::new(format!("{len} characters")).weak());
                // The colours' legend only where there are parts to colour (not for an opaque
                // token: it has none).
                let opaque = self
                    .shown
                    .as_ref()
                    .is_some_and(|s| s.inspection.format == TokenFormat::Opaque);
                if !opaque {
                    // The parts' names by the token's shape: a JWE has five, an SD-JWT's
                    // Disclosures follow its signature (after each ~).
                    let text = self.input.trim();
                    let (middle, last) = if text.contains('~') {
                        ("payload", "signature ~ Disclosures ~")
                    } else if text.split('.').count() == 5 {
                        (
                            "encrypted key . IV . ciphertext",
                            "authentication tag (a JWE)",
                        )
                    } else {
                        ("payload", "signature")
                    };
                    let first = if text.split('.').count() == 5 && !text.contains('~') {
                        "protected header"
                    } else {
                        "header"
                    };
                    ui.label(egui::RichText::new(first).color(colors.header));
                    ui.label(egui::RichText::new(middle).color(colors.payload));
                    ui.label(egui::RichText::new(last).color(colors.signature));
                }
            }
        });
        if !self.input.trim().is_empty() {
            let mut chosen = None;
            ui.horizontal_wrapped(|ui| {
                ui.label("Verify:");
                let mut offer = |ui: &mut egui::Ui, with: VerifyWith, label: String, hint: &str| {
                    if ui
                        .selectable_label(self.with == with, label)
                        .on_hover_text(hint)
                        .clicked()
                    {
                        chosen = Some(with);
                    }
                };
                if self.origin.is_some() {
                    offer(
                        ui,
                        VerifyWith::Flow,
                        "As the flow received it".to_owned(),
                        "Its server's keys, the issuer, nonce and client the flow knows",
                    );
                }
                offer(
                    ui,
                    VerifyWith::OnItsOwn,
                    "On its own".to_owned(),
                    "Format, times and structure only: no key, no server",
                );
                // The profile chosen before another became active: still what the report on
                // screen was verified against.
                if let VerifyWith::Profile(name) = self.with.clone()
                    && profile.is_none_or(|p| p.name != name)
                {
                    offer(
                        ui,
                        VerifyWith::Profile(name.clone()),
                        format!("Against profile {name} (no longer the active one)"),
                        "Verified with that profile's keys; its server gets no calls while \
                         another profile is active",
                    );
                }
                if let Some(p) = profile {
                    offer(
                        ui,
                        VerifyWith::Profile(p.name.clone()),
                        format!("Against profile {}", p.name),
                        "That profile's keys and issuer; server calls go to its server",
                    );
                }
                offer(
                    ui,
                    VerifyWith::Form,
                    "With a JWKS, key file or secret".to_owned(),
                    "The keys you give in the Verification form",
                );
            });
            if let Some(with) = chosen {
                self.choose(with, jobs, profile);
            }
        }
    }

    /// Clears the token and everything about it.
    pub fn clear(&mut self) {
        self.forget();
        self.refresh_token = None;
        self.origin = None;
        self.input.clear();
        self.inspected.clear();
        self.pending = false;
        self.seq += 1;
    }

    /// Verification form, server calls with their answers, lifetime, signature and checks.
    /// Returns a server call to make and whether Refresh was clicked.
    fn checks_ui(
        &mut self,
        ui: &mut egui::Ui,
        now: i64,
        target: &Result<Profile, String>,
    ) -> (Option<Call>, bool) {
        let mut run_again = false;
        let open = std::mem::take(&mut self.open_form).then_some(true);
        egui::CollapsingHeader::new("Verification")
            .default_open(false)
            .open(open)
            .show(ui, |ui| {
                run_again = verify_form_ui(ui, &mut self.verify);
            });
        if run_again {
            // Keys typed in: verify with them.
            if self.with == VerifyWith::OnItsOwn
                && (!self.verify.jwks.trim().is_empty() || !self.verify.secret.expose().is_empty())
            {
                self.with = VerifyWith::Form;
            }
            self.reinspect = true;
        }
        let Some(shown) = self.shown.as_ref() else {
            return (None, false);
        };
        let ins = &shown.inspection;
        if let Some(c) = ins
            .checks
            .iter()
            .find(|c| c.id == "decode" && c.status == CheckStatus::Fail)
        {
            ui.colored_label(
                ui.visuals().error_fg_color,
                egui::RichText::new("Not a readable token").strong(),
            );
            ui.colored_label(ui.visuals().error_fg_color, c.shown_message());
            return (None, false);
        }
        let probe_why_not = self.probe_why_not();
        let (call, refresh) = actions_ui(
            ui,
            target,
            self.calls_pending > 0,
            self.refresh_token.is_some(),
            (probe_why_not, &mut self.probe_asked),
        );
        // Each answer right under the buttons that asked for it, with when it came; an answer
        // older than what happened since is marked as earlier.
        let lt = self.lifetime();
        for a in &self.calls {
            ui.label(
                egui::RichText::new(format!("{} (at {})", a.what.answer_title(), clock(a.at)))
                    .strong(),
            );
            if let Some(note) = self.earlier_note(a, lt.expires_at, now) {
                ui.colored_label(ui.visuals().warn_fg_color, note);
            }
            match &a.result {
                Ok(t) => capped_text_ui(ui, ("call", a.what.label()), t, 180.0),
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, grantscope_core::text::inert(e));
                }
            }
        }
        ui.separator();
        if let Some(exp) = lt.expires_at {
            ui.label(format!("exp {}", timefmt::instant(exp)));
            if let Some(iat) = lt.issued_at {
                // A token the server stopped taking: the bar stops where it did.
                match self.stopped() {
                    Some((Some(at), how)) if at < exp => lifetime_bar_ui(ui, iat, exp, at, how),
                    _ => lifetime_bar_ui(ui, iat, exp, now, "now"),
                }
            }
        }
        let sig = &ins.signature;
        let sig_status = match sig.status {
            SignatureStatus::Verified => "verified",
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::Unverifiable => "unverifiable",
            _ => "skipped",
        };
        ui.horizontal_wrapped(|ui| {
            ui.label("Signature");
            badge_ui(ui, sig_status);
            if let Some(alg) = &sig.alg {
                ui.label(grantscope_core::text::inert(alg));
            }
        });
        // One error, once: the key error is in the signature's detail when the keys could not
        // be loaded, and the checklist's signature row points here.
        let not_asked = self.with == VerifyWith::OnItsOwn
            && matches!(
                sig.status,
                SignatureStatus::Skipped | SignatureStatus::Unverifiable
            )
            && ins.format == TokenFormat::Jwt;
        let detail = if not_asked {
            "not checked: choose how to verify it (Verify: above)".into()
        } else if sig.status == SignatureStatus::Skipped && sig.detail.starts_with("no key given") {
            // The core's words name command-line flags; here the form is where keys go.
            "no key given: fill in a JWKS URL or file, or an issuer to discover it from, in the \
             Verification form"
                .into()
        } else {
            sig.shown_detail()
        };
        match &shown.key_error {
            Some(e) if !sig.detail.contains(e.as_str()) => {
                ui.label(egui::RichText::new(detail).weak());
                ui.colored_label(ui.visuals().warn_fg_color, grantscope_core::text::inert(e));
            }
            Some(_) => {
                ui.colored_label(ui.visuals().warn_fg_color, detail);
            }
            None => {
                ui.label(egui::RichText::new(detail).weak());
            }
        }
        ui.separator();
        ui.label(
            egui::RichText::new(format!(
                "Checks (signature at {}, times at {})",
                clock(shown.checked_at),
                clock(shown.retimed_at)
            ))
            .strong(),
        );
        if let Some((at, how)) = self.stopped() {
            // The checks read the token; the server has the last word.
            let since = at.map(|t| format!(" at {}", clock(t))).unwrap_or_default();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("What the token itself says; the server no longer takes it ({how}{since})"),
            );
        }
        egui::Grid::new("checks")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for c in &ins.checks {
                    let status = match c.status {
                        CheckStatus::Pass => "pass",
                        CheckStatus::Fail => "fail",
                        CheckStatus::Warn => "warn",
                        CheckStatus::Info => "info",
                    };
                    badge_ui(ui, status);
                    ui.label(egui::RichText::new(&c.id).monospace());
                    let introspected = self.server.introspection.is_some();
                    if c.id == "signature" && c.message == sig.detail {
                        ui.add(egui::Label::new("as under Signature above").wrap());
                    } else if c.id == "format" && ins.format == TokenFormat::Opaque && introspected
                    {
                        // Its advice was followed: say what came of it, not "introspect it".
                        ui.add(
                            egui::Label::new(
                                "opaque token: only the server can say what it means; it was \
                                 introspected (its answer is under Introspect)",
                            )
                            .wrap(),
                        );
                    } else {
                        ui.add(egui::Label::new(c.shown_message()).wrap());
                    }
                    ui.end_row();
                }
            });
        (call, refresh)
    }
}

impl InspectorScreen {
    /// Why an answer on screen is older than what happened since (a revocation, the end of
    /// the token's lifetime), if it is.
    fn earlier_note(&self, a: &Answer, exp: Option<i64>, now: i64) -> Option<String> {
        if a.what == Call::Revoke {
            return None;
        }
        if let (Some(no), Some(at)) = (self.server.revoked_no, self.server.revoked_at)
            && a.no < no
        {
            return Some(format!(
                "answer from {}, before the revocation at {}: no longer true",
                clock(a.at),
                clock(at)
            ));
        }
        if let Some(exp) = exp.filter(|e| *e <= now && a.at < *e) {
            return Some(format!(
                "answer from {}, before the token expired at {}",
                clock(a.at),
                clock(exp)
            ));
        }
        None
    }
}

/// The verification form; returns true when Enter was pressed in a field (check again).
pub(super) fn verify_form_ui(ui: &mut egui::Ui, f: &mut VerifyForm) -> bool {
    let mut enter = false;
    let field_w = (ui.available_width() - 150.0).clamp(100.0, 320.0);
    ui.label(
        egui::RichText::new(
            "The keys and issuer here are used with \"With a JWKS, key file or secret\" (Enter \
             chooses it); audience, nonce and kind always.",
        )
        .weak(),
    );
    egui::Grid::new("verify_grid")
        .num_columns(2)
        .show(ui, |ui| {
            for (label, value, pw) in [
                ("JWKS URL or file", &mut f.jwks, false),
                ("Shared secret (HS*)", f.secret.expose_mut(), true),
                ("Expected issuer", &mut f.issuer, false),
                ("Expected audience", &mut f.audience, false),
                ("Expected nonce", &mut f.nonce, false),
            ] {
                let l = ui.label(label);
                let r = ui
                    .add(
                        egui::TextEdit::singleline(value)
                            .password(pw)
                            .desired_width(field_w),
                    )
                    .labelled_by(l.id);
                enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();
            }
            ui.label("Token kind");
            ui.horizontal_wrapped(|ui| {
                ui.selectable_value(&mut f.kind, TokenKind::Unknown, "Unknown");
                ui.selectable_value(&mut f.kind, TokenKind::Access, "Access token");
                ui.selectable_value(&mut f.kind, TokenKind::Id, "ID token");
            });
            ui.end_row();
        });
    enter
}

/// Introspect / Revoke / Userinfo / Refresh, and the server they go to (or why none). Returns
/// the call clicked and whether Refresh was.
pub(super) fn actions_ui(
    ui: &mut egui::Ui,
    target: &Result<Profile, String>,
    busy: bool,
    can_refresh: bool,
    (probe_why_not, probe): (Option<&str>, &mut bool),
) -> (Option<Call>, bool) {
    let mut call = None;
    let mut refresh = false;
    ui.horizontal_wrapped(|ui| {
        let enabled = target.is_ok() && !busy;
        let why_not = target.as_ref().err().map_or("", String::as_str);
        for what in [Call::Introspect, Call::Revoke, Call::Userinfo] {
            if ui
                .add_enabled(enabled, egui::Button::new(what.label()))
                .on_disabled_hover_text(why_not)
                .clicked()
            {
                call = Some(what);
            }
        }
        if ui
            .add_enabled(can_refresh, egui::Button::new("Refresh"))
            .on_hover_text(
                "Run the refresh grant with the newest refresh token of this token set and the \
                 scope first granted",
            )
            .on_disabled_hover_text("No refresh token came with this token")
            .clicked()
        {
            refresh = true;
        }
        if ui
            .add_enabled(probe_why_not.is_none(), egui::Button::new("Probe this API"))
            .on_hover_text(
                "Send an API forged and wrong tokens made from this one and see what it accepts \
                 (the Probes window's API mode)",
            )
            .on_disabled_hover_text(probe_why_not.unwrap_or_default())
            .clicked()
        {
            *probe = true;
        }
        if busy {
            ui.spinner();
        }
    });
    // Which server the calls go to, in words.
    match target {
        Ok(p) => {
            let server = p
                .issuer
                .clone()
                .or_else(|| p.introspection_endpoint.clone())
                .unwrap_or_default();
            ui.label(
                egui::RichText::new(format!(
                    "Server calls go to {} ({})",
                    p.name,
                    grantscope_core::text::inert(&server)
                ))
                .weak(),
            );
        }
        Err(why) => {
            ui.label(egui::RichText::new(format!("No server calls: {why}")).weak());
        }
    }
    (call, refresh)
}
