//! Azure regions as regional service tags spell them: `westeurope` (what `--region` takes) is
//! `WestEurope` in `Storage.WestEurope`. The table is data kept with the catalog,
//! `probes/regions.toml`, embedded at build time; nothing here depends on what uses it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::model::Cloud;

/// Service tags with regional variants an NSG may name instead (the reference, "Regional
/// service tags").
pub const REGIONAL_TAGS: &[&str] = &["Storage", "Sql", "EventHub"];

/// The region table as written, embedded.
pub const REGIONS_TOML: &str = include_str!("../../probes/regions.toml");

/// The file name of the region table in `probes/`: the catalog loader leaves it out.
pub const REGIONS_FILE: &str = "regions.toml";

/// Region short name (lowercase) → tag spelling, per cloud.
type Table = BTreeMap<Cloud, BTreeMap<String, String>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The file is part of the binary and checked by a unit test, so it cannot be malformed.
        toml::from_str(REGIONS_TOML).expect("probes/regions.toml is a valid region table")
    })
}

/// How regional service tags of `cloud` spell `region` (`westeurope` → `WestEurope`), or `None`
/// when the cloud has no such region. `region` is matched case-insensitively.
pub fn tag_region(cloud: Cloud, region: &str) -> Option<&'static str> {
    let region = region.to_ascii_lowercase();
    table().get(&cloud)?.get(&region).map(String::as_str)
}

/// The regional tag of `tag` for `region` (`Storage`, `westeurope` → `Storage.WestEurope`).
pub fn regional_tag(cloud: Cloud, tag: &str, region: &str) -> Option<String> {
    tag_region(cloud, region).map(|r| format!("{}.{r}", base_tag(tag)))
}

/// The region short name of a tag suffix (`WestEurope` or `westeurope` → `westeurope`), in
/// `cloud`, or `None` when the suffix names no region of it.
pub fn region_of_suffix(cloud: Cloud, suffix: &str) -> Option<&'static str> {
    table()
        .get(&cloud)?
        .iter()
        .find(|(short, spelled)| {
            spelled.eq_ignore_ascii_case(suffix) || short.eq_ignore_ascii_case(suffix)
        })
        .map(|(short, _)| short.as_str())
}

/// The cloud that has `region`, if any.
pub fn cloud_of(region: &str) -> Option<Cloud> {
    let region = region.to_ascii_lowercase();
    table()
        .iter()
        .find(|(_, regions)| regions.contains_key(&region))
        .map(|(cloud, _)| *cloud)
}

/// Every region short name of `cloud`, in name order.
pub fn regions(cloud: Cloud) -> Vec<&'static str> {
    table()
        .get(&cloud)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// A tag without its region: `Storage.WestEurope` → `Storage`.
pub fn base_tag(tag: &str) -> &str {
    tag.split_once('.').map_or(tag, |(base, _)| base)
}

/// The region part of a tag, if it has one: `Storage.WestEurope` → `WestEurope`.
pub fn tag_suffix(tag: &str) -> Option<&str> {
    tag.split_once('.').map(|(_, suffix)| suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_regions_per_cloud() {
        assert_eq!(tag_region(Cloud::Public, "westeurope"), Some("WestEurope"));
        assert_eq!(tag_region(Cloud::Public, "WestEurope"), Some("WestEurope"));
        assert_eq!(
            tag_region(Cloud::Usgov, "usgovvirginia"),
            Some("USGovVirginia")
        );
        assert_eq!(tag_region(Cloud::China, "chinanorth2"), Some("ChinaNorth2"));
        assert_eq!(tag_region(Cloud::Public, "usgovvirginia"), None);
        assert_eq!(
            regional_tag(Cloud::Public, "Storage", "westeurope").as_deref(),
            Some("Storage.WestEurope")
        );
        assert_eq!(
            region_of_suffix(Cloud::Public, "northeurope"),
            Some("northeurope")
        );
        assert_eq!(cloud_of("usdodeast"), Some(Cloud::Usgov));
        assert_eq!(base_tag("Sql.WestEurope"), "Sql");
        assert_eq!(tag_suffix("Sql"), None);
    }

    #[test]
    fn the_table_is_well_formed() {
        for cloud in [Cloud::Public, Cloud::Usgov, Cloud::China] {
            let names = regions(cloud);
            assert!(!names.is_empty(), "{cloud:?} has regions");
            for name in names {
                let spelled = tag_region(cloud, name).unwrap();
                assert!(
                    name.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                );
                assert_eq!(
                    spelled.to_ascii_lowercase(),
                    name,
                    "{spelled} spells {name}"
                );
                assert_eq!(cloud_of(name), Some(cloud), "{name} is in one cloud only");
            }
        }
    }
}
