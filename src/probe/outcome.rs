//! The typed result of one probe: what happened, in which phase, the facts established and the
//! evidence for them.
//!
//! A failed probe is data, never an `Err`: every probe kind returns an [`Outcome`].

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use super::evidence::Evidence;
pub use super::facts::Facts;
pub use super::status::{Phase, Status};
pub use super::warning::{Warning, WarningKind};

/// Durations of the phases a probe went through, in milliseconds for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
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
    pub addresses: Vec<IpAddr>,
    /// The address that answered, when one did.
    pub peer: Option<SocketAddr>,
    /// Per-phase durations.
    pub timings: Timings,
    /// The human reason: what happened, from where.
    pub detail: String,
    /// The facts established, typed (ICMP sender, DNS rcode, TLS verdict …); boxed, so an
    /// outcome stays small to move while 10,000 probes are in flight.
    pub facts: Box<Facts>,
    /// Findings that do not change the status.
    pub warnings: Vec<Warning>,
    /// What the peer presented or sent, when a check records it.
    pub evidence: Option<Evidence>,
}

impl Outcome {
    /// A fresh outcome with the given status, phase and detail, and no facts or evidence yet.
    pub fn new(status: Status, phase: Phase, detail: impl Into<String>) -> Self {
        Self {
            status,
            phase,
            addresses: Vec::new(),
            peer: None,
            timings: Timings::default(),
            detail: detail.into(),
            facts: Box::default(),
            warnings: Vec::new(),
            evidence: None,
        }
    }

    /// A `timeout` in `phase`, which had `budget` of the probe's time: both recorded as facts.
    pub fn timed_out(phase: Phase, budget: Duration, detail: impl Into<String>) -> Self {
        let mut o = Self::new(Status::Timeout, phase, detail);
        o.facts.timed_out_in = Some(phase);
        o.facts.phase_budget_ms = Some(millis(budget));
        o
    }

    /// An outcome for a probe the plan did not run.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Self::new(Status::Skipped, Phase::Plan, reason)
    }

    /// Records what a peer sent back (first bytes and what they were understood to be) both as
    /// evidence and as the `first_bytes_hex` fact.
    #[must_use]
    pub fn with_reply(mut self, protocol: &str, bytes: &[u8], understood: Option<String>) -> Self {
        let hex = super::bytes::hex_prefix(bytes);
        if !bytes.is_empty() {
            self.facts.first_bytes_hex = Some(hex.clone());
        }
        self.evidence = Some(Evidence::Reply {
            protocol: protocol.to_owned(),
            first_bytes_hex: hex,
            understood,
        });
        self
    }
}
