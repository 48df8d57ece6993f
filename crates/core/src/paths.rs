//! Where grantscope keeps its files: the user's config directory, or `GRANTSCOPE_CONFIG_DIR`.

use std::path::PathBuf;

/// Environment variable that overrides the config directory (tests, portable installs).
pub const CONFIG_DIR_ENV: &str = "GRANTSCOPE_CONFIG_DIR";

/// The config directory: `$GRANTSCOPE_CONFIG_DIR`, else the platform's (e.g. `~/.config/grantscope`).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "grantscope").map(|p| p.config_dir().to_path_buf())
}
