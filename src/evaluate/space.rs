//! What a rule's address side covers of a flow's far side, by meaning. The far side is a
//! service tag, known by name, and by its addresses when the service-tag file gives them
//! (IPv4 only: APIM's VNet injection is IPv4). `Internet`, `VirtualNetwork` and
//! `AzureLoadBalancer` are not in that file and are modelled here:
//! <https://learn.microsoft.com/azure/virtual-network/service-tags-overview>.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::azure::network::model::{AddressSpec, ServiceTags};
use crate::azure::network::prefix::{Cover, RangeSet};
use crate::catalog::model::Cloud;
use crate::catalog::regions;

/// The address of Azure's platform services (DNS, DHCP, health probes): the `AzureLoadBalancer`
/// tag as a source.
pub const AZURE_PLATFORM_IP: &str = "168.63.129.16";

/// [`AZURE_PLATFORM_IP`] as a /32.
pub fn platform_net() -> IpNet {
    IpNet::from(IpAddr::from([168, 63, 129, 16]))
}

/// Private and shared address space, never part of a public service tag.
const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

/// What the evaluation knows of the world around the flows.
#[derive(Debug, Clone)]
pub struct World<'a> {
    /// The cloud.
    pub cloud: Cloud,
    /// The instance's region, lowercase.
    pub region: Option<String>,
    /// The service tags, when given.
    pub tags: Option<&'a ServiceTags>,
    /// The subnet's prefixes, when given.
    pub subnet: Option<RangeSet>,
    /// Addresses known to be in `VirtualNetwork`: the subnet, UDR prefixes, effective expansions.
    pub vnet: RangeSet,
    /// Private address space.
    pub private: RangeSet,
}

impl<'a> World<'a> {
    /// A world with these facts.
    pub fn new(cloud: Cloud, region: Option<String>, tags: Option<&'a ServiceTags>) -> Self {
        let private: Vec<IpNet> = PRIVATE.iter().filter_map(|p| p.parse().ok()).collect();
        Self {
            cloud,
            region,
            tags,
            subnet: None,
            vnet: RangeSet::new(),
            private: RangeSet::from_prefixes(&private),
        }
    }

    /// The IPv4 addresses of a tag from the file: the regional tag of the instance's region when
    /// there is one (that is what APIM talks to), else the tag itself.
    pub fn tag_set(&self, tag: &str) -> Option<(String, RangeSet, usize)> {
        let tags = self.tags?;
        if let Some(region) = &self.region
            && regions::tag_suffix(tag).is_none()
            && let Some(regional) = regions::regional_tag(self.cloud, tag, region)
            && let Some(t) = tags.get(&regional)
        {
            return Some(v4(&t.name, &t.prefixes));
        }
        tags.get(tag).map(|t| v4(&t.name, &t.prefixes))
    }

    /// The addresses of a rule's tag (`T`), from the file or the rule's own expansion.
    fn rule_tag_set(&self, tag: &str, expanded: Option<&[IpNet]>) -> Option<RangeSet> {
        if let Some(t) = self.tags.and_then(|t| t.get(tag)) {
            return Some(t.set.v4_only());
        }
        expanded.map(|e| RangeSet::from_prefixes(e).v4_only())
    }

    /// `Internet` as addresses: every IPv4 address outside private space, the known VNet and
    /// the platform address.
    fn internet(&self) -> RangeSet {
        let platform = platform_net();
        RangeSet::all_v4()
            .subtract(&self.private)
            .subtract(&self.vnet)
            .subtract(&RangeSet::from_prefixes(&[platform]))
    }
}

fn v4(name: &str, prefixes: &[IpNet]) -> (String, RangeSet, usize) {
    let v4: Vec<IpNet> = prefixes
        .iter()
        .filter(|p| matches!(p, IpNet::V4(_)))
        .copied()
        .collect();
    (name.to_owned(), RangeSet::from_prefixes(&v4), v4.len())
}

/// The far side of a flow still undecided: its tag, and its addresses when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The tag, as the catalog names it (`Storage`), or `VirtualNetwork` for peers.
    pub tag: String,
    /// Its addresses not decided yet, when known.
    pub set: Option<RangeSet>,
}

/// How much of the undecided far side a rule's side covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// All of it.
    All,
    /// None of it (with why, when it is worth saying).
    None(Option<String>),
    /// These addresses of it.
    Part(RangeSet),
    /// Part of it, not as addresses (a tag inside `Internet`, some of the ports …): why.
    SomeOf(String),
    /// Cannot be told offline: why.
    Unknown(String),
}

/// What `spec` (a rule's far side) covers of `remote`.
pub fn cover_remote(
    spec: &AddressSpec,
    expanded: Option<&[IpNet]>,
    remote: &Remote,
    w: &World,
) -> Coverage {
    match spec {
        AddressSpec::Any => Coverage::All,
        AddressSpec::Asg(_) => Coverage::Unknown(format!(
            "names application security group(s) {spec}, whose members no export lists"
        )),
        AddressSpec::Unknown(what) => {
            Coverage::Unknown(format!("uses {what}, which is not known before deployment"))
        }
        AddressSpec::Tag(t) => cover_by_tag(t, expanded, remote, w),
        AddressSpec::Prefixes(p) => {
            cover_by_set(&RangeSet::from_prefixes(p), &spec.to_string(), remote, w)
        }
    }
}

fn cover_by_set(set: &RangeSet, text: &str, remote: &Remote, w: &World) -> Coverage {
    if let Some(r) = &remote.set {
        return part(set.intersect(r), r);
    }
    let v4 = set.v4_only();
    if v4 == RangeSet::all_v4() {
        return Coverage::All;
    }
    let f = remote.tag.as_str();
    if f.eq_ignore_ascii_case("AzureLoadBalancer") {
        let ip = platform_net().addr();
        return if set.contains_addr(ip) {
            Coverage::All
        } else {
            Coverage::None(None)
        };
    }
    if f.eq_ignore_ascii_case("Internet") {
        return if v4.overlaps(&w.internet()) {
            Coverage::SomeOf(format!("{text} is part of Internet"))
        } else {
            Coverage::None(None)
        };
    }
    if f.eq_ignore_ascii_case("VirtualNetwork") {
        return Coverage::Unknown(format!(
            "whether {text} holds the VNet's addresses cannot be told without --subnet"
        ));
    }
    if w.private.cover_of(&v4) == Cover::All || v4.is_empty() {
        // Service tags hold public addresses only.
        return Coverage::None(None);
    }
    Coverage::Unknown(format!(
        "whether {text} covers {f} cannot be told without --service-tags FILE"
    ))
}

fn part(inter: RangeSet, remote: &RangeSet) -> Coverage {
    if inter.is_empty() {
        Coverage::None(None)
    } else if &inter == remote {
        Coverage::All
    } else {
        Coverage::Part(inter)
    }
}

/// What a rule naming tag `t` covers of the remote side.
fn cover_by_tag(t: &str, expanded: Option<&[IpNet]>, remote: &Remote, w: &World) -> Coverage {
    if let Some(c) = by_name(t, remote, w) {
        return c;
    }
    let special = |name: &str| t.eq_ignore_ascii_case(name);
    if special("Internet") {
        return match &remote.set {
            Some(r) => part(w.internet().intersect(r), r),
            None if is_special(&remote.tag) => Coverage::None(None),
            // Every public service tag lies in Internet.
            None => Coverage::All,
        };
    }
    if special("VirtualNetwork") {
        return match &remote.set {
            // A private address outside what is known (a custom DNS server …) may be in the
            // VNet's address space, a peered VNet or on-premises: none of it is in the exports.
            Some(r) if r.subtract(&w.vnet).overlaps(&w.private) => Coverage::Unknown(
                "names VirtualNetwork, and whether private addresses outside the subnet belong to it (the VNet's address space, peered VNets, on-premises) is not in the inputs".into(),
            ),
            Some(r) => part(w.vnet.intersect(r), r),
            None if w.vnet.v4_only() == RangeSet::all_v4() => Coverage::All,
            None => Coverage::None(None),
        };
    }
    if special("AzureLoadBalancer") {
        let platform = platform_net();
        return match &remote.set {
            Some(r) => part(RangeSet::from_prefixes(&[platform]).intersect(r), r),
            None => Coverage::None(None),
        };
    }
    if remote.tag.eq_ignore_ascii_case("Internet") {
        return Coverage::SomeOf(format!("{t} is part of Internet"));
    }
    if is_special(&remote.tag) && remote.set.is_none() {
        return Coverage::None(None);
    }
    match (w.rule_tag_set(t, expanded), &remote.set) {
        (Some(set), Some(r)) => part(set.intersect(r), r),
        (None, Some(_)) if w.tags.is_some() => Coverage::Unknown(format!(
            "names {t}, which the service-tag file does not have"
        )),
        _ if is_azure_cloud(t) => Coverage::All,
        // Different services' tags: disjoint as far as names tell.
        _ => Coverage::None(None),
    }
}

/// Relations the names alone decide: the same tag, a tag and its regional parts.
fn by_name(t: &str, remote: &Remote, w: &World) -> Option<Coverage> {
    let f = remote.tag.as_str();
    if t.eq_ignore_ascii_case(f) {
        return Some(Coverage::All);
    }
    let (tb, ts) = (regions::base_tag(t), regions::tag_suffix(t));
    let (fb, fs) = (regions::base_tag(f), regions::tag_suffix(f));
    let same_base = tb.eq_ignore_ascii_case(fb) || (is_azure_cloud(tb) && !is_special(fb));
    match (ts, fs) {
        // `Storage` holds `Storage.WestEurope`.
        (None, Some(_)) if tb.eq_ignore_ascii_case(fb) => Some(Coverage::All),
        (Some(suffix), None) if same_base => Some(regional(t, suffix, f, w)),
        _ => None,
    }
}

/// A rule naming a regional tag (`Storage.WestEurope`) for a flow to the global one.
fn regional(t: &str, suffix: &str, f: &str, w: &World) -> Coverage {
    let named = regions::region_of_suffix(w.cloud, suffix);
    match (&w.region, named) {
        (Some(ours), Some(theirs)) if ours == theirs => Coverage::All,
        (Some(ours), Some(theirs)) => Coverage::None(Some(format!(
            "rule names {t}, the tag of {theirs}; the instance is in {ours}"
        ))),
        (None, _) => Coverage::Unknown(format!(
            "names the regional tag {t}; give --region to tell whether it is the instance's region ({f} needs that one)"
        )),
        (Some(ours), None) => Coverage::None(Some(format!(
            "rule names {t}, which is no region of this cloud; the instance is in {ours}"
        ))),
    }
}

/// The tags an NSG knows that the service-tag file does not hold.
pub fn is_special(tag: &str) -> bool {
    ["Internet", "VirtualNetwork", "AzureLoadBalancer"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(tag))
}

fn is_azure_cloud(tag: &str) -> bool {
    regions::base_tag(tag).eq_ignore_ascii_case("AzureCloud")
}

/// Whether a rule's local side (the APIM subnet) holds the subnet: `Some(true)`, `Some(false)`,
/// or `None` with why it cannot be told.
pub fn covers_subnet(spec: &AddressSpec, w: &World) -> Result<bool, String> {
    match spec {
        AddressSpec::Any => Ok(true),
        AddressSpec::Tag(t) => Ok(t.eq_ignore_ascii_case("VirtualNetwork")),
        AddressSpec::Asg(_) => Err(format!(
            "names application security group(s) {spec} on the subnet's side, whose members no export lists"
        )),
        AddressSpec::Unknown(what) => Err(format!(
            "uses {what} on the subnet's side, which is not known before deployment"
        )),
        AddressSpec::Prefixes(p) => {
            let set = RangeSet::from_prefixes(p);
            match &w.subnet {
                Some(sub) => match set.cover_of(sub) {
                    Cover::All => Ok(true),
                    Cover::None => Ok(false),
                    Cover::Part => Err(format!(
                        "applies to part of the subnet only ({spec}): instances may differ"
                    )),
                },
                None if set.v4_only() == RangeSet::all_v4() => Ok(true),
                None if w.private.cover_of(&set.v4_only()) == Cover::None => Ok(false),
                None => Err(format!(
                    "whether {spec} holds the APIM subnet cannot be told without --subnet"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(tag: &str) -> Remote {
        Remote {
            tag: tag.into(),
            set: None,
        }
    }

    fn tag(t: &str) -> AddressSpec {
        AddressSpec::Tag(t.into())
    }

    #[test]
    fn tags_by_name() {
        let w = World::new(Cloud::Public, Some("westeurope".into()), None);
        let cover = |rule: &str, flow: &str| cover_remote(&tag(rule), None, &remote(flow), &w);
        assert_eq!(cover("Storage", "Storage"), Coverage::All);
        assert_eq!(
            cover("storage", "Storage"),
            Coverage::All,
            "case does not matter"
        );
        assert_eq!(cover("Storage.WestEurope", "Storage"), Coverage::All);
        assert_eq!(cover("Storage", "Storage.WestUS"), Coverage::All);
        assert!(
            matches!(cover("Storage.NorthEurope", "Storage"), Coverage::None(Some(n)) if n.contains("northeurope"))
        );
        assert_eq!(cover("Internet", "Storage"), Coverage::All);
        assert_eq!(cover("AzureCloud", "Sql"), Coverage::All);
        assert_eq!(cover("Sql", "Storage"), Coverage::None(None));
        assert_eq!(cover("VirtualNetwork", "Storage"), Coverage::None(None));
        assert_eq!(cover("Internet", "AzureLoadBalancer"), Coverage::None(None));
        assert!(matches!(cover("Storage", "Internet"), Coverage::SomeOf(_)));
        let no_region = World::new(Cloud::Public, None, None);
        assert!(matches!(
            cover_remote(&tag("Sql.WestEurope"), None, &remote("Sql"), &no_region),
            Coverage::Unknown(why) if why.contains("--region")
        ));
    }

    #[test]
    fn cidrs_without_the_tag_file() {
        let w = World::new(Cloud::Public, None, None);
        let cidrs = |list: &[&str]| {
            AddressSpec::Prefixes(list.iter().map(|p| p.parse().unwrap()).collect())
        };
        assert_eq!(
            cover_remote(&cidrs(&["0.0.0.0/0"]), None, &remote("Storage"), &w),
            Coverage::All
        );
        assert_eq!(
            cover_remote(&cidrs(&["10.0.0.0/8"]), None, &remote("Storage"), &w),
            Coverage::None(None),
            "a service tag holds no private address"
        );
        assert!(matches!(
            cover_remote(&cidrs(&["20.60.0.0/16"]), None, &remote("Storage"), &w),
            Coverage::Unknown(why) if why.contains("--service-tags")
        ));
        assert_eq!(
            cover_remote(
                &cidrs(&["168.63.129.16/32"]),
                None,
                &remote("AzureLoadBalancer"),
                &w
            ),
            Coverage::All
        );
        let asg = AddressSpec::Asg(vec!["/x/applicationSecurityGroups/web".into()]);
        assert!(matches!(
            cover_remote(&asg, None, &remote("Storage"), &w),
            Coverage::Unknown(_)
        ));
    }

    #[test]
    fn the_subnet_side() {
        let mut w = World::new(Cloud::Public, None, None);
        let cidr = |p: &str| AddressSpec::Prefixes(vec![p.parse().unwrap()]);
        assert!(
            covers_subnet(&cidr("10.1.0.0/24"), &w).is_err(),
            "no --subnet: cannot tell"
        );
        assert_eq!(covers_subnet(&cidr("20.0.0.0/8"), &w), Ok(false));
        w.subnet = Some(RangeSet::from_prefixes(&["10.1.0.0/24".parse().unwrap()]));
        assert_eq!(covers_subnet(&cidr("10.1.0.0/16"), &w), Ok(true));
        assert_eq!(covers_subnet(&cidr("10.2.0.0/16"), &w), Ok(false));
        assert!(covers_subnet(&cidr("10.1.0.0/25"), &w).is_err());
        assert_eq!(covers_subnet(&tag("VirtualNetwork"), &w), Ok(true));
        assert_eq!(covers_subnet(&tag("Internet"), &w), Ok(false));
    }
}
