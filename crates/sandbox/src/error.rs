//! Why the sandbox could not start or act.

use crate::state::clients::seeded_users;
use crate::state::config::CONFIG_DIR_ENV;
use crate::state::keys::KeyError;

/// Why the sandbox could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The port could not be bound.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source} (is another server using it? try --port 0)"
    )]
    Bind {
        /// The requested port.
        port: u16,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// No configuration directory could be found for the keys.
    #[error("no configuration directory found for the sandbox keys; set {CONFIG_DIR_ENV}")]
    NoConfigDir,
    /// The signing keys could not be loaded, created or rotated.
    #[error("sandbox signing keys: {0}")]
    Keys(#[from] KeyError),
    /// `auto_approve` names no seeded user.
    #[error("unknown sandbox user {0:?} for auto-approve (known users: {users})", users = user_names())]
    UnknownUser(String),
    /// A lifetime or interval is zero or out of range.
    #[error("invalid sandbox setting: {0}")]
    InvalidConfig(String),
    /// A background task failed.
    #[error("sandbox task failed: {0}")]
    Task(String),
    /// The clients' keys or the test CA could not be loaded or made.
    #[error("sandbox client keys: {0}")]
    ClientKeys(String),
    /// The TLS listener could not be set up.
    #[error("sandbox TLS listener: {0}")]
    Tls(String),
}

fn user_names() -> String {
    seeded_users()
        .iter()
        .map(|u| u.username)
        .collect::<Vec<_>>()
        .join(", ")
}
