//! The typed facts a probe established, beside its prose `detail`: what hints, the diagnosis,
//! `diff` and any script read, so that nothing downstream parses our own sentences back.
//!
//! Every field is optional: a probe fills what it learned. Addresses are text (as in the rest of
//! the report) so that `--redact` can replace this machine's own with placeholders.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::status::Phase;
use crate::catalog::model::Transport;

mod tls;

pub use tls::{ClientCertificate, TlsFacts, TlsProblem, TlsRefusal, TlsVerdict};

/// What one probe established, field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// The phase whose time ran out, when the status is `timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timed_out_in: Option<Phase>,
    /// How long that phase had, in milliseconds: the probe's limit minus what the phases before
    /// it used (a slow lookup leaves the connect less than the whole timeout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase_budget_ms: Option<f64>,
    /// The ICMP error that ended the probe, and who sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp: Option<Icmp>,
    /// The error this machine's own stack returned before any packet left (`ENETUNREACH`,
    /// `EHOSTUNREACH`, `EACCES`, `EPERM`, `EINVAL`): no route, a prohibit or blackhole route, or
    /// its own firewall. Set only when no ICMP error says a router or firewall answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_error: Option<String>,
    /// What the DNS said: a `dns` row's server, or why a name did not resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsFacts>,
    /// The TLS verdict on the presented chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    /// The NTP answer's numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ntp: Option<NtpFacts>,
    /// The HTTP answer's status and the headers that name who answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpFacts>,
    /// The first bytes the peer sent in the application protocol, in hex (protocol checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bytes_hex: Option<String>,
    /// Pair mode (`peer` rows): our challenge, what came back, what the listener logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<PairFacts>,
    /// What the exported NSGs and routes say of this row (`check --nsg …`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluated: Option<Evaluated>,
    /// Where each resolved address lives by the service-tag file (`check --service-tags`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub membership: Vec<AddressTags>,
}

/// The offline evaluation of a row's flow, beside the probe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Evaluated {
    /// `allowed`, `denied`, `partial` or `unknown`.
    pub verdict: String,
    /// The deciding rule (`NSG apim-nsg rule DenyStorageOut (200) deny`), when one decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The evaluation in a sentence.
    pub explain: String,
}

/// One resolved address classed by the service-tag file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressTags {
    /// The address.
    pub address: String,
    /// `expected` (in the row's tag), `other_region`, `private`, `other_service`, `outside`.
    pub class: String,
    /// Tags that contain it, the row's service's first.
    pub tags: Vec<String>,
}

impl Facts {
    /// Whether no fact was recorded (the report then leaves `facts` out).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An ICMP (or ICMPv6) error received for a probe's socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Icmp {
    /// 4 for ICMP, 6 for ICMPv6.
    pub version: u8,
    /// The ICMP type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// The ICMP code.
    pub code: u8,
    /// The name of the type/code pair (`admin-prohibited`, `port-unreachable` …).
    pub name: String,
    /// Who sent it (a router or firewall on the route), when the kernel said.
    pub from: Option<String>,
}

impl Icmp {
    /// The error of `version` with this type and code, from `from`.
    pub fn new(version: u8, kind: u8, code: u8, from: Option<String>) -> Self {
        Self {
            version,
            kind,
            code,
            name: icmp_name(version == 6, kind, code).to_owned(),
            from,
        }
    }

    /// Whether it says a filter rejected the packet (admin-prohibited, policy reject).
    pub fn is_filter(&self) -> bool {
        matches!(self.name.as_str(), "admin-prohibited" | "policy-reject")
    }

    /// What the error means for the probe, in a few words.
    pub fn meaning(&self) -> &'static str {
        match self.name.as_str() {
            "admin-prohibited" | "policy-reject" => {
                "a firewall or filter on the route rejected the connection"
            }
            "port-unreachable" => "nothing listens on this port",
            "net-unreachable" | "host-unreachable" | "no-route" | "address-unreachable" => {
                "the sender has no route or neighbour for the destination"
            }
            "time-exceeded" => "a routing loop or too many hops",
            _ => "the destination could not be reached",
        }
    }
}

impl fmt::Display for Icmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = if self.version == 6 { "ICMPv6" } else { "ICMP" };
        write!(
            f,
            "{family} {} (type {} code {})",
            self.name, self.kind, self.code
        )?;
        if let Some(from) = &self.from {
            write!(f, " from {from}")?;
        }
        Ok(())
    }
}

/// The name of an ICMP type/code pair, as the RFC tables list them.
///
/// # References
/// RFC 792 / RFC 1812 §5.2.7.1 (ICMP destination unreachable codes), RFC 4443 §3.1 (ICMPv6).
#[expect(
    clippy::match_same_arms,
    reason = "one arm per family, type and code, as the RFC tables list them"
)]
pub fn icmp_name(v6: bool, kind: u8, code: u8) -> &'static str {
    match (v6, kind, code) {
        (false, 3, 0) => "net-unreachable",
        (false, 3, 1) => "host-unreachable",
        (false, 3, 2) => "protocol-unreachable",
        (false, 3, 3) => "port-unreachable",
        (false, 3, 9 | 10 | 13) => "admin-prohibited",
        (false, 3, _) => "destination-unreachable",
        (false, 11, _) => "time-exceeded",
        (true, 1, 0) => "no-route",
        (true, 1, 1) => "admin-prohibited",
        (true, 1, 3) => "address-unreachable",
        (true, 1, 4) => "port-unreachable",
        (true, 1, 5 | 6) => "policy-reject",
        (true, 1, _) => "destination-unreachable",
        (true, 3, _) => "time-exceeded",
        _ => "error",
    }
}

/// What the DNS said for one probe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsFacts {
    /// The servers asked (`ip:port`); one for a `dns` row.
    pub servers: Vec<String>,
    /// The transport of a `dns` row; absent for a name's resolution (UDP, TCP when truncated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// The response code of the answer (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// How many answer records came back, when an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<usize>,
    /// Why there was no usable answer, when there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<DnsFailureKind>,
}

/// Why a DNS question got no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsFailureKind {
    /// The name does not exist (NXDOMAIN).
    Nxdomain,
    /// The server answered without an A/AAAA record (NOERROR, no data).
    NoRecords,
    /// The server answered with an error code (SERVFAIL, REFUSED …): see `rcode`.
    Rcode,
    /// No server answered in time.
    NoAnswer,
    /// A server could not be reached (ICMP, reset, no route).
    Unreachable,
    /// No server was configured, or the system configuration could not be read.
    NoServer,
    /// Something answered that was not a DNS response to our question.
    NotDns,
    /// The name resolved, but to an address outside the VNet where a private one was expected
    /// (no private DNS zone for it, or one not linked to this VNet).
    PublicAnswer,
}

names!(DnsFailureKind {
    Nxdomain => "nxdomain",
    NoRecords => "no_records",
    Rcode => "rcode",
    NoAnswer => "no_answer",
    Unreachable => "unreachable",
    NoServer => "no_server",
    NotDns => "not_dns",
    PublicAnswer => "public_answer",
});

/// The numbers of an NTP answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NtpFacts {
    /// Server clock minus this machine's, milliseconds (positive: this machine is behind).
    pub offset_ms: f64,
    /// Round trip of the exchange, milliseconds.
    pub round_trip_ms: f64,
    /// The server's stratum.
    pub stratum: u8,
}

/// What an HTTP answer said about who sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpFacts {
    /// The status code.
    pub status: u16,
    /// The reason phrase (may be empty).
    pub reason: String,
    /// The `Server` header, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The `Via` header (a proxy names itself there), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// A firewall's own words from a deny page ("Action: Deny. Reason: …"), when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<String>,
    /// What says a proxy or firewall answered, not the service: a header (`Via`,
    /// `X-Squid-Error`, `Proxy-Authenticate`, a proxy's `Server`) or a known block page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

/// What a `peer` probe established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairFacts {
    /// The nonce of our challenge, in hex: the listener logs it, so its log names this probe.
    pub nonce: String,
    /// What came back.
    pub answer: PairAnswer,
    /// The port our listener says it received on, when it is not the one aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_on: Option<u16>,
    /// What the peer's listener logged for this challenge (`--peer-log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_log: Option<ListenerLogFacts>,
}

/// What came back to a pair-mode challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairAnswer {
    /// A proof keyed by the token, from the port and transport aimed at.
    Proof,
    /// A valid proof, but the listener received on another port: something forwards it.
    OtherPort,
    /// "Bad MAC": the listener runs with another token.
    BadMac,
    /// Something answered, not with a proof for our challenge: not our listener.
    NotOurs,
    /// The connection closed (or was reset) without a reply.
    Closed,
    /// Nothing came back in time.
    Nothing,
}

names!(PairAnswer {
    Proof => "proof",
    OtherPort => "other_port",
    BadMac => "bad_mac",
    NotOurs => "not_ours",
    Closed => "closed",
    Nothing => "nothing",
});

/// What the peer's listener log says about one challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListenerLogFacts {
    /// Whether the listener logged this very challenge (matched by its nonce).
    pub arrived: bool,
    /// When it logged it (the listener's clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The source address it saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// What it did (`answered`, `bad_mac` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling: Option<String>,
    /// Whether it listened on this port (`false`: not among its ports, or it could not bind).
    pub listening: bool,
    /// Other probes it logged on this port.
    pub others: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    #[test]
    fn names_agree_with_serde() {
        assert_serde_agrees(DnsFailureKind::ALL, |v| v.as_str());
        assert_serde_agrees(TlsVerdict::ALL, |v| v.as_str());
        assert_serde_agrees(TlsRefusal::ALL, |v| v.as_str());
        assert_serde_agrees(TlsProblem::ALL, |v| v.as_str());
        assert_serde_agrees(ClientCertificate::ALL, |v| v.as_str());
        assert_serde_agrees(PairAnswer::ALL, |v| v.as_str());
    }

    #[test]
    fn icmp_names_and_display() {
        let r = Icmp::new(4, 3, 13, Some("198.18.0.1".into()));
        assert_eq!(
            r.to_string(),
            "ICMP admin-prohibited (type 3 code 13) from 198.18.0.1"
        );
        assert!(r.is_filter());
        assert_eq!(Icmp::new(6, 1, 1, None).name, "admin-prohibited");
        assert_eq!(Icmp::new(4, 3, 1, None).name, "host-unreachable");
        assert_eq!(Icmp::new(6, 1, 4, None).name, "port-unreachable");
    }

    #[test]
    fn empty_facts_serialise_to_an_empty_object_and_back() {
        let f = Facts::default();
        assert!(f.is_empty());
        assert_eq!(serde_json::to_string(&f).unwrap(), "{}");
        let back: Facts = serde_json::from_str("{}").unwrap();
        assert_eq!(back, f);
        let icmp = Facts {
            icmp: Some(Icmp::new(4, 3, 13, Some("198.18.0.1".into()))),
            timed_out_in: None,
            ..Facts::default()
        };
        let json = serde_json::to_value(&icmp).unwrap();
        assert_eq!(json["icmp"]["type"], 3);
        assert_eq!(json["icmp"]["from"], "198.18.0.1");
    }
}
