//! NSGs in every exported form: `az network nsg show` (flat), REST/ARM/portal (under
//! `properties`), `az network nic list-effective-nsg` and PowerShell's
//! `Get-AzEffectiveNetworkSecurityGroup` (one entry per NSG that applies, tags expanded), and
//! Network Watcher's `show-security-group-view`. Default rules an export lacks are added.

use std::collections::HashSet;

use super::json::{Node, id_name};
use super::model::{
    Access, AddressSpec, Nsg, NsgLevel, PortRange, Protocol, RuleDirection, SecurityRule,
};
use super::rule::read_rule;
use crate::azure::InputError;

/// Reads an NSG resource (flat or nested).
pub fn read_nsg(node: &Node) -> Result<Nsg, InputError> {
    let p = node.props();
    let id = node
        .get("id")
        .map(|n| n.str().map(str::to_owned))
        .transpose()?;
    let name = match node.get("name") {
        Some(n) => n.str()?.to_owned(),
        None => id.as_deref().map_or("nsg", id_name).to_owned(),
    };
    let mut rules = Vec::new();
    for (key, default) in [("securityRules", false), ("defaultSecurityRules", true)] {
        if let Some(list) = p.get(key) {
            rules.extend(read_rules(&list, default, false)?);
        }
    }
    let ids = |key: &str| -> Result<Vec<String>, InputError> {
        match p.get(key) {
            None => Ok(Vec::new()),
            Some(list) => list
                .items()?
                .iter()
                .filter_map(|i| i.get("id"))
                .map(|id| id.str().map(str::to_owned))
                .collect(),
        }
    };
    let mut nsg = Nsg {
        name,
        id,
        level: None,
        rules,
        file: node.file().display().to_string(),
        effective: false,
        subnets: ids("subnets")?,
        nics: ids("networkInterfaces")?,
        origin: super::model::Origin::of(node)?,
    };
    add_missing_defaults(&mut nsg);
    Ok(nsg)
}

/// Reads a list of rules. Azure refuses two user rules with one priority in one direction: an
/// export that has them was edited by hand, and which one wins cannot be known.
fn read_rules(
    list: &Node,
    default: bool,
    effective: bool,
) -> Result<Vec<SecurityRule>, InputError> {
    let mut seen = HashSet::new();
    let mut rules = Vec::new();
    for node in list.items()? {
        let r = read_rule(&node, default, effective)?;
        if !r.default && !seen.insert((r.direction, r.priority)) {
            let at = node.props().get("priority").unwrap_or(node);
            return Err(at.error(format!(
                "a second {:?} rule with priority {} (rule {:?}): Azure allows one",
                r.direction, r.priority, r.name
            )));
        }
        rules.push(r);
    }
    Ok(rules)
}

/// Reads `list-effective-nsg` output: `{ "value": [ … ] }`, or the bare list PowerShell writes.
pub fn read_effective(node: &Node) -> Result<Vec<Nsg>, InputError> {
    let list = match node.get("value") {
        Some(v) => v,
        None => node.clone(),
    };
    let mut out = Vec::new();
    for entry in list.items()? {
        let nsg_id = entry.id_of("networkSecurityGroup")?;
        let assoc = entry.get("association");
        let (level, attached) = match &assoc {
            Some(a) => match (a.id_of("subnet")?, a.id_of("networkInterface")?) {
                (Some(s), _) => (Some(NsgLevel::Subnet), Some(s)),
                (None, Some(n)) => (Some(NsgLevel::Nic), Some(n)),
                _ => (None, None),
            },
            None => (None, None),
        };
        let rules = match entry.get("effectiveSecurityRules") {
            Some(rs) => read_rules(&rs, false, true)?,
            None => Vec::new(),
        };
        let name = nsg_id.as_deref().map_or("nsg", id_name).to_owned();
        let mut nsg = effective_nsg(node, name, nsg_id, level, attached, rules);
        add_missing_defaults(&mut nsg);
        out.push(nsg);
    }
    Ok(out)
}

/// Reads Network Watcher's security group view: the subnet's and the NIC's NSG of the first
/// network interface (more NICs give a warning, returned second).
pub fn read_group_view(node: &Node) -> Result<(Vec<Nsg>, Option<String>), InputError> {
    let nics = node.field("networkInterfaces")?;
    let items = nics.items()?;
    let Some(nic) = items.first() else {
        return Err(nics.error("the list is empty: no network interface to read"));
    };
    let warning = (items.len() > 1).then(|| {
        format!(
            "{}: {} network interfaces; the first one's NSGs are evaluated",
            node.file().display(),
            items.len()
        )
    });
    let assoc = nic.props().field("securityRuleAssociations")?;
    let defaults = match assoc.get("defaultSecurityRules") {
        Some(list) => read_rules(&list, true, true)?,
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for (key, level) in [
        ("subnetAssociation", NsgLevel::Subnet),
        ("networkInterfaceAssociation", NsgLevel::Nic),
    ] {
        let Some(a) = assoc.get(key) else { continue };
        // No `securityRules` at a level: no NSG there.
        let Some(list) = a.get("securityRules") else {
            continue;
        };
        let mut rules = read_rules(&list, false, true)?;
        // The rules' ids carry the NSG's: `…/networkSecurityGroups/NAME/securityRules/RULE`.
        let nsg_id = list
            .value()
            .as_array()
            .and_then(|l| l.first())
            .and_then(|r| r.get("id"))
            .and_then(|v| v.as_str())
            .and_then(|id| {
                id.rsplit_once("/securityRules/")
                    .map(|(nsg, _)| nsg.to_owned())
            });
        let attached = a
            .get("id")
            .map(|n| n.str().map(str::to_owned))
            .transpose()?;
        rules.extend(defaults.iter().cloned());
        let fallback = match level {
            NsgLevel::Subnet => "subnet NSG",
            NsgLevel::Nic => "NIC NSG",
        };
        let name = nsg_id.as_deref().map_or(fallback, id_name).to_owned();
        let mut nsg = effective_nsg(node, name, nsg_id, Some(level), attached, rules);
        add_missing_defaults(&mut nsg);
        out.push(nsg);
    }
    Ok((out, warning))
}

/// An NSG of an effective export, attached at `level` to the resource `attached`.
fn effective_nsg(
    node: &Node,
    name: String,
    id: Option<String>,
    level: Option<NsgLevel>,
    attached: Option<String>,
    rules: Vec<SecurityRule>,
) -> Nsg {
    let (subnets, nics) = match level {
        Some(NsgLevel::Subnet) => (attached.into_iter().collect(), Vec::new()),
        Some(NsgLevel::Nic) => (Vec::new(), attached.into_iter().collect()),
        None => (Vec::new(), Vec::new()),
    };
    Nsg {
        name,
        id,
        level,
        rules,
        file: node.file().display().to_string(),
        effective: true,
        subnets,
        nics,
        origin: None,
    }
}

/// The six rules every NSG has, which no one can delete.
pub fn default_rules() -> Vec<SecurityRule> {
    use AddressSpec::{Any, Tag};
    use RuleDirection::{Inbound, Outbound};
    let tag = |t: &str| Tag(t.to_owned());
    let rule = |name: &str, priority, direction, access, source, destination| SecurityRule {
        name: name.to_owned(),
        priority,
        direction,
        access,
        protocol: Protocol::Any,
        source,
        destination,
        source_ports: vec![PortRange::ANY],
        destination_ports: vec![PortRange::ANY],
        default: true,
        modelled: true,
        expanded_source: None,
        expanded_destination: None,
        origin: None,
    };
    vec![
        rule(
            "AllowVnetInBound",
            65000,
            Inbound,
            Access::Allow,
            tag("VirtualNetwork"),
            tag("VirtualNetwork"),
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            Inbound,
            Access::Allow,
            tag("AzureLoadBalancer"),
            Any,
        ),
        rule("DenyAllInBound", 65500, Inbound, Access::Deny, Any, Any),
        rule(
            "AllowVnetOutBound",
            65000,
            Outbound,
            Access::Allow,
            tag("VirtualNetwork"),
            tag("VirtualNetwork"),
        ),
        rule(
            "AllowInternetOutBound",
            65001,
            Outbound,
            Access::Allow,
            Any,
            tag("Internet"),
        ),
        rule("DenyAllOutBound", 65500, Outbound, Access::Deny, Any, Any),
    ]
}

/// Adds the default rules the export lacks (matched by direction and priority, since older
/// effective exports name them `DefaultRule_AllowVnetOutBound`, `DefaultOutboundDenyAll` …).
/// Returns how many were added.
pub fn add_missing_defaults(nsg: &mut Nsg) -> usize {
    let missing: Vec<SecurityRule> = default_rules()
        .into_iter()
        .filter(|d| {
            !nsg.rules
                .iter()
                .any(|r| r.direction == d.direction && r.priority == d.priority)
        })
        .collect();
    let n = missing.len();
    nsg.rules.extend(missing);
    n
}
