//! `code.single-use` (RFC 9700 §4.2.4): one code redeemed twice.

use crate::cx::Cx;
use crate::model::{Probe, ProbeFuture};
use crate::verdict::{Group, Level, Verdict};

pub static PROBE: Probe = Probe {
    id: "code.single-use",
    title: "A code is used once",
    group: Group::Codes,
    level: Level::Must,
    reference: "RFC 9700 §4.2.4, RFC 6749 §4.1.2",
    tests: "Redeem one code twice: the second redemption refused passes.",
    needs: &[],
    logins: 1,
    slow_logins: 0,
    changes: Some("redeems one code twice (a server may revoke that login's tokens)"),
    run,
};

fn run(cx: &mut Cx) -> ProbeFuture<'_> {
    Box::pin(async move {
        let got = cx.code().await?;
        let first = cx.redeem_got("first redemption", &got).await?;
        if !first.is_tokens() {
            return Ok(Verdict::inconclusive(format!(
                "the first redemption already failed ({})",
                first.describe()
            )));
        }
        let second = cx.redeem_got("second redemption", &got).await?;
        Ok(if second.is_tokens() {
            Verdict::fail("the same code was redeemed twice for tokens")
        } else {
            Verdict::pass(format!(
                "the second redemption was refused ({})",
                second.describe()
            ))
        })
    })
}
