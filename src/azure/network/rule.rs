//! Reading one security rule, in any form: the CLI's flat object, the ARM/portal object with
//! `properties`, an effective rule (`securityRules/Name`, `0-65535`, `All`, expanded prefixes),
//! PascalCase from PowerShell. Each field is checked; an error names its JSON path.

use super::json::Node;
use super::model::{Access, AddressSpec, PortRange, Protocol, RuleDirection, SecurityRule};
use super::prefix::{looks_like_prefix, parse_prefix};
use crate::azure::InputError;

/// The member a code reader (`azure::iac`) sets on a rule one of whose values it could not
/// evaluate, naming it: the rule's match is then unknown.
pub const UNKNOWN_KEY: &str = "x-apim-probe-unknown";

/// The highest priority a user rule may have; default rules start at 65000.
pub const MAX_USER_PRIORITY: u32 = 4096;
/// The lowest priority a user rule may have.
pub const MIN_USER_PRIORITY: u32 = 100;

/// Reads a rule. `default` is true for the members of `defaultSecurityRules`; `effective` for
/// effective exports, where default rules are told by name or by a priority above 4096.
pub fn read_rule(node: &Node, default: bool, effective: bool) -> Result<SecurityRule, InputError> {
    let p = node.props();
    let name_node = node.get("name").or_else(|| p.get("name"));
    let raw_name = match &name_node {
        Some(n) => n.str()?,
        None => return Err(node.error("missing field `name`")),
    };
    // Effective exports write `securityRules/X` and `defaultSecurityRules/X`.
    let (name, named_default) = match raw_name.split_once('/') {
        Some((kind, rest)) => (rest, kind.eq_ignore_ascii_case("defaultSecurityRules")),
        None => (raw_name, false),
    };
    let priority_node = p.field("priority")?;
    let priority = priority_node.u32()?;
    let default = default || named_default || (effective && priority > MAX_USER_PRIORITY);
    check_priority(&priority_node, priority, default)?;
    let direction = read_direction(&p.field("direction")?)?;
    let access = read_access(&p.field("access")?)?;
    let protocol = read_protocol(&p.field("protocol")?)?;
    let source = read_side(&p, "source")?;
    let mut destination = read_side(&p, "destination")?;
    // A template or plan value apim-probe cannot evaluate: the rule matches nobody knows what.
    if let Some(what) = node.get(UNKNOWN_KEY) {
        destination = AddressSpec::Unknown(what.str()?.to_owned());
    }
    Ok(SecurityRule {
        name: name.to_owned(),
        priority,
        direction,
        access,
        protocol,
        source,
        destination,
        source_ports: read_ports(&p, "source")?,
        destination_ports: read_ports(&p, "destination")?,
        default,
        modelled: false,
        expanded_source: read_expanded(&p, "expandedSourceAddressPrefix")?,
        expanded_destination: read_expanded(&p, "expandedDestinationAddressPrefix")?,
        origin: super::model::Origin::of(node)?,
    })
}

fn check_priority(node: &Node, priority: u32, default: bool) -> Result<(), InputError> {
    let ok = if default {
        priority <= 65535
    } else {
        (MIN_USER_PRIORITY..=MAX_USER_PRIORITY).contains(&priority)
    };
    if ok {
        Ok(())
    } else {
        Err(node.error(format!(
            "priority {priority} is outside {MIN_USER_PRIORITY}-{MAX_USER_PRIORITY} (the range of user rules)"
        )))
    }
}

fn read_direction(node: &Node) -> Result<RuleDirection, InputError> {
    let text = node.str()?;
    match text.to_ascii_lowercase().as_str() {
        "inbound" => Ok(RuleDirection::Inbound),
        "outbound" => Ok(RuleDirection::Outbound),
        _ => Err(node.error(format!("expected Inbound or Outbound, found {text:?}"))),
    }
}

fn read_access(node: &Node) -> Result<Access, InputError> {
    let text = node.str()?;
    match text.to_ascii_lowercase().as_str() {
        "allow" => Ok(Access::Allow),
        "deny" => Ok(Access::Deny),
        _ => Err(node.error(format!("expected Allow or Deny, found {text:?}"))),
    }
}

fn read_protocol(node: &Node) -> Result<Protocol, InputError> {
    let text = node.str()?;
    match text.to_ascii_lowercase().as_str() {
        "*" | "all" => Ok(Protocol::Any),
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "icmp" => Ok(Protocol::Icmp),
        "esp" => Ok(Protocol::Esp),
        "ah" => Ok(Protocol::Ah),
        _ => Err(node.error(format!(
            "expected Tcp, Udp, Icmp, Esp, Ah, * or All, found {text:?}"
        ))),
    }
}

/// `sourceAddressPrefix` / `sourceAddressPrefixes` / `sourceApplicationSecurityGroups`.
fn read_side(p: &Node, side: &str) -> Result<AddressSpec, InputError> {
    let asgs = match p.get(&format!("{side}ApplicationSecurityGroups")) {
        Some(n) => n
            .items()?
            .iter()
            .map(|a| a.field("id").and_then(|id| id.str().map(str::to_owned)))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    if !asgs.is_empty() {
        return Ok(AddressSpec::Asg(asgs));
    }
    let mut texts = Vec::new();
    for key in [
        format!("{side}AddressPrefix"),
        format!("{side}AddressPrefixes"),
    ] {
        if let Some(n) = p.get(&key) {
            for (node, text) in n.strings()? {
                if !text.trim().is_empty() {
                    texts.push((node, text.trim()));
                }
            }
        }
    }
    if texts.is_empty() {
        return Err(p.error(format!(
            "missing field `{side}AddressPrefix` (or `{side}AddressPrefixes`, or `{side}ApplicationSecurityGroups`)"
        )));
    }
    address_spec(&texts)
}

/// The addresses of one side: `*`, one service tag, or addresses and prefixes.
fn address_spec(texts: &[(Node, &str)]) -> Result<AddressSpec, InputError> {
    if texts.iter().any(|(_, t)| *t == "*") {
        return Ok(AddressSpec::Any);
    }
    let tags: Vec<&(Node, &str)> = texts
        .iter()
        .filter(|(_, t)| !looks_like_prefix(t))
        .collect();
    if let Some((node, tag)) = tags.first() {
        if texts.len() > 1 {
            return Err(node.error(format!(
                "service tag {tag:?} in a list: a rule names one service tag, or addresses and prefixes"
            )));
        }
        if !tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(node.error(format!(
                "{tag:?} is neither an address, a prefix nor a service tag name"
            )));
        }
        return Ok(AddressSpec::Tag((*tag).to_owned()));
    }
    let nets = texts
        .iter()
        .map(|(node, t)| {
            parse_prefix(t)
                .ok_or_else(|| node.error(format!("{t:?} is not an IP address or CIDR prefix")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AddressSpec::Prefixes(nets))
}

/// `destinationPortRange` / `destinationPortRanges`; `""` or absent single with a list beside.
fn read_ports(p: &Node, side: &str) -> Result<Vec<PortRange>, InputError> {
    let mut out = Vec::new();
    for key in [format!("{side}PortRange"), format!("{side}PortRanges")] {
        if let Some(n) = p.get(&key) {
            for (node, text) in n.strings()? {
                if !text.trim().is_empty() {
                    out.push(parse_ports(&node, text)?);
                }
            }
        }
    }
    if out.is_empty() {
        // A rule without ports in an export means any port (the portal's default).
        out.push(PortRange::ANY);
    }
    Ok(out)
}

/// `*`, `443`, `6381-6383`.
pub fn parse_ports(node: &Node, text: &str) -> Result<PortRange, InputError> {
    let t = text.trim();
    if t == "*" {
        return Ok(PortRange::ANY);
    }
    let port = |s: &str| {
        s.trim().parse::<u16>().map_err(|_| {
            node.error(format!(
                "{text:?} is not a port, a range like \"6381-6383\", or \"*\""
            ))
        })
    };
    let (from, to) = if let Some((a, b)) = t.split_once('-') {
        (port(a)?, port(b)?)
    } else {
        let p = port(t)?;
        (p, p)
    };
    if from > to {
        return Err(node.error(format!("port range {text:?} runs backwards")));
    }
    Ok(PortRange { from, to })
}

fn read_expanded(p: &Node, key: &str) -> Result<Option<Vec<ipnet::IpNet>>, InputError> {
    let Some(n) = p.get(key) else {
        return Ok(None);
    };
    let list = n
        .strings()?
        .into_iter()
        .map(|(node, t)| {
            parse_prefix(t)
                .ok_or_else(|| node.error(format!("{t:?} is not an IP address or CIDR prefix")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((!list.is_empty()).then_some(list))
}
