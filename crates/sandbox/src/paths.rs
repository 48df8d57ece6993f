//! The sandbox's paths that more than one module names (routes, discovery, the start page,
//! the handlers' own checks).

/// The pushed authorization request endpoint (RFC 9126).
pub(crate) const PAR_PATH: &str = "/par";
/// The protected resource.
pub(crate) const RESOURCE_PATH: &str = "/api/resource";
