//! The layout model every screen follows, so the window holds from 1024×700 at 100 % to
//! 1920×1080 at 200 % zoom: a screen asks how wide it is ([`width_of`]) and puts its sections
//! side by side when wide, in fewer columns when medium, and one above the other in a single
//! scroll area when narrow. Text boxes have capped heights and scroll
//! ([`crate::exchange_view::capped_text_ui`]); the top bar wraps instead of overlapping. Also the
//! keyboard focus ring drawn over whatever widget has focus.

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
    painter
        .with_clip_rect(resp.interact_rect.expand(4.0))
        .rect_stroke(
            resp.interact_rect.expand(2.0),
            4.0,
            egui::Stroke::new(2.0, visuals.selection.stroke.color),
            egui::StrokeKind::Outside,
        );
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
