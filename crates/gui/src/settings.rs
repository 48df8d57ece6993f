//! The desktop app's persisted state: what survives a restart (last screen, zoom, theme, wizard
//! answers, active profile, the classroom's sandbox settings), kept apart from runtime state and stored as JSON in the config dir.
//!
//! Every field has a default (`#[serde(default)]`), so a file from an older version still loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The screens of the one window, in top-bar order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Screen {
    /// The grant decision flowchart.
    #[default]
    Wizard,
    /// Runs a grant and shows its exchanges.
    Flow,
    /// Decodes and validates a token.
    Inspector,
    /// Named connections.
    Profiles,
    /// Every exchange of the session.
    History,
    /// The in-process sandbox as a classroom: port, lifetimes, login, teaching switches.
    Classroom,
}

impl Screen {
    /// All screens, in top-bar order.
    pub const ALL: [Screen; 6] = [
        Screen::Wizard,
        Screen::Flow,
        Screen::Inspector,
        Screen::Profiles,
        Screen::History,
        Screen::Classroom,
    ];

    /// The top-bar label.
    pub fn label(self) -> &'static str {
        match self {
            Screen::Wizard => "Wizard",
            Screen::Flow => "Flow runner",
            Screen::Inspector => "Token inspector",
            Screen::Profiles => "Profiles",
            Screen::History => "History",
            Screen::Classroom => "Classroom",
        }
    }

    /// Parses a screen name as given to `GRANTSCOPE_SCREEN` (`wizard`, `flow`, `inspector`, ...).
    pub fn parse(name: &str) -> Option<Screen> {
        let name = name.trim().to_ascii_lowercase();
        Screen::ALL.into_iter().find(|s| {
            let key = format!("{s:?}").to_ascii_lowercase();
            key == name || s.label().eq_ignore_ascii_case(&name)
        })
    }
}

/// Light, dark, or whatever the system says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ThemeChoice {
    /// Follow the system's preference.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// The egui preference for this choice.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// What the app remembers between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The screen shown last.
    pub screen: Screen,
    /// UI zoom (1.0 = 100 %), for projectors.
    pub zoom: f32,
    /// Light/dark.
    pub theme: ThemeChoice,
    /// Wizard answers: question id → answer index.
    pub wizard: BTreeMap<String, usize>,
    /// The profile the flow runner uses.
    pub active_profile: Option<String>,
    /// Whether the "Local sandbox" profile has been offered once (it is not re-created after
    /// the user deletes it).
    pub sandbox_profile_created: bool,
    /// How the in-process sandbox runs (the classroom panel).
    pub classroom: crate::sandbox_settings::ClassroomSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            screen: Screen::Wizard,
            zoom: 1.0,
            theme: ThemeChoice::System,
            wizard: BTreeMap::new(),
            active_profile: None,
            sandbox_profile_created: false,
            classroom: crate::sandbox_settings::ClassroomSettings::default(),
        }
    }
}

/// The zoom levels offered in the top bar.
pub const ZOOM_LEVELS: [f32; 6] = [0.8, 1.0, 1.25, 1.5, 2.0, 2.5];

impl Settings {
    /// The settings file inside a config dir.
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join("gui.json")
    }

    /// Loads the settings, or the defaults when the file is missing or unreadable (a broken
    /// settings file must never keep the app from starting).
    pub fn load(config_dir: &Path) -> Self {
        std::fs::read(Self::path(config_dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Settings>(&bytes).ok())
            .map(Settings::sanitized)
            .unwrap_or_default()
    }

    /// Writes the settings through the core's one private-file writer (atomic, owner-only).
    pub fn save(&self, config_dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(config_dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        grantscope_core::private_file::write_private(&Self::path(config_dir), &json)
    }

    fn sanitized(mut self) -> Self {
        self.classroom = self.classroom.normalized();
        if !self.zoom.is_finite() || !(0.5..=4.0).contains(&self.zoom) {
            self.zoom = 1.0;
        }
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_old_or_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        let mut s = Settings {
            screen: Screen::History,
            zoom: 1.5,
            ..Settings::default()
        };
        s.wizard.insert("have_refresh_token".into(), 1);
        s.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()), s);

        // An older file with fewer fields still loads, with defaults for the rest.
        std::fs::write(Settings::path(dir.path()), r#"{"screen":"profiles"}"#).unwrap();
        let old = Settings::load(dir.path());
        assert_eq!(old.screen, Screen::Profiles);
        assert_eq!(old.zoom, 1.0);

        // Nonsense zoom is reset; garbage falls back to defaults.
        std::fs::write(Settings::path(dir.path()), r#"{"zoom":99.0}"#).unwrap();
        assert_eq!(Settings::load(dir.path()).zoom, 1.0);
        std::fs::write(Settings::path(dir.path()), "not json").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }

    #[test]
    fn screen_names_parse() {
        assert_eq!(Screen::parse("inspector"), Some(Screen::Inspector));
        assert_eq!(Screen::parse("Flow runner"), Some(Screen::Flow));
        assert_eq!(Screen::parse("nope"), None);
    }
}
