//! A bare eframe window built from the same eframe/egui versions and options as the app: the
//! baseline `scripts/bench-gui.sh` compares the desktop app against (start-up, idle CPU, memory).
//!
//! Honours the same hidden variables as the app: `GRANTSCOPE_BENCH_T0_NS` (print
//! `first_frame_ms=…` after the first frame) and `GRANTSCOPE_BENCH_EXIT=first-frame`.

#[cfg(feature = "gui")]
fn main() -> eframe::Result {
    use std::time::{SystemTime, UNIX_EPOCH};

    struct Bare {
        t0_ns: Option<u128>,
        exit: bool,
        first: bool,
    }

    impl eframe::App for Bare {
        fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.label("bare eframe window");
            });
            if !self.first {
                self.first = true;
                if let Some(t0) = self.t0_ns {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    println!("first_frame_ms={:.1}", now.saturating_sub(t0) as f64 / 1e6);
                }
                if self.exit {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("bare")
            .with_inner_size([1280.0, 800.0]),
        renderer: eframe::Renderer::Glow,
        persist_window: false,
        ..Default::default()
    };
    let app = Bare {
        t0_ns: std::env::var("GRANTSCOPE_BENCH_T0_NS")
            .ok()
            .and_then(|v| v.parse().ok()),
        exit: std::env::var("GRANTSCOPE_BENCH_EXIT").as_deref() == Ok("first-frame"),
        first: false,
    };
    eframe::run_native("bare", options, Box::new(|_cc| Ok(Box::new(app))))
}

#[cfg(not(feature = "gui"))]
fn main() {
    eprintln!("bare_window needs the `gui` feature");
}
