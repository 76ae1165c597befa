//! Rows whose host must resolve to an address of the VNet: an injected v2 gateway or workspace
//! gateway is reached at its private VIP, through a private DNS zone (or the customer's own DNS)
//! that maps its hostname there. If the name resolves to a public address instead, the zone is
//! missing or not linked to this VNet — whatever the connection then did, clients in the VNet
//! are not reaching the gateway. The check's own outcome stays in the detail.

use std::net::IpAddr;

use ipnet::IpNet;

use super::facts::{DnsFacts, DnsFailureKind};
use super::outcome::{Outcome, Phase, Status};

/// Address ranges private to a network whatever the VNet: RFC 1918, the shared address space of
/// RFC 6598 (which Azure allows in a VNet), and IPv6 unique local addresses.
pub const PRIVATE_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// The default ranges, parsed.
pub fn default_ranges() -> Vec<IpNet> {
    PRIVATE_RANGES
        .iter()
        .map(|r| r.parse().expect("a valid prefix"))
        .collect()
}

/// The ranges that count as the VNet's: the private ones, this machine's own networks (it is in
/// the VNet) and `extra` (`--vnet-range`).
pub fn vnet_ranges(extra: &[IpNet]) -> Vec<IpNet> {
    let mut out = default_ranges();
    for i in if_addrs::get_if_addrs().unwrap_or_default() {
        if i.is_loopback() {
            continue;
        }
        let net = match &i.addr {
            if_addrs::IfAddr::V4(a) => ipnet::Ipv4Net::with_netmask(a.ip, a.netmask)
                .ok()
                .map(IpNet::from),
            if_addrs::IfAddr::V6(a) => ipnet::Ipv6Net::with_netmask(a.ip, a.netmask)
                .ok()
                .map(IpNet::from),
        };
        out.extend(net.map(|n| n.trunc()));
    }
    out.extend(extra.iter().copied());
    out
}

/// Whether `addr` is in one of `ranges`.
pub fn is_vnet(addr: IpAddr, ranges: &[IpNet]) -> bool {
    ranges.iter().any(|r| r.contains(&addr))
}

/// Turns an outcome whose name resolved outside the VNet into `dns_failed` (`public_answer`),
/// keeping what the check saw; an outcome that never resolved is left as it is.
pub fn judge(outcome: &mut Outcome, host: &str, ranges: &[IpNet]) {
    let public: Vec<IpAddr> = outcome
        .addresses
        .iter()
        .copied()
        .filter(|a| !is_vnet(*a, ranges))
        .collect();
    if public.is_empty() {
        if outcome.status == Status::Ok && !outcome.addresses.is_empty() {
            let list = join(&outcome.addresses);
            outcome.detail = format!(
                "{host} resolves to {list}, inside the VNet; {}",
                outcome.detail
            );
        }
        return;
    }
    let list = join(&public);
    let was = format!("{}: {}", outcome.status.as_str(), outcome.detail);
    outcome.detail = format!(
        "{host} resolves to {list}, outside the VNet's address ranges: clients in the VNet need its private address (a private DNS zone for {host} with an A record to the gateway's private IP, linked to this VNet, or the same record on the custom DNS server); the check there: {was}"
    );
    outcome.status = Status::DnsFailed;
    outcome.phase = Phase::Resolve;
    let dns = outcome.facts.dns.get_or_insert_with(|| DnsFacts {
        servers: Vec::new(),
        transport: None,
        rcode: None,
        answers: None,
        failure: None,
    });
    dns.failure = Some(DnsFailureKind::PublicAnswer);
}

fn join(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(addrs: &[&str]) -> Outcome {
        let mut o = Outcome::new(Status::Ok, Phase::Tls, "TLS ok");
        o.addresses = addrs.iter().map(|a| a.parse().unwrap()).collect();
        o
    }

    #[test]
    fn a_public_answer_is_a_dns_failure_naming_the_address() {
        let mut o = outcome(&["20.1.2.3"]);
        judge(&mut o, "gw.azure-api.net", &default_ranges());
        assert_eq!(o.status, Status::DnsFailed);
        assert_eq!(
            o.facts.dns.as_ref().unwrap().failure,
            Some(DnsFailureKind::PublicAnswer)
        );
        assert!(o.detail.contains("20.1.2.3, outside"), "{}", o.detail);
        assert!(
            o.detail.ends_with("the check there: ok: TLS ok"),
            "{}",
            o.detail
        );
    }

    #[test]
    fn a_private_answer_stays_ok_and_says_so() {
        let mut o = outcome(&["10.1.0.5", "fd00::5"]);
        judge(&mut o, "gw", &default_ranges());
        assert_eq!(o.status, Status::Ok);
        assert!(
            o.detail
                .starts_with("gw resolves to 10.1.0.5, fd00::5, inside")
        );
        // A VNet on a public range the user names is the VNet too.
        let mut o = outcome(&["198.19.0.7"]);
        let mut ranges = default_ranges();
        ranges.push("198.19.0.0/16".parse().unwrap());
        judge(&mut o, "gw", &ranges);
        assert_eq!(o.status, Status::Ok);
    }

    #[test]
    fn a_name_that_never_resolved_is_left_alone() {
        let mut o = Outcome::new(Status::DnsFailed, Phase::Resolve, "NXDOMAIN");
        judge(&mut o, "gw", &default_ranges());
        assert_eq!(o.detail, "NXDOMAIN");
    }
}
