//! The verdict of a probe and the phase that decided it: the contract's closed set of statuses.

use serde::{Deserialize, Serialize};

/// The closed set of statuses of the contract (`CONTRACT.md`, "status — exactly one of").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Reachable: the check named in `check` succeeded.
    Ok,
    /// The name did not resolve (NXDOMAIN, no records, SERVFAIL, resolver unreachable).
    DnsFailed,
    /// TCP reset, or for UDP an ICMP port unreachable.
    Refused,
    /// No answer within the timeout: what a firewall drop looks like.
    Timeout,
    /// ICMP host/network/admin unreachable, a local firewall, or no route.
    Unreachable,
    /// The certificate is not trusted, expired, or not for this name.
    TlsUntrusted,
    /// The chain is not the one this endpoint should present (re-signed by an inspecting firewall).
    TlsIntercepted,
    /// A firewall answered with an explicit deny instead of the service.
    FirewallDenied,
    /// Connected, but the peer did not speak the expected protocol.
    ProtocolError,
    /// A local failure (socket, file descriptors …).
    Error,
    /// Not probed; the detail says why.
    Skipped,
}

impl Status {
    /// Whether this status is a failure (neither `ok` nor `skipped`).
    pub fn is_failure(self) -> bool {
        !matches!(self, Status::Ok | Status::Skipped)
    }
}

/// Where in the life of a probe the outcome was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Turning the host name into addresses.
    Resolve,
    /// Opening the connection (TCP handshake, or the first UDP exchange).
    Connect,
    /// The TLS handshake.
    Tls,
    /// The application protocol's first exchange.
    Handshake,
    /// Not started: the plan skipped it.
    Plan,
}

names!(Status {
    Ok => "ok",
    DnsFailed => "dns_failed",
    Refused => "refused",
    Timeout => "timeout",
    Unreachable => "unreachable",
    TlsUntrusted => "tls_untrusted",
    TlsIntercepted => "tls_intercepted",
    FirewallDenied => "firewall_denied",
    ProtocolError => "protocol_error",
    Error => "error",
    Skipped => "skipped",
});

names!(Phase {
    Resolve => "resolve",
    Connect => "connect",
    Tls => "tls",
    Handshake => "handshake",
    Plan => "plan",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    #[test]
    fn names_agree_with_serde() {
        assert_serde_agrees(Status::ALL, |s| s.as_str());
        assert_serde_agrees(Phase::ALL, |p| p.as_str());
    }
}
