//! The protocol pieces the endpoints share: request parameters and OAuth errors (`wire`), scope
//! and resource rules, RFC 9396 details (`rar`), HTML pages, JWT assertions, DPoP proofs, request
//! objects, client authentication, response modes, accepting access tokens (`access`), minting
//! tokens (`mint`), encrypting ID tokens (`jwe`), issuing SD-JWT VCs (`credential`) and an
//! authorization request's checks (`authorization_request`).

pub(crate) mod access;
pub(crate) mod assertion;
pub(crate) mod authorization_request;
pub mod ciba;
pub(crate) mod client_auth;
pub(crate) mod credential;
pub(crate) mod dpop;
pub mod jwe;
pub(crate) mod mint;
pub(crate) mod page;
pub(crate) mod rar;
pub(crate) mod request_object;
pub(crate) mod response_mode;
pub(crate) mod scope;
pub(crate) mod weak_jwt;
pub(crate) mod wire;
