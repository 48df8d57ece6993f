//! Reusable widgets: a virtualised, collapsible JSON tree (fast with thousands of claims, with
//! each registered name's meaning on hover and a search over names, values and meanings), the
//! token lifetime bar, status badges, a masked-secret text view, and CIBA's binding message as
//! both of its screens show it (the client's wait and the user's phone).

use std::collections::HashSet;

use egui::{Align2, Color32, CornerRadius, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};
use serde_json::Value;

use grantscope_core::timefmt;
use grantscope_core::token::names::NameInfo;

/// Looks up what a top-level name means (the core's claim or header registry).
pub type Names = fn(&str) -> Option<&'static NameInfo>;

/// Claims whose numbers are unix times (RFC 7519 §4.1, OIDC Core §2 and §5.1).
const TIME_CLAIMS: [&str; 6] = ["exp", "iat", "nbf", "auth_time", "updated_at", "rat"];

/// One visible line of a [`JsonTree`].
#[derive(Debug, Clone)]
struct Row {
    depth: usize,
    key: String,
    /// The value's one-line text (containers: `{3 keys}` / `[2 items]`).
    text: String,
    /// For time claims: the unix seconds.
    time: Option<i64>,
    /// The path id, for containers only (toggle state).
    container: Option<String>,
    expanded: bool,
    /// What a registered top-level name means.
    meaning: Option<&'static NameInfo>,
    /// One of the marked rows (an SD-JWT's disclosed claims).
    marked: bool,
}

/// A collapsible JSON tree. Rows are flattened once per change and drawn virtualised, so a token
/// with 5,000 claims costs only the visible rows per frame.
#[derive(Debug, Clone, Default)]
pub struct JsonTree {
    root: Value,
    expanded: HashSet<String>,
    rows: Vec<Row>,
    dirty: bool,
    names: Option<Names>,
    /// The search: rows at any depth whose name, value or meaning contain it (no case).
    filter: String,
    /// Rows to mark, by their path in the tree's own form (`/address/street`,
    /// `/nationalities/[0]`: [`JsonTree::path_of_pointer`]), and the word that marks them.
    marks: HashSet<String>,
    mark_label: &'static str,
}

const MAX_TEXT: usize = 200;

fn one_line(v: &Value) -> String {
    match v {
        Value::Object(m) => format!("{{{} keys}}", m.len()),
        Value::Array(a) => format!("[{} items]", a.len()),
        Value::String(s) => {
            let mut q = serde_json::to_string(s).unwrap_or_default();
            if q.len() > MAX_TEXT {
                let cut = (0..=MAX_TEXT)
                    .rev()
                    .find(|i| q.is_char_boundary(*i))
                    .unwrap_or(0);
                q.truncate(cut);
                q.push_str("...\"");
            }
            q
        }
        other => other.to_string(),
    }
}

impl JsonTree {
    /// A tree over `value`, top level open.
    pub fn new(value: Value) -> Self {
        let mut t = Self {
            root: value,
            ..Self::default()
        };
        t.expanded.insert(String::new());
        t.dirty = true;
        t
    }

    /// Names the top-level keys with `names` (their meaning on hover, and searchable).
    pub fn with_names(mut self, names: Names) -> Self {
        self.names = Some(names);
        self.dirty = true;
        self
    }

    /// Marks the rows at `paths` (in the tree's own form, [`JsonTree::path_of_pointer`]) with
    /// `label` beside their name: an SD-JWT's disclosed claims.
    pub fn with_marks(mut self, paths: HashSet<String>, label: &'static str) -> Self {
        self.marks = paths;
        self.mark_label = label;
        self.dirty = true;
        self
    }

    /// The tree's path of the JSON Pointer `pointer` (RFC 6901) in `value`: object members as
    /// `/name`, array elements as `/[i]`. None when the pointer does not lead anywhere.
    pub fn path_of_pointer(value: &Value, pointer: &str) -> Option<String> {
        if pointer.is_empty() {
            return Some(String::new());
        }
        let mut at = value;
        let mut path = String::new();
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            match at {
                Value::Object(m) => {
                    at = m.get(&token)?;
                    path.push('/');
                    path.push_str(&token);
                }
                Value::Array(a) => {
                    let i: usize = token.parse().ok()?;
                    at = a.get(i)?;
                    path.push_str(&format!("/[{i}]"));
                }
                _ => return None,
            }
        }
        Some(path)
    }

    /// The keys of the marked rows shown (for tests).
    pub fn marked_keys(&mut self) -> Vec<String> {
        self.rebuild();
        self.drawn_marked_keys()
    }

    /// The keys of the marked rows as last drawn (for tests).
    pub fn drawn_marked_keys(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.marked)
            .map(|r| r.key.clone())
            .collect()
    }

    /// The value shown.
    pub fn value(&self) -> &Value {
        &self.root
    }

    /// The search (empty: the tree as it is expanded).
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Searches: only the rows whose name, value or meaning contain `q` are shown, each with its
    /// path, at any depth.
    pub fn set_filter(&mut self, q: &str) {
        if self.filter != q {
            self.filter = q.to_owned();
            self.dirty = true;
        }
    }

    /// The keys of the rows shown (for tests), e.g. `exp` or `address.street` when searching.
    pub fn shown_keys(&mut self) -> Vec<String> {
        self.rebuild();
        self.rows.iter().map(|r| r.key.clone()).collect()
    }

    /// Number of visible rows (for tests).
    pub fn visible_rows(&mut self) -> usize {
        self.rebuild();
        self.rows.len()
    }

    fn rebuild(&mut self) {
        if !self.dirty {
            return;
        }
        self.rows.clear();
        let root = std::mem::take(&mut self.root);
        let q = self.filter.trim().to_lowercase();
        if q.is_empty() {
            self.push_children(&root, "", 0);
        } else {
            self.push_matches(&root, ("", ""), 0, &q);
        }
        self.root = root;
        self.dirty = false;
    }

    /// Every row at any depth matching `q` (lower case), flat, named by its dotted path.
    /// `prefix`: the dotted path shown, and the tree's own path (for the marks).
    fn push_matches(
        &mut self,
        v: &Value,
        (prefix, tree_path): (&str, &str),
        depth: usize,
        q: &str,
    ) {
        let entries: Box<dyn Iterator<Item = (String, &Value)>> = match v {
            Value::Object(m) => Box::new(m.iter().map(|(k, v)| (k.clone(), v))),
            Value::Array(a) => Box::new(a.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v))),
            _ => return,
        };
        for (key, child) in entries {
            let path = match (prefix.is_empty(), key.starts_with('[')) {
                (true, _) => key.clone(),
                (false, true) => format!("{prefix}{key}"),
                (false, false) => format!("{prefix}.{key}"),
            };
            let child_tree_path = format!("{tree_path}/{key}");
            let meaning = if depth == 0 {
                self.names.and_then(|f| f(&key))
            } else {
                None
            };
            let text = one_line(child);
            let hit = key.to_lowercase().contains(q)
                || (!matches!(child, Value::Object(_) | Value::Array(_))
                    && text.to_lowercase().contains(q))
                || meaning.is_some_and(|m| m.meaning.to_lowercase().contains(q));
            if hit {
                let time = (depth == 0 && TIME_CLAIMS.contains(&key.as_str()))
                    .then(|| child.as_i64())
                    .flatten();
                self.rows.push(Row {
                    depth: 0,
                    key: path.clone(),
                    text,
                    time,
                    container: None,
                    expanded: false,
                    meaning,
                    marked: self.marks.contains(&child_tree_path),
                });
            }
            self.push_matches(child, (&path, &child_tree_path), depth + 1, q);
        }
    }

    fn push_children(&mut self, v: &Value, path: &str, depth: usize) {
        let entries: Box<dyn Iterator<Item = (String, &Value)>> = match v {
            Value::Object(m) => Box::new(m.iter().map(|(k, v)| (k.clone(), v))),
            Value::Array(a) => Box::new(a.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v))),
            _ => return,
        };
        for (key, child) in entries {
            let child_path = format!("{path}/{key}");
            let is_container = matches!(child, Value::Object(_) | Value::Array(_));
            let expanded = is_container && self.expanded.contains(&child_path);
            let time = if depth == 0 && TIME_CLAIMS.contains(&key.as_str()) {
                child.as_i64()
            } else {
                None
            };
            let meaning = if depth == 0 {
                self.names.and_then(|f| f(&key))
            } else {
                None
            };
            self.rows.push(Row {
                depth,
                key,
                text: one_line(child),
                time,
                container: is_container.then(|| child_path.clone()),
                expanded,
                meaning,
                marked: self.marks.contains(&child_path),
            });
            if expanded {
                self.push_children(child, &child_path, depth + 1);
            }
        }
    }

    /// Draws the tree in a scroll area of its own, at most `max_height` tall, `now` for the time
    /// claims' relative phrases.
    pub fn ui(&mut self, ui: &mut egui::Ui, id_salt: &str, now: i64, max_height: f32) {
        self.rebuild();
        let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
        let mut toggle: Option<String> = None;
        let key_color = ui.visuals().strong_text_color();
        let weak = ui.visuals().weak_text_color();
        let mark_color = status_color(ui.visuals(), "pass");
        egui::ScrollArea::both()
            .id_salt(id_salt)
            .max_height(max_height)
            // Its height even near the bottom of a column that scrolls on.
            .min_scrolled_height(max_height)
            .auto_shrink([false, true])
            .show_rows(ui, row_h, self.rows.len(), |ui, range| {
                for row in &self.rows[range] {
                    ui.horizontal(|ui| {
                        ui.add_space(row.depth as f32 * 16.0);
                        if let Some(path) = &row.container {
                            let sym = if row.expanded { "-" } else { "+" };
                            if ui
                                .small_button(sym)
                                .on_hover_text(if row.expanded { "Collapse" } else { "Expand" })
                                .clicked()
                            {
                                toggle = Some(path.clone());
                            }
                        } else {
                            ui.add_space(ui.spacing().interact_size.y);
                        }
                        let key = ui.label(
                            egui::RichText::new(format!("{}:", row.key))
                                .monospace()
                                .color(key_color),
                        );
                        if let Some(m) = row.meaning {
                            key.on_hover_text(m.line());
                        }
                        if row.marked {
                            ui.label(
                                egui::RichText::new(self.mark_label)
                                    .strong()
                                    .color(mark_color),
                            );
                        }
                        // One line per claim, never wrapped (a wrapped value left a lone
                        // quote on the next line); the area scrolls sideways instead.
                        ui.add(
                            egui::Label::new(egui::RichText::new(&row.text).monospace()).extend(),
                        );
                        if let Some(t) = row.time {
                            ui.label(
                                egui::RichText::new(format!(
                                    "{} ({})",
                                    timefmt::instant(t),
                                    timefmt::relative(t, now)
                                ))
                                .color(weak),
                            );
                        }
                    });
                }
            });
        if let Some(path) = toggle {
            if !self.expanded.remove(&path) {
                self.expanded.insert(path);
            }
            self.dirty = true;
            ui.ctx().request_repaint();
        }
    }
}

/// Colours for pass / fail / warn / info.
pub fn status_color(visuals: &egui::Visuals, status: &str) -> Color32 {
    match status {
        "pass" | "verified" => {
            if visuals.dark_mode {
                Color32::from_rgb(90, 200, 120)
            } else {
                Color32::from_rgb(20, 130, 50)
            }
        }
        "fail" | "invalid" => visuals.error_fg_color,
        "warn" | "unverifiable" => visuals.warn_fg_color,
        _ => visuals.weak_text_color(),
    }
}

/// A small coloured badge ("PASS", "FAIL", ...).
pub fn badge_ui(ui: &mut egui::Ui, status: &str) -> egui::Response {
    let color = status_color(ui.visuals(), status);
    let text = egui::RichText::new(status.to_ascii_uppercase())
        .monospace()
        .strong()
        .color(color);
    ui.label(text)
}

/// "Copy NAME": puts the raw token on the clipboard, its hover saying what that means (a
/// token is a secret), with a short note beside it. Returns whether it was clicked.
pub fn copy_secret_ui(ui: &mut egui::Ui, name: &str, value: &str) -> bool {
    let clicked = ui
        .button(format!("Copy {name}"))
        .on_hover_text(format!(
            "Copies the raw {name}. It is a secret: whoever holds it can use it until it \
             expires or is revoked"
        ))
        .clicked();
    if clicked {
        ui.ctx().copy_text(value.to_owned());
    }
    clicked
}

/// The note beside "Copy" buttons of tokens.
pub const SECRET_NOTE: &str = "copies the raw value: a secret, paste it only where it belongs";

/// The lifetime bar from `iat` to `exp` with a marker at `now` named `label` ("now", or
/// "revoked" where a token's life stopped early). Returns nothing; draws only.
pub fn lifetime_bar_ui(ui: &mut egui::Ui, iat: i64, exp: i64, now: i64, label: &str) {
    let width = ui.available_width().clamp(120.0, 900.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, 44.0), Sense::hover());
    let bar = Rect::from_min_size(
        rect.min + Vec2::new(0.0, 16.0),
        Vec2::new(rect.width(), 12.0),
    );
    let painter = ui.painter_at(rect.expand(2.0));
    let v = ui.visuals();
    let total = (exp - iat).max(1) as f32;
    let frac = ((now - iat) as f32 / total).clamp(0.0, 1.0);
    let fill = if now >= exp || label != "now" {
        v.error_fg_color
    } else if frac > 0.8 {
        v.warn_fg_color
    } else {
        status_color(v, "pass")
    };
    let border = Stroke::new(1.0, v.widgets.noninteractive.bg_stroke.color);
    painter.rect(
        bar,
        CornerRadius::same(4),
        v.extreme_bg_color,
        border,
        StrokeKind::Inside,
    );
    let used = Rect::from_min_size(bar.min, Vec2::new(bar.width() * frac, bar.height()));
    painter.rect_filled(used, CornerRadius::same(4), fill.gamma_multiply(0.7));
    let x = bar.left() + bar.width() * frac;
    let marker = Stroke::new(2.0, v.strong_text_color());
    painter.line_segment(
        [
            Pos2::new(x, bar.top() - 3.0),
            Pos2::new(x, bar.bottom() + 3.0),
        ],
        marker,
    );
    let font = FontId::proportional(11.0);
    let weak = v.weak_text_color();
    // iat and exp under the bar's ends, "now" above its marker.
    painter.text(
        bar.left_bottom() + Vec2::new(0.0, 2.0),
        Align2::LEFT_TOP,
        "iat",
        font.clone(),
        weak,
    );
    painter.text(
        bar.right_bottom() + Vec2::new(0.0, 2.0),
        Align2::RIGHT_TOP,
        "exp",
        font.clone(),
        weak,
    );
    // The label stays whole inside the bar's width ("revoked" near the start lost its "r").
    let galley = painter.layout_no_wrap(label.to_owned(), font, v.strong_text_color());
    let half = (galley.size().x / 2.0).min(bar.width() / 2.0);
    let now_x = x.clamp(bar.left() + half, bar.right() - half);
    painter.galley(
        Pos2::new(now_x - half, bar.top() - 3.0 - galley.size().y),
        galley,
        v.strong_text_color(),
    );
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::ProgressIndicator,
            true,
            if label == "now" {
                format!("lifetime {:.0}% used", frac * 100.0)
            } else {
                format!("lifetime stopped at {:.0}%: {label}", frac * 100.0)
            },
        )
    });
}

/// CIBA's binding message, large, as the client's wait and the user's phone both show it (the
/// user compares the two); without one, `missing` as a warning.
pub fn binding_message_ui(ui: &mut egui::Ui, message: Option<&str>, missing: &str) {
    match message {
        Some(m) => {
            ui.label(
                egui::RichText::new(grantscope_core::text::inert(m).to_string())
                    .monospace()
                    .size(24.0)
                    .strong()
                    .color(ui.visuals().strong_text_color()),
            );
        }
        None => {
            ui.colored_label(ui.visuals().warn_fg_color, missing);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tree_flattens_and_toggles() {
        let mut t = JsonTree::new(json!({"a": 1, "b": {"c": [1, 2]}, "exp": 100}));
        assert_eq!(t.visible_rows(), 3);
        assert_eq!(t.rows[1].text, "{1 keys}");
        assert_eq!(t.rows[2].time, Some(100));
        t.expanded.insert("/b".into());
        t.dirty = true;
        assert_eq!(t.visible_rows(), 4);
        t.expanded.insert("/b/c".into());
        t.dirty = true;
        assert_eq!(t.visible_rows(), 6);
        assert_eq!(t.rows[3].key, "[0]");
        assert_eq!(t.rows[3].depth, 2);
        assert_eq!(t.rows[5].key, "exp");
    }

    #[test]
    fn the_search_finds_names_values_and_meanings_at_any_depth() {
        let mut t = JsonTree::new(json!({
            "exp": 100,
            "address": {"street": "Main St", "country": "NZ"},
            "https://example.com/team": ["blue", "main"],
        }))
        .with_names(grantscope_core::token::names::claim);
        assert_eq!(
            t.shown_keys(),
            ["exp", "address", "https://example.com/team"]
        );
        t.set_filter("MAIN");
        assert_eq!(
            t.shown_keys(),
            ["address.street", "https://example.com/team[1]"]
        );
        // By meaning: "expiration" finds exp, which keeps its time.
        t.set_filter("expiration");
        assert_eq!(t.shown_keys(), ["exp"]);
        assert_eq!(t.rows[0].time, Some(100));
        assert!(t.rows[0].meaning.is_some());
        t.set_filter("");
        assert_eq!(t.visible_rows(), 3);
    }

    #[test]
    fn marks_follow_json_pointers_into_objects_and_arrays() {
        let v = json!({"address": {"street": "Main St"}, "nat": ["DE", "US"], "a/b": 1});
        let path = |p| JsonTree::path_of_pointer(&v, p);
        assert_eq!(path("/address/street").as_deref(), Some("/address/street"));
        assert_eq!(path("/nat/1").as_deref(), Some("/nat/[1]"));
        assert_eq!(path("/a~1b").as_deref(), Some("/a/b"));
        assert_eq!(path("/nat/2"), None);
        let marks = ["/nat/[1]", "/address"].map(String::from).into();
        let mut t = JsonTree::new(v.clone()).with_marks(marks, "disclosed");
        assert_eq!(t.marked_keys(), ["address"]);
        t.expanded.insert("/nat".into());
        t.dirty = true;
        assert_eq!(t.marked_keys(), ["address", "[1]"]);
        // A search keeps the marks of the rows it finds.
        t.set_filter("US");
        assert_eq!(t.marked_keys(), ["nat[1]"]);
    }

    #[test]
    fn long_strings_are_cut_on_a_char_boundary() {
        let s = "é".repeat(300);
        let line = one_line(&Value::String(s));
        assert!(line.len() < 220 && line.ends_with("...\""));
    }
}
