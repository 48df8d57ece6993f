//! A start that stays still: a pointer that merely rests where the window opened asks for
//! nothing. Until it first moves (or a button is pressed), no tooltip waits and fades in under
//! it and no hover effect animates: egui would otherwise draw frame after frame in the first
//! second (the tooltip's delay, then its fade-in; a scroll bar's hover fade), which under
//! software rendering cost three times the start-up CPU of a bare window. At the first move the
//! style's own tooltip delay and animation time come back, so every hover from then on behaves
//! as usual.

/// Holds tooltips and animations until the pointer first moves.
#[derive(Debug, Default)]
pub struct CalmStart {
    /// Where the pointer was first seen while held.
    first_pos: Option<egui::Pos2>,
    /// The style's own tooltip delay and animation time, to restore; `None` when not holding.
    held: Option<(f32, f32)>,
}

impl CalmStart {
    /// Starts holding: no tooltip delay runs out, nothing animates.
    pub fn hold(ctx: &egui::Context) -> Self {
        let style = ctx.global_style();
        let held = Some((style.interaction.tooltip_delay, style.animation_time));
        ctx.all_styles_mut(|s| {
            // An infinite delay never runs out, and asks for no repaint to wait for it.
            s.interaction.tooltip_delay = f32::INFINITY;
            s.animation_time = 0.0;
        });
        Self {
            first_pos: None,
            held,
        }
    }

    /// Whether tooltips and animations are still held.
    pub fn holding(&self) -> bool {
        self.held.is_some()
    }

    /// Called at the start of each frame: lets go at the pointer's first move, press, or exit.
    pub fn before_frame(&mut self, ctx: &egui::Context) {
        let Some((delay, animation)) = self.held else {
            return;
        };
        let (pos, pressed) = ctx.input(|i| (i.pointer.latest_pos(), i.pointer.any_down()));
        let moved = match (self.first_pos, pos) {
            _ if pressed => true,
            (None, Some(p)) => {
                self.first_pos = Some(p);
                false
            }
            (Some(first), Some(p)) => first.distance(p) > 0.5,
            // The pointer left the window.
            (Some(_), None) => true,
            (None, None) => false,
        };
        if moved {
            ctx.all_styles_mut(|s| {
                s.interaction.tooltip_delay = delay;
                s.animation_time = animation;
            });
            self.held = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(ctx: &egui::Context, events: Vec<egui::Event>, calm: &mut CalmStart) {
        let input = egui::RawInput {
            events,
            ..Default::default()
        };
        let mut out = ctx.run_ui(input, |ui| calm.before_frame(ui.ctx()));
        // Nothing paints here: the font atlas upload is dropped on purpose.
        out.textures_delta.clear();
    }

    #[test]
    fn a_resting_pointer_holds_and_the_first_move_lets_go() {
        let ctx = egui::Context::default();
        let (delay, animation) = {
            let s = ctx.global_style();
            (s.interaction.tooltip_delay, s.animation_time)
        };
        let mut calm = CalmStart::hold(&ctx);
        assert!(calm.holding());
        assert!(ctx.global_style().interaction.tooltip_delay.is_infinite());
        assert_eq!(ctx.global_style().animation_time, 0.0);
        let at = egui::pos2(300.0, 200.0);
        // The pointer is found where the window opened, and stays there.
        frame(&ctx, vec![egui::Event::PointerMoved(at)], &mut calm);
        frame(&ctx, vec![], &mut calm);
        frame(&ctx, vec![egui::Event::PointerMoved(at)], &mut calm);
        assert!(calm.holding());
        assert!(ctx.style_of(egui::Theme::Light).animation_time == 0.0);
        // It moves: the style's own values are back, in both themes.
        frame(
            &ctx,
            vec![egui::Event::PointerMoved(at + egui::vec2(3.0, 0.0))],
            &mut calm,
        );
        assert!(!calm.holding());
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            let s = ctx.style_of(theme);
            assert_eq!(s.interaction.tooltip_delay, delay);
            assert_eq!(s.animation_time, animation);
        }
    }

    #[test]
    fn leaving_the_window_lets_go() {
        let ctx = egui::Context::default();
        let mut calm = CalmStart::hold(&ctx);
        frame(
            &ctx,
            vec![egui::Event::PointerMoved(egui::pos2(10.0, 10.0))],
            &mut calm,
        );
        assert!(calm.holding());
        frame(&ctx, vec![egui::Event::PointerGone], &mut calm);
        assert!(!calm.holding());
    }
}
