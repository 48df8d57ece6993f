//! The desktop app (eframe/egui): the grant wizard, the flow runner, the token inspector,
//! profiles and history, over the GUI-free core. [`run`] opens the window.

// Library code handles errors instead of panicking (unit tests may unwrap: clippy.toml).
#![warn(clippy::unwrap_used, clippy::expect_used)]

// The modules by layer, bottom to top; a module imports only from the layers below it (and its
// own submodules). The table is the workspace's `tests/layers.rs`, which checks every crate.

// Shared parts.
pub mod bench;
pub mod browser_wait;
pub mod calm_start;
pub mod connect;
pub mod exchange_view;
pub mod files;
pub mod form_rows;
pub mod handoff;
pub mod layout;
pub mod replay;
pub mod request_editor;
pub mod request_options;
pub mod sandbox_settings;
pub mod sequence;
pub mod settings;
pub mod widgets;
mod worker;

// Panels (parts of more than one screen).
pub mod step;

// Screens.
pub mod classroom;
pub mod flow;
pub mod history;
pub mod inspector;
pub mod logout;
pub mod probes;
pub mod profiles;
pub mod wizard;

// The shell.
mod app;

pub use app::{AppOptions, GrantscopeApp};
pub use settings::Screen;

/// The window title and eframe app id.
pub const APP_NAME: &str = "grantscope";

/// The window icon (drawn by `assets/make_icon.py`).
const ICON_PNG: &[u8] = include_bytes!("../../../assets/icon.png");

/// Opens the desktop app with the user's settings and blocks until the window is closed.
pub fn run() -> anyhow::Result<()> {
    run_with(AppOptions::from_env()?)
}

/// Opens the desktop app with explicit options.
pub fn run_with(options: AppOptions) -> anyhow::Result<()> {
    // Hidden: `GRANTSCOPE_WINDOW_SIZE=WxH` opens the window at that size (screenshots, benches).
    let size = std::env::var("GRANTSCOPE_WINDOW_SIZE")
        .ok()
        .and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some([w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?])
        })
        .filter(|[w, h]| (200.0..=8000.0).contains(w) && (200.0..=8000.0).contains(h))
        .unwrap_or([1280.0, 800.0]);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(APP_NAME)
        .with_app_id(APP_NAME)
        .with_inner_size(size)
        .with_position([0.0, 0.0])
        .with_min_inner_size([640.0, 420.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => eprintln!("warning: the window icon did not load: {e}"),
    }
    std::fs::create_dir_all(&options.config_dir)?;
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        // Window size and position live beside our settings, in the same config dir.
        persistence_path: Some(options.config_dir.join("window.ron")),
        ..Default::default()
    };
    eframe::run_native(
        APP_NAME,
        native,
        Box::new(move |cc| {
            let app = GrantscopeApp::new(cc, options)?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}
