//! What went wrong after the TCP handshake, in words: the outcomes `run` returns when the
//! reply was not understood — an echo, silence or a trickle, a close, a reset — each naming the
//! peer, the request and the first bytes received.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::spec::Exchange;
use crate::probe::bytes::hex_prefix;
use crate::probe::connect::classify;
use crate::probe::outcome::{Outcome, Phase, Status, millis};
use crate::probe::words::within;

/// An outcome with the bytes received as evidence.
pub(super) fn reply(
    status: Status,
    detail: String,
    ex: &Exchange<'_>,
    got: &[u8],
    understood: Option<String>,
) -> Outcome {
    Outcome::new(status, Phase::Handshake, detail).with_reply(ex.protocol, got, understood)
}

/// Whether all that came back is our own request, byte for byte.
pub(super) fn is_echo(ex: &Exchange<'_>, got: &[u8]) -> bool {
    !got.is_empty() && got == ex.request
}

/// Our own bytes came back and nothing more: an echo service or a reflector (some NVAs and
/// test rigs do this), not the service — whatever the protocol's first reply looks like.
pub(super) fn echo(peer: SocketAddr, ex: &Exchange<'_>, got: &[u8]) -> Outcome {
    let detail = format!(
        "{peer} sent our own {} back ({} byte(s)) and nothing more: an echo or reflector, not the service",
        ex.request_name,
        got.len()
    );
    reply(Status::ProtocolError, detail, ex, got, None)
}

/// The probe's limit and what the exchange had of it, for an honest timeout.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The probe's timeout.
    pub(super) limit: Duration,
    /// What was left of it when the exchange began.
    pub(super) budget: Duration,
}

/// The deadline came: nothing at all, or a reply that never completed (a trickle).
pub(super) fn silence(
    peer: SocketAddr,
    limits: Limits,
    ex: &Exchange<'_>,
    got: &[u8],
    what: &str,
) -> Outcome {
    if is_echo(ex, got) {
        return echo(peer, ex, got);
    }
    let limit = within(limits.limit, limits.budget);
    let detail = if got.is_empty() {
        format!(
            "connected to {peer}, but {what} to the {} within {limit} (a firewall/NVA that accepts TCP but does not pass the traffic, or not the expected service?)",
            ex.request_name
        )
    } else {
        format!(
            "connected to {peer}, but only {} byte(s) of a reply to the {} came within {limit}; first bytes: {}",
            got.len(),
            ex.request_name,
            hex_prefix(got)
        )
    };
    let mut o = reply(Status::Timeout, detail, ex, got, None);
    o.facts.timed_out_in = Some(Phase::Handshake);
    o.facts.phase_budget_ms = Some(millis(limits.budget));
    o
}

/// The peer closed cleanly (FIN) before a complete reply.
pub(super) fn closed(peer: SocketAddr, ex: &Exchange<'_>, got: &[u8]) -> Outcome {
    if is_echo(ex, got) {
        return echo(peer, ex, got);
    }
    let detail = if got.is_empty() {
        format!(
            "{peer} accepted, then closed without a word after the {} (a firewall/NVA terminating TCP?)",
            ex.request_name
        )
    } else {
        format!(
            "{peer} closed the connection after {} byte(s), in the middle of a reply to the {}; first bytes: {}",
            got.len(),
            ex.request_name,
            hex_prefix(got)
        )
    };
    reply(Status::ProtocolError, detail, ex, got, None)
}

/// An I/O error after the handshake: a reset is the peer's (or a middlebox's) doing; anything else
/// is explained as the TCP check would.
pub(super) fn broken(
    peer: SocketAddr,
    ex: &Exchange<'_>,
    got: &[u8],
    e: &io::Error,
    when: &str,
) -> Outcome {
    use io::ErrorKind as K;
    let after = if got.is_empty() {
        String::new()
    } else {
        format!(
            " after {} byte(s) (first bytes: {})",
            got.len(),
            hex_prefix(got)
        )
    };
    let (status, why) = match e.kind() {
        K::ConnectionReset | K::ConnectionAborted => (
            Status::ProtocolError,
            format!(
                "reset after accept{after}, {when} (a firewall/NVA that accepts TCP, then rejects the traffic?) [{e}]"
            ),
        ),
        K::BrokenPipe => (
            Status::ProtocolError,
            format!("accepted, then closed {when}{after} [{e}]"),
        ),
        _ => {
            let (status, why) = classify(e);
            (status, format!("{why}{after}, {when}"))
        }
    };
    reply(status, format!("{peer}: {why}"), ex, got, None)
}
