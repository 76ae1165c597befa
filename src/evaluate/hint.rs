//! The fix for a flow that is not allowed: the NSG rule to add (a free priority below the rule
//! that blocks, a name, both sides, protocol, ports, and the `az` command), or the route to add.

use serde::Serialize;

use super::flows::Flow;
use super::near::Suggestion;
use super::nsg::RuleRef;
use crate::azure::network::model::{Nsg, RuleDirection};
use crate::azure::network::rule::{MAX_USER_PRIORITY, MIN_USER_PRIORITY};
use crate::catalog::model::{Direction, Transport};

/// What to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// `nsg_rule`, `route` or `text`.
    pub kind: &'static str,
    /// The NSG to add the rule to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsg: Option<String>,
    /// Its resource group, from its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// A free priority below the blocking rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// The new rule's or route's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Inbound` or `Outbound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<RuleDirection>,
    /// Source service tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Destination service tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `Tcp` or `Udp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'static str>,
    /// Destination ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<String>,
    /// The route table to add the route to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_table: Option<String>,
    /// The route's address prefix (a tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_prefix: Option<String>,
    /// The route's next hop type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hop_type: Option<&'static str>,
    /// The `az` command that makes the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The same change written in the code the NSG is declared in (a Terraform block, an ARM
    /// `securityRules` element), when it comes from code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Suggestion>,
    /// The same, in words.
    pub text: String,
}

impl Hint {
    pub(crate) fn text(text: String) -> Self {
        Hint {
            kind: "text",
            nsg: None,
            resource_group: None,
            priority: None,
            name: None,
            direction: None,
            source: None,
            destination: None,
            protocol: None,
            ports: None,
            route_table: None,
            address_prefix: None,
            next_hop_type: None,
            command: None,
            code: None,
            text,
        }
    }
}

impl Hint {
    /// Remove (or narrow) a rule that denies what APIM needs.
    pub fn remove_rule(nsg: &str, rule: &str, what: &str) -> Self {
        Hint::text(format!(
            "rule {rule} of NSG {nsg} denies {what}: remove it or narrow it"
        ))
    }
}

/// The resource group named in an Azure id.
fn group_of(id: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = id?.split('/').collect();
    parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| parts.get(i + 1))
        .map(|s| (*s).to_owned())
}

/// The resource group named in an Azure id, or the shell variable `"$RG"` to set before pasting
/// (a placeholder like `<rg>` would be a redirection in a shell).
pub(crate) fn resource_group(id: Option<&str>) -> String {
    group_of(id).unwrap_or_else(|| "\"$RG\"".into())
}

/// `storage` → `Storage`, `management-endpoint` → `ManagementEndpoint`.
fn camel(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}

/// The highest free user priority below `below` in `nsg` for `direction`, preferring multiples
/// of ten (how people number rules).
pub fn free_priority(nsg: &Nsg, direction: RuleDirection, below: u32) -> Option<u32> {
    let top = below.saturating_sub(1).min(MAX_USER_PRIORITY);
    let used = |p: u32| {
        nsg.rules
            .iter()
            .any(|r| r.direction == direction && r.priority == p)
    };
    let range = || (MIN_USER_PRIORITY..=top).rev();
    range()
        .find(|p| p % 10 == 0 && !used(*p))
        .or_else(|| range().find(|p| !used(*p)))
}

/// The NSG rule that lets `flow` through `nsg`, above the rule `blocking`.
pub fn nsg_rule(flow: &Flow, nsg: &Nsg, blocking: &RuleRef) -> Hint {
    let direction = blocking.direction;
    let Some(priority) = free_priority(nsg, direction, blocking.priority) else {
        return Hint::text(format!(
            "no free priority below {} ({}) in NSG {}: renumber the rules so an allow rule for {} {} can come first",
            blocking.priority,
            blocking.name,
            nsg.name,
            flow.transport.as_str().to_uppercase(),
            flow.ports
        ));
    };
    let (source, destination) = match (flow.direction, direction) {
        (Direction::Outbound, _) => ("VirtualNetwork".to_owned(), flow.destination.clone()),
        (Direction::Inbound, _) => (flow.source.clone(), "VirtualNetwork".to_owned()),
        (Direction::Peer, _) => ("VirtualNetwork".to_owned(), "VirtualNetwork".to_owned()),
    };
    let protocol = match flow.transport {
        Transport::Tcp => "Tcp",
        Transport::Udp => "Udp",
    };
    let dir = match direction {
        RuleDirection::Inbound => "Inbound",
        RuleDirection::Outbound => "Outbound",
    };
    let id = camel(&flow.id);
    let port = flow.ports.to_string().replace('*', "Any");
    let port = if id.ends_with(&port) {
        String::new()
    } else {
        port
    };
    let name = format!("Allow{id}{port}{dir}");
    let ports = flow.ports.to_string();
    let command = format!(
        "az network nsg rule create -g {} --nsg-name {} -n {name} --priority {priority} --direction {dir} --access Allow --protocol {protocol} --source-address-prefixes {source} --source-port-ranges '*' --destination-address-prefixes {destination} --destination-port-ranges '{ports}'",
        resource_group(nsg.id.as_deref()),
        nsg.name
    );
    let text = format!(
        "add to NSG {}: {dir} Allow {protocol} {source} -> {destination} port {ports}, priority {priority} (below {} {})",
        nsg.name, blocking.name, blocking.priority
    );
    Hint {
        kind: "nsg_rule",
        nsg: Some(nsg.name.clone()),
        resource_group: group_of(nsg.id.as_deref()),
        priority: Some(priority),
        name: Some(name),
        direction: Some(direction),
        source: Some(source),
        destination: Some(destination),
        protocol: Some(protocol),
        ports: Some(ports),
        route_table: None,
        address_prefix: None,
        next_hop_type: None,
        command: Some(command),
        code: None,
        text,
    }
}

/// The route that sends the replies to a tag straight out (`ApiManagement` → `Internet`).
pub fn internet_route(tag: &str, table: Option<(&str, Option<&str>)>) -> Hint {
    let (name, id) = table.unwrap_or(("\"$ROUTE_TABLE\"", None));
    let route = format!("{tag}ToInternet");
    Hint {
        kind: "route",
        nsg: None,
        resource_group: group_of(id),
        priority: None,
        name: Some(route.clone()),
        direction: None,
        source: None,
        destination: None,
        protocol: None,
        ports: None,
        route_table: Some(name.to_owned()),
        address_prefix: Some(tag.to_owned()),
        next_hop_type: Some("Internet"),
        command: Some(format!(
            "az network route-table route create -g {} --route-table-name {name} -n {route} --address-prefix {tag} --next-hop-type Internet",
            resource_group(id)
        )),
        code: None,
        text: format!(
            "add to route table {name}: {tag} -> Internet, so replies to {tag} leave straight to Azure's edge"
        ),
    }
}

/// A route that drops the traffic: change it.
pub fn dropping_route(route: &str, tag: &str) -> Hint {
    Hint::text(format!(
        "route {route} sends traffic to {tag} to None (dropped): remove it, or give {tag} a route to Internet or to a firewall that allows it"
    ))
}

/// Delegate the subnet to `service` (or take its delegation off, for `none`).
pub fn subnet_delegation(subnet: &str, id: Option<&str>, service: &str) -> Hint {
    let (text, change) = if service == crate::catalog::editions::NO_DELEGATION {
        (
            format!(
                "remove the delegation of subnet {subnet}: the classic tiers inject into a subnet that is not delegated"
            ),
            "--remove delegations".to_owned(),
        )
    } else {
        (
            format!("delegate subnet {subnet} to {service}"),
            format!("--delegations {service}"),
        )
    };
    let mut h = Hint::text(text);
    h.command = Some(format!(
        "az network vnet subnet update -g {} --vnet-name \"$VNET\" -n {subnet} {change}",
        resource_group(id)
    ));
    h
}

/// The subnet has no NSG (stv2 and the v2 pages need one): associate one.
pub fn subnet_nsg(subnet: &str, id: Option<&str>) -> Hint {
    let mut h = Hint::text(format!(
        "create an NSG with the rules APIM needs and associate it with subnet {subnet}"
    ));
    h.command = Some(format!(
        "az network vnet subnet update -g {} --vnet-name \"$VNET\" -n {subnet} --network-security-group \"$NSG\"",
        resource_group(id)
    ));
    h
}
