//! Causes on the path: everything beyond the VNet closed; one service tag (or tag and port)
//! blocked while others pass; IPv6 broken while IPv4 works; names that resolve to private
//! addresses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::finding::{Context, Finding};
use super::view::{
    addresses, failed, failed_locally, failed_to_connect, host, is_private, some,
    to_a_public_service,
};
use crate::catalog::profile::Profile;
use crate::probe::outcome::Status;
use crate::report::fix::Fix;
use crate::report::model::ResultEntry;

/// Fewer public endpoints than this say nothing about "everything".
const EVERYTHING: usize = 3;

/// How a group of connect failures failed, in words, and who sent the ICMP errors when one did.
fn how(results: &[ResultEntry], idx: &[usize]) -> (String, Option<String>) {
    let mut by: BTreeMap<Status, usize> = BTreeMap::new();
    let mut senders: Vec<String> = Vec::new();
    for &i in idx {
        *by.entry(results[i].status).or_default() += 1;
        if let Some(from) = results[i].facts.icmp.as_ref().and_then(|c| c.from.clone()) {
            senders.push(from);
        }
    }
    let words: Vec<String> = by
        .iter()
        .map(|(s, n)| {
            let w = match s {
                Status::Timeout => "silently dropped",
                Status::Refused => "reset",
                Status::Unreachable => "rejected with ICMP",
                other => other.as_str(),
            };
            format!("{n} {w}")
        })
        .collect();
    senders.sort();
    senders.dedup();
    (
        words.join(", "),
        (!senders.is_empty()).then(|| senders.join(", ")),
    )
}

/// Everything outside the VNet fails to connect while something inside answers (or at least the
/// DNS does): outbound closed, or force-tunnelled into a device that drops it.
pub fn egress_closed(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let public: Vec<usize> = (0..results.len())
        .filter(|&i| to_a_public_service(&results[i]) && results[i].status != Status::Skipped)
        .filter(|&i| results[i].status != Status::DnsFailed)
        // What this machine refused itself is its own cause (`local_routing`), not egress.
        .filter(|&i| !failed_locally(&results[i]))
        .collect();
    let mut tags: Vec<String> = public
        .iter()
        .map(|&i| results[i].spec.service_tag.clone())
        .collect();
    tags.sort();
    tags.dedup();
    // One tag failing is that tag's rule (`tag_blocked`), not everything.
    if public.len() < EVERYTHING
        || tags.len() < 2
        || !public.iter().all(|&i| failed_to_connect(&results[i]))
    {
        return Vec::new();
    }
    let inside_ok: Vec<String> = results
        .iter()
        .filter(|r| r.status == Status::Ok)
        .map(ResultEntry::target)
        .collect();
    let (words, senders) = how(results, &public);
    let mut by = senders.map_or(String::new(), |s| {
        format!("; the rejects come from {s}: a firewall/NVA or gateway on the route, not an NSG")
    });
    let tunnelled = ctx
        .default_route
        .as_deref()
        .filter(|r| !r.ends_with(" Internet"));
    if let Some(route) = tunnelled {
        let _ = write!(
            by,
            "; the exported routes agree: {route} (forced tunnelling)"
        );
    }
    vec![Finding {
        cause: "egress_closed",
        summary: format!(
            "Nothing outside the VNet answers: all {} public endpoints fail to connect ({words}) across {} service tags{}",
            public.len(),
            tags.len(),
            if inside_ok.is_empty() {
                String::new()
            } else {
                format!(", while {} answers", some(&inside_ok, 2))
            }
        ),
        explains: public,
        evidence: format!(
            "every outbound row to {} failed in the connect phase{by}",
            some(&tags, 4)
        ),
        fix: egress_fix(tunnelled, ctx.profile == Profile::Classic),
        decisive: false,
        fixes: tunnelled
            .filter(|_| ctx.profile == Profile::Classic)
            .map(|_| Fix::Route {
                name: "ApiManagementToInternet".into(),
                prefix: "ApiManagement".into(),
                next_hop: "Internet".into(),
            })
            .into_iter()
            .collect(),
    }]
}

/// What to change when nothing outside the VNet answers; the classic tiers' control plane also
/// needs its ApiManagement route to the Internet (the v2 tiers have no such inbound management
/// traffic in the subnet).
fn egress_fix(tunnelled: Option<&str>, classic: bool) -> String {
    let control = if classic {
        ", and a route for service tag ApiManagement with next hop Internet keeps the control plane's replies symmetric"
    } else {
        ""
    };
    match tunnelled {
        Some(route) => format!(
            "{route}: that device must allow APIM's dependencies (or send them straight out with routes for their service tags){control}"
        ),
        None => format!(
            "look at the subnet's route table: a 0.0.0.0/0 route to a firewall/NVA or VPN gateway (forced tunnelling) needs that device to allow APIM's dependencies{control}; else an NSG rule denies all outbound"
        ),
    }
}

/// One service tag whose every endpoint fails to connect (on a port, or on all) while other tags
/// pass: the NSG rule for that tag is missing or denies it.
pub fn tag_blocked(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let mut by_tag: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if to_a_public_service(r)
            && r.status != Status::Skipped
            && r.status != Status::DnsFailed
            && !failed_locally(r)
        {
            by_tag
                .entry(r.spec.service_tag.as_str())
                .or_default()
                .push(i);
        }
    }
    let others_pass = |tag: &str| {
        by_tag
            .iter()
            .any(|(t, idx)| *t != tag && idx.iter().any(|&i| results[i].status == Status::Ok))
    };
    let mut out = Vec::new();
    for (tag, idx) in &by_tag {
        let mut ports: BTreeMap<u16, (Vec<usize>, bool)> = BTreeMap::new();
        for &i in idx {
            let e = ports.entry(results[i].spec.port.unwrap_or(0)).or_default();
            e.0.push(i);
            e.1 |= !failed_to_connect(&results[i]);
        }
        let blocked: Vec<u16> = ports
            .iter()
            .filter(|(_, (_, any_ok))| !any_ok)
            .map(|(p, _)| *p)
            .collect();
        if blocked.is_empty() || !others_pass(tag) {
            continue;
        }
        let mut hit: Vec<usize> = blocked.iter().flat_map(|p| ports[p].0.clone()).collect();
        // Rows of other tags that go to the same hosts and ports meet the same rule.
        let same: Vec<usize> = (0..results.len())
            .filter(|i| !hit.contains(i))
            .filter(|&i| {
                let r = &results[i];
                failed_to_connect(r)
                    && blocked.contains(&r.spec.port.unwrap_or(0))
                    && hit.iter().any(|&h| results[h].spec.host == r.spec.host)
            })
            .collect();
        hit.extend(same);
        out.push(tag_finding(results, ctx, tag, &blocked, hit));
    }
    out
}

fn tag_finding(
    results: &[ResultEntry],
    ctx: &Context,
    tag: &str,
    ports: &[u16],
    hit: Vec<usize>,
) -> Finding {
    let fixes = ports
        .iter()
        .map(|p| Fix::allow_out(tag, Some(*p), "Tcp", ctx.cloud, ctx.region.as_deref()))
        .collect();
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let ports = list.join(",");
    let hosts: Vec<String> = hit.iter().map(|&i| host(&results[i])).collect();
    let (words, senders) = how(results, &hit);
    let tag_words = match ctx.region.as_deref().and_then(|r| regional(tag, ctx, r)) {
        Some(regional) => format!("service tag {tag} (or {regional})"),
        None => format!("service tag {tag}"),
    };
    let blocking = ctx.blocking.get(&tag.to_ascii_lowercase());
    let (evidence, fix) = match (blocking, senders) {
        (Some(rule), _) => (
            format!("{words} in the connect phase; the exported NSG agrees: {rule} denies it"),
            format!(
                "add an outbound NSG rule allowing TCP {ports} from VirtualNetwork to {tag_words} with a priority number lower than {rule}'s, or remove that rule"
            ),
        ),
        (None, Some(from)) => (
            format!(
                "{words}; the ICMP errors come from {from} — a firewall/NVA, not an NSG (NSGs drop silently)"
            ),
            format!(
                "allow TCP {ports} to {tag_words} on the firewall/NVA at {from} (and in the NSG)"
            ),
        ),
        (None, None) => (
            format!("{words} in the connect phase, while endpoints of other tags connect"),
            format!(
                "add an outbound NSG rule allowing TCP {ports} from VirtualNetwork to {tag_words}, above any deny, and allow the same on any firewall/NVA the route table sends it to"
            ),
        ),
    };
    Finding {
        cause: "tag_blocked",
        summary: format!(
            "Every {tag} endpoint on TCP {ports} fails to connect ({} host(s): {})",
            hosts.len(),
            some(&hosts, 3)
        ),
        explains: hit,
        evidence,
        fix,
        decisive: false,
        fixes,
    }
}

/// The regional form of a tag for a region, as Azure spells it, for the tags the reference
/// names as regional.
fn regional(tag: &str, ctx: &Context, region: &str) -> Option<String> {
    use crate::catalog::regions;
    regions::REGIONAL_TAGS
        .contains(&tag)
        .then(|| regions::regional_tag(ctx.cloud, tag, region))
        .flatten()
}

/// Endpoints reached over IPv4 work, those tried over IPv6 only fail: the IPv6 path is broken.
pub fn ipv6_broken(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let only_v6 = |r: &ResultEntry| {
        let a = addresses(r);
        !a.is_empty() && a.iter().all(IpAddr::is_ipv6)
    };
    let v6_failing: Vec<usize> = (0..results.len())
        .filter(|&i| failed_to_connect(&results[i]) && only_v6(&results[i]))
        .collect();
    let v4_ok = results
        .iter()
        .any(|r| r.status == Status::Ok && r.peer.as_deref().is_some_and(|p| !p.starts_with('[')));
    if v6_failing.len() < 2 || !v4_ok {
        return Vec::new();
    }
    let hosts: Vec<String> = v6_failing.iter().map(|&i| host(&results[i])).collect();
    let (words, _) = how(results, &v6_failing);
    vec![Finding {
        cause: "ipv6_broken",
        summary: format!(
            "IPv6 is broken while IPv4 works: {} IPv6-only endpoint(s) fail ({})",
            hosts.len(),
            some(&hosts, 3)
        ),
        explains: v6_failing,
        evidence: format!("{words}; endpoints reached over IPv4 answer"),
        fix: "check the IPv6 route and NSG rules of the subnet (IPv6 needs rules of its own), or resolve these names to IPv4".into(),
        decisive: false,
        fixes: Vec::new(),
    }]
}

/// Public services whose names resolve to private addresses: private endpoints, or a DNS
/// override. Reported when one of them fails (else it may well be intended).
pub fn private_addresses(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let private: Vec<usize> = (0..results.len())
        .filter(|&i| {
            let r = &results[i];
            to_a_public_service(r) && addresses(r).iter().any(|a| is_private(*a))
        })
        .collect();
    if !private.iter().any(|&i| failed(&results[i])) {
        return Vec::new();
    }
    let shown: Vec<String> = private
        .iter()
        .map(|&i| format!("{} → {}", host(&results[i]), results[i].addresses.join(" ")))
        .collect();
    vec![Finding {
        cause: "private_address",
        summary: format!(
            "{} public service name(s) resolve to private addresses: {}",
            private.len(),
            some(&shown, 3)
        ),
        explains: private,
        evidence: "the addresses are private (RFC 1918 / ULA): a private endpoint, or a DNS zone that overrides the name".into(),
        fix: "if private endpoints are intended, the NSG must allow these addresses (service tags do not cover them) and their private DNS zone must be linked to this VNet; if not, remove the DNS override".into(),
        decisive: true,
        fixes: Vec::new(),
    }]
}
