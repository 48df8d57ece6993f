//! The SD-JWT view (RFC 9901): the issuer-signed JWT as signed (digests and all), the table of
//! Disclosures (tick boxes, name or array position, value, digest, where each goes), the
//! key-binding JWT with its checks, and what a verifier sees of the presentation the ticks
//! make (RFC 9901 §7.2, the holder's choice): the processed claims with the disclosed ones
//! marked, the digests left undisclosed, the SD-JWT rules checked on it, and Copy.
//!
//! Everything is computed when the token arrives or a tick changes, never per frame: the rows'
//! texts once, the verifier's view once per change (the core's `present` and `verify_sd_jwt`
//! on the presentation); the table and the trees draw only the rows in view, so a 100 KB
//! SD-JWT with hundreds of Disclosures costs what twenty rows cost.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::Value;

use grantscope_core::text::{inert, inert_json};
use grantscope_core::token::claims::Check;
use grantscope_core::token::sdjwt::{self, SdJwtOptions, SdJwtReport};
use grantscope_core::token::{CheckStatus, InspectOptions, Inspection, Keys};

use crate::widgets::{JsonTree, SECRET_NOTE, badge_ui, copy_secret_ui, status_color};

/// The most characters of a value shown in its row (the whole value is on hover).
const VALUE_CHARS: usize = 80;

/// One Disclosure's row, its texts made once.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// `given_name`, or `nationalities[0]` for an array element.
    pub(super) name: String,
    /// The value in one line, cut.
    pub(super) value: String,
    /// The whole value, for the hover.
    pub(super) value_full: String,
    /// The digest (base64url), or why there is none.
    pub(super) digest: String,
    /// Where it goes in the processed claims, dotted (`address.street`), or why nowhere.
    pub(super) goes_to: String,
    /// The Disclosure itself and its salt, for the hover.
    pub(super) detail: String,
}

/// What a verifier sees of the presentation the ticks make.
pub(super) struct VerifierView {
    /// The presentation: the issuer-signed JWT, the kept Disclosures, `~` (and, with every
    /// Disclosure kept, the token as it came, key binding and all).
    pub(super) presentation: String,
    /// The processed claims, the disclosed ones marked.
    pub(super) claims: JsonTree,
    /// Digests no presented Disclosure matched.
    pub(super) undisclosed: usize,
    /// Disclosures presented.
    pub(super) kept: usize,
    /// The SD-JWT rules (and the VC's, the key binding's) checked on the presentation.
    pub(super) checks: Vec<Check>,
    /// What computing it took (milliseconds).
    pub(super) took_ms: f64,
}

/// The SD-JWT part of the inspector, for one inspection.
pub(super) struct SdView {
    token: String,
    report: SdJwtReport,
    rows: Vec<Row>,
    /// The Disclosure whose value holds each one's digest (a nested Disclosure's parent).
    parents: Vec<Option<usize>>,
    /// The holder's choice.
    keep: Vec<bool>,
    /// The table's search, and the rows it leaves (all when empty).
    find: String,
    shown_rows: Vec<usize>,
    issuer_header: JsonTree,
    issuer_payload: JsonTree,
    kb_header: Option<JsonTree>,
    kb_claims: Option<JsonTree>,
    verifier: VerifierView,
    options: InspectOptions,
    now: i64,
}

impl SdView {
    /// The view of `inspection` (an SD-JWT's, of `token`), everything kept; None for any
    /// other token.
    pub(super) fn new(
        token: &str,
        inspection: &Inspection,
        options: &InspectOptions,
        now: i64,
    ) -> Option<SdView> {
        let report = inspection.sd_jwt.clone()?;
        let processed = &inspection.claims;
        let rows = report
            .disclosures
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let place = d
                    .path
                    .as_deref()
                    .and_then(|p| JsonTree::path_of_pointer(processed, p))
                    .map(|p| dotted(&p));
                let name = match (&d.name, &place) {
                    (Some(n), _) => inert(n).into_owned(),
                    (None, Some(p)) => p.clone(),
                    (None, None) if d.salt.is_some() => "array element".to_owned(),
                    (None, None) => "unreadable".to_owned(),
                };
                let value_full = inert(&d.value.to_string()).into_owned();
                Row {
                    name,
                    value: cut(&value_full, VALUE_CHARS),
                    value_full,
                    digest: d
                        .digest
                        .clone()
                        .unwrap_or_else(|| format!("none ({} is not supported)", report.sd_alg)),
                    goes_to: place.unwrap_or_else(|| {
                        if d.salt.is_none() {
                            "nowhere: it could not be read".to_owned()
                        } else {
                            "nowhere: no digest references it".to_owned()
                        }
                    }),
                    detail: format!(
                        "Disclosure #{}: {}\nsalt: {}\ndigest ({}): {}",
                        i + 1,
                        inert(&d.disclosure),
                        d.salt.as_deref().map_or("-".into(), inert),
                        report.sd_alg,
                        d.digest.as_deref().unwrap_or("-")
                    ),
                }
            })
            .collect();
        let parents = parents(&report);
        let keep = vec![true; report.disclosures.len()];
        let kb = report.key_binding.as_ref();
        let kb_header = kb.map(|kb| {
            JsonTree::new(inert_json(&kb.header))
                .with_names(grantscope_core::token::names::header_param)
        });
        let kb_claims = kb.map(|kb| {
            JsonTree::new(inert_json(&kb.claims)).with_names(grantscope_core::token::names::claim)
        });
        let n = report.disclosures.len();
        let mut view = SdView {
            token: token.trim().to_owned(),
            issuer_header: JsonTree::new(inspection.shown_header())
                .with_names(grantscope_core::token::names::header_param),
            issuer_payload: JsonTree::new(inert_json(&report.issuer_claims))
                .with_names(grantscope_core::token::names::claim),
            report,
            rows,
            parents,
            keep,
            find: String::new(),
            shown_rows: Vec::new(),
            kb_header,
            kb_claims,
            verifier: VerifierView {
                presentation: String::new(),
                claims: JsonTree::default(),
                undisclosed: 0,
                kept: 0,
                checks: Vec::new(),
                took_ms: 0.0,
            },
            options: options.clone(),
            now,
        };
        view.shown_rows = (0..n).collect();
        view.recompute();
        Some(view)
    }

    /// The rows (for tests).
    #[cfg(test)]
    pub(super) fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// What the verifier sees now.
    pub(super) fn verifier(&self) -> &VerifierView {
        &self.verifier
    }

    /// The verifier's claims tree (tests read its marks).
    #[cfg(test)]
    pub(super) fn verifier_claims(&mut self) -> &mut JsonTree {
        &mut self.verifier.claims
    }

    /// Whether Disclosure `i` is kept.
    #[cfg(test)]
    pub(super) fn kept(&self, i: usize) -> bool {
        self.keep.get(i).copied().unwrap_or(false)
    }

    /// Keeps or withholds Disclosure `i` as the holder chooses: withholding one withholds the
    /// Disclosures inside its value too (their digests go with it), keeping one keeps the
    /// Disclosures it sits in (a verifier must find its digest; RFC 9901 §7.2 step 2). Then the
    /// verifier's view is computed again.
    pub(super) fn set_kept(&mut self, i: usize, kept: bool) {
        if i >= self.keep.len() || self.keep[i] == kept {
            return;
        }
        self.keep[i] = kept;
        if kept {
            let mut at = self.parents[i];
            let mut hops = 0;
            while let Some(p) = at {
                if hops > self.keep.len() {
                    break;
                }
                self.keep[p] = true;
                at = self.parents[p];
                hops += 1;
            }
        } else {
            // Every Disclosure below `i`, however deep.
            for j in 0..self.keep.len() {
                if self.keep[j] && self.has_ancestor(j, i) {
                    self.keep[j] = false;
                }
            }
        }
        self.recompute();
    }

    /// Keeps every Disclosure, or none.
    pub(super) fn set_all(&mut self, kept: bool) {
        if self.keep.iter().all(|k| *k == kept) {
            return;
        }
        self.keep.iter_mut().for_each(|k| *k = kept);
        self.recompute();
    }

    /// Leaves the rows whose name, value, digest or place contain `q` (no case).
    fn set_find(&mut self, q: &str) {
        self.find = q.to_owned();
        let q = q.trim().to_lowercase();
        self.shown_rows = (0..self.rows.len())
            .filter(|&i| {
                let r = &self.rows[i];
                q.is_empty()
                    || [&r.name, &r.value_full, &r.digest, &r.goes_to]
                        .iter()
                        .any(|t| t.to_lowercase().contains(&q))
            })
            .collect();
    }

    fn has_ancestor(&self, j: usize, ancestor: usize) -> bool {
        let mut at = self.parents[j];
        let mut hops = 0;
        while let Some(p) = at {
            if p == ancestor {
                return true;
            }
            hops += 1;
            if hops > self.keep.len() {
                return false;
            }
            at = self.parents[p];
        }
        false
    }

    /// The presentation the ticks make, processed as a verifier processes it.
    fn recompute(&mut self) {
        let started = Instant::now();
        let all = self.keep.iter().all(|k| *k);
        let presentation = if all {
            self.token.clone()
        } else {
            let keep = &self.keep;
            sdjwt::present(&self.token, |i| keep.get(i).copied().unwrap_or(false))
                .unwrap_or_else(|| self.token.clone())
        };
        // The issuer's signature does not change with the Disclosures a holder keeps: it is
        // shown once, above; here only what the Disclosures change.
        let verified = sdjwt::verify_sd_jwt(
            &presentation,
            &Keys::None,
            &self.options,
            &SdJwtOptions::default(),
            self.now,
        );
        let shown = inert_json(&verified.claims);
        let marks: HashSet<String> = verified
            .report
            .disclosures
            .iter()
            .filter_map(|d| d.path.as_deref())
            .filter_map(|p| JsonTree::path_of_pointer(&shown, p))
            .collect();
        let checks = verified
            .checks
            .into_iter()
            .filter(|c| {
                ["sd.", "vc.", "kb."]
                    .iter()
                    .any(|prefix| c.id.starts_with(prefix))
            })
            .collect();
        let search = self.verifier.claims.filter().to_owned();
        let mut claims = JsonTree::new(shown)
            .with_names(grantscope_core::token::names::claim)
            .with_marks(marks, "disclosed");
        claims.set_filter(&search);
        self.verifier = VerifierView {
            kept: verified.report.disclosures.len(),
            undisclosed: verified.report.undisclosed,
            presentation,
            claims,
            checks,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
    }

    /// Draws the view in `height` points or so (each part scrolls on its own).
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, now: i64, height: f32) {
        let part = (height * 0.3).max(140.0);
        egui::CollapsingHeader::new("Issuer-signed JWT (as signed: digests, _sd_alg)")
            .id_salt("sd_issuer")
            .default_open(false)
            .show(ui, |ui| {
                ui.label(egui::RichText::new("Header").strong());
                self.issuer_header
                    .ui(ui, "sd_issuer_header", now, part * 0.5);
                ui.label(egui::RichText::new("Payload").strong());
                self.issuer_payload.ui(ui, "sd_issuer_payload", now, part);
            });
        ui.separator();
        self.table_ui(ui, (height * 0.45).max(180.0));
        ui.separator();
        self.verifier_ui(ui, now, (height * 0.5).max(160.0));
        ui.separator();
        self.key_binding_ui(ui, now, part);
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, max_height: f32) {
        let n = self.rows.len();
        let kept = self.keep.iter().filter(|k| **k).count();
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(format!("Disclosures ({n})")).strong());
            ui.label(
                egui::RichText::new(format!(
                    "{} undisclosed digest{} in the token (decoys or withheld claims); _sd_alg {}",
                    self.report.undisclosed,
                    if self.report.undisclosed == 1 {
                        ""
                    } else {
                        "s"
                    },
                    inert(&self.report.sd_alg)
                ))
                .weak(),
            );
        });
        if n == 0 {
            ui.label("No Disclosures presented: the verifier sees only the plain claims.");
            return;
        }
        ui.label(
            egui::RichText::new(format!(
                "Untick what the holder withholds ({kept} of {n} kept): the presentation and what \
                 the verifier sees follow (RFC 9901 §7.2)."
            ))
            .weak(),
        );
        ui.horizontal_wrapped(|ui| {
            let mut q = self.find.clone();
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut q)
                        .hint_text("find by name, value, digest")
                        .desired_width(200.0),
                )
                .accessible_name("Find a Disclosure");
            if r.changed() {
                self.set_find(&q);
            }
            if !self.find.is_empty() {
                ui.label(
                    egui::RichText::new(format!("{} of {n} shown", self.shown_rows.len())).weak(),
                );
            }
            if ui
                .add_enabled(kept < n, egui::Button::new("Keep all"))
                .clicked()
            {
                self.set_all(true);
            }
            if ui
                .add_enabled(kept > 0, egui::Button::new("Withhold all"))
                .clicked()
            {
                self.set_all(false);
            }
        });
        let font = egui::TextStyle::Monospace;
        let row_h = ui
            .text_style_height(&font)
            .max(ui.spacing().interact_size.y)
            + 2.0;
        // The value column takes what the column has left after the tick, # and name (at
        // least 200): cut values show whole on hover; "goes to" and the digest scroll in.
        let gap = ui.spacing().item_spacing.x;
        let value_w = (ui.available_width() - 28.0 - 40.0 - 150.0 - 4.0 * gap).max(200.0);
        let widths = [28.0, 40.0, 150.0, value_w, 170.0, 130.0];
        let cell = |ui: &mut egui::Ui, w: f32, text: egui::RichText| {
            ui.allocate_ui_with_layout(
                egui::vec2(w, row_h),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_width(w);
                    ui.add(egui::Label::new(text).truncate())
                },
            )
            .inner
        };
        let mut toggled = None;
        egui::ScrollArea::horizontal()
            .id_salt("sd_table_h")
            .show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.horizontal(|ui| {
                        for (w, title) in widths.iter().zip([
                            "",
                            "#",
                            "name or position",
                            "value",
                            "goes to",
                            "digest",
                        ]) {
                            cell(ui, *w, egui::RichText::new(title).strong());
                        }
                    });
                    egui::ScrollArea::vertical()
                        .id_salt("sd_table")
                        .max_height(max_height)
                        // Its height even near the bottom of a scrolled column (the column
                        // scrolls on; 2 rows of 14 at 150 % before).
                        .min_scrolled_height(max_height)
                        .auto_shrink([false, true])
                        .show_rows(ui, row_h, self.shown_rows.len(), |ui, range| {
                            for i in range.filter_map(|at| self.shown_rows.get(at).copied()) {
                                let row = &self.rows[i];
                                let on = self.keep[i];
                                ui.horizontal(|ui| {
                                    let mut tick = on;
                                    let r = ui
                                        .allocate_ui_with_layout(
                                            egui::vec2(widths[0], row_h),
                                            egui::Layout::left_to_right(egui::Align::Center),
                                            |ui| ui.checkbox(&mut tick, ""),
                                        )
                                        .inner
                                        .accessible_name(format!("Disclose {}", row.name))
                                        .on_hover_text(if on {
                                            "Kept: the verifier gets it. Untick to withhold it \
                                             (and what is nested in it)"
                                        } else {
                                            "Withheld: the verifier sees only its digest. Tick \
                                             to disclose it (and what it is nested in)"
                                        });
                                    if r.changed() {
                                        toggled = Some((i, tick));
                                    }
                                    let weak = |t: &str| {
                                        let text = egui::RichText::new(t).monospace();
                                        if on { text } else { text.weak() }
                                    };
                                    cell(ui, widths[1], weak(&format!("{}", i + 1)));
                                    cell(ui, widths[2], weak(&row.name)).on_hover_text(&row.detail);
                                    cell(ui, widths[3], weak(&row.value))
                                        .on_hover_text(&row.value_full);
                                    cell(ui, widths[4], weak(&row.goes_to));
                                    cell(ui, widths[5], weak(&row.digest))
                                        .on_hover_text(&row.digest);
                                });
                            }
                        });
                });
            });
        if let Some((i, tick)) = toggled {
            self.set_kept(i, tick);
            ui.ctx().request_repaint();
        }
    }

    fn verifier_ui(&mut self, ui: &mut egui::Ui, now: i64, max_height: f32) {
        let v = &mut self.verifier;
        let n = self.rows.len();
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("What the verifier sees").strong());
            ui.label(
                egui::RichText::new(format!(
                    "{} of {n} Disclosures presented, {} digest{} undisclosed",
                    v.kept,
                    v.undisclosed,
                    if v.undisclosed == 1 { "" } else { "s" }
                ))
                .weak(),
            );
        });
        ui.horizontal_wrapped(|ui| {
            copy_secret_ui(ui, "presentation", &v.presentation);
            ui.label(egui::RichText::new(SECRET_NOTE).weak());
            ui.label(egui::RichText::new(format!("{} characters", v.presentation.len())).weak());
        });
        if v.kept < n {
            ui.label(
                egui::RichText::new(
                    "A presentation made here carries no key-binding JWT: its sd_hash would no \
                     longer match, and only the holder's key can sign a new one.",
                )
                .weak(),
            );
        }
        ui.label(
            egui::RichText::new(
                "Processed claims: the disclosed ones are marked; the issuer's signature is as \
                 above (the same issuer-signed JWT).",
            )
            .weak(),
        );
        v.claims.ui(ui, "sd_verifier_claims", now, max_height);
        egui::Grid::new("sd_verifier_checks")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for c in &v.checks {
                    badge_ui(ui, status_word(c.status));
                    ui.label(egui::RichText::new(&c.id).monospace());
                    ui.add(egui::Label::new(c.shown_message()).wrap());
                    ui.end_row();
                }
            });
    }

    fn key_binding_ui(&mut self, ui: &mut egui::Ui, now: i64, max_height: f32) {
        let Some(kb) = self.report.key_binding.as_ref() else {
            ui.label(egui::RichText::new("Key binding").strong());
            ui.label(
                "No key-binding JWT: anyone holding this SD-JWT can present it (RFC 9901 §4.3). \
                 A verifier that sends a nonce requires one.",
            );
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new("Key-binding JWT").strong());
            let status = match kb.signature.status {
                grantscope_core::token::SignatureStatus::Verified => "verified",
                grantscope_core::token::SignatureStatus::Invalid => "invalid",
                grantscope_core::token::SignatureStatus::Unverifiable => "unverifiable",
                _ => "skipped",
            };
            badge_ui(ui, status);
            ui.label(egui::RichText::new(kb.signature.shown_detail()).weak());
        });
        if let Some(t) = self.kb_header.as_mut() {
            t.ui(ui, "sd_kb_header", now, max_height * 0.4);
        }
        if let Some(t) = self.kb_claims.as_mut() {
            t.ui(ui, "sd_kb_claims", now, max_height * 0.6);
        }
        let color = |ui: &egui::Ui, s| status_color(ui.visuals(), status_word(s));
        egui::Grid::new("sd_kb_checks")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for c in &kb.checks {
                    let c_color = color(ui, c.status);
                    badge_ui(ui, status_word(c.status));
                    ui.label(egui::RichText::new(&c.id).monospace().color(c_color));
                    ui.add(egui::Label::new(c.shown_message()).wrap());
                    ui.end_row();
                }
            });
    }
}

fn status_word(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "pass",
        CheckStatus::Fail => "fail",
        CheckStatus::Warn => "warn",
        CheckStatus::Info => "info",
    }
}

/// `/address/street` → `address.street`, `/nationalities/[0]` → `nationalities[0]`.
fn dotted(tree_path: &str) -> String {
    let mut out = String::new();
    for part in tree_path.split('/').filter(|p| !p.is_empty()) {
        if !part.starts_with('[') && !out.is_empty() {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

/// At most `max` characters of `s`, with "..." when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_owned(),
    }
}

/// For each Disclosure, the Disclosure whose value holds its digest (in an `_sd` array or a
/// `{"...": digest}` element), if any.
fn parents(report: &SdJwtReport) -> Vec<Option<usize>> {
    let by_digest: HashMap<&str, usize> = report
        .disclosures
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.digest.as_deref().map(|g| (g, i)))
        .collect();
    let mut out = vec![None; report.disclosures.len()];
    for (j, d) in report.disclosures.iter().enumerate() {
        let mut found = Vec::new();
        digests_in(&d.value, &mut found, 0);
        for g in found {
            if let Some(&i) = by_digest.get(g)
                && i != j
                && out[i].is_none()
            {
                out[i] = Some(j);
            }
        }
    }
    out
}

/// Every digest a value embeds: `_sd` array entries and `{"...": digest}` array elements, at
/// any depth (capped).
fn digests_in<'a>(v: &'a Value, out: &mut Vec<&'a str>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(sd)) = m.get("_sd") {
                out.extend(sd.iter().filter_map(Value::as_str));
            }
            if m.len() == 1
                && let Some(Value::String(g)) = m.get("...")
            {
                out.push(g);
            }
            for (k, child) in m {
                if k != "_sd" {
                    digests_in(child, out, depth + 1);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| digests_in(c, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rfc() -> Value {
        serde_json::from_str(include_str!("../../../core/testdata/sdjwt/rfc9901.json")).unwrap()
    }

    fn view_of(token: &str) -> SdView {
        let opts = InspectOptions::default();
        let now = 1_748_537_250;
        let ins = grantscope_core::token::inspect_with_keys(token, &Keys::None, &opts, now);
        SdView::new(token, &ins, &opts, now).unwrap()
    }

    /// RFC 9901 A.3 (a PID): the address's country is a Disclosure nested in the address's
    /// own; withholding the address withholds it, disclosing it again discloses the address.
    #[test]
    fn withholding_a_parent_withholds_what_is_nested_in_it() {
        let doc = rfc();
        let token = doc["examples"][4]["token"].as_str().unwrap();
        let mut v = view_of(token);
        let at = |v: &SdView, to: &str| v.rows().iter().position(|r| r.goes_to == to).unwrap();
        let address = at(&v, "address");
        let country = at(&v, "address.country");
        assert_eq!(v.parents[country], Some(address));
        let before = v.verifier().claims.value().clone();
        assert!(before["address"]["country"].is_string());
        assert!(
            v.verifier_claims()
                .marked_keys()
                .contains(&"address".to_owned())
        );
        v.set_kept(address, false);
        assert!(!v.kept(country), "nested Disclosures go with their parent");
        assert!(v.verifier().claims.value().get("address").is_none());
        assert!(v.verifier().presentation.ends_with('~'));
        // The presentation is one a verifier accepts: nothing unreferenced.
        assert!(
            v.verifier()
                .checks
                .iter()
                .all(|c| c.status != CheckStatus::Fail),
            "{:?}",
            v.verifier().checks
        );
        v.set_kept(country, true);
        assert!(v.kept(address));
        assert!(v.verifier().claims.value()["address"]["country"].is_string());
        v.set_all(false);
        assert_eq!(v.verifier().kept, 0);
        v.set_all(true);
        assert_eq!(v.verifier().presentation, token.trim());
    }

    /// Array elements are named by their place; the table says where each goes.
    #[test]
    fn array_elements_are_named_by_their_position() {
        let doc = rfc();
        let token = doc["examples"][1]["token"].as_str().unwrap();
        let v = view_of(token);
        let names: Vec<&str> = v.rows().iter().map(|r| r.name.as_str()).collect();
        assert!(names.contains(&"nationalities[0]"), "{names:?}");
        let row = v.rows().iter().find(|r| r.name == "family_name").unwrap();
        assert_eq!(row.goes_to, "family_name");
        assert!(v.report.key_binding.is_some());
    }
}
