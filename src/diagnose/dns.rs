//! DNS causes: no configured server answers; a server answers over one transport only; the
//! servers answer but fail Azure's names (a custom DNS that does not forward to Azure DNS); AAAA
//! questions dropped.

use std::collections::BTreeMap;

use super::finding::{Context, Finding};
use super::view::{dns_said_no, failed, host, is_dns_row, no_dns_answer, some};
use crate::catalog::model::Transport;
use crate::probe::outcome::{Status, WarningKind};
use crate::report::model::ResultEntry;

/// Azure DNS, what custom DNS servers must forward to.
const AZURE_DNS: &str = "168.63.129.16";

/// The `dns` rows per server (`ip:port`): (transport, result index).
fn rows_by_server(results: &[ResultEntry]) -> BTreeMap<String, Vec<(Transport, usize)>> {
    let mut by: BTreeMap<String, Vec<(Transport, usize)>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if is_dns_row(r) && r.status != Status::Skipped {
            let server = r
                .target()
                .rsplit_once('/')
                .map_or_else(String::new, |(a, _)| a.to_owned());
            by.entry(server).or_default().push((r.spec.transport, i));
        }
    }
    by
}

/// No configured DNS server answers over any transport: every name that needed an answer failed.
pub fn unreachable(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let by = rows_by_server(results);
    if by.is_empty() || !by.values().flatten().all(|(_, i)| failed(&results[*i])) {
        return Vec::new();
    }
    let rows: Vec<usize> = by.values().flatten().map(|(_, i)| *i).collect();
    let names: Vec<usize> = (0..results.len())
        .filter(|&i| no_dns_answer(&results[i]))
        .collect();
    let servers: Vec<String> = by.keys().cloned().collect();
    let how: Vec<String> = rows
        .iter()
        .map(|&i| {
            let r = &results[i];
            format!("{} over {}: {}", r.target(), r.spec.transport, r.status)
        })
        .collect();
    vec![Finding {
        cause: "dns_unreachable",
        summary: format!(
            "No DNS server answers: {} over UDP or TCP, so {} name(s) could not be resolved",
            servers.join(", "),
            names.len()
        ),
        explains: rows.into_iter().chain(names).collect(),
        evidence: how.join("; "),
        fix: format!(
            "allow outbound UDP and TCP 53 from the subnet to {} in the NSG and any firewall on the route; if these are custom DNS servers, make sure they run and listen",
            servers.join(", ")
        ),
        decisive: true,
        fixes: Vec::new(),
    }]
}

/// A server that answers over one transport and not the other.
pub fn one_transport(results: &[ResultEntry], _ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (server, rows) in rows_by_server(results) {
        let ok: Vec<Transport> = rows
            .iter()
            .filter(|(_, i)| results[*i].status == Status::Ok)
            .map(|(t, _)| *t)
            .collect();
        let bad: Vec<usize> = rows
            .iter()
            .filter(|(_, i)| failed(&results[*i]))
            .map(|(_, i)| *i)
            .collect();
        let (Some(works), Some(&first)) = (ok.first(), bad.first()) else {
            continue;
        };
        let broken = results[first].spec.transport;
        out.push(Finding {
            cause: "dns_one_transport",
            summary: format!(
                "DNS server {server} answers over {works} but not over {broken}",
            ),
            explains: bad,
            evidence: format!("{server} over {broken}: {}", results[first].status),
            fix: format!(
                "allow {} 53 to {server} as well: answers too large for UDP (long CNAME chains, DNSSEC) are fetched over TCP",
                broken.as_str().to_uppercase()
            ),
            decisive: true,
            fixes: Vec::new(),
        });
    }
    out
}

/// The servers answer, but say no to names that exist: the custom DNS does not forward Azure's
/// zones to Azure DNS (or a private DNS zone overrides them without the records).
pub fn not_forwarding(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let by = rows_by_server(results);
    let answering = by
        .values()
        .flatten()
        .any(|(_, i)| results[*i].status == Status::Ok);
    let resolved_some = results
        .iter()
        .any(|r| !is_dns_row(r) && !r.addresses.is_empty());
    let said_no: Vec<usize> = (0..results.len())
        .filter(|&i| dns_said_no(&results[i]))
        .collect();
    if !answering || !resolved_some || said_no.len() < 2 {
        return Vec::new();
    }
    let names: Vec<String> = said_no.iter().map(|&i| host(&results[i])).collect();
    let codes: Vec<String> = said_no
        .iter()
        .filter_map(|&i| results[i].facts.dns.as_ref()?.rcode.clone())
        .collect();
    let servers = if ctx.dns_servers.is_empty() {
        by.keys().cloned().collect::<Vec<_>>().join(", ")
    } else {
        ctx.dns_servers.join(", ")
    };
    let azure = servers.contains(AZURE_DNS);
    let (summary, fix) = if azure {
        (
            format!(
                "Azure DNS answers {} for {} name(s) that other names resolve beside: a private DNS zone linked to the VNet overrides them without the records",
                some(&codes, 2),
                names.len()
            ),
            "add the missing records to the private DNS zone (or unlink the zone) that covers these names".to_owned(),
        )
    } else {
        (
            format!(
                "The DNS server(s) {servers} answer, but say {} for {} Azure name(s) ({}): a custom DNS that does not forward Azure's names to Azure DNS",
                some(&codes, 2),
                names.len(),
                some(&names, 3)
            ),
            format!(
                "forward Azure's zones (or everything this server does not host) from {servers} to Azure DNS {AZURE_DNS}, and link the private DNS zones APIM's dependencies use to the VNet"
            ),
        )
    };
    vec![Finding {
        cause: "dns_not_forwarding",
        summary,
        explains: said_no,
        evidence: format!(
            "the DNS server(s) answered the dns rows; {} name(s) got {}; other names resolved",
            names.len(),
            some(&codes, 3)
        ),
        fix,
        decisive: false,
        fixes: Vec::new(),
    }]
}

/// AAAA questions that get no answer while A questions do.
pub fn aaaa_dropped(results: &[ResultEntry], ctx: &Context) -> Vec<Finding> {
    let hit: Vec<usize> = (0..results.len())
        .filter(|&i| {
            results[i]
                .warnings
                .iter()
                .any(|w| matches!(w.kind, WarningKind::AaaaNoAnswer { .. }))
        })
        .collect();
    if hit.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = hit.iter().map(|&i| host(&results[i])).collect();
    vec![Finding {
        cause: "aaaa_dropped",
        summary: format!(
            "AAAA questions to {} get no answer while A questions do ({} name(s): {})",
            if ctx.dns_servers.is_empty() {
                "the DNS servers".to_owned()
            } else {
                ctx.dns_servers.join(", ")
            },
            names.len(),
            some(&names, 3)
        ),
        explains: hit,
        evidence: "aaaa_no_answer warnings: the A answer came, the AAAA one did not within its grace".into(),
        fix: "let AAAA questions through to the DNS server (a firewall or an old forwarder drops them); until then clients wait for them on every lookup".into(),
        decisive: true,
        fixes: Vec::new(),
    }]
}
