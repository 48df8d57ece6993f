//! Named connection profiles: the model ([`Profile`]), the on-disk store ([`ProfileStore`]),
//! and where client secrets live at rest ([`vault`]: the OS keychain, else the 0600 file).

pub mod model;
pub mod paths;
pub mod store;
pub mod vault;

pub use model::{Profile, SecretStore};
pub use paths::config_dir;
pub use store::{ProfileStore, StoreError};
