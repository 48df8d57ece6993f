//! Named connection profiles: the model ([`Profile`]), the on-disk store ([`ProfileStore`]),
//! and where client secrets live at rest ([`vault`]: the OS keychain, else the 0600 file).

pub mod model;
pub mod store;
pub mod vault;

/// Where grantscope keeps its files (now a bottom-layer module; kept here for old paths).
pub use crate::paths::{self, config_dir};
pub use model::{Profile, SecretStore};
pub use store::{ProfileStore, StoreError};
