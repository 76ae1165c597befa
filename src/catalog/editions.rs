//! Editions of the reference. Microsoft revises its requirements page; each revision the catalog
//! knows is an *edition*: an id (`2025-06`), the page's date, its public URL, a one-line summary
//! and the platform tables it has. Each is declared once (`[[edition]]` in `probes/`); rows say
//! which editions they belong to (`editions = […]`) and what a later edition changed in them
//! (`[dependency.changed."2025-06"]`), so a row that only moved is one row, not two copies.
//!
//! `--reference` picks an edition; `edition_view::select` gives the catalog as that edition
//! reads, and the rest of the program (plan, evaluate, listen, script) never hears of editions.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::profile::Profile;
use super::vocabulary::Platform;

/// `--reference latest`: the newest edition the catalog knows.
pub const LATEST: &str = "latest";

/// An edition as a catalog file declares it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionDef {
    /// `YYYY-MM` of the page's date.
    pub id: Spanned<String>,
    /// The page's own date (`ms.date`), `YYYY-MM-DD` (required; checked by `edition_rules`).
    #[serde(default)]
    pub date: Option<Spanned<String>>,
    /// The public page.
    pub url: Spanned<String>,
    /// The page's text as of that date (a permalink), when one is public.
    #[serde(default)]
    pub source: Option<String>,
    /// What this edition changed, in one line.
    pub summary: String,
    /// The platform tables the edition has.
    pub platforms: Vec<Platform>,
    /// The profiles (tier and mode) the page describes; the classic tiers when absent.
    #[serde(default = "classic")]
    pub profiles: Vec<Profile>,
    /// The page's title, when it is not the classic VNet reference.
    #[serde(default)]
    pub title: Option<String>,
    /// What the page requires of the subnet itself, per profile.
    #[serde(default)]
    pub subnet: Vec<SubnetSpec>,
}

/// What a page requires of the subnet itself (not of traffic): checked by `evaluate` on the
/// exported subnet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubnetSpec {
    /// The profiles this applies to (of the edition's).
    pub profiles: Vec<Profile>,
    /// The service the subnet must be delegated to, or `none` (no delegation at all).
    pub delegation: String,
    /// The longest prefix allowed (the smallest subnet), e.g. 27 for /27.
    #[serde(default)]
    pub smallest: Option<u8>,
    /// The shortest prefix allowed (the largest subnet), e.g. 24 for a /24 maximum.
    #[serde(default)]
    pub largest: Option<u8>,
    /// The recommended prefix, e.g. 24.
    #[serde(default)]
    pub recommended: Option<u8>,
    /// Whether nothing else may be in the subnet.
    #[serde(default)]
    pub dedicated: bool,
    /// The platforms on which an NSG must be associated with the subnet.
    #[serde(default)]
    pub nsg_platforms: Vec<Platform>,
    /// How the addresses are used, when the page says: per unit, reserved by Azure, for an
    /// internal load balancer, and the most units the tier has.
    #[serde(default)]
    pub units: Option<UnitSpec>,
    /// Where on the page this is said.
    pub reference: String,
}

/// How a page says the subnet's addresses are used (`[edition.subnet.units]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitSpec {
    /// Addresses each scale unit takes.
    pub per_unit: u32,
    /// Addresses Azure reserves in every subnet.
    pub reserved: u32,
    /// Addresses of an internal load balancer.
    pub load_balancer: u32,
    /// The most units the tier has.
    pub max_units: u32,
}

impl UnitSpec {
    /// The units a subnet of `prefix` (IPv4 prefix length) holds, at most `max_units`.
    pub fn units(self, prefix: u8) -> u32 {
        let total = 1u32 << (32 - u32::from(prefix.min(32)));
        let usable = total.saturating_sub(self.reserved + self.load_balancer);
        (usable / self.per_unit.max(1)).min(self.max_units)
    }
}

/// The delegation value that means "not delegated".
pub const NO_DELEGATION: &str = "none";

fn classic() -> Vec<Profile> {
    vec![Profile::Classic]
}

/// A platform that Azure retired, so that asking for it under a newer edition says why.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// The platform.
    pub name: Platform,
    /// When it was retired (`YYYY-MM-DD`).
    pub retired: String,
    /// The public retirement notice.
    pub notice: String,
}

/// One edition of the reference, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    /// `2025-06`.
    pub id: String,
    /// `2025-06-17`.
    pub date: String,
    /// The public page.
    pub url: String,
    /// The page's text as of that date (a permalink), when one is public.
    pub source: Option<String>,
    /// What the edition changed, in one line.
    pub summary: String,
    /// The platform tables the edition has.
    pub platforms: Vec<Platform>,
    /// The profiles (tier and mode) the page describes.
    pub profiles: Vec<Profile>,
    /// The page's title.
    pub title: String,
    /// What the page requires of the subnet itself, per profile.
    pub subnet: Vec<SubnetSpec>,
}

impl Edition {
    /// What the page requires of the subnet for `profile`, if it says.
    pub fn subnet_for(&self, profile: Profile) -> Option<&SubnetSpec> {
        self.subnet.iter().find(|s| s.profiles.contains(&profile))
    }
}

/// The title of the classic tiers' page, the default of an edition's `title`.
pub const CLASSIC_TITLE: &str = "Virtual network configuration reference: API Management";

impl From<&EditionDef> for Edition {
    fn from(d: &EditionDef) -> Self {
        Self {
            id: d.id.get_ref().clone(),
            date: d
                .date
                .as_ref()
                .map(|x| x.get_ref().clone())
                .unwrap_or_default(),
            url: d.url.get_ref().clone(),
            source: d.source.clone(),
            summary: d.summary.clone(),
            platforms: d.platforms.clone(),
            profiles: d.profiles.clone(),
            title: d.title.clone().unwrap_or_else(|| CLASSIC_TITLE.to_owned()),
            subnet: d.subnet.clone(),
        }
    }
}

/// Why `--reference` (with `--platform`) cannot be used with this catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditionError {
    /// No edition has this id.
    #[error("--reference {asked}: no such edition of the reference (known: {known}, or latest)")]
    Unknown {
        /// What was asked for.
        asked: String,
        /// The ids the catalog declares.
        known: String,
    },
    /// The catalog declares no editions, and one was asked for by name.
    #[error(
        "--reference {asked}: this catalog declares no editions ([[edition]]); leave --reference out"
    )]
    NoEditions {
        /// What was asked for.
        asked: String,
    },
    /// The edition has no table for the platform.
    #[error("{0}")]
    NoPlatform(String),
    /// The edition is of a page that does not describe this tier and mode.
    #[error(
        "--reference {asked}: that edition is of the page for {of}; {profile} is described by {known} (or latest)"
    )]
    OtherProfile {
        /// What was asked for.
        asked: String,
        /// The profiles its page describes.
        of: String,
        /// The profile in use.
        profile: String,
        /// The editions that describe it.
        known: String,
    },
}

/// `2023-11, 2025-06`, oldest first.
pub fn ids(editions: &[Edition]) -> String {
    let mut list: Vec<&Edition> = editions.iter().collect();
    list.sort_by(|a, b| a.date.cmp(&b.date));
    list.iter()
        .map(|e| e.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `2024-08-31` → `31 August 2024` (the date as the retirement notice writes it).
pub fn long_date(iso: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => match (m.parse::<usize>(), d.parse::<u8>()) {
            (Ok(m @ 1..=12), Ok(d)) => format!("{d} {} {y}", MONTHS[m - 1]),
            _ => iso.to_owned(),
        },
        _ => iso.to_owned(),
    }
}

/// Whether `text` is a date `YYYY-MM-DD` with a real month and day.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && text[..4].bytes().all(|c| c.is_ascii_digit())
        && matches!(text[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(text[8..10].parse::<u8>(), Ok(1..=31))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_date("2025-06-17"));
        assert!(!is_date("2025-13-01"));
        assert!(!is_date("2025-6-17"));
        assert!(!is_date("06/17/2025"));
        assert_eq!(long_date("2024-08-31"), "31 August 2024");
    }
}
