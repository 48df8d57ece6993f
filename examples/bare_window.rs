//! A bare eframe window built from the same eframe/egui versions and options as the app: the
//! baseline `scripts/bench-gui.sh` compares the desktop app against (start-up, idle CPU, memory,
//! per-frame cost). It uses the app's hidden bench hooks (`grantscope_gui::bench`) and nothing
//! else of grantscope.

#[cfg(feature = "gui")]
fn main() -> eframe::Result {
    use grantscope_gui::bench::Bench;

    struct Bare {
        bench: Bench,
    }

    impl eframe::App for Bare {
        fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
            self.bench.start_of_frame();
        }

        fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.label("bare eframe window");
            });
            if self.bench.active() {
                self.bench.end_of_frame(ui.ctx(), frame);
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
        bench: Bench::from_env(),
    };
    eframe::run_native("bare", options, Box::new(|_cc| Ok(Box::new(app))))
}

#[cfg(not(feature = "gui"))]
fn main() {
    eprintln!("bare_window needs the `gui` feature");
}
