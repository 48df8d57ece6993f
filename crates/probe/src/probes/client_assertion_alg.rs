//! `client-assertion.alg` (FAPI 2.0 §5.4.1): under fapi2, a client assertion signed RS256 with
//! the client's RSA key must be refused (PS256, ES256 and EdDSA only). Other policies, or a
//! client without an RSA key: skipped.

use super::client_assertion_audience::{at_token, authentication_failed, sign, standard_claims};
use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};
use grantscope_core::keys::{JwsAlg, KeyKind};
use grantscope_core::oauth::{AuthMethod, client_auth};

pub static PROBE: Probe = Probe {
    id: "client-assertion.alg",
    title: "RS256 client assertions are refused (FAPI 2.0)",
    group: Group::ClientAuthentication,
    level: Level::Should,
    reference: "FAPI 2.0 §5.4.1",
    tests: "Under fapi2: a client assertion signed RS256 with the client's RSA key: refused passes, accepted fails. Other policies, or no RSA key: skipped.",
    needs: &[],
    logins: 0,
    slow_logins: 0,
    changes: None,
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        if !cx.policy().is_fapi2() {
            return Ok(Verdict::skipped("only under --policy fapi2"));
        }
        if cx.cfg().effective_auth_method() != AuthMethod::PrivateKeyJwt {
            return Ok(Verdict::skipped(
                "the client does not authenticate with private_key_jwt",
            ));
        }
        let key = client_auth::signing_key(cx.cfg())?;
        if !matches!(key.key.kind(), KeyKind::Rsa(_)) {
            return Ok(Verdict::skipped(
                "the client's key is not an RSA key, so it cannot sign RS256",
            ));
        }
        let assertion = sign(cx, &standard_claims(cx), Some(JwsAlg::Rs256))?;
        let a = at_token(cx, "a client assertion signed RS256", &assertion).await?;
        Ok(if authentication_failed(&a) {
            Verdict::pass(format!(
                "the RS256 client assertion was refused ({})",
                a.describe()
            ))
        } else {
            Verdict::fail(format!(
                "a client assertion signed RS256 was accepted ({}); FAPI 2.0 allows PS256, ES256 and EdDSA",
                a.describe()
            ))
        })
    })
}
