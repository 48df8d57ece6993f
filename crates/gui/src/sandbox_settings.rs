//! How the app runs its in-process sandbox (port, lifetimes, auto-approve user, teaching
//! switches), as remembered in the app's settings; the classroom screen edits it and starts the
//! sandbox with it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use grantscope_sandbox::{SWITCHES, SandboxConfig, find_switch};

/// The longest lifetime the panel accepts (a year), in seconds.
pub const MAX_TTL_SECS: u64 = 365 * 24 * 3600;

/// How the app runs its sandbox; remembered in the app's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassroomSettings {
    /// TCP port on 127.0.0.1; 0 picks a free one at the next start, which is then kept here.
    pub port: u16,
    /// `port` was picked by the sandbox, not typed: when another program holds it at a
    /// later start, a free one is picked again instead of failing.
    pub port_picked: bool,
    /// Access-token (and ID-token) lifetime, seconds.
    pub access_token_ttl: u64,
    /// Refresh-token lifetime, seconds.
    pub refresh_token_ttl: u64,
    /// Authorization-code lifetime, seconds.
    pub code_ttl: u64,
    /// Approve every authorization at once as this seeded user; `None` shows the login page.
    pub auto_approve: Option<String>,
    /// The names of the teaching switches that are on (rows of the sandbox's table).
    pub switches: Vec<String>,
}

impl Default for ClassroomSettings {
    fn default() -> Self {
        let d = SandboxConfig::default();
        Self {
            port: d.port,
            port_picked: false,
            access_token_ttl: d.access_token_ttl.as_secs(),
            refresh_token_ttl: d.refresh_token_ttl.as_secs(),
            code_ttl: d.code_ttl.as_secs(),
            auto_approve: None,
            switches: Vec::new(),
        }
    }
}

impl ClassroomSettings {
    /// The same settings with the switches in table order and unknown names dropped (a
    /// settings file written by hand or by another version).
    pub fn normalized(mut self) -> Self {
        self.switches = SWITCHES
            .iter()
            .filter(|s| self.switches.iter().any(|n| n == s.name))
            .map(|s| s.name.to_string())
            .collect();
        self
    }

    /// The sandbox configuration, with its keys under `key_dir`. Unknown switch names (from an
    /// older or edited settings file) and unknown users are ignored.
    pub fn config(&self, key_dir: PathBuf) -> SandboxConfig {
        let clamp = |secs: u64| Duration::from_secs(secs.clamp(1, MAX_TTL_SECS));
        let mut config = SandboxConfig {
            port: self.port,
            access_token_ttl: clamp(self.access_token_ttl),
            refresh_token_ttl: clamp(self.refresh_token_ttl),
            code_ttl: clamp(self.code_ttl),
            auto_approve: self
                .auto_approve
                .clone()
                .filter(|u| grantscope_sandbox::find_user(u).is_some()),
            key_dir: Some(key_dir),
            ..SandboxConfig::default()
        };
        for name in &self.switches {
            if let Some(switch) = find_switch(name) {
                (switch.set)(&mut config, true);
            }
        }
        config
    }
}
