//! The sandbox's paths that more than one module names (routes, discovery, the start page,
//! the handlers' own checks).

/// The pushed authorization request endpoint (RFC 9126).
pub(crate) const PAR_PATH: &str = "/par";
/// The credential endpoint (an SD-JWT VC for the token's user).
pub(crate) const CREDENTIAL_PATH: &str = "/credential";
/// The protected resource.
pub(crate) const RESOURCE_PATH: &str = "/api/resource";
/// Dynamic client registration (RFC 7591); `REGISTRATION_PATH/{client_id}` manages one
/// (RFC 7592).
pub(crate) const REGISTRATION_PATH: &str = "/register";
/// RP-Initiated Logout's end session endpoint.
pub(crate) const END_SESSION_PATH: &str = "/end_session";
/// CIBA's backchannel authentication endpoint.
pub(crate) const CIBA_PATH: &str = "/bc-authorize";
/// CIBA's "phone": the pending requests with Approve and Deny (`GET`), the decision (`POST`),
/// and `PHONE_PATH/pending` as JSON.
pub(crate) const PHONE_PATH: &str = "/ciba";
