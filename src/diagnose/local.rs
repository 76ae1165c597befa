//! Causes on this machine itself, named before any cause on the network: its own routes or
//! firewall refuse to send (the kernel's error, no ICMP from any router), or the local DNS
//! resolver it is configured with is not running. Neither an NSG nor the subnet's route table
//! is involved, so neither is advised.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::finding::{Context, Finding};
use super::view::{dns_server, failed_locally, host, is_dns_row, no_dns_answer, some};
use crate::probe::facts::DnsFailureKind;
use crate::probe::outcome::Status;
use crate::report::model::ResultEntry;

/// What each local error means, in a few words.
fn meaning(errno: &str) -> &'static str {
    match errno {
        "ENETUNREACH" => "no route",
        "EHOSTUNREACH" => "an unreachable route, or no neighbour",
        "EACCES" => "a prohibit route",
        "EINVAL" => "a blackhole route",
        "EPERM" => "its own firewall",
        _ => "a local refusal",
    }
}

/// Failures this machine's own stack made (no route, a prohibit or blackhole route, its own
/// firewall): one cause, with what the kernel says of one address. When every `dns` row failed
/// that way too, the names that got no answer are its doing as well.
pub fn routing(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let mut idx: Vec<usize> = (0..results.len())
        .filter(|&i| failed_locally(&results[i]))
        .collect();
    if idx.is_empty() {
        return Vec::new();
    }
    let dns_rows: Vec<&ResultEntry> = results
        .iter()
        .filter(|r| is_dns_row(r) && r.status != Status::Skipped)
        .collect();
    if !dns_rows.is_empty() && dns_rows.iter().all(|r| failed_locally(r)) {
        idx.extend((0..results.len()).filter(|&i| no_dns_answer(&results[i])));
    }
    let mut errnos: BTreeMap<String, usize> = BTreeMap::new();
    for &i in &idx {
        let r = &results[i];
        if let Some(e) = r.facts.local_error.as_deref() {
            // An ICMP error this machine sent itself is its own firewall's reject.
            let what = if r.facts.icmp.is_some() {
                format!("{e} (an ICMP reject from this machine): its own firewall")
            } else {
                format!("{e}: {}", meaning(e))
            };
            *errnos.entry(what).or_default() += 1;
        }
    }
    let how: Vec<String> = errnos.iter().map(|(e, n)| format!("{n} × {e}")).collect();
    let hosts: Vec<String> = idx.iter().map(|&i| host(&results[i])).collect();
    let kernel = ctx
        .local_route
        .as_deref()
        .map_or_else(String::new, |r| format!("; {r}"));
    vec![Finding {
        cause: "local_routing",
        summary: format!(
            "This machine's own routes or firewall refuse to send to {} endpoint(s) ({}): the packets never left it",
            hosts.len(),
            some(&hosts, 3)
        ),
        explains: idx,
        evidence: format!(
            "the kernel refused before sending, with no ICMP error from any other device ({}){kernel}",
            how.join(", ")
        ),
        fix: "fix this VM's own routing (a default route via the subnet's gateway, its first address: `ip route`, the NIC's DHCP configuration) or its own firewall (`nft list ruleset`, `iptables -S`); the NSG and the subnet's route table are not involved".into(),
        decisive: true,
        fixes: Vec::new(),
    }]
}

/// DNS servers on this machine (loopback) that refuse: the local resolver is not running. The
/// `dns` rows to them, and the names that could not reach them when they are all the run asked.
pub fn resolver(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let refused = |r: &ResultEntry| {
        is_dns_row(r)
            && matches!(r.status, Status::Refused | Status::Unreachable)
            && dns_server(r).is_some_and(|s| s.ip().is_loopback())
    };
    let rows: Vec<usize> = (0..results.len())
        .filter(|&i| refused(&results[i]))
        .collect();
    let all_local = !ctx.dns_servers.is_empty()
        && ctx
            .dns_servers
            .iter()
            .all(|s| s.parse::<SocketAddr>().is_ok_and(|a| a.ip().is_loopback()));
    let unreachable = |r: &ResultEntry| {
        r.facts
            .dns
            .as_ref()
            .is_some_and(|d| d.failure == Some(DnsFailureKind::Unreachable))
    };
    let names: Vec<usize> = (0..results.len())
        .filter(|&i| {
            let r = &results[i];
            all_local && !is_dns_row(r) && no_dns_answer(r) && (unreachable(r) || !rows.is_empty())
        })
        .collect();
    if rows.is_empty() && names.is_empty() {
        return Vec::new();
    }
    let mut servers: Vec<String> = rows
        .iter()
        .filter_map(|&i| dns_server(&results[i]).map(|s| s.to_string()))
        .collect();
    if servers.is_empty() {
        servers.clone_from(&ctx.dns_servers);
    }
    servers.dedup();
    let servers = servers.join(", ");
    let evidence = if rows.is_empty() {
        format!(
            "every DNS server the run asked is on this machine ({servers}), and the names got no answer: refused, nothing listens there"
        )
    } else {
        format!(
            "the dns rows to {servers} were refused on this machine itself: nothing listens there"
        )
    };
    vec![Finding {
        cause: "local_resolver",
        summary: format!(
            "The local DNS resolver ({servers}) is not running: it refuses queries, so {} name(s) could not be resolved",
            names.len()
        ),
        evidence,
        fix: "start the resolver this machine is configured with (systemd-resolved, dnsmasq, unbound …), or point /etc/resolv.conf at the VNet's DNS servers (Azure DNS 168.63.129.16, or your custom ones); the NSG is not involved".into(),
        explains: rows.into_iter().chain(names).collect(),
        decisive: true,
        fixes: Vec::new(),
    }]
}
