//! The HTTP handlers, one module per endpoint (or group of endpoints). They never import each
//! other: what two share lives below, in `protocol` or `state`; only `routes` knows them all.

pub(crate) mod authorize;
pub(crate) mod ciba;
pub(crate) mod credential;
pub(crate) mod device;
pub(crate) mod logout;
pub(crate) mod metadata;
pub(crate) mod par;
pub(crate) mod registration;
pub(crate) mod resource;
pub(crate) mod token;
