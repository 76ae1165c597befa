//! The typed result of one probe: what happened, in which phase, and the evidence for it.
//!
//! A failed probe is data, never an `Err`: every probe kind returns an [`Outcome`].

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

/// The closed set of statuses of the contract (`CONTRACT.md`, "status — exactly one of").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
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
    /// The contract's spelling, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DnsFailed => "dns_failed",
            Status::Refused => "refused",
            Status::Timeout => "timeout",
            Status::Unreachable => "unreachable",
            Status::TlsUntrusted => "tls_untrusted",
            Status::TlsIntercepted => "tls_intercepted",
            Status::FirewallDenied => "firewall_denied",
            Status::ProtocolError => "protocol_error",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }

    /// Whether this status is a failure (neither `ok` nor `skipped`).
    pub fn is_failure(self) -> bool {
        !matches!(self, Status::Ok | Status::Skipped)
    }
}

/// Where in the life of a probe the outcome was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// Durations of the phases a probe went through, in milliseconds for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Timings {
    /// Name resolution, when a name was resolved.
    pub dns: Option<f64>,
    /// From the first connection attempt to the connection that succeeded.
    pub connect: Option<f64>,
    /// The whole probe.
    pub total: Option<f64>,
}

/// Converts a duration to fractional milliseconds, rounded to 0.1 ms for readable reports.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The verdict.
    pub status: Status,
    /// The phase that decided it.
    pub phase: Phase,
    /// Addresses the name resolved to (or the literal address probed).
    pub addresses: Vec<std::net::IpAddr>,
    /// The address that answered, when one did.
    pub peer: Option<SocketAddr>,
    /// Per-phase durations.
    pub timings: Timings,
    /// The human reason: what happened, from where.
    pub detail: String,
    /// Findings that do not change the status.
    pub warnings: Vec<String>,
    /// What the peer presented or sent, when a check records it.
    pub evidence: Option<Evidence>,
}

/// Structured evidence of what a peer presented, one variant per kind of record.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The TLS handshake: version, chain.
    Tls(super::tls::TlsEvidence),
    /// The NTP answer: offset, round trip, stratum.
    Ntp(super::ntp::NtpEvidence),
    /// What a peer sent back in the application protocol.
    Reply {
        /// The protocol expected (`tds`, `smb`, `amqp`, `http`, …).
        protocol: String,
        /// The first bytes received, in hex (empty when the peer sent nothing).
        first_bytes_hex: String,
        /// What the reply was understood to be, when it was understood.
        understood: Option<String>,
    },
}

impl Outcome {
    /// A fresh outcome with the given status, phase and detail, and no evidence yet.
    pub fn new(status: Status, phase: Phase, detail: impl Into<String>) -> Self {
        Self {
            status,
            phase,
            addresses: Vec::new(),
            peer: None,
            timings: Timings::default(),
            detail: detail.into(),
            warnings: Vec::new(),
            evidence: None,
        }
    }

    /// An outcome for a probe the plan did not run.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::new(Status::Skipped, Phase::Plan, reason)
    }
}
