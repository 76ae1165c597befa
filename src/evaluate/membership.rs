//! Where an address lives, by Microsoft's service-tag file: in the tag its row names (regional or
//! global), in the same service's tag for another region, private (a private endpoint or a DNS
//! override), or in no Azure tag at all (a DNS hijack, a proxy, a wrong record).
//!
//! Pure: the tag file (its prefix sets built once, when it was read) and an address in, a class
//! out. A lookup walks the tags, each a binary search over its sorted ranges: for the Public
//! cloud's ~3,000 tags and ~90,000 prefixes, some tens of microseconds per address.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::azure::network::model::ServiceTags;
use crate::catalog::model::Cloud;
use crate::catalog::regions;

/// The class of one address against one row's service tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// In the row's tag (its regional tag, when the region is known).
    Expected,
    /// In the same service's tag, but for another region than the instance's.
    OtherRegion,
    /// A private address: a private endpoint or a DNS override.
    Private,
    /// In another service's tag only.
    OtherService,
    /// In no tag of the file.
    Outside,
}

names!(Class {
    Expected => "expected",
    OtherRegion => "other_region",
    Private => "private",
    OtherService => "other_service",
    Outside => "outside",
});

/// One address classed, with the tags that contain it (a few, most specific first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The address.
    pub address: String,
    /// Its class.
    pub class: Class,
    /// Tags that contain it: the row's service's own first (regional before global), then
    /// others, at most [`SHOWN`].
    pub tags: Vec<String>,
}

/// How many containing tags are named.
pub const SHOWN: usize = 4;

/// Classes `addr` for a row naming service tag `tag`, in `region` of `cloud` when known.
pub fn classify(
    tags: &ServiceTags,
    tag: &str,
    cloud: Cloud,
    region: Option<&str>,
    addr: IpAddr,
) -> Membership {
    let base = regions::base_tag(tag).to_ascii_lowercase();
    let mut own: Vec<&str> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    for t in tags.tags.iter().filter(|t| t.set.contains_addr(addr)) {
        if regions::base_tag(&t.name).eq_ignore_ascii_case(&base) {
            own.push(&t.name);
        } else {
            others.push(&t.name);
        }
    }
    // Regional tags (with a dot) before the global one.
    own.sort_by_key(|n| !n.contains('.'));
    let wanted = region.and_then(|r| regions::regional_tag(cloud, &base, r));
    let class = if is_private(addr) {
        Class::Private
    } else if own.is_empty() {
        if others.is_empty() {
            Class::Outside
        } else {
            Class::OtherService
        }
    } else {
        match &wanted {
            // The region is known and has a tag of this service: the address must be in it.
            Some(w) if tags.get(w).is_some() => {
                if own.iter().any(|n| n.eq_ignore_ascii_case(w)) {
                    Class::Expected
                } else if own.iter().any(|n| n.contains('.')) {
                    Class::OtherRegion
                } else {
                    Class::Expected
                }
            }
            _ => Class::Expected,
        }
    };
    let names: Vec<String> = own
        .into_iter()
        .chain(others)
        .take(SHOWN)
        .map(str::to_owned)
        .collect();
    Membership {
        address: addr.to_string(),
        class,
        tags: names,
    }
}

/// Whether a row's tag is one the file can judge (not `VirtualNetwork`, `Internet` …).
pub fn judgeable(tag: &str) -> bool {
    !matches!(
        tag,
        "VirtualNetwork" | "Internet" | "AzureLoadBalancer" | "DnsServers" | "*"
    ) && !tag.contains(' ')
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_private() || a.is_link_local() || a.is_loopback(),
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00 || a.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::network::model::ServiceTag;
    use crate::azure::network::prefix::RangeSet;

    fn tag(name: &str, prefixes: &[&str]) -> ServiceTag {
        let nets: Vec<ipnet::IpNet> = prefixes.iter().map(|p| p.parse().unwrap()).collect();
        ServiceTag {
            name: name.into(),
            region: String::new(),
            set: RangeSet::from_prefixes(&nets),
            prefixes: nets,
        }
    }

    fn file() -> ServiceTags {
        let tags = vec![
            tag("Storage", &["198.18.10.0/24", "198.18.11.0/24"]),
            tag("Storage.WestEurope", &["198.18.10.0/24"]),
            tag("Storage.NorthEurope", &["198.18.11.0/24"]),
            tag("AzureFrontDoor.Frontend", &["198.18.20.0/24"]),
        ];
        let index = tags
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.to_ascii_lowercase(), i))
            .collect();
        ServiceTags {
            cloud: "Public".into(),
            change_number: 1,
            tags,
            index,
            file: "t.json".into(),
        }
    }

    fn class(addr: &str, region: Option<&str>) -> Membership {
        classify(
            &file(),
            "Storage",
            Cloud::Public,
            region,
            addr.parse().unwrap(),
        )
    }

    #[test]
    fn addresses_are_classed_against_the_rows_tag_and_region() {
        let m = class("198.18.10.5", Some("westeurope"));
        assert_eq!(m.class, Class::Expected);
        assert_eq!(m.tags, ["Storage.WestEurope", "Storage"]);
        let m = class("198.18.11.5", Some("westeurope"));
        assert_eq!(m.class, Class::OtherRegion);
        assert_eq!(m.tags[0], "Storage.NorthEurope");
        assert_eq!(
            class("198.18.11.5", None).class,
            Class::Expected,
            "no region: the global tag"
        );
        assert_eq!(class("10.1.2.3", Some("westeurope")).class, Class::Private);
        assert_eq!(
            class("198.18.20.1", Some("westeurope")).class,
            Class::OtherService
        );
        assert_eq!(
            class("198.18.99.1", Some("westeurope")).class,
            Class::Outside
        );
    }
}
