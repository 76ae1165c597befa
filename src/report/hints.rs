//! What to change, for a failed result: built from the catalog row, the status and the typed
//! facts (never the prose of the detail), in the words of the NSG rule or firewall setting a
//! network engineer would touch.

use crate::catalog::model::Direction;
use crate::probe::Status;
use crate::probe::facts::DnsFailureKind;
use crate::probe::outcome::WarningKind;

use super::model::ResultEntry;

/// Service tags that have regional variants the NSG may use instead (reference, "Regional service tags").
const REGIONAL_TAGS: &[&str] = &["Storage", "Sql", "EventHub"];

/// Where a silent drop may also happen, besides the NSG.
const ON_THE_ROUTE: &str = "and any firewall/NVA on the route (check the subnet's UDR)";

/// The hint for one result, or `None` when there is nothing to change.
///
/// A result that is `ok` gets one only when a warning says the clock is off: that breaks TLS and
/// tokens even though the network is fine.
pub fn hint(r: &ResultEntry, region: Option<&str>) -> Option<String> {
    match r.status {
        Status::Skipped => return None,
        Status::Ok => return clock_hint(r),
        _ => {}
    }
    if r.spec.direction == Direction::Inbound {
        return None;
    }
    let proto = r.spec.transport.as_str().to_uppercase();
    let port = r.spec.port.map_or("*".to_owned(), |p| p.to_string());
    let rule = nsg_rule(r, region, &proto, &port);
    let host = r.spec.host.as_deref().unwrap_or("the host");
    Some(match r.status {
        Status::Ok | Status::Skipped => return None,
        Status::DnsFailed => dns_hint(r, host),
        Status::Timeout => format!("{rule}, {ON_THE_ROUTE}"),
        Status::Refused => format!(
            "a reset came back: {rule}; if it is allowed, a firewall/NVA on the route rejects it (check the subnet's UDR), or {host} resolves to an address where nothing listens (private endpoint or DNS override?)"
        ),
        Status::Unreachable => unreachable_hint(r, &rule),
        Status::FirewallDenied => format!(
            "add an application rule allowing {host} ({} {port}) from the subnet to the firewall that denied it (or a network rule for service tag {})",
            if r.spec.port == Some(80) { "HTTP" } else { "HTTPS" },
            r.spec.service_tag
        ),
        Status::TlsIntercepted => format!(
            "exclude this FQDN ({host}) from TLS inspection on the firewall/proxy: APIM expects the service's own certificate chain"
        ),
        Status::TlsUntrusted => format!(
            "check the certificate {host} presents (issuer in the detail); if a firewall/proxy re-signs it, exclude this FQDN from TLS inspection"
        ),
        Status::ProtocolError => format!(
            "something accepted the connection but is not the service: a firewall/NVA or proxy on the route (check the subnet's UDR) may terminate {proto} {port}; {rule}"
        ),
        Status::Error => {
            "a local problem on this machine prevented the probe (see the detail); fix it and run again"
                .to_owned()
        }
    })
}

/// The NSG rule that lets this result through, with the regional tag where the reference allows.
fn nsg_rule(r: &ResultEntry, region: Option<&str>, proto: &str, port: &str) -> String {
    let tag_name = r.spec.service_tag.as_str();
    let tag = match region {
        Some(region) if REGIONAL_TAGS.contains(&tag_name) => {
            format!("service tag {tag_name} (or {tag_name}.{region})")
        }
        _ => format!("service tag {tag_name}"),
    };
    if r.spec.direction == Direction::Peer {
        format!(
            "allow {proto} {port} inbound and outbound between VirtualNetwork and VirtualNetwork in the subnet's NSG"
        )
    } else {
        format!("allow outbound {proto} {port} to {tag} in the subnet's NSG")
    }
}

/// DNS: which resolver must be fixed, and how.
fn dns_hint(r: &ResultEntry, host: &str) -> String {
    let forward = "custom DNS servers must forward Azure names to Azure DNS (168.63.129.16)";
    let nxdomain = r
        .facts
        .dns
        .as_ref()
        .is_some_and(|d| d.failure == Some(DnsFailureKind::Nxdomain));
    if nxdomain {
        format!(
            "{host} does not exist for this subnet's resolver: {forward}, and any private DNS zone that overrides it must hold the record"
        )
    } else {
        format!(
            "make {host} resolvable from the subnet: {forward}; allow outbound UDP and TCP 53 to those servers in the NSG {ON_THE_ROUTE}"
        )
    }
}

/// Unreachable: an ICMP error names who sent it; a local route (blackhole) or local firewall
/// has no sender, and saying "the firewall that sent the ICMP error" would mislead.
fn unreachable_hint(r: &ResultEntry, rule: &str) -> String {
    let icmp = r.facts.icmp.as_ref();
    match icmp.and_then(|i| i.from.as_deref()) {
        Some(from) => format!(
            "{rule}; {from} answered with an ICMP error: check its rules if it is a firewall/NVA, and the subnet's UDR that sends traffic to it"
        ),
        None if icmp.is_some() => format!(
            "{rule}; a router or firewall/NVA on the route answered with an ICMP error: check the subnet's UDR and that device"
        ),
        None => format!(
            "this machine has no usable route or a local firewall blocks it (see the detail; `ip route get` shows the route): check the subnet's UDR and the VM's own firewall; {rule}"
        ),
    }
}

/// The clock-skew warning of an `ok` NTP result, turned into what to fix.
fn clock_hint(r: &ResultEntry) -> Option<String> {
    r.warnings
        .iter()
        .any(|w| matches!(w.kind, WarningKind::ClockSkew { .. }))
        .then(|| {
        "fix this machine's clock: enable time sync (chrony/ntpd or the Azure host time source) and allow outbound UDP 123 to the NTP server; TLS and token validation fail with a wrong clock"
            .to_owned()
    })
}
