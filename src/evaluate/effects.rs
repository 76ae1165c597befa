//! What the routes do to a flow the NSGs judged: a `None` next hop drops it, an appliance or a
//! gateway on the way is named, and replies to the control plane (`ApiManagement`) that leave
//! through an appliance or gateway (forced tunnelling) break the inbound 3443 flow: an
//! asymmetric return path.
//! <https://learn.microsoft.com/azure/api-management/virtual-network-reference#force-tunneling-traffic-to-on-premises-firewall-using-expressroute-or-network-virtual-appliance>

use std::fmt::Write as _;

use super::context::{Ctx, Far};
use super::flows::Flow;
use super::hint;
use super::model::{FlowResult, Verdict};
use super::routes::{NextHop, Routed, Routing};
use crate::azure::network::model::NextHopType;
use crate::catalog::model::Direction;

/// Applies the routes to `r`.
pub(crate) fn route_effects(
    flow: &Flow,
    far: &Far,
    ctx: &Ctx,
    routing: &Routing,
    r: &mut FlowResult,
    warnings: &mut Vec<String>,
) {
    let Some(routed) = routing.route(&far.remote, far.prefixes.as_deref(), ctx.world) else {
        return;
    };
    r.next_hop = Some(routed.main().clone());
    match flow.direction {
        Direction::Outbound | Direction::Peer => outbound_route(flow, far, &routed, r),
        Direction::Inbound => {
            let tag = flow.remote_tag();
            if tag.eq_ignore_ascii_case("AzureLoadBalancer")
                || tag.eq_ignore_ascii_case("VirtualNetwork")
            {
                // Platform probes and VNet traffic are not sent out through UDRs.
                r.next_hop = None;
            } else {
                return_path(flow, ctx, &routed, r, warnings);
            }
        }
    }
}

/// Replies of an inbound flow that leave through an appliance or gateway: the control plane's
/// connections break (asymmetric return path); others get a warning.
fn return_path(
    flow: &Flow,
    ctx: &Ctx,
    routed: &Routed,
    r: &mut FlowResult,
    warnings: &mut Vec<String>,
) {
    let tag = flow.remote_tag();
    let tunnels = routed.hops.iter().filter(|(h, _)| h.is_tunnel());
    let tunnelled: usize = tunnels.clone().map(|(_, n)| n).sum();
    let Some((first, _)) = tunnels.clone().next() else {
        return;
    };
    let how = hop_words(first);
    let share = share(tunnelled, routed);
    if !tag.eq_ignore_ascii_case("ApiManagement") {
        warnings.push(format!(
            "replies to {tag} ({}) leave {how}: an asymmetric path unless that device handles it",
            flow.id
        ));
        let _ = write!(
            r.detail,
            "; replies to {share}{tag} leave {how} (asymmetric unless it handles them)"
        );
        return;
    }
    if r.verdict == Verdict::Allowed {
        // The route decides, not the rule that let the traffic in.
        r.rule = None;
    }
    let whole = tunnelled == routed.total || routed.total == 0;
    r.verdict = if whole {
        Verdict::Denied
    } else {
        Verdict::Partial.max_with(r.verdict)
    };
    r.detail = format!(
        "replies to {share}ApiManagement leave {how} instead of going straight to the Internet: an asymmetric return path, which drops the control plane's connections to {}; also {}",
        flow.ports, r.detail
    );
    let table = ctx.inputs.routes.iter().find(|t| !t.effective);
    let route = hint::internet_route(
        "ApiManagement",
        table.map(|t| (t.name.as_str(), t.id.as_deref())),
    );
    // The NSG must let the control plane in too: that fix, when there is one, comes first.
    if r.hint.is_some() {
        r.also.push(route);
    } else {
        r.hint = Some(route);
    }
}

fn outbound_route(flow: &Flow, far: &Far, routed: &Routed, r: &mut FlowResult) {
    dropping(far, routed, r);
    if r.verdict == Verdict::Denied {
        return;
    }
    let what = format!(
        "{} {} to {}",
        flow.transport.as_str().to_uppercase(),
        flow.ports,
        far.label
    );
    for (hop, n) in &routed.hops {
        let part = if routed.hops.len() > 1 {
            format!("{n} of {} prefixes ", routed.total)
        } else {
            String::new()
        };
        let must = match hop.kind {
            NextHopType::VirtualAppliance => "that firewall must allow",
            NextHopType::VirtualNetworkGateway => "the network behind it must pass on",
            _ => continue,
        };
        let _ = write!(r.detail, "; {part}{}: {must} {what}", hop_words(hop));
    }
}

/// A `None` next hop for all (denied) or some (partial) of the far side.
fn dropping(far: &Far, routed: &Routed, r: &mut FlowResult) {
    let none = || {
        routed
            .hops
            .iter()
            .filter(|(h, _)| h.kind == NextHopType::None)
    };
    let dropped: usize = none().map(|(_, n)| n).sum();
    if dropped == 0 || r.verdict == Verdict::Denied {
        return;
    }
    let route = none()
        .find_map(|(h, _)| h.route.clone())
        .unwrap_or_default();
    let whole = dropped == routed.total || routed.total == 0;
    if whole && r.verdict == Verdict::Allowed {
        // The route decides, not the rule that let the traffic out.
        r.rule = None;
    }
    r.verdict = if whole {
        Verdict::Denied
    } else {
        Verdict::Partial
    };
    r.detail = format!(
        "route {route} sends {}{} to None: dropped; also {}",
        share(dropped, routed),
        far.label,
        r.detail
    );
    r.hint = Some(hint::dropping_route(&route, &far.label));
}

fn share(n: usize, routed: &Routed) -> String {
    if routed.total == 0 || n == routed.total {
        String::new()
    } else {
        format!("{n} of {} prefixes of ", routed.total)
    }
}

fn hop_words(h: &NextHop) -> String {
    let route = h
        .route
        .as_deref()
        .map(|r| format!(" (route {r})"))
        .unwrap_or_default();
    match (&h.kind, &h.address) {
        (NextHopType::VirtualAppliance, Some(a)) => format!("via VirtualAppliance {a}{route}"),
        (NextHopType::VirtualNetworkGateway, _) => {
            format!("via the virtual network gateway{route}")
        }
        (k, _) => format!("via {}{route}", k.as_str()),
    }
}
