//! Address prefixes and sets of addresses: parsing what Azure writes (`10.0.0.0/24`, a bare
//! `10.0.0.4`, IPv6), and [`RangeSet`], a set of addresses kept as sorted, disjoint, merged
//! intervals per family, so "how much of this tag does that rule cover" is a few binary searches
//! instead of a prefix-by-prefix comparison. Built once per tag or rule; never changed in place.

use std::net::IpAddr;

use ipnet::IpNet;

/// Parses a prefix as Azure accepts it: a CIDR, or a bare address (a /32 or /128). Host bits
/// are cleared (`10.0.0.5/24` is `10.0.0.0/24`), as Azure itself stores it.
pub fn parse_prefix(text: &str) -> Option<IpNet> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Some(net.trunc());
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Whether `text` looks like an address or prefix rather than a service tag name: tags start
/// with a letter and hold no `/` or `:`.
pub fn looks_like_prefix(text: &str) -> bool {
    let t = text.trim();
    t.starts_with(|c: char| c.is_ascii_digit()) || t.contains('/') || t.contains(':')
}

/// The inclusive interval of addresses of a prefix, as numbers, and whether it is IPv6.
fn interval(net: &IpNet) -> (bool, u128, u128) {
    match net {
        IpNet::V4(n) => (
            false,
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
        ),
        IpNet::V6(n) => (true, u128::from(n.network()), u128::from(n.broadcast())),
    }
}

/// How much of one set another covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Every address.
    All,
    /// Some addresses, not all.
    Part,
    /// No address.
    None,
}

/// A set of IPv4 and IPv6 addresses as sorted, disjoint, non-adjacent inclusive intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeSet {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

impl RangeSet {
    /// The empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every IPv4 address (`0.0.0.0/0`).
    #[must_use]
    pub fn all_v4() -> Self {
        Self {
            v4: vec![(0, u128::from(u32::MAX))],
            v6: Vec::new(),
        }
    }

    /// The set of these prefixes.
    pub fn from_prefixes<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> Self {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for net in nets {
            let (six, lo, hi) = interval(net);
            if six {
                v6.push((lo, hi));
            } else {
                v4.push((lo, hi));
            }
        }
        Self {
            v4: normalise(v4),
            v6: normalise(v6),
        }
    }

    /// The IPv4 part only.
    #[must_use]
    pub fn v4_only(&self) -> Self {
        Self {
            v4: self.v4.clone(),
            v6: Vec::new(),
        }
    }

    /// Whether the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// The number of intervals (a measure of size for choosing loops, not of addresses).
    pub fn intervals(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether the set holds this address.
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        let (list, x) = match addr {
            IpAddr::V4(a) => (&self.v4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (&self.v6, u128::from(a)),
        };
        let i = list.partition_point(|&(lo, _)| lo <= x);
        i > 0 && list[i - 1].1 >= x
    }

    /// How much of `net` this set covers.
    pub fn cover_of_prefix(&self, net: &IpNet) -> Cover {
        let (six, lo, hi) = interval(net);
        cover(if six { &self.v6 } else { &self.v4 }, lo, hi)
    }

    /// How much of `other` this set covers (`None` when `other` is empty).
    pub fn cover_of(&self, other: &RangeSet) -> Cover {
        let inter = self.intersect(other);
        if inter.is_empty() {
            Cover::None
        } else if &inter == other {
            Cover::All
        } else {
            Cover::Part
        }
    }

    /// The addresses in both sets.
    #[must_use]
    pub fn intersect(&self, other: &RangeSet) -> RangeSet {
        RangeSet {
            v4: intersect(&self.v4, &other.v4),
            v6: intersect(&self.v6, &other.v6),
        }
    }

    /// The addresses in either set.
    #[must_use]
    pub fn union(&self, other: &RangeSet) -> RangeSet {
        let join = |a: &[(u128, u128)], b: &[(u128, u128)]| {
            normalise(a.iter().chain(b).copied().collect())
        };
        RangeSet {
            v4: join(&self.v4, &other.v4),
            v6: join(&self.v6, &other.v6),
        }
    }

    /// The addresses of this set that are not in `other`.
    #[must_use]
    pub fn subtract(&self, other: &RangeSet) -> RangeSet {
        RangeSet {
            v4: subtract(&self.v4, &other.v4),
            v6: subtract(&self.v6, &other.v6),
        }
    }

    /// Whether the sets share an address, without building the intersection.
    pub fn overlaps(&self, other: &RangeSet) -> bool {
        let any = |small: &[(u128, u128)], big: &[(u128, u128)]| {
            small
                .iter()
                .any(|&(lo, hi)| cover(big, lo, hi) != Cover::None)
        };
        let pick = |a: &'_ [(u128, u128)], b: &'_ [(u128, u128)]| {
            if a.len() <= b.len() {
                any(a, b)
            } else {
                any(b, a)
            }
        };
        pick(&self.v4, &other.v4) || pick(&self.v6, &other.v6)
    }

    /// The lowest address of the set and the lowest address just after each interval, per family
    /// (the points where membership can change): what brute-force tests sample.
    pub fn boundaries(&self) -> Vec<IpAddr> {
        let mut out = Vec::new();
        for &(lo, hi) in &self.v4 {
            for x in [Some(lo), lo.checked_sub(1), Some(hi), hi.checked_add(1)]
                .into_iter()
                .flatten()
            {
                if let Ok(v) = u32::try_from(x) {
                    out.push(IpAddr::from(v.to_be_bytes()));
                }
            }
        }
        for &(lo, hi) in &self.v6 {
            for x in [Some(lo), lo.checked_sub(1), Some(hi), hi.checked_add(1)]
                .into_iter()
                .flatten()
            {
                out.push(IpAddr::from(x.to_be_bytes()));
            }
        }
        out
    }
}

/// Sorts and merges overlapping or adjacent intervals.
fn normalise(mut v: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// How much of `[lo, hi]` the sorted disjoint `list` covers.
fn cover(list: &[(u128, u128)], lo: u128, hi: u128) -> Cover {
    // The first interval that ends at or after lo.
    let i = list.partition_point(|&(_, h)| h < lo);
    match list.get(i) {
        Some(&(a, b)) if a <= lo && b >= hi => Cover::All,
        Some(&(a, _)) if a <= hi => Cover::Part,
        _ => Cover::None,
    }
}

fn intersect(a: &[(u128, u128)], b: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn subtract(a: &[(u128, u128)], b: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(lo, hi) in a {
        let mut start = lo;
        while j < b.len() && b[j].1 < start {
            j += 1;
        }
        let mut k = j;
        let mut done = false;
        while k < b.len() && b[k].0 <= hi {
            if b[k].0 > start {
                out.push((start, b[k].0 - 1));
            }
            if b[k].1 >= hi {
                done = true;
                break;
            }
            start = b[k].1 + 1;
            k += 1;
        }
        if !done {
            out.push((start, hi));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(prefixes: &[&str]) -> RangeSet {
        let nets: Vec<IpNet> = prefixes.iter().map(|p| parse_prefix(p).unwrap()).collect();
        RangeSet::from_prefixes(&nets)
    }

    #[test]
    fn parses_what_azure_writes() {
        assert_eq!(parse_prefix("10.0.0.4").unwrap().to_string(), "10.0.0.4/32");
        assert_eq!(
            parse_prefix("10.0.0.5/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        assert_eq!(
            parse_prefix("2001:db8::/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert!(parse_prefix("10.0.0.300/24").is_none());
        assert!(looks_like_prefix("10.0.0.0/8") && !looks_like_prefix("Storage.WestEurope"));
    }

    #[test]
    fn merges_and_covers() {
        let s = set(&["10.0.0.0/25", "10.0.0.128/25", "10.0.2.0/24"]);
        assert_eq!(s.intervals(), 2);
        assert_eq!(
            s.cover_of_prefix(&"10.0.0.0/24".parse().unwrap()),
            Cover::All
        );
        assert_eq!(
            s.cover_of_prefix(&"10.0.0.0/22".parse().unwrap()),
            Cover::Part
        );
        assert_eq!(
            s.cover_of_prefix(&"10.0.1.0/24".parse().unwrap()),
            Cover::None
        );
        assert!(s.contains_addr("10.0.2.9".parse().unwrap()));
        assert!(!s.contains_addr("10.0.1.9".parse().unwrap()));
    }

    #[test]
    fn set_algebra() {
        let a = set(&["10.0.0.0/16"]);
        let b = set(&["10.0.1.0/24", "10.0.3.0/24", "192.168.0.0/16"]);
        assert_eq!(a.intersect(&b), set(&["10.0.1.0/24", "10.0.3.0/24"]));
        let rest = a.subtract(&b);
        assert!(!rest.contains_addr("10.0.1.1".parse().unwrap()));
        assert!(rest.contains_addr("10.0.2.1".parse().unwrap()));
        assert!(rest.contains_addr("10.0.255.255".parse().unwrap()));
        assert_eq!(rest.union(&b.intersect(&a)), a);
        assert_eq!(a.cover_of(&b), Cover::Part);
        assert_eq!(RangeSet::all_v4().cover_of(&a), Cover::All);
        assert!(a.overlaps(&b) && !a.overlaps(&set(&["11.0.0.0/8"])));
        assert_eq!(set(&["::/0"]).cover_of(&a), Cover::None);
    }
}
