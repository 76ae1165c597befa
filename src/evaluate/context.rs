//! What every flow's evaluation shares (the inputs, the NSGs that apply, the routes, the world
//! of addresses), and a flow's far side.

use ipnet::IpNet;

use super::model::EvalSettings;
use super::nsg::Applied;
use super::routes::Routing;
use super::space::{Remote, World};
use crate::azure::network::NetworkInputs;
use crate::azure::network::model::{AddressSpec, RouteDestination, RouteSource};
use crate::azure::network::prefix::RangeSet;

/// What every flow's evaluation shares.
pub(crate) struct Ctx<'a> {
    /// What is known of addresses and tags.
    pub world: &'a World<'a>,
    pub applied: &'a Applied<'a>,
    pub routing: Option<&'a Routing>,
    pub inputs: &'a NetworkInputs,
    pub settings: &'a EvalSettings,
}

/// The facts of the inputs: the subnet's addresses, and what is known to be `VirtualNetwork`
/// (the subnet, UDR prefixes, the expansions effective exports show).
pub(crate) fn world<'a>(inputs: &'a NetworkInputs, s: &EvalSettings) -> World<'a> {
    let mut w = World::new(s.cloud, s.region.clone(), inputs.service_tags.as_ref());
    let mut vnet: Vec<IpNet> = Vec::new();
    // A subnet whose addresses the code leaves unknown is no subnet of no addresses.
    if let Some(sub) = inputs.subnet.as_ref().filter(|s| !s.prefixes.is_empty()) {
        w.subnet = Some(RangeSet::from_prefixes(&sub.prefixes));
        vnet.extend(&sub.prefixes);
    }
    for r in inputs.routes.iter().flat_map(|t| &t.routes) {
        if let (RouteDestination::Prefix(p), RouteSource::User) = (&r.destination, r.source) {
            vnet.push(*p);
        }
    }
    for r in inputs.nsgs.iter().flat_map(|n| &n.rules) {
        let sides = [
            (&r.source, &r.expanded_source),
            (&r.destination, &r.expanded_destination),
        ];
        for (spec, expanded) in sides {
            if let (AddressSpec::Tag(t), Some(e)) = (spec, expanded)
                && t.eq_ignore_ascii_case("VirtualNetwork")
            {
                vnet.extend(e);
            }
        }
    }
    w.vnet = RangeSet::from_prefixes(&vnet);
    w
}

/// The far side of a flow, and its IPv4 prefixes when known (for counts and routes).
pub(crate) struct Far {
    pub remote: Remote,
    pub prefixes: Option<Vec<IpNet>>,
    pub label: String,
}

impl Far {
    /// A far side known by name only.
    pub(crate) fn symbolic(tag: &str) -> Self {
        Far::known(tag, None, None, tag)
    }

    /// A far side with what is known of it.
    pub(crate) fn known(
        tag: &str,
        set: Option<RangeSet>,
        prefixes: Option<Vec<IpNet>>,
        label: &str,
    ) -> Self {
        Far {
            remote: Remote {
                tag: tag.to_owned(),
                set,
            },
            prefixes,
            label: label.to_owned(),
        }
    }
}
