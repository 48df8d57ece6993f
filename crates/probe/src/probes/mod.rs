//! The catalogue: one file per probe (each a `pub static PROBE: Probe`), and [`PROBES`], the
//! registry the runner, the CLI, the desktop app, the wizard's leaves and the sandbox's
//! teaching switches read.

use crate::model::Probe;

pub mod api;

pub(crate) mod client_auth_enforced;
pub(crate) mod code_race;
pub(crate) mod code_redirect_bound;
pub(crate) mod code_reuse_revokes;
pub(crate) mod code_single_use;
pub(crate) mod dpop_enforced;
pub(crate) mod grants_legacy;
pub(crate) mod headers;
pub(crate) mod iss_response;
pub(crate) mod jwks_hygiene;
pub(crate) mod pkce_downgrade;
pub(crate) mod pkce_plain;
pub(crate) mod pkce_required;
pub(crate) mod pkce_verifier_checked;
pub(crate) mod pkce_verifier_format;
pub(crate) mod pkce_verifier_omitted;
pub(crate) mod redirect_exact;
pub(crate) mod redirect_loopback_port;
pub(crate) mod redirect_no_open_redirect;
pub(crate) mod refresh_client_bound;
pub(crate) mod refresh_reuse_family;
pub(crate) mod refresh_rotation;
pub(crate) mod state_echo;
pub(crate) mod token_lifetimes;
pub(crate) mod transport_https;
// The policy probes (PROBES.md "Policy probes").
pub(crate) mod client_assertion_alg;
pub(crate) mod client_assertion_audience;
pub(crate) mod client_assertion_claims;
pub(crate) mod dpop_code_binding;
pub(crate) mod dpop_proof;
pub(crate) mod par_request_uri;
pub(crate) mod par_required;
pub(crate) mod params_duplicate;
pub(crate) mod params_unknown_ignored;
pub(crate) mod response_type_code_only;
pub(crate) mod revocation_client_bound;
pub(crate) mod sender_constraint_required;
pub(crate) mod tokens_entropy;

/// The catalogue, in the order results are shown (most valuable first).
pub static PROBES: &[&Probe] = &[
    &pkce_required::PROBE,
    &pkce_verifier_checked::PROBE,
    &pkce_downgrade::PROBE,
    &pkce_verifier_omitted::PROBE,
    &pkce_plain::PROBE,
    &pkce_verifier_format::PROBE,
    &code_single_use::PROBE,
    &code_reuse_revokes::PROBE,
    &code_race::PROBE,
    &code_redirect_bound::PROBE,
    &redirect_exact::PROBE,
    &redirect_loopback_port::PROBE,
    &redirect_no_open_redirect::PROBE,
    &state_echo::PROBE,
    &iss_response::PROBE,
    &refresh_rotation::PROBE,
    &refresh_reuse_family::PROBE,
    &refresh_client_bound::PROBE,
    &client_auth_enforced::PROBE,
    &grants_legacy::PROBE,
    &transport_https::PROBE,
    &token_lifetimes::PROBE,
    &jwks_hygiene::PROBE,
    &headers::PROBE,
    &dpop_enforced::PROBE,
    &par_required::PROBE,
    &par_request_uri::PROBE,
    &response_type_code_only::PROBE,
    &params_duplicate::PROBE,
    &params_unknown_ignored::PROBE,
    &sender_constraint_required::PROBE,
    &dpop_code_binding::PROBE,
    &revocation_client_bound::PROBE,
    &tokens_entropy::PROBE,
    &client_assertion_audience::PROBE,
    &client_assertion_claims::PROBE,
    &client_assertion_alg::PROBE,
    &dpop_proof::PROBE,
];

/// The probe with this id.
pub fn find(id: &str) -> Option<&'static Probe> {
    PROBES.iter().copied().find(|p| p.id == id)
}
