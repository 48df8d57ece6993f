//! The OAuth 2.0 / OpenID Connect protocol engine: endpoints and discovery, client
//! authentication, PKCE, one module per grant, the loopback redirect listener, and the
//! lifecycle calls (introspection, revocation, userinfo). GUI-free; both faces call it.

pub mod assertion;
pub mod client_auth;
pub mod config;
pub mod discovery;
pub mod error;
pub mod grants;
pub mod keeper;
pub mod lifecycle;
pub mod loopback;
pub mod pkce;
pub mod response;
pub mod session;
pub mod watch;

pub use client_auth::AuthMethod;
pub use config::{ClientConfig, Endpoints, PkceMode};
pub use error::{FlowError, OAuthErrorResponse};
pub use grants::{GrantKind, GrantOutcome};
pub use response::TokenResponse;
pub use session::{FlowEvent, Session};
