//! The state of one running sandbox, bottom to top: the fixed clients and users (`clients`), the
//! signing keys (`keys`) and the clients' keys (`client_keys`), the settings (`config`) and the
//! table of teaching switches over them (`switches`), the in-memory records (`store`), the clients registered at run time (`registry`), the DPoP
//! memory (`dpop_memory`), the TLS listener (`tls`), and `app`, which holds all of it.

pub(crate) mod app;
pub(crate) mod client_keys;
pub(crate) mod clients;
pub(crate) mod config;
pub(crate) mod dpop_memory;
pub(crate) mod keys;
pub(crate) mod registry;
pub(crate) mod store;
pub(crate) mod switches;
pub(crate) mod tls;
