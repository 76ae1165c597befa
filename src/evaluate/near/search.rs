//! The search: for each required flow not allowed, the first allow rule of the NSGs it meets
//! that one change would make allow it; for a flow allowed only through a tag in another case,
//! that rule.
//!
//! A flow that a correctly written rule allows gets none.

use super::model::{Field, FixedRule, NearKind, NearMiss, Scope};
use super::typo::{edits, keystroke};
use crate::azure::network::model::{
    Access, AddressSpec, Nsg, PortRange, Protocol, RuleDirection, SecurityRule,
};
use crate::catalog::model::{Direction, Transport};
use crate::catalog::regions;
use crate::evaluate::flows::Flow;
use crate::evaluate::model::{FlowResult, Verdict};
use crate::evaluate::nsg::{self, Applied, RuleRef};

/// The near misses of every required flow that is denied (or allowed only through a tag in
/// another case), at most one per flow: the first rule that one change would make allow it.
pub fn find(results: &[FlowResult], applied: &Applied, scope: &Scope) -> Vec<NearMiss> {
    let mut out = Vec::new();
    for (index, r) in results.iter().enumerate() {
        let f = &r.flow;
        if !f.required || f.is_dns() {
            continue;
        }
        let Ok(chain) = nsg::chain(applied, f.direction) else {
            continue;
        };
        let hit = match r.verdict {
            Verdict::Denied | Verdict::Partial => denied(f, r, &chain, scope),
            Verdict::Allowed => allowed_by_case(f, r, &chain),
            Verdict::Unknown => None,
        };
        out.extend(hit.map(|(nsg, rule, kind, says, fixed)| {
            let rule = RuleRef::of(nsg, rule);
            NearMiss {
                flow: f.id.clone(),
                index,
                kind,
                suggestion: super::render::render(&fixed, rule.origin.as_ref(), nsg.id.as_deref()),
                rule,
                says,
                fixed,
            }
        }));
    }
    out
}

type Hit<'a> = (&'a Nsg, &'a SecurityRule, NearKind, String, FixedRule);

fn denied<'a>(
    f: &Flow,
    r: &FlowResult,
    chain: &[(&'a Nsg, RuleDirection)],
    scope: &Scope,
) -> Option<Hit<'a>> {
    // Denied by a route, not a rule: no rule change helps.
    let deny = r.rule.as_ref().filter(|d| d.access == Access::Deny)?;
    for (nsg, dir) in chain {
        let mut rules: Vec<&SecurityRule> = nsg
            .rules
            .iter()
            .filter(|x| !x.default && x.access == Access::Allow)
            .collect();
        rules.sort_by_key(|x| (x.priority, x.name.as_str()));
        // The other direction's rules too: a rule written the wrong way round sits there.
        for rule in rules {
            let Some((kind, says, fixed)) = one_off(f, *dir, rule, nsg, deny, scope) else {
                continue;
            };
            // The corrected rule must come before the deny that decides now, in the same NSG:
            // otherwise one change is not enough and the suggestion would mislead.
            if deny.nsg == nsg.name && deny.priority > fixed.priority {
                return Some((nsg, rule, kind, says, fixed));
            }
        }
    }
    None
}

fn allowed_by_case<'a>(
    f: &Flow,
    r: &FlowResult,
    chain: &[(&'a Nsg, RuleDirection)],
) -> Option<Hit<'a>> {
    let decided = r.rule.as_ref()?;
    let (nsg, rule) = chain.iter().find_map(|(n, _)| {
        (n.name == decided.nsg)
            .then(|| n.rules.iter().find(|x| x.name == decided.name))
            .flatten()
            .map(|x| (*n, x))
    })?;
    let written = remote(f, rule)?;
    let want = f.remote_tag();
    let (wb, base) = (regions::base_tag(written), regions::base_tag(want));
    let differs_in_case = wb != base && wb.eq_ignore_ascii_case(base);
    differs_in_case.then(|| {
        let fixed = fixed(nsg, rule, remote_field(f), |x| set_remote(x, f, want));
        let says = format!(
            "rule {} ({}) names {written}: Azure keeps a tag in another case without mapping it to the {want} tag (Azure/azure-cli#15462) — write {want}",
            rule.name, rule.priority
        );
        (nsg, rule, NearKind::Tag, says, fixed)
    })
}

/// The one field that keeps `rule` from allowing `f`, when there is exactly one.
fn one_off(
    f: &Flow,
    dir: RuleDirection,
    rule: &SecurityRule,
    nsg: &Nsg,
    deny: &RuleRef,
    scope: &Scope,
) -> Option<(NearKind, String, FixedRule)> {
    let m = Match::of(f, dir, rule, scope);
    let head = format!("rule {} ({})", rule.name, rule.priority);
    let all = m.direction && m.protocol && m.ports && m.remote;
    if all {
        let d = Some(deny).filter(|d| d.priority < rule.priority && d.nsg == nsg.name)?;
        let priority = crate::evaluate::hint::free_priority(nsg, rule.direction, d.priority)?;
        let fixed = fixed(nsg, rule, Field::Priority, |x| x.priority = priority);
        let says = format!(
            "{head} allows it, but {} ({}) denies it first: give {} a priority below {}",
            d.name, d.priority, rule.name, d.priority
        );
        return Some((NearKind::Shadowed, says, fixed));
    }
    let wrong = [!m.direction, !m.protocol, !m.ports, !m.remote];
    if wrong.iter().filter(|w| **w).count() != 1 {
        return None;
    }
    if !m.direction {
        let fixed = fixed(nsg, rule, Field::Direction, |x| x.direction = dir);
        let says = format!(
            "{head} allows {} {} as {} — did you mean {}?",
            proto(f.transport),
            f.ports,
            word(rule.direction),
            word(dir)
        );
        return Some((NearKind::Direction, says, fixed));
    }
    if !m.protocol {
        let fixed = fixed(nsg, rule, Field::Protocol, |x| {
            x.protocol = to_protocol(f.transport);
        });
        let says = format!(
            "{head} allows {} {} — did you mean {}?",
            protocol_word(rule.protocol).to_uppercase(),
            f.ports,
            proto(f.transport)
        );
        return Some((NearKind::Protocol, says, fixed));
    }
    if !m.ports {
        let from = f.ports.from;
        let near = (from == f.ports.to)
            .then(|| {
                rule.destination_ports
                    .iter()
                    .find(|q| q.from == q.to && keystroke(q.from, from))
            })
            .flatten()?;
        let fixed = fixed(nsg, rule, Field::Ports, |x| {
            x.destination_ports = swap_port(&x.destination_ports, near.from, from);
        });
        let says = format!(
            "{head} allows {} {} — did you mean {from}?",
            proto(f.transport),
            near.from
        );
        return Some((NearKind::Port, says, fixed));
    }
    let written = remote(f, rule)?.to_owned();
    let want = f.remote_tag();
    let (kind, correct) = tag_fix(&written, want, scope)?;
    let fixed = fixed(nsg, rule, remote_field(f), |x| set_remote(x, f, &correct));
    let says = match kind {
        NearKind::Region => format!(
            "{head} names {written}, another region's tag; the instance is in {} — did you mean {correct}?",
            scope.region.as_deref().unwrap_or("another region")
        ),
        _ => format!("{head} names {written} — did you mean {correct}?"),
    };
    Some((kind, says, fixed))
}

/// Which parts of a rule fit a flow: four independent answers, hence four bools.
#[allow(clippy::struct_excessive_bools)]
struct Match {
    direction: bool,
    protocol: bool,
    ports: bool,
    remote: bool,
}

impl Match {
    fn of(f: &Flow, dir: RuleDirection, rule: &SecurityRule, scope: &Scope) -> Self {
        let ports = rule
            .destination_ports
            .iter()
            .any(|p| p.covers(f.ports.from, f.ports.to));
        let protocol = matches!(
            (rule.protocol, f.transport),
            (Protocol::Any, _) | (Protocol::Tcp, Transport::Tcp) | (Protocol::Udp, Transport::Udp)
        );
        let remote = remote(f, rule).is_some_and(|t| covers_tag(t, f.remote_tag(), scope))
            || matches!(side(f, rule), Some(AddressSpec::Any));
        // The near side must be the subnet's: a rule from Internet to VirtualNetwork is not an
        // outbound rule to VirtualNetwork written the wrong way round.
        let near = match f.direction {
            Direction::Outbound => &rule.source,
            Direction::Inbound | Direction::Peer => &rule.destination,
        };
        let local = match near {
            AddressSpec::Tag(t) => t.eq_ignore_ascii_case("VirtualNetwork"),
            AddressSpec::Unknown(_) => false,
            _ => true,
        };
        Match {
            direction: rule.direction == dir,
            protocol,
            ports,
            remote: remote && local,
        }
    }
}

/// The rule's far side for the flow: the destination of an outbound flow, the source of an
/// inbound one (as the author meant it, whatever direction the rule has).
fn side<'a>(f: &Flow, rule: &'a SecurityRule) -> Option<&'a AddressSpec> {
    match f.direction {
        Direction::Outbound => Some(&rule.destination),
        Direction::Inbound => Some(&rule.source),
        Direction::Peer => None,
    }
}

fn remote<'a>(f: &Flow, rule: &'a SecurityRule) -> Option<&'a str> {
    match side(f, rule)? {
        AddressSpec::Tag(t) => Some(t.as_str()),
        _ => None,
    }
}

/// Whether a rule's tag covers the flow's as Azure maps tags: the exact name (a tag in another
/// case is not mapped), or the global tag for a regional one of the instance's region.
fn covers_tag(written: &str, want: &str, scope: &Scope) -> bool {
    if written == want
        || (regions::tag_suffix(written).is_none() && written == regions::base_tag(want))
    {
        return true;
    }
    let (Some(suffix), Some(region)) = (regions::tag_suffix(written), scope.region.as_deref())
    else {
        return false;
    };
    regions::base_tag(written) == regions::base_tag(want)
        && regions::region_of_suffix(scope.cloud, suffix) == Some(region)
}

/// The tag the author meant, when `written` is a near miss of `want`.
fn tag_fix(written: &str, want: &str, scope: &Scope) -> Option<(NearKind, String)> {
    let (wb, ws) = (regions::base_tag(written), regions::tag_suffix(written));
    let base = regions::base_tag(want);
    if wb != base && (wb.eq_ignore_ascii_case(base) || (wb.len() > 3 && edits(wb, base) <= 2)) {
        let fixed = match ws {
            Some(s) => format!("{base}.{s}"),
            None => base.to_owned(),
        };
        return Some((NearKind::Tag, fixed));
    }
    if wb == base && ws.is_some() {
        let ours = scope
            .region
            .as_deref()
            .and_then(|r| regions::regional_tag(scope.cloud, base, r))
            .unwrap_or_else(|| base.to_owned());
        return Some((NearKind::Region, ours));
    }
    None
}

/// The rule with one change made.
fn fixed(
    nsg: &Nsg,
    rule: &SecurityRule,
    changed: Field,
    change: impl FnOnce(&mut SecurityRule),
) -> FixedRule {
    let mut x = rule.clone();
    change(&mut x);
    let ports = |p: &[PortRange]| p.iter().map(ToString::to_string).collect();
    FixedRule {
        nsg: nsg.name.clone(),
        name: x.name.clone(),
        priority: x.priority,
        direction: x.direction,
        protocol: protocol_word(x.protocol).to_owned(),
        source: addresses(&x.source),
        destination: addresses(&x.destination),
        source_ports: ports(&x.source_ports),
        ports: ports(&x.destination_ports),
        changed,
    }
}

/// An address field as a rule writes it: one entry per prefix, else the one word.
fn addresses(a: &AddressSpec) -> Vec<String> {
    match a {
        AddressSpec::Prefixes(p) => p.iter().map(ToString::to_string).collect(),
        AddressSpec::Asg(ids) => ids.clone(),
        other => vec![other.to_string()],
    }
}

/// The address field that holds a flow's far side.
fn remote_field(f: &Flow) -> Field {
    match f.direction {
        Direction::Inbound => Field::Source,
        _ => Field::Destination,
    }
}

fn set_remote(x: &mut SecurityRule, f: &Flow, tag: &str) {
    let t = AddressSpec::Tag(tag.to_owned());
    match f.direction {
        Direction::Outbound => x.destination = t,
        Direction::Inbound => x.source = t,
        Direction::Peer => {}
    }
}

fn swap_port(list: &[PortRange], from: u16, to: u16) -> Vec<PortRange> {
    list.iter()
        .map(|p| {
            if p.from == from && p.to == from {
                PortRange { from: to, to }
            } else {
                *p
            }
        })
        .collect()
}

fn to_protocol(t: Transport) -> Protocol {
    match t {
        Transport::Tcp => Protocol::Tcp,
        Transport::Udp => Protocol::Udp,
    }
}

fn proto(t: Transport) -> &'static str {
    match t {
        Transport::Tcp => "TCP",
        Transport::Udp => "UDP",
    }
}

fn protocol_word(p: Protocol) -> &'static str {
    match p {
        Protocol::Any => "*",
        Protocol::Tcp => "Tcp",
        Protocol::Udp => "Udp",
        Protocol::Icmp => "Icmp",
        Protocol::Esp => "Esp",
        Protocol::Ah => "Ah",
    }
}

fn word(d: RuleDirection) -> &'static str {
    match d {
        RuleDirection::Inbound => "Inbound",
        RuleDirection::Outbound => "Outbound",
    }
}
