//! Random inputs for the oracle test (`evaluate_oracle.rs`): a seeded generator, service tags
//! with prefixes inside 20.0.0.0/16, and NSGs whose rules mix priorities, tags, CIDRs, ports
//! and protocols, on the subnet 10.1.0.0/24.

use std::net::{IpAddr, Ipv4Addr};

use apim_probe::azure::network::model::{
    Access, AddressSpec, Nsg, NsgLevel, PortRange, Protocol, RuleDirection, SecurityRule,
    ServiceTag, ServiceTags,
};
use apim_probe::azure::network::nsg::default_rules;
use apim_probe::azure::network::prefix::RangeSet;
use ipnet::IpNet;

/// xorshift64*: small, seeded, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub const SUBNET: &str = "10.1.0.0/24";
pub const TAGS: [&str; 3] = ["TagA", "TagB", "TagC"];

/// A public-looking prefix inside 20.0.0.0/16, so tags and rules overlap often.
pub fn public_prefix(rng: &mut Rng) -> IpNet {
    let len = 18 + u8::try_from(rng.below(11)).unwrap();
    let addr = Ipv4Addr::from(0x1400_0000 | u32::try_from(rng.below(1 << 16)).unwrap());
    IpNet::new(IpAddr::V4(addr), len).unwrap().trunc()
}

pub fn ports(rng: &mut Rng) -> Vec<PortRange> {
    let one = |rng: &mut Rng| {
        let from = 440 + u16::try_from(rng.below(12)).unwrap();
        let to = if rng.chance(50) {
            from
        } else {
            from + u16::try_from(rng.below(4)).unwrap()
        };
        PortRange { from, to }
    };
    match rng.below(4) {
        0 => vec![PortRange::ANY],
        1 => vec![one(rng), one(rng)],
        _ => vec![one(rng)],
    }
}

pub fn remote_spec(rng: &mut Rng) -> AddressSpec {
    match rng.below(7) {
        0 => AddressSpec::Any,
        1 | 2 => AddressSpec::Tag((*rng.pick(&TAGS)).to_owned()),
        3 => AddressSpec::Tag((*rng.pick(&["Internet", "VirtualNetwork"])).to_owned()),
        4 if rng.chance(20) => AddressSpec::Prefixes(vec!["0.0.0.0/0".parse().unwrap()]),
        _ => AddressSpec::Prefixes((0..=rng.below(2)).map(|_| public_prefix(rng)).collect()),
    }
}

pub fn local_spec(rng: &mut Rng, partial: bool) -> AddressSpec {
    let nets: &[&str] = if partial {
        &[
            "10.1.0.0/25",
            "10.1.0.128/26",
            "10.1.0.0/24",
            "10.0.0.0/8",
            "10.2.0.0/16",
        ]
    } else {
        &["10.1.0.0/24", "10.0.0.0/8", "10.2.0.0/16"]
    };
    match rng.below(4) {
        0 => AddressSpec::Any,
        1 => AddressSpec::Tag("VirtualNetwork".into()),
        _ => AddressSpec::Prefixes(vec![rng.pick(nets).parse().unwrap()]),
    }
}

pub fn nsg(rng: &mut Rng, name: &str, level: NsgLevel, partial: bool) -> Nsg {
    let mut rules = default_rules();
    let mut used = Vec::new();
    for i in 0..=rng.below(12) {
        let direction = if rng.chance(50) {
            RuleDirection::Inbound
        } else {
            RuleDirection::Outbound
        };
        let priority = 100 + u32::try_from(rng.below(40)).unwrap() * 10;
        if used.contains(&(direction, priority)) {
            continue;
        }
        used.push((direction, priority));
        let (remote, local) = (remote_spec(rng), local_spec(rng, partial));
        let (source, destination) = match direction {
            RuleDirection::Outbound => (local, remote),
            RuleDirection::Inbound => (remote, local),
        };
        rules.push(SecurityRule {
            name: format!("r{i}"),
            priority,
            direction,
            access: if rng.chance(50) {
                Access::Allow
            } else {
                Access::Deny
            },
            protocol: *rng.pick(&[Protocol::Any, Protocol::Tcp, Protocol::Udp]),
            source,
            destination,
            source_ports: vec![PortRange::ANY],
            destination_ports: ports(rng),
            default: false,
            modelled: false,
            expanded_source: None,
            expanded_destination: None,
            origin: None,
        });
    }
    Nsg {
        name: name.into(),
        id: None,
        level: Some(level),
        rules,
        file: "oracle".into(),
        effective: true,
        subnets: Vec::new(),
        nics: Vec::new(),
        origin: None,
    }
}

pub fn tags(rng: &mut Rng) -> ServiceTags {
    let mut out = ServiceTags::default();
    for name in TAGS {
        let prefixes: Vec<IpNet> = (0..=rng.below(4)).map(|_| public_prefix(rng)).collect();
        out.index.insert(name.to_ascii_lowercase(), out.tags.len());
        out.tags.push(ServiceTag {
            name: name.into(),
            region: String::new(),
            set: RangeSet::from_prefixes(&prefixes),
            prefixes,
        });
    }
    out
}
