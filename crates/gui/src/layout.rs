//! The layout model every screen follows, so the window holds from 1024×700 at 100 % to
//! 1920×1080 at 200 % zoom: a screen asks how wide it is ([`width_of`]) and puts its sections
//! side by side when wide, in fewer columns when medium, and one above the other in a single
//! scroll area when narrow. Text boxes have capped heights and scroll
//! ([`crate::exchange_view::capped_text_ui`]); the top bar wraps instead of overlapping. Also the
//! keyboard focus ring drawn over whatever widget has focus, and the focus given back to a
//! menu's button when its menu closes. And the side windows (Probes, Logout listener): at the
//! right of the area under the top bar, as tall as it allows, scrolling.

/// The smallest text the app draws, in points: 15 px at 150 % (a projector), where the
/// back of the room still reads it.
pub const MIN_TEXT_POINTS: f32 = 10.0;

/// How much room a screen has, in points (after zoom).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Width {
    /// Under 760 points (1024 px at 150 %, 1920 px at 200 %... below that): one column.
    Narrow,
    /// 760 to 1180 points: two columns.
    Medium,
    /// More: three columns where a screen has three.
    Wide,
}

/// The width class for a width in points.
pub fn width_class(points: f32) -> Width {
    if points < 760.0 {
        Width::Narrow
    } else if points < 1180.0 {
        Width::Medium
    } else {
        Width::Wide
    }
}

/// The width class of the space `ui` has left.
pub fn width_of(ui: &egui::Ui) -> Width {
    width_class(ui.available_width())
}

/// Draws a clear ring around the widget that has keyboard focus (egui's own hint is faint), on
/// top of everything, so Tab always shows where it is.
pub fn focus_ring_ui(ctx: &egui::Context) {
    let Some(id) = ctx.memory(|m| m.focused()) else {
        return;
    };
    let Some(resp) = ctx.read_response(id) else {
        return;
    };
    let visuals = ctx.global_style().visuals.clone();
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("focus_ring"),
    ));
    // Two rings, the text colour outside the selection colour: unlike any outline a widget
    // draws for itself (a chosen answer, a selected tab), so only one thing looks focused.
    let ring = resp.interact_rect.expand(2.0);
    let painter = painter.with_clip_rect(resp.interact_rect.expand(6.0));
    painter.rect_stroke(
        ring,
        4.0,
        egui::Stroke::new(2.0, visuals.selection.stroke.color),
        egui::StrokeKind::Outside,
    );
    painter.rect_stroke(
        ring.expand(2.0),
        5.0,
        egui::Stroke::new(1.5, visuals.strong_text_color()),
        egui::StrokeKind::Outside,
    );
}

/// Gives a menu's button the keyboard's focus back when its menu closes (an item chosen,
/// Escape, a click beside it): the focus was in the menu, which is gone, and would otherwise
/// be nowhere. Given in the frame after the close: the click that closed it would take it
/// away again in its own frame.
pub fn refocus_after_menu(button: &egui::Response) {
    let ctx = &button.ctx;
    let open = egui::Popup::is_id_open(ctx, egui::Popup::default_response_id(button));
    // (open last frame, closed last frame: give the focus now)
    let key = button.id.with("menu_was_open");
    let (was_open, give) = ctx.data(|d| d.get_temp::<(bool, bool)>(key).unwrap_or_default());
    if give && !open && ctx.memory(|m| m.focused().is_none()) {
        button.request_focus();
    }
    ctx.data_mut(|d| d.insert_temp(key, (open, was_open && !open)));
}

/// Gives the panel `ui` sits in its bounds in the accessibility tree (egui leaves a panel's
/// node without them), so assistive tools, and the layout tests, know which part of the
/// window the panel shows and clips its content to.
pub fn mark_pane(ui: &egui::Ui) {
    let Some(panel) = ui.stack().iter().find(|s| s.is_panel_ui()) else {
        return;
    };
    let r = panel.max_rect;
    ui.ctx().accesskit_node_builder(panel.unique_id, |node| {
        node.set_bounds(egui::accesskit::Rect {
            x0: r.min.x.into(),
            y0: r.min.y.into(),
            x1: r.max.x.into(),
            y1: r.max.y.into(),
        });
    });
}

/// A side window titled `title` at most `width` points wide, at the top right of `bounds` (the
/// area under the top bar), 90 % of its height, kept inside it, resizable and scrolling.
pub fn side_window(title: &str, bounds: egui::Rect, width: f32) -> egui::Window<'_> {
    let size = egui::vec2(
        width.min(bounds.width() - 16.0).max(200.0),
        (bounds.height() * 0.9).max(200.0),
    );
    egui::Window::new(title)
        .constrain_to(bounds)
        .default_pos(bounds.right_top() + egui::vec2(-size.x - 8.0, 8.0))
        .default_size(size)
        .resizable(true)
        .vscroll(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projector_sizes_get_fewer_columns() {
        // 1024 px at 100 %, 150 % and 200 %; 1920 px at 200 %; 1600 px at 100 %.
        assert_eq!(width_class(1024.0), Width::Medium);
        assert_eq!(width_class(1024.0 / 1.5), Width::Narrow);
        assert_eq!(width_class(512.0), Width::Narrow);
        assert_eq!(width_class(960.0), Width::Medium);
        assert_eq!(width_class(1600.0), Width::Wide);
    }
}
