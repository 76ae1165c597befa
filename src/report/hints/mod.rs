//! What to change, for each result: one table maps (status, phase, facts) to the hint a network
//! engineer can act on, and the [`Fix`] behind it. The evidence decides where to look:
//!
//! - the name did not resolve → the DNS (which servers; forwarding to 168.63.129.16);
//! - the connection was dropped, reset or rejected → the NSG and the route; with an ICMP sender
//!   named, that device (NSGs never send ICMP); refused by this machine's own stack, or a local
//!   resolver that is not running → this machine, never the NSG;
//! - TCP connected and then the protocol never answered, a deny page, a proxy, a re-signed
//!   certificate → the firewall/NVA or proxy on the route, never "allow in the NSG" (the NSG let
//!   the handshake through).
//!
//! The table is read top to bottom; the first line whose condition holds gives the hint. Each
//! line has a unit test. Hints never parse the prose of a detail: they read the facts.

#[cfg(test)]
mod cases;
mod context;
mod lines;
mod read;
#[cfg(test)]
mod tests;

use super::fix::Fix;
use super::model::{Report, ResultEntry};
pub use context::{HintContext, Line};
use lines::TABLE;

/// The first line of the table that applies to `r`.
pub fn line_for(r: &ResultEntry) -> Option<&'static Line> {
    TABLE.iter().find(|l| (l.applies)(r))
}

/// The hint and the fix for one result, or `None` when there is nothing to change.
pub fn hint(r: &ResultEntry, ctx: &HintContext) -> Option<(String, Option<Fix>)> {
    line_for(r)
        .map(|l| (l.says)(r, ctx))
        .filter(|(text, _)| !text.is_empty())
}

/// Fills every result's `hint` and `fix`.
pub fn apply(report: &mut Report, ctx: &HintContext) {
    for r in &mut report.results {
        let (hint, fix) = hint(r, ctx).map_or((None, None), |(h, f)| (Some(h), f));
        r.hint = hint;
        r.fix = fix;
    }
}
