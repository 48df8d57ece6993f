//! Named connection profiles: the model ([`Profile`]) and the on-disk store ([`ProfileStore`]).

pub mod model;
pub mod paths;
pub mod store;

pub use model::Profile;
pub use paths::config_dir;
pub use store::{ProfileStore, StoreError};
