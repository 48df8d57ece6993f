//! The OAuth 2.0 / OpenID Connect protocol engine: endpoints and discovery, client
//! authentication, PKCE, one module per grant, the loopback redirect listener, and the
//! lifecycle calls (introspection, revocation, userinfo). GUI-free; both faces call it,
//! entered through the one way in above it (the
//! top-level `connect` module: settings → ready [`Connection`]) and [`grants::run`] (grant →
//! its module).

pub mod assertion;
pub mod backchannel_logout;
pub mod binding;
pub mod client_auth;
pub mod config;
pub mod connection;
pub mod discovery;
pub mod dpop;
pub mod endpoint;
pub mod error;
pub mod grants;
pub mod keeper;
pub mod lifecycle;
pub mod logout;
pub mod loopback;
pub mod pkce;
pub mod protected_resource;
pub mod received;
pub mod registration;
pub mod request_object;
pub mod resource;
pub mod response;
pub mod session;
pub mod step;
pub mod watch;

pub use client_auth::AuthMethod;
pub use config::{ClientCheck, ClientConfig, Endpoints, PkceMode};
pub use connection::Connection;
pub use endpoint::EndpointKind;
pub use error::{FlowError, GrantInput, Missing, OAuthErrorResponse};
pub use grants::{GrantInputs, GrantKind, GrantOutcome};
pub use response::TokenResponse;
pub use session::{FlowEvent, Session};
