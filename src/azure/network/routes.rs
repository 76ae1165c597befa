//! Routes: a route table (`az network route-table show`, flat or under `properties`) and the
//! effective routes of a NIC (`az network nic show-effective-route-table`, or PowerShell's
//! `Get-AzEffectiveRouteTable`, a bare list).

use super::json::{Node, id_name};
use super::model::{NextHopType, Route, RouteDestination, RouteSet, RouteSource};
use super::prefix::{looks_like_prefix, parse_prefix};
use super::rule::UNKNOWN_KEY;
use crate::azure::InputError;

/// Reads a route table.
pub fn read_route_table(node: &Node) -> Result<RouteSet, InputError> {
    let p = node.props();
    let id = node
        .get("id")
        .map(|n| n.str().map(str::to_owned))
        .transpose()?;
    let name = match node.get("name") {
        Some(n) => n.str()?.to_owned(),
        None => id.as_deref().map_or("route table", id_name).to_owned(),
    };
    if let Some(b) = p.get("disableBgpRoutePropagation") {
        b.bool()?;
    }
    let mut routes = Vec::new();
    if let Some(list) = p.get("routes") {
        for r in list.items()? {
            let rp = r.props();
            let name = match r.get("name") {
                Some(n) => n.str()?.to_owned(),
                None => String::new(),
            };
            let prefix = rp.field("addressPrefix")?;
            let destination = read_destination(&prefix, prefix.str()?)?;
            let (next_hop, next_hop_ip) = read_next_hop(&rp)?;
            routes.push(Route {
                name,
                destination,
                next_hop,
                next_hop_ip,
                source: RouteSource::User,
            });
        }
    }
    Ok(RouteSet {
        name,
        id,
        routes,
        effective: false,
        file: node.file().display().to_string(),
        origin: super::model::Origin::of(node)?,
    })
}

/// Reads effective routes: `{ "value": [ … ] }` or a bare list. Routes whose state is not
/// `Active` are left out (Azure does not use them).
pub fn read_effective_routes(node: &Node) -> Result<RouteSet, InputError> {
    let list = node.get("value").unwrap_or_else(|| node.clone());
    let mut routes = Vec::new();
    for r in list.items()? {
        if let Some(state) = r.get("state")
            && !state.str()?.eq_ignore_ascii_case("active")
        {
            continue;
        }
        let source = match r.get("source") {
            None => RouteSource::Default,
            Some(s) => {
                let text = s.str()?;
                match text.to_ascii_lowercase().as_str() {
                    "user" => RouteSource::User,
                    "virtualnetworkgateway" | "bgp" => RouteSource::Bgp,
                    "default" | "" => RouteSource::Default,
                    _ => {
                        return Err(s.error(format!(
                            "expected Default, User or VirtualNetworkGateway, found {text:?}"
                        )));
                    }
                }
            }
        };
        let name = match r.get("name") {
            Some(n) => n.str()?.to_owned(),
            None => String::new(),
        };
        let (next_hop, next_hop_ip) = read_next_hop(&r)?;
        for (pnode, text) in r.field("addressPrefix")?.strings()? {
            routes.push(Route {
                name: name.clone(),
                destination: read_destination(&pnode, text)?,
                next_hop: next_hop.clone(),
                next_hop_ip: next_hop_ip.clone(),
                source,
            });
        }
    }
    Ok(RouteSet {
        name: "effective routes".into(),
        id: None,
        routes,
        effective: true,
        file: node.file().display().to_string(),
        origin: None,
    })
}

fn read_destination(node: &Node, text: &str) -> Result<RouteDestination, InputError> {
    let t = text.trim();
    if looks_like_prefix(t) {
        parse_prefix(t)
            .map(RouteDestination::Prefix)
            .ok_or_else(|| node.error(format!("{t:?} is not a CIDR prefix")))
    } else if !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Ok(RouteDestination::Tag(t.to_owned()))
    } else {
        Err(node.error(format!(
            "{t:?} is neither a CIDR prefix nor a service tag name"
        )))
    }
}

/// `nextHopType` and `nextHopIpAddress` (a string, or a list in effective routes).
fn read_next_hop(p: &Node) -> Result<(NextHopType, Option<String>), InputError> {
    let t = p.field("nextHopType")?;
    let text = t.str()?;
    let hop = match text.to_ascii_lowercase().as_str() {
        "vnetlocal" | "virtualnetwork" => NextHopType::VnetLocal,
        "internet" => NextHopType::Internet,
        "virtualappliance" => NextHopType::VirtualAppliance,
        "virtualnetworkgateway" => NextHopType::VirtualNetworkGateway,
        "vnetpeering" | "virtualnetworkpeering" => NextHopType::VNetPeering,
        "virtualnetworkserviceendpoint" => NextHopType::VirtualNetworkServiceEndpoint,
        "none" => NextHopType::None,
        other if other.chars().all(|c| c.is_ascii_alphanumeric()) && !other.is_empty() => {
            NextHopType::Other(text.to_owned())
        }
        _ => {
            return Err(t.error(format!(
                "expected VirtualAppliance, Internet, VnetLocal, VirtualNetworkGateway or None, found {text:?}"
            )));
        }
    };
    let ip = match p.get("nextHopIpAddress") {
        Some(n) => n
            .strings()?
            .into_iter()
            .map(|(_, s)| s.trim())
            .find(|s| !s.is_empty())
            .map(str::to_owned),
        None => None,
    };
    if hop == NextHopType::VirtualAppliance {
        match &ip {
            // Code that leaves the address to a value known at deployment: the route still
            // applies, to an appliance not named.
            None if p.get(UNKNOWN_KEY).is_some() => {}
            None => {
                return Err(p.error(
                    "a VirtualAppliance route needs `nextHopIpAddress` (the appliance's address)",
                ));
            }
            Some(addr) if addr.parse::<std::net::IpAddr>().is_err() => {
                let n = p.field("nextHopIpAddress")?;
                return Err(n.error(format!("{addr:?} is not an IP address")));
            }
            Some(_) => {}
        }
    }
    Ok((hop, ip))
}
