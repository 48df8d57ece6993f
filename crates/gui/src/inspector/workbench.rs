//! The token workbench (what jwt.io's encoder is used for, and what jwt_tool does by hand): the
//! inspected token's header and claims as JSON to edit (a parse error shown under its box),
//! signed again with a stored key, a secret (masked) or `none`, or kept with its old signature;
//! or any forgery of the API probes made of it. The result is copied, inspected at once, or sent
//! through the flow runner's "Call an API" in place of the run's token.
//!
//! The work (a key read from disk, a JWKS fetched, an RSA key generated) runs on the worker;
//! the frame only parses the two JSON boxes. Same core as `grantscope forge`
//! ([`grantscope_core::token::forge`]).

use serde_json::{Map, Value};

use super::InspectorMsg;
use crate::widgets::copy_secret_ui;
use crate::worker::{Jobs, Sink};
use grantscope_core::http::{HttpClient, HttpOptions};
use grantscope_core::keys::{JwsAlg, KeyStore};
use grantscope_core::secret::ClientSecret;
use grantscope_core::text::inert;
use grantscope_core::token::KeySource;
use grantscope_core::token::forge::{
    AttackId, AttackInputs, ForgeError, ForgeInput, IssuerKey, Signing, Token, attack,
};
use grantscope_core::token::jwks::load_jwks_value;

/// How the edited token is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignWith {
    /// The old signature stays (a tampered token).
    #[default]
    Keep,
    /// A stored key (or a key file).
    Key,
    /// HMAC over a secret.
    Secret,
    /// `alg: none`, no signature.
    None,
}

impl SignWith {
    const ALL: [SignWith; 4] = [
        SignWith::Keep,
        SignWith::Key,
        SignWith::Secret,
        SignWith::None,
    ];

    fn label(self) -> &'static str {
        match self {
            SignWith::Keep => "Keep the old signature",
            SignWith::Key => "Stored key",
            SignWith::Secret => "Secret",
            SignWith::None => "none",
        }
    }
}

const HS_ALGS: [JwsAlg; 3] = [JwsAlg::Hs256, JwsAlg::Hs384, JwsAlg::Hs512];

/// A finished piece of work.
#[derive(Debug)]
pub struct Forged {
    seq: u64,
    result: Result<Vec<Made>, String>,
}

/// One token the workbench made.
#[derive(Debug, Clone)]
pub struct Made {
    /// Its name: `edited`, or the forgery's variant.
    pub name: String,
    /// The compact token.
    pub token: String,
}

/// The workbench's state.
#[derive(Default)]
pub struct Workbench {
    /// The token the boxes were filled from.
    loaded_from: String,
    header: String,
    claims: String,
    sign: SignWith,
    key: String,
    key_alg: String,
    hs_alg: usize,
    secret: ClientSecret,
    attack: Option<AttackId>,
    jwks: String,
    seq: u64,
    pending: bool,
    result: Option<Result<Vec<Made>, String>>,
}

/// What the inspector should do after a click in the workbench.
pub enum WorkbenchAction {
    /// Inspect this token (it replaces the one on screen).
    Inspect(String),
    /// Send this token through the flow runner's "Call an API" (its name: `edited`, or the
    /// forgery's variant).
    Call {
        /// The token.
        token: String,
        /// Its name.
        name: String,
    },
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The header box's JSON, or why it is not a JSON object.
fn parse_header(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the header must be a JSON object".into()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

fn parse_claims(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Value>(text).map_err(|e| format!("not JSON: {e}"))
}

impl Workbench {
    /// The last result: the tokens made, or why none was.
    pub fn result(&self) -> Option<&Result<Vec<Made>, String>> {
        self.result.as_ref()
    }

    /// Whether work is under way.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// Handles a finished piece of work.
    pub fn on_forged(&mut self, forged: Forged) {
        if forged.seq == self.seq {
            self.pending = false;
            self.result = Some(forged.result);
        }
    }

    /// Fills the boxes from `token` (when it is another token than last time).
    fn load(&mut self, token: &str) {
        if self.loaded_from == token {
            return;
        }
        self.loaded_from = token.to_owned();
        self.result = None;
        match Token::parse(token) {
            Ok(t) => {
                self.header = pretty(&Value::Object(t.header().clone()));
                self.claims = pretty(t.claims());
            }
            Err(_) => {
                self.header.clear();
                self.claims.clear();
            }
        }
    }

    /// Draws the workbench for `token` (the inspected one).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        token: &str,
        jobs: &Jobs<InspectorMsg>,
    ) -> Option<WorkbenchAction> {
        let mut action = None;
        egui::CollapsingHeader::new("Token workbench: edit, re-sign, forge")
            .id_salt("workbench")
            .default_open(false)
            .show(ui, |ui| {
                if let Err(e) = Token::parse(token) {
                    ui.label(not_editable(token, &e.to_string()));
                    return;
                }
                self.load(token);
                action = self.edit_ui(ui, token, jobs);
            });
        action
    }

    fn edit_ui(
        &mut self,
        ui: &mut egui::Ui,
        token: &str,
        jobs: &Jobs<InspectorMsg>,
    ) -> Option<WorkbenchAction> {
        let error = ui.visuals().error_fg_color;
        let l = ui.label("Header (JSON)");
        ui.add(
            egui::TextEdit::multiline(&mut self.header)
                .code_editor()
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        let header = parse_header(&self.header);
        if let Err(e) = &header {
            ui.colored_label(error, format!("Header: {e}"));
        }
        let l = ui.label("Claims (JSON)");
        ui.add(
            egui::TextEdit::multiline(&mut self.claims)
                .code_editor()
                .desired_rows(6)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        let claims = parse_claims(&self.claims);
        if let Err(e) = &claims {
            ui.colored_label(error, format!("Claims: {e}"));
        }
        if ui
            .small_button("Reset to the inspected token")
            .on_hover_text("Fills both boxes from the token on screen again")
            .clicked()
        {
            self.loaded_from.clear();
            self.load(token);
        }

        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.label("Sign with");
            for s in SignWith::ALL {
                ui.radio_value(&mut self.sign, s, s.label());
            }
        });
        match self.sign {
            SignWith::Key => {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("Key name or file");
                    ui.add(egui::TextEdit::singleline(&mut self.key).desired_width(200.0))
                        .labelled_by(l.id);
                    let l = ui.label("alg");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.key_alg)
                            .desired_width(80.0)
                            .hint_text("the key's"),
                    )
                    .labelled_by(l.id);
                });
            }
            SignWith::Secret => {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("Shared secret");
                    ui.add(
                        egui::TextEdit::singleline(self.secret.expose_mut())
                            .password(true)
                            .desired_width(220.0),
                    )
                    .labelled_by(l.id);
                    egui::ComboBox::from_id_salt("workbench_hs_alg")
                        .selected_text(HS_ALGS[self.hs_alg.min(2)].as_str())
                        .show_ui(ui, |ui| {
                            for (i, alg) in HS_ALGS.iter().enumerate() {
                                ui.selectable_value(&mut self.hs_alg, i, alg.as_str());
                            }
                        });
                });
            }
            SignWith::Keep | SignWith::None => {}
        }
        let boxes_ok = header.is_ok() && claims.is_ok();
        let ready = boxes_ok && !self.pending;
        if ui
            .add_enabled(ready, egui::Button::new("Make the token"))
            .clicked()
            && let (Ok(header), Ok(claims)) = (header, claims)
        {
            self.make(token, header, claims, jobs);
        }

        ui.separator();
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Forgery");
            let shown = self.attack.map(AttackId::as_str).unwrap_or("choose one");
            egui::ComboBox::from_id_salt("workbench_attack")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for id in AttackId::ALL.into_iter().filter(|a| !a.needs_server()) {
                        ui.selectable_value(&mut self.attack, Some(id), id.as_str())
                            .on_hover_text(id.title());
                    }
                })
                .response
                .labelled_by(l.id);
            if self.attack == Some(AttackId::HmacKeyConfusion) {
                let l = ui.label("Issuer JWKS (URL or file)");
                ui.add(egui::TextEdit::singleline(&mut self.jwks).desired_width(240.0))
                    .labelled_by(l.id);
            }
            let can = self.attack.is_some() && !self.pending && boxes_ok;
            if ui
                .add_enabled(can, egui::Button::new("Make the forgeries"))
                .clicked()
                && let Some(id) = self.attack
            {
                self.forge(token, id, jobs);
            }
        });
        // Which token the forgery starts from: the boxes above, as they are now.
        let from = if !boxes_ok {
            "Forgeries start from the header and claims above: fix the JSON first."
        } else if self.boxes_edited() {
            "Forgeries start from the header and claims above, as edited (not the inspected \
             token); Reset to start from the inspected one."
        } else {
            "Forgeries start from the header and claims above (as inspected: edit them to \
             forge an edited token)."
        };
        ui.label(egui::RichText::new(from).weak());
        if self.pending {
            ui.spinner();
        }
        self.result_ui(ui)
    }

    fn result_ui(&mut self, ui: &mut egui::Ui) -> Option<WorkbenchAction> {
        let mut action = None;
        match &self.result {
            None => {}
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, inert(e));
            }
            Some(Ok(made)) => {
                for m in made {
                    ui.label(egui::RichText::new(inert(&m.name)).strong());
                    let mut shown = m.token.as_str();
                    ui.add(
                        egui::TextEdit::multiline(&mut shown)
                            .code_editor()
                            .desired_rows(2)
                            .desired_width(f32::INFINITY),
                    );
                    ui.horizontal(|ui| {
                        copy_secret_ui(ui, "token", &m.token);
                        if ui
                            .button("Inspect it")
                            .on_hover_text("Shows this token in the inspector")
                            .clicked()
                        {
                            action = Some(WorkbenchAction::Inspect(m.token.clone()));
                        }
                        if ui
                            .button("Send with Call an API")
                            .on_hover_text(
                                "Opens the flow runner's Call an API with this token in place \
                                 of the run's (same URL, headers, connection)",
                            )
                            .clicked()
                        {
                            action = Some(WorkbenchAction::Call {
                                token: m.token.clone(),
                                name: m.name.clone(),
                            });
                        }
                    });
                }
            }
        }
        action
    }

    fn start(&mut self) -> u64 {
        self.seq += 1;
        self.pending = true;
        self.result = None;
        self.seq
    }

    /// Signs the edited header and claims as chosen, on the worker (a key is read from disk).
    fn make(
        &mut self,
        token: &str,
        header: Map<String, Value>,
        claims: Value,
        jobs: &Jobs<InspectorMsg>,
    ) {
        let seq = self.start();
        let token = token.to_owned();
        let sign = self.sign;
        let key = self.key.trim().to_owned();
        let key_alg = self.key_alg.trim().to_owned();
        let hs_alg = HS_ALGS[self.hs_alg.min(2)];
        let secret = self.secret.clone();
        let store = jobs.keys().clone();
        jobs.spawn(async move {
            let result = edited(
                &token, header, claims, sign, &store, &key, &key_alg, hs_alg, &secret,
            )
            .map(|t| {
                vec![Made {
                    name: "edited".into(),
                    token: t,
                }]
            });
            InspectorMsg::Forged(Forged { seq, result })
        });
    }

    /// Whether the header or claims box differs from the inspected token (as JSON values).
    fn boxes_edited(&self) -> bool {
        let Ok(t) = Token::parse(&self.loaded_from) else {
            return false;
        };
        parse_header(&self.header).ok().as_ref() != Some(t.header())
            || parse_claims(&self.claims).ok().as_ref() != Some(t.claims())
    }

    /// Makes every variant of a forgery of the token with the header and claims of the boxes
    /// above (as edited), on the worker.
    fn forge(&mut self, token: &str, id: AttackId, jobs: &Jobs<InspectorMsg>) {
        let (Ok(header), Ok(claims)) = (parse_header(&self.header), parse_claims(&self.claims))
        else {
            return;
        };
        let seq = self.start();
        let token = token.to_owned();
        let jwks = self.jwks.trim().to_owned();
        let sink = jobs.sink();
        jobs.spawn(async move {
            let result = forged(&token, header, claims, id, &jwks, &sink).await;
            InspectorMsg::Forged(Forged { seq, result })
        });
    }
}

/// Why the workbench cannot edit `token`: it edits a compact JWS only (three parts).
fn not_editable(token: &str, error: &str) -> String {
    let token = token.trim();
    if token.contains('~') {
        "The workbench edits a compact JWS only (header.payload.signature): this is an SD-JWT, \
         whose Disclosures (after each ~) cannot be edited here. Untick Disclosures in the \
         Disclosures table to make a presentation."
            .to_owned()
    } else if token.split('.').count() == 5 {
        "The workbench edits a compact JWS only (header.payload.signature): this is an \
         encrypted token (JWE, five parts), which cannot be edited here."
            .to_owned()
    } else {
        format!(
            "The workbench edits a compact JWS only (header.payload.signature): {}",
            inert(error)
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn edited(
    token: &str,
    header: Map<String, Value>,
    claims: Value,
    sign: SignWith,
    store: &KeyStore,
    key: &str,
    key_alg: &str,
    hs_alg: JwsAlg,
    secret: &ClientSecret,
) -> Result<String, String> {
    let mut t = Token::parse(token).map_err(|e| e.to_string())?;
    let kid_given = header.get("kid") != t.header().get("kid");
    t.set_header_map(header);
    t.set_claims(claims);
    match sign {
        SignWith::Keep => {}
        SignWith::Key => {
            if key.is_empty() {
                return Err("name a stored key, or a key file, to sign with".into());
            }
            let stored = store.resolve(key).map_err(|e| e.to_string())?;
            let alg = if key_alg.is_empty() {
                None
            } else {
                Some(key_alg.parse::<JwsAlg>()?)
            };
            t.sign(Signing::Key {
                key: &stored.key,
                alg,
                set_kid: !kid_given,
            })
            .map_err(|e| e.to_string())?;
        }
        SignWith::Secret => {
            if secret.expose().is_empty() {
                return Err("type the shared secret to sign with".into());
            }
            t.sign(Signing::Secret {
                secret: secret.expose().as_bytes(),
                alg: hs_alg,
            })
            .map_err(|e| e.to_string())?;
        }
        SignWith::None => t
            .sign(Signing::None { spelling: "none" })
            .map_err(|e| e.to_string())?,
    }
    Ok(t.encode())
}

async fn forged(
    token: &str,
    header: Map<String, Value>,
    claims: Value,
    id: AttackId,
    jwks: &str,
    sink: &Sink<InspectorMsg>,
) -> Result<Vec<Made>, String> {
    let mut t = Token::parse(token).map_err(|e| e.to_string())?;
    // Unedited parts keep their bytes as signed.
    if &header != t.header() {
        t.set_header_map(header);
    }
    if &claims != t.claims() {
        t.set_claims(claims);
    }
    let issuer_key = if id == AttackId::HmacKeyConfusion && !jwks.is_empty() {
        let http = HttpClient::new(&HttpOptions::default()).map_err(|e| e.to_string())?;
        let mut exchanges = Vec::new();
        let loaded =
            load_jwks_value(&KeySource::from_uri_or_path(jwks), &http, &mut exchanges).await;
        // The fetch goes to the history like every other exchange.
        for ex in exchanges {
            sink.send(InspectorMsg::Exchange(Box::new(ex)));
        }
        let doc = loaded.map_err(|e| e.to_string())?.ok_or("no JWKS")?;
        Some(IssuerKey::pick(&doc, t.kid()).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let inputs = AttackInputs {
        issuer_key: issuer_key.as_ref(),
        ..AttackInputs::default()
    };
    let variants = attack(id, &t, &inputs).map_err(|e| match e {
        ForgeError::Missing(ForgeInput::IssuerKey) => {
            "this forgery needs the issuer's public key: give its JWKS (URL or file)".to_owned()
        }
        other => other.to_string(),
    })?;
    Ok(variants
        .into_iter()
        .map(|v| Made {
            name: v.name,
            token: v.token,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::not_editable;

    #[test]
    fn an_sd_jwt_or_a_jwe_is_named_as_what_the_workbench_cannot_edit() {
        let sd = not_editable("eyJh.eyJz.c2ln~WyJz~", "signature is not base64url");
        assert!(sd.contains("SD-JWT") && sd.contains("Disclosures"), "{sd}");
        assert!(!sd.contains("base64url"), "{sd}");
        let jwe = not_editable("a.b.c.d.e", "five parts");
        assert!(jwe.contains("JWE"), "{jwe}");
        let other = not_editable("a.b", "not three parts");
        assert!(other.ends_with("not three parts"), "{other}");
    }
}
