//! Questions the rules ask of one result, answered from its typed facts and its spec — never from
//! the prose of its detail.

use std::net::IpAddr;

use crate::catalog::model::{CheckKind, Direction};
use crate::probe::facts::DnsFailureKind;
use crate::probe::outcome::{Phase, Status};
use crate::report::model::ResultEntry;

/// Whether the result failed (neither `ok` nor `skipped`).
pub fn failed(r: &ResultEntry) -> bool {
    r.status.is_failure()
}

/// Whether it is a `dns` row (one DNS server over one transport).
pub fn is_dns_row(r: &ResultEntry) -> bool {
    r.spec.check == CheckKind::Dns
}

/// Whether it failed on the way in: dropped, reset or rejected by the network before any
/// protocol answered. A refusal of this machine's own stack is not the network's
/// ([`failed_locally`]).
pub fn failed_to_connect(r: &ResultEntry) -> bool {
    r.phase == Phase::Connect
        && matches!(
            r.status,
            Status::Timeout | Status::Refused | Status::Unreachable
        )
        && !failed_locally(r)
}

/// Whether this machine's own stack refused it before any packet left (no route, a prohibit
/// route, its own firewall): `facts.local_error`.
pub fn failed_locally(r: &ResultEntry) -> bool {
    failed(r) && r.facts.local_error.is_some()
}

/// The server of a `dns` row (`ip:port`), when its facts name it.
pub fn dns_server(r: &ResultEntry) -> Option<std::net::SocketAddr> {
    r.facts.dns.as_ref()?.servers.first()?.parse().ok()
}

/// Whether the name of a result did not resolve for lack of any DNS answer (not an answer that
/// said no).
pub fn no_dns_answer(r: &ResultEntry) -> bool {
    r.status == Status::DnsFailed
        && r.facts.dns.as_ref().is_none_or(|d| {
            matches!(
                d.failure,
                Some(
                    DnsFailureKind::NoAnswer
                        | DnsFailureKind::Unreachable
                        | DnsFailureKind::NoServer
                ) | None
            )
        })
}

/// Whether the DNS answered "no" for the name (NXDOMAIN, no records, SERVFAIL, REFUSED …).
pub fn dns_said_no(r: &ResultEntry) -> bool {
    r.status == Status::DnsFailed
        && r.facts.dns.as_ref().is_some_and(|d| {
            matches!(
                d.failure,
                Some(DnsFailureKind::Nxdomain | DnsFailureKind::NoRecords | DnsFailureKind::Rcode)
            )
        })
}

/// The addresses a result resolved to, parsed.
pub fn addresses(r: &ResultEntry) -> Vec<IpAddr> {
    r.addresses.iter().filter_map(|a| a.parse().ok()).collect()
}

/// Whether an address is private to a network: RFC 1918, CGNAT, link-local, IPv6 ULA and
/// link-local (what a private endpoint, a DNS override or a VNet address looks like).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_private() || a.is_link_local() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(a) => {
            let s = a.segments()[0];
            (s & 0xfe00) == 0xfc00 || (s & 0xffc0) == 0xfe80
        }
    }
}

/// Whether the result is an outbound row to a service tag outside the VNet (a public service).
pub fn to_a_public_service(r: &ResultEntry) -> bool {
    r.spec.direction == Direction::Outbound
        && !is_dns_row(r)
        && !matches!(
            r.spec.service_tag.as_str(),
            "VirtualNetwork" | "AzureLoadBalancer"
        )
}

/// The host of a result, or its target when it has none.
pub fn host(r: &ResultEntry) -> String {
    r.spec.host.clone().unwrap_or_else(|| r.target())
}

/// Up to `n` names of a list, then "and N more".
pub fn some(names: &[String], n: usize) -> String {
    let mut uniq: Vec<&String> = Vec::new();
    for x in names {
        if !uniq.contains(&x) {
            uniq.push(x);
        }
    }
    let shown: Vec<&str> = uniq.iter().take(n).map(|s| s.as_str()).collect();
    if uniq.len() > n {
        format!("{} and {} more", shown.join(", "), uniq.len() - n)
    } else {
        shown.join(", ")
    }
}
