//! Route selection for a flow's far side: longest prefix match, and on equal prefixes User
//! beats BGP beats the system's Default routes. A UDR naming a service tag stands for the
//! tag's prefixes when the service-tag file is given, and matches the tag by name otherwise.
//! <https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview>

use std::collections::HashMap;

use ipnet::IpNet;
use serde::Serialize;

use super::space::{Remote, World};
use crate::azure::network::NetworkInputs;
use crate::azure::network::model::{NextHopType, Route, RouteDestination, RouteSource};
use crate::catalog::regions;

/// Where a flow's traffic goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextHop {
    /// `Internet`, `VirtualAppliance`, `VirtualNetworkGateway`, `VnetLocal`, `None` …
    #[serde(rename = "type")]
    pub kind: NextHopType,
    /// The appliance's or gateway's address.
    pub address: Option<String>,
    /// The route's name (or prefix, for unnamed system routes).
    pub route: Option<String>,
    /// Who made the route.
    pub source: RouteSource,
}

impl NextHop {
    fn of(r: &Route) -> Self {
        NextHop {
            kind: r.next_hop.clone(),
            address: r.next_hop_ip.clone(),
            route: Some(if r.name.is_empty() {
                r.destination.to_string()
            } else {
                r.name.clone()
            }),
            source: r.source,
        }
    }

    /// Whether traffic leaves through an appliance or a gateway instead of Azure's edge.
    pub fn is_tunnel(&self) -> bool {
        matches!(
            self.kind,
            NextHopType::VirtualAppliance | NextHopType::VirtualNetworkGateway
        )
    }
}

/// The routes a flow's far side takes: one next hop, or several for parts of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Each next hop and how many of the far side's prefixes take it, most first.
    pub hops: Vec<(NextHop, usize)>,
    /// How many prefixes were looked up (0 when the far side is known by name only).
    pub total: usize,
}

impl Routed {
    /// The next hop most of the far side takes.
    pub fn main(&self) -> &NextHop {
        &self.hops[0].0
    }
}

/// The subnet's routes, ready for lookups.
#[derive(Debug, Clone)]
pub struct Routing {
    routes: Vec<Route>,
    /// (IPv6, prefix length, network) → the best route of that exact prefix.
    exact: HashMap<(bool, u8, u128), usize>,
    /// Routes naming a tag that the service-tag file could not expand.
    by_tag: Vec<usize>,
}

impl Routing {
    /// The routes of the inputs (effective routes when given, else route tables plus the system
    /// routes Azure adds), or `None` when no routes were given.
    pub fn build(inputs: &NetworkInputs, w: &World) -> Option<Routing> {
        let effective = inputs.routes.iter().find(|r| r.effective);
        let mut routes: Vec<Route> = match effective {
            Some(e) => e.routes.clone(),
            None if inputs.routes.is_empty() => return None,
            None => {
                let mut v: Vec<Route> = inputs
                    .routes
                    .iter()
                    .flat_map(|t| t.routes.clone())
                    .collect();
                v.extend(system_routes(inputs));
                v
            }
        };
        if let Some(tags) = w.tags {
            let mut expanded = Vec::new();
            routes.retain(|r| match &r.destination {
                RouteDestination::Tag(t) => match tags.get(t) {
                    Some(tag) => {
                        expanded.extend(tag.prefixes.iter().map(|p| Route {
                            destination: RouteDestination::Prefix(*p),
                            ..r.clone()
                        }));
                        false
                    }
                    None => true,
                },
                RouteDestination::Prefix(_) => true,
            });
            routes.extend(expanded);
        }
        let mut exact: HashMap<(bool, u8, u128), usize> = HashMap::new();
        let mut by_tag = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            match &r.destination {
                RouteDestination::Prefix(p) => {
                    let slot = exact.entry(key(p)).or_insert(i);
                    if routes[*slot].source < r.source {
                        *slot = i;
                    }
                }
                RouteDestination::Tag(_) => by_tag.push(i),
            }
        }
        Some(Routing {
            routes,
            exact,
            by_tag,
        })
    }

    /// The route of the longest prefix holding all of `net`.
    pub fn lookup(&self, net: &IpNet) -> Option<&Route> {
        (0..=net.prefix_len()).rev().find_map(|len| {
            let wider = IpNet::new(net.network(), len).ok()?.trunc();
            self.exact.get(&key(&wider)).map(|&i| &self.routes[i])
        })
    }

    /// The route for everything else: `0.0.0.0/0`.
    pub fn default_route(&self) -> Option<NextHop> {
        let all: IpNet = "0.0.0.0/0".parse().ok()?;
        self.lookup(&all).map(NextHop::of)
    }

    /// Where the far side's traffic goes: per prefix when its addresses are known, by the tag's
    /// name (a UDR naming it) or the default route otherwise.
    pub fn route(&self, remote: &Remote, prefixes: Option<&[IpNet]>, w: &World) -> Option<Routed> {
        if let Some(list) = prefixes {
            let mut hops: Vec<(NextHop, usize)> = Vec::new();
            for p in list.iter().filter(|p| matches!(p, IpNet::V4(_))) {
                let Some(r) = self.lookup(p) else { continue };
                let hop = NextHop::of(r);
                match hops.iter_mut().find(|(h, _)| *h == hop) {
                    Some((_, n)) => *n += 1,
                    None => hops.push((hop, 1)),
                }
            }
            hops.sort_by_key(|h| std::cmp::Reverse(h.1));
            let total = hops.iter().map(|(_, n)| n).sum();
            return (!hops.is_empty()).then_some(Routed { hops, total });
        }
        let named = self
            .by_tag
            .iter()
            .map(|&i| &self.routes[i])
            .find(|r| match &r.destination {
                RouteDestination::Tag(t) => names_tag(t, &remote.tag, w),
                RouteDestination::Prefix(_) => false,
            });
        named
            .map(NextHop::of)
            .or_else(|| self.default_route())
            .map(|hop| Routed {
                hops: vec![(hop, 1)],
                total: 0,
            })
    }
}

/// Whether a UDR's tag `t` holds the flow's tag `f`: the same, its global tag, or the regional
/// tag of the instance's region.
fn names_tag(t: &str, f: &str, w: &World) -> bool {
    if t.eq_ignore_ascii_case(f) || regions::base_tag(f).eq_ignore_ascii_case(t) {
        return true;
    }
    match (regions::tag_suffix(t), &w.region) {
        (Some(suffix), Some(region)) => {
            regions::base_tag(t).eq_ignore_ascii_case(f)
                && regions::region_of_suffix(w.cloud, suffix) == Some(region.as_str())
        }
        _ => false,
    }
}

fn key(p: &IpNet) -> (bool, u8, u128) {
    match p {
        IpNet::V4(n) => (false, n.prefix_len(), u128::from(u32::from(n.network()))),
        IpNet::V6(n) => (true, n.prefix_len(), u128::from(n.network())),
    }
}

/// What Azure adds to every subnet: the VNet (here: the subnet's prefixes) is local, the rest
/// goes to the internet. The private ranges' `None` routes are left out, since the VNet's own
/// address space (which overrides them) is not in the inputs.
fn system_routes(inputs: &NetworkInputs) -> Vec<Route> {
    let mut out = vec![Route {
        name: "default".into(),
        destination: RouteDestination::Prefix("0.0.0.0/0".parse().expect("a literal prefix")),
        next_hop: NextHopType::Internet,
        next_hop_ip: None,
        source: RouteSource::Default,
    }];
    if let Some(s) = &inputs.subnet {
        out.extend(s.prefixes.iter().map(|p| Route {
            name: String::new(),
            destination: RouteDestination::Prefix(*p),
            next_hop: NextHopType::VnetLocal,
            next_hop_ip: None,
            source: RouteSource::Default,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::network::model::RouteSet;
    use crate::catalog::model::Cloud;

    fn route(prefix: &str, hop: NextHopType, source: RouteSource, name: &str) -> Route {
        Route {
            name: name.into(),
            destination: if prefix.contains('/') {
                RouteDestination::Prefix(prefix.parse().unwrap())
            } else {
                RouteDestination::Tag(prefix.into())
            },
            next_hop: hop,
            next_hop_ip: None,
            source,
        }
    }

    fn routing(routes: Vec<Route>) -> Routing {
        let inputs = NetworkInputs {
            routes: vec![RouteSet {
                name: "rt".into(),
                id: None,
                routes,
                effective: true,
                file: "rt.json".into(),
                origin: None,
            }],
            ..NetworkInputs::default()
        };
        Routing::build(&inputs, &World::new(Cloud::Public, None, None)).unwrap()
    }

    #[test]
    fn longest_prefix_then_user_then_bgp_then_default() {
        let r = routing(vec![
            route(
                "0.0.0.0/0",
                NextHopType::Internet,
                RouteSource::Default,
                "sys",
            ),
            route(
                "0.0.0.0/0",
                NextHopType::VirtualNetworkGateway,
                RouteSource::Bgp,
                "bgp",
            ),
            route(
                "20.0.0.0/8",
                NextHopType::VirtualNetworkGateway,
                RouteSource::Bgp,
                "bgp8",
            ),
            route(
                "20.0.0.0/8",
                NextHopType::VirtualAppliance,
                RouteSource::User,
                "user8",
            ),
            route(
                "20.1.0.0/16",
                NextHopType::None,
                RouteSource::Default,
                "none16",
            ),
        ]);
        let at = |p: &str| r.lookup(&p.parse().unwrap()).unwrap().name.clone();
        assert_eq!(at("20.1.2.0/24"), "none16");
        assert_eq!(at("20.2.0.0/16"), "user8");
        assert_eq!(at("30.0.0.0/8"), "bgp");
        assert_eq!(
            r.default_route().unwrap().kind,
            NextHopType::VirtualNetworkGateway
        );
    }

    #[test]
    fn a_udr_naming_a_tag_matches_it_by_name() {
        let r = routing(vec![
            route(
                "0.0.0.0/0",
                NextHopType::VirtualAppliance,
                RouteSource::User,
                "fw",
            ),
            route(
                "ApiManagement",
                NextHopType::Internet,
                RouteSource::User,
                "apim",
            ),
        ]);
        let w = World::new(Cloud::Public, None, None);
        let far = |t: &str| Remote {
            tag: t.into(),
            set: None,
        };
        let hop = |t: &str| r.route(&far(t), None, &w).unwrap().main().clone();
        assert_eq!(hop("ApiManagement").route.as_deref(), Some("apim"));
        assert_eq!(hop("Storage").route.as_deref(), Some("fw"));
    }
}
