//! What to change, for a failed result: built from the catalog row and the status, in the words
//! of the NSG rule or firewall setting a network engineer would touch.

use crate::catalog::model::Direction;
use crate::probe::Status;

use super::model::ResultEntry;

/// Service tags that have regional variants the NSG may use instead (reference, "Regional service tags").
const REGIONAL_TAGS: &[&str] = &["Storage", "Sql", "EventHub"];

/// The hint for one result, or `None` when there is nothing to change.
pub fn hint(r: &ResultEntry, region: Option<&str>) -> Option<String> {
    if r.facts.direction != Direction::Outbound {
        return None;
    }
    let proto = r.facts.transport.as_str().to_uppercase();
    let port = r.facts.port.map_or("*".to_owned(), |p| p.to_string());
    let tag = match region {
        Some(region) if REGIONAL_TAGS.contains(&r.facts.service_tag.as_str()) => {
            format!(
                "service tag {} (or {}.{region})",
                r.facts.service_tag, r.facts.service_tag
            )
        }
        _ => format!("service tag {}", r.facts.service_tag),
    };
    let rule = format!("allow outbound {proto} {port} to {tag} in the subnet's NSG");
    let host = r.facts.host.as_deref().unwrap_or("the host");
    Some(match r.status {
        Status::Ok | Status::Skipped => return None,
        Status::DnsFailed => format!(
            "make {host} resolvable from the subnet: custom DNS servers must forward to Azure DNS (168.63.129.16), and outbound UDP/TCP 53 to them must be allowed"
        ),
        Status::Timeout => format!(
            "{rule}, and in any firewall/NVA on the route (check the subnet's route table/UDR)"
        ),
        Status::Refused => format!(
            "a reset came back: {rule}; if it is allowed, a firewall/NVA on the route rejects it, or {host} resolves to an address where nothing listens (private endpoint or DNS override?)"
        ),
        Status::Unreachable => format!(
            "{rule}; check the subnet's route table (UDR) and the firewall/NVA that sent the ICMP error"
        ),
        Status::FirewallDenied => {
            format!("add an application rule for {host} to the firewall that denied it")
        }
        Status::TlsIntercepted => format!("exclude {host} from TLS inspection on the firewall"),
        Status::TlsUntrusted => {
            format!("check the certificate {host} presents, and any TLS inspection on the route")
        }
        Status::ProtocolError => format!(
            "something accepted the connection but is not the service: a firewall/NVA or proxy on the route may terminate {proto} {port}"
        ),
        Status::Error => {
            "a local problem on this machine prevented the probe; see detail".to_owned()
        }
    })
}
