//! One flow from end to end: its far side, the NSG chain over each port piece, the verdict with
//! the deciding rule and the prefix count, then what the routes do to it, and the hint.

use ipnet::IpNet;

use super::context::{Ctx, Far, world};
use super::flows::Flow;
use super::hint::Hint;
use super::model::{EvalSettings, Evaluation, FlowResult, Verdict};
use super::nsg::{self, Applied, Decision, Level, RuleRef};
use super::routes::{self, Routing};
use super::space::{Remote, is_special};
use super::verdict::{Walked, conclude};
use crate::azure::network::NetworkInputs;
use crate::azure::network::model::{Access, AddressSpec, Nsg};
use crate::azure::network::prefix::RangeSet;
use crate::catalog::model::Direction;

/// The far sides that are not service tags of the file: DNS servers, the subnet itself, the
/// platform address.
/// Evaluates `flows` against the inputs.
pub fn evaluate(flows: &[Flow], inputs: &NetworkInputs, s: &EvalSettings) -> Evaluation {
    let mut warnings = inputs.warnings.clone();
    let applied = nsg::select(inputs, &mut warnings);
    let world = world(inputs, s);
    let routing = Routing::build(inputs, &world);
    let ctx = Ctx {
        world: &world,
        applied: &applied,
        routing: routing.as_ref(),
        inputs,
        settings: s,
    };
    let results: Vec<FlowResult> = flows
        .iter()
        .map(|f| assess(f, &ctx, &mut warnings))
        .collect();
    warnings.dedup();
    let scope = super::near::Scope {
        cloud: s.cloud,
        region: s.region.clone(),
    };
    Evaluation {
        near_misses: super::near::find(&results, &applied, &scope),
        flows: results,
        findings: super::subnet::findings(inputs, s),
        warnings,
        default_route: routing.as_ref().and_then(routes::Routing::default_route),
    }
}

fn special_far(flow: &Flow, ctx: &Ctx) -> Option<Far> {
    let tag = flow.remote_tag();
    if flow.is_dns() {
        let servers = &ctx.settings.dns_servers;
        let nets: Vec<IpNet> = servers.iter().map(|a| IpNet::from(*a)).collect();
        let label: Vec<String> = servers.iter().map(ToString::to_string).collect();
        let set = RangeSet::from_prefixes(&nets);
        return Some(Far::known(
            "DNS servers",
            Some(set),
            Some(nets),
            &label.join(", "),
        ));
    }
    if flow.direction == Direction::Peer || tag.eq_ignore_ascii_case("VirtualNetwork") {
        return Some(match &ctx.world.subnet {
            Some(set) => {
                let prefixes = ctx.inputs.subnet.as_ref().map(|s| s.prefixes.clone());
                Far::known("VirtualNetwork", Some(set.clone()), prefixes, "the subnet")
            }
            None => Far::symbolic("VirtualNetwork"),
        });
    }
    if tag.eq_ignore_ascii_case("AzureLoadBalancer") {
        let set = RangeSet::from_prefixes(&[super::space::platform_net()]);
        return Some(Far::known(tag, Some(set), None, tag));
    }
    (is_special(tag) || !super::flows::is_tag_name(tag)).then(|| Far::symbolic(tag))
}

fn far_side(flow: &Flow, ctx: &Ctx, warnings: &mut Vec<String>) -> Far {
    let w = ctx.world;
    if let Some(far) = special_far(flow, ctx) {
        return far;
    }
    let tag = flow.remote_tag();
    let Some((name, set, _)) = w.tag_set(tag) else {
        if let Some(t) = w.tags {
            warnings.push(format!(
                "service tag {tag} is not in {}: compared by name only",
                t.file
            ));
        }
        return Far::symbolic(tag);
    };
    let prefixes = w.tags.and_then(|t| t.get(&name)).map(|t| {
        t.prefixes
            .iter()
            .filter(|p| matches!(p, IpNet::V4(_)))
            .copied()
            .collect()
    });
    Far {
        remote: Remote {
            tag: tag.to_owned(),
            set: Some(set),
        },
        prefixes,
        label: name,
    }
}

/// Evaluates one flow.
pub(crate) fn assess(flow: &Flow, ctx: &Ctx, warnings: &mut Vec<String>) -> FlowResult {
    if flow.is_dns() && ctx.settings.dns_servers.is_empty() {
        return azure_dns(flow, ctx);
    }
    let far = far_side(flow, ctx, warnings);
    let mut r = nsg_verdict(flow, &far, ctx);
    if let Some(routing) = ctx.routing {
        super::effects::route_effects(flow, &far, ctx, routing, &mut r, warnings);
    }
    r
}

fn result(flow: &Flow, verdict: Verdict, rule: Option<RuleRef>, detail: String) -> FlowResult {
    FlowResult {
        flow: flow.clone(),
        verdict,
        rule,
        next_hop: None,
        prefixes: None,
        detail,
        hint: None,
        also: Vec::new(),
        blocking: Vec::new(),
    }
}

/// Azure DNS is not filtered by NSG rules unless a rule names `AzurePlatformDNS`, and is not
/// routed by UDRs: <https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#azure-platform-considerations>.
fn azure_dns(flow: &Flow, ctx: &Ctx) -> FlowResult {
    let chain = nsg::chain(ctx.applied, flow.direction).unwrap_or_default();
    for (n, dir) in chain {
        for r in nsg::ordered(n, dir) {
            let names = matches!(&r.destination, AddressSpec::Tag(t) if t.eq_ignore_ascii_case("AzurePlatformDNS"));
            let proto = matches!(
                (r.protocol, flow.transport),
                (crate::azure::network::model::Protocol::Any, _)
                    | (
                        crate::azure::network::model::Protocol::Tcp,
                        crate::catalog::model::Transport::Tcp
                    )
                    | (
                        crate::azure::network::model::Protocol::Udp,
                        crate::catalog::model::Transport::Udp
                    )
            );
            if names && proto && r.destination_ports.iter().any(|p| p.covers(53, 53)) {
                let rule = RuleRef::of(n, r);
                let verdict = if r.access == Access::Deny {
                    Verdict::Denied
                } else {
                    Verdict::Allowed
                };
                let detail = format!(
                    "NSG {} rule {} ({}) {} AzurePlatformDNS: Azure DNS (168.63.129.16)",
                    n.name,
                    r.name,
                    r.priority,
                    if r.access == Access::Deny {
                        "denies"
                    } else {
                        "allows"
                    }
                );
                let mut res = result(flow, verdict, Some(rule.clone()), detail);
                if verdict == Verdict::Denied {
                    res.blocking.push(rule);
                    res.hint = Some(Hint::remove_rule(&n.name, &r.name, "Azure DNS"));
                }
                return res;
            }
        }
    }
    result(
        flow,
        Verdict::Allowed,
        None,
        "Azure DNS (168.63.129.16): NSG rules do not apply unless they name AzurePlatformDNS, and routes do not apply (give --dns-server to evaluate custom DNS servers)".into(),
    )
}

fn nsg_verdict(flow: &Flow, far: &Far, ctx: &Ctx) -> FlowResult {
    let chain = match nsg::chain(ctx.applied, flow.direction) {
        Ok(c) => c,
        Err(why) => return result(flow, Verdict::Unknown, None, why),
    };
    if chain.is_empty() {
        return result(
            flow,
            Verdict::Allowed,
            None,
            "no NSG applies to the subnet or its NIC: Azure lets all traffic through".into(),
        );
    }
    let ordered: Vec<_> = chain.iter().map(|(n, d)| nsg::ordered(n, *d)).collect();
    let all: Vec<_> = ordered.iter().flatten().copied().collect();
    let mut decisions: Vec<Decision> = Vec::new();
    let mut notes = Vec::new();
    let mut allowed: Option<RangeSet> = far.remote.set.clone();
    let mut through = false;
    for piece in nsg::segments(flow.ports, &all) {
        let mut open = Some(far.remote.clone());
        for (i, (n, _)) in chain.iter().enumerate() {
            let Some(cur) = open.take() else { break };
            let (d, next) = nsg::walk(
                (i, n),
                &ordered[i],
                (flow.transport, piece),
                &cur,
                ctx.world,
                &mut notes,
            );
            decisions.extend(d);
            open = next;
        }
        through |= open.is_some();
        allowed = match (allowed, open.and_then(|o| o.set)) {
            (Some(a), Some(s)) => Some(a.intersect(&s)),
            (Some(_), None) => Some(RangeSet::new()),
            (None, _) => None,
        };
    }
    notes.sort();
    notes.dedup();
    let walked = Walked {
        chain: &chain,
        decisions,
        through,
        allowed,
        notes,
        subnet_stage: subnet_stage(ctx.applied, &chain),
    };
    conclude(flow, far.label.as_str(), far.prefixes.as_deref(), &walked)
}

/// Which NSG of the chain is on the subnet (for choosing the rule to report).
pub(crate) fn subnet_stage(
    applied: &Applied,
    chain: &[(&Nsg, crate::azure::network::model::RuleDirection)],
) -> Option<usize> {
    match &applied.subnet {
        Level::Nsg(n) => chain.iter().position(|(c, _)| std::ptr::eq(*c, *n)),
        _ => None,
    }
}
