//! The JWE view: an encrypted token shown as layers. First the envelope: its protected header,
//! and which key opened it or why none could (each key tried, the step, the reason), with the
//! decryption keys to try picked from the key store. Then the token inside, judged as any other
//! (its verdict, signature, header; its claims are the claims tree below), or the decrypted
//! payload when it is not a token.
//!
//! The keys are listed and loaded on the worker with the inspection (the key store is on
//! disk), never while a frame is drawn.

use std::collections::BTreeSet;

use grantscope_core::http::HttpClient;
use grantscope_core::keys::{KeyStore, KeyUse};
use grantscope_core::text::{inert, inert_json};
use grantscope_core::token::decode::{Decoded, decode};
use grantscope_core::token::jwe::{DecryptionKey, load_decryption_keys};
use grantscope_core::token::{InspectOptions, Inspected, Inspection, KeySource};

use crate::exchange_view::capped_text_ui;
use crate::widgets::{JsonTree, badge_ui, status_color};

/// The decryption keys an inspection of a JWE used, and the ones it could have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JweKeys {
    /// Every key in the store: its name and whether it was made to receive encrypted tokens.
    pub stored: Vec<(String, bool)>,
    /// The keys tried, by name (or file), in order.
    pub tried: Vec<String>,
    /// Keys that could not be loaded, with why.
    pub errors: Vec<String>,
    /// Whether the keys tried were the profile's (`decryption_keys`) rather than a choice.
    pub from_profile: bool,
}

/// Which keys to try on a JWE.
#[derive(Debug, Clone, Default)]
pub struct KeyChoice {
    /// The user's choice (names of stored keys), once made.
    pub chosen: Option<BTreeSet<String>>,
    /// The profile's `decryption_keys` (the flow's, or the one verified against).
    pub profile: Vec<String>,
}

/// Inspects `token` as [`grantscope_core::token::inspect`] does, opening a JWE first with the
/// keys `choice` names (its choice, else the profile's decryption keys, else every stored
/// encryption key). Returns what was tried along with the report (None for any other token).
pub async fn inspect_opening(
    token: &str,
    source: &KeySource,
    client: &HttpClient,
    options: &InspectOptions,
    now: i64,
    store: &KeyStore,
    choice: &KeyChoice,
) -> (Inspected, Option<JweKeys>) {
    if !matches!(decode(token), Ok(Decoded::Jwe(_))) {
        let r = grantscope_core::token::inspect(token, source, client, options, now).await;
        return (r, None);
    }
    let (keys, info) = keys_for(store, choice);
    let r = grantscope_core::token::inspect_decrypting(token, source, &keys, client, options, now)
        .await;
    (r, Some(info))
}

/// The keys to try, loaded, and what was listed and tried.
fn keys_for(store: &KeyStore, choice: &KeyChoice) -> (Vec<DecryptionKey>, JweKeys) {
    let mut info = JweKeys::default();
    let names = match store.list() {
        Ok(names) => names,
        Err(e) => {
            info.errors.push(format!("the key store: {e}"));
            Vec::new()
        }
    };
    for name in names {
        let enc = store
            .load(&name)
            .map(|k| k.key_use == KeyUse::Enc)
            .unwrap_or(false);
        info.stored.push((name, enc));
    }
    let wanted: Vec<String> = match &choice.chosen {
        Some(set) => set.iter().cloned().collect(),
        None if !choice.profile.is_empty() => {
            info.from_profile = true;
            choice.profile.clone()
        }
        None => info
            .stored
            .iter()
            .filter(|(_, enc)| *enc)
            .map(|(n, _)| n.clone())
            .collect(),
    };
    let mut keys = Vec::new();
    for name in wanted {
        match load_decryption_keys(Some(store), &name) {
            Ok(found) => {
                keys.extend(found);
                info.tried.push(name);
            }
            Err(e) => info.errors.push(format!("{}: {e}", inert(&name))),
        }
    }
    (keys, info)
}

/// The layers of a JWE inspection, their trees built once.
pub(super) struct JweView {
    envelope_header: JsonTree,
    inner_header: Option<JsonTree>,
}

impl JweView {
    /// The layers of `inspection`; None when it is not a JWE's.
    pub(super) fn new(inspection: &Inspection) -> Option<JweView> {
        let envelope = inspection.envelope.as_ref()?;
        Some(JweView {
            envelope_header: JsonTree::new(inert_json(&envelope.jwe.header))
                .with_names(grantscope_core::token::names::header_param),
            inner_header: envelope.nested.as_ref().map(|n| {
                JsonTree::new(n.shown_header())
                    .with_names(grantscope_core::token::names::header_param)
            }),
        })
    }

    /// Draws the envelope and the inner token's header; returns the keys to try now when the
    /// user changed them.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        inspection: &Inspection,
        keys: Option<&JweKeys>,
        choice: &KeyChoice,
        now: i64,
        height: f32,
    ) -> Option<BTreeSet<String>> {
        let envelope = inspection.envelope.as_ref()?;
        let jwe = &envelope.jwe;
        let mut changed = None;
        ui.label(egui::RichText::new("Layer 1: the encrypted envelope (JWE)").strong());
        let alg = jwe
            .header
            .get("alg")
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        let enc = jwe
            .header
            .get("enc")
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        ui.label(
            egui::RichText::new(format!(
                "Key management {}, content encryption {}: only the holder of the recipient's \
                 private key reads what is inside.",
                inert(alg),
                inert(enc)
            ))
            .weak(),
        );
        self.envelope_header
            .ui(ui, "jwe_envelope_header", now, (height * 0.2).max(80.0));
        ui.horizontal_wrapped(|ui| {
            if jwe.decrypted {
                badge_ui(ui, "pass");
                ui.label(format!(
                    "Opened with key {}",
                    inert(jwe.key.as_deref().unwrap_or("?"))
                ));
            } else {
                let tried = keys.is_some_and(|k| !k.tried.is_empty());
                badge_ui(ui, if tried { "fail" } else { "info" });
                ui.label(if tried {
                    "Not opened"
                } else {
                    "Not opened: no decryption key to try"
                });
            }
        });
        let color = if jwe.decrypted {
            ui.visuals().weak_text_color()
        } else {
            status_color(ui.visuals(), "warn")
        };
        ui.add(egui::Label::new(egui::RichText::new(inert(&jwe.detail)).color(color)).wrap());
        if let Some(k) = keys {
            changed = key_picker_ui(ui, k, choice);
        }
        ui.separator();
        match (&envelope.nested, &jwe.plaintext) {
            (Some(inner), _) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(egui::RichText::new("Layer 2: the token inside").strong());
                    badge_ui(ui, inner.verdict.as_str());
                    ui.label(
                        egui::RichText::new(
                            "checked as any token (its checks are in the checklist); its claims \
                             are below",
                        )
                        .weak(),
                    );
                });
                if let Some(t) = self.inner_header.as_mut() {
                    ui.label(egui::RichText::new("Its header").strong());
                    t.ui(ui, "jwe_inner_header", now, (height * 0.2).max(80.0));
                }
            }
            (None, Some(text)) => {
                ui.label(egui::RichText::new("Layer 2: the decrypted payload").strong());
                ui.label(
                    egui::RichText::new("Not a token: no signature or claim to check.").weak(),
                );
                capped_text_ui(ui, "jwe_plaintext", &inert(text), (height * 0.3).max(100.0));
            }
            (None, None) if jwe.decrypted => {
                ui.label("The decrypted payload is not text: nothing to show or check.");
            }
            (None, None) => {
                ui.label(
                    egui::RichText::new(
                        "Layer 2, the token inside, stays unread until the envelope is opened.",
                    )
                    .weak(),
                );
            }
        }
        changed
    }
}

/// The stored keys as tick boxes: which to try. Returns the new choice when it changed.
fn key_picker_ui(
    ui: &mut egui::Ui,
    keys: &JweKeys,
    choice: &KeyChoice,
) -> Option<BTreeSet<String>> {
    let mut out = None;
    ui.horizontal_wrapped(|ui| {
        ui.label("Decryption keys:");
        if keys.stored.is_empty() {
            ui.label(
                egui::RichText::new(
                    "none stored: make one on the Profiles screen (Keys, use: enc) and register \
                     its public JWK with the provider",
                )
                .weak(),
            );
        }
        let tried: BTreeSet<&str> = keys.tried.iter().map(String::as_str).collect();
        for (name, enc) in &keys.stored {
            let mut on = tried.contains(name.as_str());
            let label = if *enc {
                format!("{} (enc)", inert(name))
            } else {
                inert(name).into_owned()
            };
            let r = ui.checkbox(&mut on, label).on_hover_text(if *enc {
                "An encryption key (use: enc): try it on this token"
            } else {
                "A signing key: a provider should not encrypt to it (its use is sig), but it \
                 can be tried"
            });
            if r.changed() {
                let mut set: BTreeSet<String> = keys.tried.iter().cloned().collect();
                if on {
                    set.insert(name.clone());
                } else {
                    set.remove(name);
                }
                out = Some(set);
            }
        }
        // Files named by the profile are tried too; they are not in the store.
        for name in keys
            .tried
            .iter()
            .filter(|n| !keys.stored.iter().any(|(s, _)| s == *n))
        {
            ui.label(egui::RichText::new(format!("{} (file)", inert(name))).weak());
        }
    });
    if keys.from_profile && choice.chosen.is_none() {
        ui.label(egui::RichText::new("The profile's decryption keys are tried.").weak());
    } else if choice.chosen.is_none() && !keys.tried.is_empty() {
        ui.label(egui::RichText::new("Every stored encryption key is tried (kid first).").weak());
    }
    for e in &keys.errors {
        ui.colored_label(ui.visuals().warn_fg_color, inert(e));
    }
    out
}
