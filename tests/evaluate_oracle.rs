//! The oracle: random NSGs (priorities, service tags, CIDRs, port ranges, protocols, a subnet
//! and sometimes a NIC NSG) evaluated by `apim_probe::evaluate` and by a brute-force reference
//! here, which walks the rules for sample addresses and ports — every point where any rule's,
//! tag's or port range's membership changes, so the samples see every case — must agree.

mod nsg_oracle;

use std::collections::HashMap;
use std::net::IpAddr;

use apim_probe::azure::network::NetworkInputs;
use apim_probe::azure::network::model::{
    Access, AddressSpec, Nsg, NsgLevel, PortRange, Protocol, RuleDirection, SecurityRule,
    ServiceTags, Subnet,
};
use apim_probe::azure::network::prefix::RangeSet;
use apim_probe::catalog::model::{Cloud, Direction, Platform, Transport, VnetMode};
use apim_probe::evaluate::{EvalSettings, Flow, Verdict, evaluate};
use ipnet::IpNet;
use nsg_oracle::{Rng, SUBNET, TAGS, nsg, tags};

/// The reference: what one rule side holds, address by address.
fn holds(spec: &AddressSpec, addr: IpAddr, tags: &ServiceTags) -> bool {
    let subnet: IpNet = SUBNET.parse().unwrap();
    let private = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
    ];
    match spec {
        AddressSpec::Any => true,
        AddressSpec::Prefixes(p) => p.iter().any(|n| n.contains(&addr)),
        AddressSpec::Tag(t) if t == "VirtualNetwork" => subnet.contains(&addr),
        AddressSpec::Tag(t) if t == "AzureLoadBalancer" => addr == IpAddr::from([168, 63, 129, 16]),
        AddressSpec::Tag(t) if t == "Internet" => {
            !subnet.contains(&addr)
                && !private
                    .iter()
                    .any(|p| p.parse::<IpNet>().unwrap().contains(&addr))
                && addr != IpAddr::from([168, 63, 129, 16])
        }
        AddressSpec::Tag(t) => tags
            .get(t)
            .unwrap()
            .prefixes
            .iter()
            .any(|n| n.contains(&addr)),
        AddressSpec::Asg(_) | AddressSpec::Unknown(_) => {
            unreachable!("the oracle makes no ASG or unknown rules")
        }
    }
}

/// The reference: walks the NSG chain for one packet; `true` when every NSG allows it.
fn allowed(
    chain: &[(&Nsg, RuleDirection)],
    t: Transport,
    port: u16,
    local: IpAddr,
    remote: IpAddr,
    tags: &ServiceTags,
) -> bool {
    chain.iter().all(|(nsg, dir)| {
        let mut rules: Vec<&SecurityRule> =
            nsg.rules.iter().filter(|r| r.direction == *dir).collect();
        rules.sort_by_key(|r| r.priority);
        let first = rules.into_iter().find(|r| {
            let proto = matches!(
                (r.protocol, t),
                (Protocol::Any, _)
                    | (Protocol::Tcp, Transport::Tcp)
                    | (Protocol::Udp, Transport::Udp)
            );
            let (src, dst) = if *dir == RuleDirection::Outbound {
                (local, remote)
            } else {
                (remote, local)
            };
            proto
                && r.destination_ports
                    .iter()
                    .any(|p| p.from <= port && port <= p.to)
                && holds(&r.source, src, tags)
                && holds(&r.destination, dst, tags)
        });
        first.expect("the default rules close every NSG").access == Access::Allow
    })
}

/// Every address where membership of some set may change: its intervals' first addresses and
/// the addresses just after them.
fn cut_points(sets: &[RangeSet]) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = sets.iter().flat_map(RangeSet::boundaries).collect();
    v.sort();
    v.dedup();
    v
}

fn spec_set(spec: &AddressSpec, tags: &ServiceTags) -> RangeSet {
    match spec {
        AddressSpec::Prefixes(p) => RangeSet::from_prefixes(p),
        AddressSpec::Tag(t) => tags.get(t).map(|t| t.set.clone()).unwrap_or_default(),
        _ => RangeSet::new(),
    }
}

struct Reference {
    verdict: Verdict,
    local_mixed: bool,
    covered: usize,
}

fn reference(flow: &Flow, chain: &[(&Nsg, RuleDirection)], tags: &ServiceTags) -> Reference {
    let tag = tags.get(flow.remote_tag()).unwrap();
    let rules: Vec<&SecurityRule> = chain.iter().flat_map(|(n, _)| &n.rules).collect();
    let mut sets: Vec<RangeSet> = rules
        .iter()
        .flat_map(|r| [spec_set(&r.source, tags), spec_set(&r.destination, tags)])
        .collect();
    sets.push(tag.set.clone());
    // Each of the tag's prefixes too: nested or adjacent ones merge in the tag's set.
    sets.extend(tag.prefixes.iter().map(|p| RangeSet::from_prefixes(&[*p])));
    let subnet: IpNet = SUBNET.parse().unwrap();
    let subnet_set = RangeSet::from_prefixes(&[subnet]);
    let remotes: Vec<IpAddr> = cut_points(&sets)
        .into_iter()
        .filter(|a| tag.set.contains_addr(*a))
        .collect();
    let locals: Vec<IpAddr> = cut_points(&sets)
        .into_iter()
        .chain([subnet.network()])
        .filter(|a| subnet_set.contains_addr(*a))
        .collect();
    let mut port_cuts = vec![flow.ports.from];
    for r in &rules {
        for p in &r.destination_ports {
            for c in [u32::from(p.from), u32::from(p.to) + 1] {
                if c > u32::from(flow.ports.from) && c <= u32::from(flow.ports.to) {
                    port_cuts.push(u16::try_from(c).unwrap());
                }
            }
        }
    }
    let mut outcome: HashMap<IpAddr, Vec<bool>> = HashMap::new();
    let mut local_mixed = false;
    for &remote in &remotes {
        for &port in &port_cuts {
            let per_local: Vec<bool> = locals
                .iter()
                .map(|&l| allowed(chain, flow.transport, port, l, remote, tags))
                .collect();
            local_mixed |= per_local.iter().any(|&a| a != per_local[0]);
            outcome.entry(remote).or_default().extend(per_local);
        }
    }
    let all: Vec<bool> = outcome.values().flatten().copied().collect();
    let verdict = if all.iter().all(|&a| a) {
        Verdict::Allowed
    } else if all.iter().all(|&a| !a) {
        Verdict::Denied
    } else {
        Verdict::Partial
    };
    let covered = tag
        .prefixes
        .iter()
        .filter(|p| {
            outcome
                .iter()
                .filter(|(a, _)| p.contains(*a))
                .all(|(_, v)| v.iter().all(|&x| x))
        })
        .count();
    Reference {
        verdict,
        local_mixed,
        covered,
    }
}

fn flow(rng: &mut Rng, direction: Direction) -> Flow {
    let from = 440 + u16::try_from(rng.below(12)).unwrap();
    let to = if rng.chance(70) {
        from
    } else {
        from + u16::try_from(rng.below(6)).unwrap()
    };
    let tag = (*rng.pick(&TAGS)).to_owned();
    let (source, destination) = match direction {
        Direction::Inbound => (tag, "VirtualNetwork".to_owned()),
        _ => ("VirtualNetwork".to_owned(), tag),
    };
    Flow {
        id: "f".into(),
        purpose: "oracle".into(),
        direction,
        transport: if rng.chance(70) {
            Transport::Tcp
        } else {
            Transport::Udp
        },
        ports: PortRange { from, to },
        source,
        destination,
        required: true,
    }
}

fn run(seed: u64, partial_local: bool) -> (usize, usize) {
    let mut rng = Rng(seed);
    let tags = tags(&mut rng);
    let subnet_nsg = nsg(&mut rng, "subnet-nsg", NsgLevel::Subnet, partial_local);
    let nic_nsg = rng
        .chance(30)
        .then(|| nsg(&mut rng, "nic-nsg", NsgLevel::Nic, partial_local));
    let inputs = NetworkInputs {
        subnet: Some(Subnet {
            name: "apim".into(),
            prefixes: vec![SUBNET.parse().unwrap()],
            nsg_id: Some("subnet-nsg".into()),
            ..Subnet::default()
        }),
        nsgs: std::iter::once(subnet_nsg.clone())
            .chain(nic_nsg.clone())
            .collect(),
        service_tags: Some(tags.clone()),
        ..NetworkInputs::default()
    };
    let flows: Vec<Flow> = (0..4)
        .map(|i| {
            flow(
                &mut rng,
                if i % 2 == 0 {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                },
            )
        })
        .collect();
    let settings = EvalSettings::classic(
        Platform::Stv2,
        VnetMode::External,
        Cloud::Public,
        None,
        Vec::new(),
    );
    let eval = evaluate(&flows, &inputs, &settings);
    let (mut agreed, mut unknown) = (0, 0);
    for (f, got) in flows.iter().zip(&eval.flows) {
        let (out, inb) = (RuleDirection::Outbound, RuleDirection::Inbound);
        let mut chain: Vec<(&Nsg, RuleDirection)> = Vec::new();
        // Outbound: the NIC's NSG first, then the subnet's; inbound the other way round.
        if f.direction == Direction::Outbound {
            chain.extend(nic_nsg.iter().map(|n| (n, out)));
            chain.push((&subnet_nsg, out));
        } else {
            chain.push((&subnet_nsg, inb));
            chain.extend(nic_nsg.iter().map(|n| (n, inb)));
        }
        let want = reference(f, &chain, &tags);
        let ctx = format!(
            "seed {seed}, flow {f:?}\nengine: {got:#?}\nreference: {:?} (local mixed: {}, covered {})\nsubnet NSG: {subnet_nsg:#?}\nNIC NSG: {nic_nsg:#?}\ntags: {tags:#?}",
            want.verdict, want.local_mixed, want.covered
        );
        match got.verdict {
            Verdict::Allowed | Verdict::Denied => assert_eq!(got.verdict, want.verdict, "{ctx}"),
            Verdict::Partial => {
                assert_eq!(want.verdict, Verdict::Partial, "{ctx}");
                assert!(!want.local_mixed, "{ctx}");
            }
            Verdict::Unknown => {
                assert!(
                    partial_local,
                    "unknown only comes from rules on part of the subnet: {ctx}"
                );
                unknown += 1;
                continue;
            }
        }
        if !partial_local {
            assert_eq!(got.verdict, want.verdict, "{ctx}");
            let count = got.prefixes.expect("the tag's prefixes are known");
            assert_eq!(
                count.total,
                tags.get(f.remote_tag()).unwrap().prefixes.len(),
                "{ctx}"
            );
            assert_eq!(count.covered, want.covered, "{ctx}");
        }
        agreed += 1;
    }
    (agreed, unknown)
}

#[test]
fn engine_and_brute_force_agree_on_random_nsgs() {
    let mut agreed = 0;
    for seed in 1..=400u64 {
        agreed += run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, false).0;
    }
    assert_eq!(agreed, 1600);
}

#[test]
fn rules_on_part_of_the_subnet_give_unknown_never_a_wrong_verdict() {
    let (mut agreed, mut unknown) = (0, 0);
    for seed in 1..=300u64 {
        let (a, u) = run(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1, true);
        agreed += a;
        unknown += u;
    }
    assert_eq!(agreed + unknown, 1200);
    assert!(
        unknown > 0 && agreed > unknown,
        "agreed {agreed}, unknown {unknown}"
    );
}
