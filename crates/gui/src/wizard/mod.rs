//! The wizard screen: the seed's "Which Grant?" flowchart painted as a diagram.
//!
//! Questions run down the left, answers sit on the arrows as clickable chips, and leaves (the
//! grants) stand on the right, as in the seed's ASCII chart. The chosen path lights up; the side
//! panel explains the leaf in the seed's words and offers "Run this grant" and a link to the
//! security probes that test the grant's pitfalls at a server.
//!
//! The keyboard walks it too: the keys 1 to 9 answer the current question (as its answers are
//! numbered in the explanation), Tab from nowhere goes to the current question's first answer
//! and then follows the questions in order, the arrow keys move between the answers of one
//! question, Enter or Space answers, and after each answer the focus moves on to the next
//! question (or to "Run this grant"), scrolled into view.

pub mod api;

use std::collections::BTreeMap;

use egui::{
    Align2, Color32, CornerRadius, FontId, Pos2, Rect, Role, Sense, Stroke, StrokeKind, Vec2,
    WidgetInfo,
};

use grantscope_core::wizard::{self, Edge, Grant, Node, NodeKind, Note};

/// What the wizard asks the app to do after drawing.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardCommand {
    /// Open the flow runner pre-filled for this grant.
    RunGrant(Grant),
    /// Open the Probes window with the probes that test this grant's pitfalls chosen.
    OpenProbes(Grant),
}

// Design units (points at scale 1.0).
const Q_W: f32 = 230.0;
const Q_H: f32 = 56.0;
const CHIP_W: f32 = 200.0;
const SPINE_CHIP_W: f32 = 100.0;
const CHIP_H: f32 = 28.0;
const CHIP_ROW: f32 = 36.0;
const LEAF_W: f32 = 270.0;
const LEAF_H: f32 = 64.0;
const GAP: f32 = 46.0;
const START_H: f32 = 30.0;
const MARGIN: f32 = 8.0;

/// Where each element of the chart goes, in design units from the chart's top-left corner.
#[derive(Debug)]
pub struct Layout {
    /// The "Start" pill.
    pub start: Rect,
    /// Node boxes by id.
    pub nodes: Vec<(&'static str, Rect)>,
    /// Answer chips: (question id, answer index, rect, whether it sits on the vertical spine).
    pub chips: Vec<(&'static str, usize, Rect, bool)>,
    /// The whole chart's size.
    pub size: Vec2,
}

impl Layout {
    /// The rect of a node.
    pub fn node(&self, id: &str) -> Option<Rect> {
        self.nodes.iter().find(|(n, _)| *n == id).map(|(_, r)| *r)
    }
}

fn is_question(id: &str) -> bool {
    wizard::node(id).is_some_and(|n| matches!(n.kind, NodeKind::Question { .. }))
}

/// Lays the chart out: questions down the left column (the spine), leaf answers as rows of chips
/// in the middle column, leaves in the right column, each leaf spanning the chips that lead to it.
pub fn layout() -> Layout {
    let x_q = MARGIN;
    let x_chip = x_q + Q_W + GAP;
    let x_leaf = x_chip + CHIP_W + GAP;
    let spine_x = x_q + Q_W / 2.0;

    let mut out = Layout {
        start: Rect::from_center_size(
            Pos2::new(spine_x, MARGIN + START_H / 2.0),
            Vec2::new(90.0, START_H),
        ),
        nodes: Vec::new(),
        chips: Vec::new(),
        size: Vec2::ZERO,
    };
    let mut y = MARGIN + START_H + GAP * 0.6;
    let mut right_min_y = MARGIN;
    let mut current = Some(wizard::root());
    let mut guard = 0;
    while let Some(q) = current.take() {
        guard += 1;
        if guard > wizard::NODES.len() {
            break;
        }
        let q_rect = Rect::from_min_size(Pos2::new(x_q, y), Vec2::new(Q_W, Q_H));
        out.nodes.push((q.id, q_rect));

        // Group consecutive answers that lead to the same leaf.
        let mut groups: Vec<(&'static str, Vec<usize>)> = Vec::new();
        let mut spine: Option<(usize, &Edge)> = None;
        for (i, e) in q.edges().iter().enumerate() {
            if is_question(e.to) {
                spine = Some((i, e));
            } else if let Some(last) = groups.last_mut().filter(|(to, _)| *to == e.to) {
                last.1.push(i);
            } else {
                groups.push((e.to, vec![i]));
            }
        }
        let heights: Vec<f32> = groups
            .iter()
            .map(|(_, idx)| (idx.len() as f32 * CHIP_ROW).max(LEAF_H) + 14.0)
            .collect();
        let first_h = heights.first().copied().unwrap_or(0.0);
        let mut gy = (q_rect.center().y - first_h / 2.0).max(right_min_y);
        for ((to, idx), h) in groups.iter().zip(&heights) {
            let n = idx.len() as f32;
            let top = gy + (h - n * CHIP_ROW) / 2.0;
            for (k, &i) in idx.iter().enumerate() {
                let cy = top + CHIP_ROW * (k as f32 + 0.5);
                let r = Rect::from_center_size(
                    Pos2::new(x_chip + CHIP_W / 2.0, cy),
                    Vec2::new(CHIP_W, CHIP_H),
                );
                out.chips.push((q.id, i, r, false));
            }
            let leaf_h = (n * CHIP_ROW).max(LEAF_H);
            let leaf = Rect::from_center_size(
                Pos2::new(x_leaf + LEAF_W / 2.0, gy + h / 2.0),
                Vec2::new(LEAF_W, leaf_h),
            );
            out.nodes.push((to, leaf));
            gy += h;
        }
        right_min_y = gy + 6.0;

        if let Some((i, e)) = spine {
            let chip_y = q_rect.bottom() + GAP * 0.25 + CHIP_H / 2.0;
            let r =
                Rect::from_center_size(Pos2::new(spine_x, chip_y), Vec2::new(SPINE_CHIP_W, CHIP_H));
            out.chips.push((q.id, i, r, true));
            y = (r.bottom() + GAP * 0.5).max(right_min_y);
            current = wizard::node(e.to);
        } else {
            y = q_rect.bottom().max(right_min_y);
        }
    }
    let max = out
        .nodes
        .iter()
        .map(|(_, r)| *r)
        .chain(out.chips.iter().map(|c| c.2))
        .fold(out.start, |a, b| a.union(b));
    out.size = Vec2::new(max.right() + MARGIN, max.bottom() + MARGIN);
    out
}

/// The chosen path from the root, as (node id, chosen answer) pairs.
pub fn path(choices: &BTreeMap<String, usize>) -> Vec<wizard::Step> {
    wizard::walk(|n| choices.get(n.id).copied())
}

/// Chooses `answer` at `question`, forgetting the answers below it so the path stays consistent.
pub fn choose(choices: &mut BTreeMap<String, usize>, question: &str, answer: usize) {
    let on_path: Vec<&str> = path(choices).iter().map(|s| s.node.id).collect();
    if let Some(pos) = on_path.iter().position(|id| *id == question) {
        for id in &on_path[pos + 1..] {
            choices.remove(*id);
        }
    }
    choices.insert(question.to_owned(), answer);
}

/// Makes the path lead to `leaf_id` (used when a leaf box is clicked directly).
pub fn choose_leaf(choices: &mut BTreeMap<String, usize>, leaf_id: &str) {
    fn find(node: &Node, target: &str, acc: &mut Vec<(&'static str, usize)>) -> bool {
        for (i, e) in node.edges().iter().enumerate() {
            acc.push((node.id, i));
            if e.to == target || wizard::node(e.to).is_some_and(|n| find(n, target, acc)) {
                return true;
            }
            acc.pop();
        }
        false
    }
    let mut acc = Vec::new();
    if find(wizard::root(), leaf_id, &mut acc) {
        choices.clear();
        for (q, i) in acc {
            choices.insert(q.to_owned(), i);
        }
    }
}

struct Palette {
    text: Color32,
    weak: Color32,
    line: Color32,
    hi: Color32,
    hi_fill: Color32,
    question: Color32,
    leaf: Color32,
    deprecated: Color32,
    chip: Color32,
}

fn palette(v: &egui::Visuals) -> Palette {
    let dark = v.dark_mode;
    let tint = |r: u8, g: u8, b: u8| {
        if dark {
            Color32::from_rgb(r / 4 + 20, g / 4 + 20, b / 4 + 24)
        } else {
            Color32::from_rgb(
                255 - (255 - r) / 5,
                255 - (255 - g) / 5,
                255 - (255 - b) / 5,
            )
        }
    };
    Palette {
        text: v.strong_text_color(),
        weak: v.weak_text_color(),
        line: v
            .widgets
            .noninteractive
            .fg_stroke
            .color
            .gamma_multiply(0.55),
        hi: v.selection.stroke.color,
        hi_fill: v.selection.bg_fill,
        question: tint(90, 140, 220),
        leaf: tint(80, 180, 110),
        deprecated: tint(220, 110, 80),
        chip: v.widgets.inactive.weak_bg_fill,
    }
}

/// The wizard's first question: where the user starts. "Which grant?" is the chart; "I have
/// an API URL" is [`api::ApiStart`]'s guided chain. A row of its own in the panel that shows
/// it (never over the chart).
pub fn start_question_row(ui: &mut egui::Ui, api_chosen: &mut bool) {
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Where do you start?").strong());
        ui.selectable_value(api_chosen, false, "Which grant? (the chart)");
        ui.selectable_value(api_chosen, true, "I have an API URL");
    });
    ui.separator();
}

/// The keys that answer a question by its number.
pub const ANSWER_KEYS: [egui::Key; 9] = [
    egui::Key::Num1,
    egui::Key::Num2,
    egui::Key::Num3,
    egui::Key::Num4,
    egui::Key::Num5,
    egui::Key::Num6,
    egui::Key::Num7,
    egui::Key::Num8,
    egui::Key::Num9,
];

/// The keyboard's state between frames.
#[derive(Debug, Clone, Copy, Default)]
struct Keys {
    /// Something had the focus at the end of the last frame (else Tab enters the chart).
    had_focus: bool,
    /// Move the focus to where the walk goes on: the current question's first answer, or the
    /// leaf's run button.
    follow: bool,
}

fn keys_id() -> egui::Id {
    egui::Id::unique("wizard_keys")
}

/// The id of an answer chip, so the keyboard can move to it.
fn chip_id(question: &str, answer: usize) -> egui::Id {
    egui::Id::unique(("wizard_chip", question, answer))
}

/// The answer chip with this id.
fn chip_of(id: egui::Id) -> Option<(&'static str, usize, usize)> {
    wizard::NODES.iter().find_map(|n| {
        let count = n.edges().len();
        (0..count)
            .find(|&i| chip_id(n.id, i) == id)
            .map(|i| (n.id, i, count))
    })
}

/// The keys that answer or enter the chart, before it is drawn.
fn keys_ui(ctx: &egui::Context, keys: &mut Keys, choices: &mut BTreeMap<String, usize>) {
    let free = !ctx.text_edit_focused() && !egui::Popup::is_any_open(ctx);
    if !free {
        return;
    }
    let current = path(choices)
        .last()
        .map(|s| s.node)
        .unwrap_or_else(wizard::root);
    if let NodeKind::Question { edges, .. } = &current.kind {
        for (i, key) in ANSWER_KEYS.iter().enumerate().take(edges.len()) {
            if ctx.input_mut(|inp| inp.consume_key(egui::Modifiers::NONE, *key)) {
                choose(choices, current.id, i);
                keys.follow = true;
                return;
            }
        }
    }
    let (tab, arrow) = ctx.input(|i| {
        let tab = i.modifiers.is_none() && i.key_pressed(egui::Key::Tab);
        let arrow = i.modifiers.is_none()
            && [
                egui::Key::ArrowDown,
                egui::Key::ArrowUp,
                egui::Key::ArrowLeft,
                egui::Key::ArrowRight,
            ]
            .iter()
            .any(|k| i.key_pressed(*k));
        (tab, arrow)
    });
    let focused = ctx.memory(|m| m.focused());
    if (tab && !keys.had_focus) || (arrow && focused.is_none()) {
        keys.follow = true;
    }
}

/// Draws the wizard screen. Returns a command when "Run this grant" was clicked.
pub fn wizard_ui(
    ui: &mut egui::Ui,
    choices: &mut BTreeMap<String, usize>,
    api_chosen: &mut bool,
) -> Option<WizardCommand> {
    let mut command = None;
    let ctx = ui.ctx().clone();
    let mut keys: Keys = ctx.data(|d| d.get_temp(keys_id())).unwrap_or_default();
    keys_ui(&ctx, &mut keys, choices);
    let steps = path(choices);
    let current = steps.last().map(|s| s.node).unwrap_or_else(wizard::root);
    // Where the focus goes now, when the walk moved on.
    let follow = std::mem::take(&mut keys.follow);
    let focus_run = follow && matches!(current.kind, NodeKind::Leaf(_));
    if follow && matches!(current.kind, NodeKind::Question { .. }) {
        ctx.memory_mut(|m| {
            m.request_focus(chip_id(current.id, 0));
            // Not also egui's move to the nearest widget in the arrow's direction.
            m.move_focus(egui::FocusDirection::None);
        });
    }

    // Narrow (a projector): the explanation under the chart; else beside it. The chart always
    // scales to the width it has, so no leaf is cut off.
    let total = ui.available_width();
    let mut explain = |ui: &mut egui::Ui, command: &mut Option<WizardCommand>, choices: &mut _| {
        crate::layout::mark_pane(ui);
        // Its bar always shown: at 150 % the answers go on below the panel's edge.
        egui::ScrollArea::vertical()
            .id_salt("wizard_explain_scroll")
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
            .show(ui, |ui| {
                start_question_row(ui, api_chosen);
                *command = explanation_ui(ui, current, choices, focus_run);
            });
    };
    if crate::layout::width_class(total) == crate::layout::Width::Narrow {
        let total_h = ui.available_height();
        egui::Panel::bottom("wizard_explain_below")
            .resizable(true)
            .default_size(total_h * 0.42)
            .min_size(120.0)
            .max_size(total_h * 0.7)
            .show(ui, |ui| explain(ui, &mut command, choices));
    } else {
        egui::Panel::right("wizard_explain")
            .resizable(true)
            .default_size((total * 0.34).clamp(260.0, 420.0))
            .min_size(240.0)
            .max_size(total * 0.5)
            .show(ui, |ui| explain(ui, &mut command, choices));
    }
    egui::CentralPanel::default().show(ui, |ui| {
        crate::layout::mark_pane(ui);
        // The width is fixed before the scroll area (its bar always shown), so the chart does
        // not re-scale by a few pixels when a click changes what needs scrolling.
        let width = ui.available_width() - ui.spacing().scroll.bar_width - 6.0;
        egui::ScrollArea::vertical()
            .id_salt("wizard_chart_scroll")
            .auto_shrink([false, false])
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
            .show(ui, |ui| {
                if chart_ui(ui, choices, &steps, width) {
                    keys.follow = true;
                }
            });
    });
    keys.had_focus = ctx.memory(|m| m.focused().is_some());
    ctx.data_mut(|d| d.insert_temp(keys_id(), keys));
    command
}

/// The explanation beside (or under) the chart; `focus_run` gives its run button the focus.
fn explanation_ui(
    ui: &mut egui::Ui,
    current: &Node,
    choices: &mut BTreeMap<String, usize>,
    focus_run: bool,
) -> Option<WizardCommand> {
    let mut command = None;
    match &current.kind {
        NodeKind::Question { text, edges } => {
            ui.heading("Which grant?");
            ui.label(
                "Grants are different ways a client can obtain an access token that will \
                 authorize it to use the resource server. Deciding which grant to use depends on \
                 the type of client the end user will be using.",
            );
            ui.add_space(8.0);
            ui.label(egui::RichText::new(*text).strong());
            ui.label("Click an answer on the chart, or press its number:");
            for (i, e) in edges.iter().enumerate() {
                ui.label(format!("  {}. {}", i + 1, e.label));
            }
        }
        NodeKind::Leaf(leaf) => {
            ui.heading(leaf.title);
            ui.label(egui::RichText::new(leaf.subtitle).italics());
            if let Some(why) = leaf.deprecated {
                ui.add_space(6.0);
                ui.label(
                    egui::RichText::new("Deprecated: do not use")
                        .strong()
                        .color(ui.visuals().error_fg_color),
                );
                ui.label(egui::RichText::new(why).color(ui.visuals().warn_fg_color));
            }
            ui.add_space(6.0);
            // The run button and the probes link share a row (wrapping when narrow), first
            // under the title: the primary action stays on the first screen.
            ui.horizontal_wrapped(|ui| {
                match leaf.grant.cli_name() {
                    Some(_) => {
                        let label = if leaf.grant.is_deprecated() {
                            "Run this grant anyway"
                        } else {
                            "Run this grant"
                        };
                        let run = ui
                            .add(egui::Button::new(egui::RichText::new(label).strong()))
                            .on_hover_text(
                                "Open the flow runner pre-filled from the active profile",
                            );
                        if focus_run {
                            run.request_focus();
                        }
                        if run.gained_focus() || focus_run {
                            run.scroll_to_me(None);
                        }
                        if run.clicked() {
                            command = Some(WizardCommand::RunGrant(leaf.grant));
                        }
                    }
                    _ => {
                        ui.label(
                            egui::RichText::new(
                                "grantscope explains this grant but does not run it.",
                            )
                            .weak(),
                        );
                    }
                }
                if leaf.probes.is_empty() {
                    ui.label(
                        egui::RichText::new(
                            "No security probe tests this grant's own pitfalls yet.",
                        )
                        .weak(),
                    );
                } else {
                    let link = ui
                        .link(format!(
                            "Probe a server for its pitfalls ({} probe{})",
                            leaf.probes.len(),
                            if leaf.probes.len() == 1 { "" } else { "s" }
                        ))
                        .on_hover_text(format!(
                            "Open the Probes window with these chosen: {}",
                            leaf.probes.join(", ")
                        ));
                    if link.clicked() {
                        command = Some(WizardCommand::OpenProbes(leaf.grant));
                    }
                }
            });
            ui.add_space(6.0);
            ui.label(leaf.explanation);
            ui.add_space(10.0);
            ui.label(egui::RichText::new("Notes").strong());
            for note in Note::ALL {
                let text = egui::RichText::new(format!("- {}", note.text()));
                ui.label(if leaf.notes.contains(&note) {
                    text.strong()
                } else {
                    text.weak()
                });
            }
            ui.add_space(10.0);
            let start_over = ui.button("Start over");
            // A grant grantscope does not run: the keyboard goes on to Start over.
            if focus_run && leaf.grant.cli_name().is_none() {
                start_over.request_focus();
                start_over.scroll_to_me(None);
            }
            if start_over.clicked() {
                choices.clear();
            }
        }
    }
    command
}

/// Draws the chart; returns whether an answer was given from the keyboard (Enter or Space on
/// a focused answer), so the focus follows the walk.
fn chart_ui(
    ui: &mut egui::Ui,
    choices: &mut BTreeMap<String, usize>,
    steps: &[wizard::Step],
    width: f32,
) -> bool {
    let lay = layout();
    let scale = (width / lay.size.x).clamp(0.45, 1.4);
    let (response, painter) = ui.allocate_painter(lay.size * scale, Sense::hover());
    let origin = response.rect.min;
    let tf = |r: Rect| {
        Rect::from_min_max(
            origin + r.min.to_vec2() * scale,
            origin + r.max.to_vec2() * scale,
        )
    };
    // The arrow keys move between the answers of the focused answer's question.
    let step = ui.input(|i| {
        let down = [egui::Key::ArrowDown, egui::Key::ArrowRight]
            .iter()
            .any(|k| i.key_pressed(*k));
        let up = [egui::Key::ArrowUp, egui::Key::ArrowLeft]
            .iter()
            .any(|k| i.key_pressed(*k));
        if !i.modifiers.is_none() {
            0
        } else {
            i32::from(down) - i32::from(up)
        }
    });
    if step != 0
        && let Some((q, i, count)) = ui.memory(|m| m.focused()).and_then(chip_of)
    {
        let next = (i as i32 + step).rem_euclid(count as i32) as usize;
        ui.memory_mut(|m| {
            m.request_focus(chip_id(q, next));
            m.move_focus(egui::FocusDirection::None);
        });
    }
    // The answers take the keyboard's focus first, question by question in the chart's
    // order and each question's answers in their numbered order: Tab follows the questions.
    // The boxes are clicked with the mouse (their answers already hold the keyboard's way).
    let mut order: Vec<usize> = (0..lay.chips.len()).collect();
    let rank = |q: &str| {
        lay.nodes
            .iter()
            .position(|(n, _)| *n == q)
            .unwrap_or(usize::MAX)
    };
    order.sort_by_key(|&k| (rank(lay.chips[k].0), lay.chips[k].1));
    let mut chip_resp: Vec<Option<egui::Response>> = vec![None; lay.chips.len()];
    for k in order {
        let (q, i, chip, _) = &lay.chips[k];
        let resp = ui.interact(tf(*chip), chip_id(q, *i), Sense::click());
        if resp.gained_focus() {
            resp.scroll_to_me(None);
        }
        chip_resp[k] = Some(resp);
    }
    let mut from_keyboard = false;
    let pal = palette(ui.visuals());
    let min = crate::layout::MIN_TEXT_POINTS;
    let font = FontId::proportional((14.0 * scale).max(min));
    let small = FontId::proportional((12.5 * scale).max(min));

    let on_path = |id: &str| steps.iter().any(|s| s.node.id == id);
    let chosen = |q: &str, i: usize| steps.iter().any(|s| s.node.id == q && s.chosen == Some(i));
    let stroke = |hi: bool| {
        if hi {
            Stroke::new(2.5 * scale, pal.hi)
        } else {
            Stroke::new(1.2 * scale, pal.line)
        }
    };
    let box_stroke = |hi: bool| {
        if hi {
            Stroke::new(1.2 * scale, pal.hi)
        } else {
            Stroke::new(1.0 * scale, pal.line)
        }
    };
    let arrow_to = |from: Pos2, to: Pos2, hi: bool| {
        let s = stroke(hi);
        let v = to - from;
        let len = v.length();
        if len < 1.0 {
            return;
        }
        let dir = v / len;
        let tip = 9.0 * scale;
        painter.line_segment([from, to], s);
        let back = to - dir * tip;
        let normal = Vec2::new(-dir.y, dir.x) * tip * 0.5;
        painter.add(egui::Shape::convex_polygon(
            vec![to, back + normal, back - normal],
            s.color,
            Stroke::NONE,
        ));
    };

    // Start pill and its arrow.
    let start = tf(lay.start);
    painter.rect(
        start,
        CornerRadius::same(200),
        pal.chip,
        stroke(true),
        StrokeKind::Inside,
    );
    painter.text(
        start.center(),
        Align2::CENTER_CENTER,
        "Start",
        font.clone(),
        pal.text,
    );
    if let Some(root) = lay.node(wizard::ROOT).map(tf) {
        arrow_to(start.center_bottom(), root.center_top(), true);
    }

    // Connectors first, boxes on top.
    for (q, i, chip, on_spine) in &lay.chips {
        let Some(qr) = lay.node(q).map(tf) else {
            continue;
        };
        let Some(edge) = wizard::node(q).and_then(|n| n.edges().get(*i)) else {
            continue;
        };
        let Some(tr) = lay.node(edge.to).map(tf) else {
            continue;
        };
        let c = tf(*chip);
        let hi = chosen(q, *i);
        if *on_spine {
            painter.line_segment([qr.center_bottom(), c.center_top()], stroke(hi));
            arrow_to(c.center_bottom(), tr.center_top(), hi);
        } else {
            // Question → trunk → chip, elbowed like the seed's chart.
            let trunk_x = qr.right() + GAP * 0.5 * scale;
            let y0 = qr.center().y;
            painter.line_segment(
                [Pos2::new(qr.right(), y0), Pos2::new(trunk_x, y0)],
                stroke(hi),
            );
            painter.line_segment(
                [Pos2::new(trunk_x, y0), Pos2::new(trunk_x, c.center().y)],
                stroke(hi),
            );
            painter.line_segment(
                [Pos2::new(trunk_x, c.center().y), c.left_center()],
                stroke(hi),
            );
            let y = c.center().y.clamp(tr.top() + 6.0, tr.bottom() - 6.0);
            arrow_to(c.right_center(), Pos2::new(tr.left(), y), hi);
        }
    }

    // Node boxes.
    for (id, r) in &lay.nodes {
        let Some(node) = wizard::node(id) else {
            continue;
        };
        let rect = tf(*r);
        let hi = on_path(id);
        let is_current = steps.last().is_some_and(|s| s.node.id == *id);
        let (fill, title, subtitle, role_label) = match &node.kind {
            NodeKind::Question { text, .. } => (pal.question, *text, None, *text),
            NodeKind::Leaf(l) => (
                if l.deprecated.is_some() {
                    pal.deprecated
                } else {
                    pal.leaf
                },
                l.title,
                Some(l.subtitle),
                l.title,
            ),
        };
        let resp = ui
            .interact(rect, egui::Id::unique(("wizard_node", *id)), Sense::CLICK)
            .on_hover_text(match node.kind {
                NodeKind::Question { .. } => "Click to answer this question again",
                NodeKind::Leaf(_) => "Click to show this grant",
            });
        resp.widget_info(|| WidgetInfo::selected(Role::Button, true, is_current, role_label));
        // The path's boxes are outlined thinly: only the keyboard's focus has a ring (the
        // app's focus ring), so one box at a time looks focused.
        let mut s = box_stroke(hi);
        if resp.hovered() {
            s.width += 1.0;
        }
        painter.rect(rect, CornerRadius::same(6), fill, s, StrokeKind::Inside);
        let wrap = rect.width() - 16.0 * scale;
        let g_title = painter.layout(title.to_owned(), font.clone(), pal.text, wrap);
        let g_sub =
            subtitle.map(|t| painter.layout(format!("({t})"), small.clone(), pal.weak, wrap));
        let total = g_title.size().y + g_sub.as_ref().map_or(0.0, |g| g.size().y + 2.0);
        let mut y = rect.center().y - total / 2.0;
        painter.galley(
            Pos2::new(rect.center().x - g_title.size().x / 2.0, y),
            g_title.clone(),
            pal.text,
        );
        y += g_title.size().y + 2.0;
        if let Some(g) = g_sub {
            painter.galley(
                Pos2::new(rect.center().x - g.size().x / 2.0, y),
                g,
                pal.weak,
            );
        }
        if resp.clicked() {
            match node.kind {
                NodeKind::Question { .. } => {
                    choices.remove(*id);
                }
                NodeKind::Leaf(_) => choose_leaf(choices, id),
            }
        }
    }

    // Answer chips (the decisions).
    for ((q, i, chip, _), resp) in lay.chips.iter().zip(chip_resp) {
        let Some(edge) = wizard::node(q).and_then(|n| n.edges().get(*i)) else {
            continue;
        };
        let Some(resp) = resp else {
            continue;
        };
        let rect = tf(*chip);
        let hi = chosen(q, *i);
        resp.widget_info(|| WidgetInfo::selected(Role::Button, true, hi, edge.label));
        let fill = if hi {
            pal.hi_fill
        } else if resp.hovered() {
            ui.visuals().widgets.hovered.weak_bg_fill
        } else {
            pal.chip
        };
        painter.rect(
            rect,
            CornerRadius::same(14),
            fill,
            box_stroke(hi),
            StrokeKind::Inside,
        );
        let color = if hi {
            ui.visuals().selection.stroke.color
        } else {
            pal.text
        };
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            edge.label,
            small.clone(),
            color,
        );
        if resp.clicked() {
            choose(choices, q, *i);
            from_keyboard |= resp.has_focus();
        }
    }
    from_keyboard
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn layout_places_every_node_once_without_overlap() {
        let lay = layout();
        assert_eq!(lay.nodes.len(), wizard::NODES.len());
        let edges: usize = wizard::NODES.iter().map(|n| n.edges().len()).sum();
        assert_eq!(lay.chips.len(), edges);
        let mut rects: Vec<Rect> = lay.nodes.iter().map(|n| n.1).collect();
        rects.extend(lay.chips.iter().map(|c| c.2));
        for (a, ra) in rects.iter().enumerate() {
            assert!(ra.max.x <= lay.size.x && ra.max.y <= lay.size.y);
            for rb in &rects[a + 1..] {
                assert!(
                    !ra.shrink(1.0).intersects(rb.shrink(1.0)),
                    "{ra:?} overlaps {rb:?}"
                );
            }
        }
    }

    #[test]
    fn choosing_again_forgets_the_answers_below() {
        let mut c = BTreeMap::new();
        choose(&mut c, wizard::ROOT, 1);
        choose(&mut c, "token_owner", 1);
        choose(&mut c, "client_type", 0);
        assert_eq!(path(&c).last().unwrap().node.id, "authorization_code");
        choose(&mut c, "token_owner", 0);
        assert!(!c.contains_key("client_type"));
        assert_eq!(path(&c).last().unwrap().node.id, "client_credentials");
    }

    #[test]
    fn clicking_a_leaf_sets_the_path_to_it() {
        let mut c = BTreeMap::new();
        choose_leaf(&mut c, "device_code");
        let p = path(&c);
        assert_eq!(p.last().unwrap().node.id, "device_code");
        assert_eq!(p.len(), 4);
    }
}
