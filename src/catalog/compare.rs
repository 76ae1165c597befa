//! What changed between two editions of the reference (`list --compare`): each catalog row read
//! as both editions read it — added (only the newer has it), removed (only the older), or
//! changed (field by field). Pure: the catalog and two editions in, a [`Comparison`] out.
//!
//! A row's platforms are compared only over the tables both editions have, so that a retired
//! platform is said once ([`Comparison::platforms`]) rather than on every row.

use serde::Serialize;

use super::Catalog;
use super::edition_view::resolve;
use super::editions::Edition;
use super::model::{Cloud, Dependency, Direction, Platform};

/// The differences between two editions.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The edition compared from (`--compare`).
    pub from: Edition,
    /// The edition compared to (`--reference`).
    pub to: Edition,
    /// Platform tables only one of them has, in words (`stv1: only in 2023-11 …`).
    pub platforms: Vec<String>,
    /// One entry per row that differs, in catalog order.
    pub rows: Vec<RowChange>,
}

/// How a row differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Only the `to` edition has it.
    Added,
    /// Only the `from` edition has it.
    Removed,
    /// Both have it, with other fields.
    Changed,
}

names!(Kind {
    Added => "added",
    Removed => "removed",
    Changed => "changed",
});

/// One row that differs.
#[derive(Debug, Clone, Serialize)]
pub struct RowChange {
    /// Added, removed or changed.
    pub change: Kind,
    /// The row's id.
    pub id: String,
    /// `outbound`, `inbound` or `peer`.
    pub direction: Direction,
    /// The service tag an NSG rule names (the destination; the source of an inbound row).
    pub tag: String,
    /// The ports, as the catalog writes them (`5671`, `6381-6383`).
    pub ports: String,
    /// `tcp`, `udp` or both.
    pub transport: String,
    /// Required in the edition that has it (the `to` edition when both do).
    pub required: bool,
    /// The platform tables it is in (in the edition that has it; the `to` edition when both do).
    pub platforms: Vec<Platform>,
    /// What the row is for (as the edition that has it says; the `to` edition when both do).
    pub purpose: String,
    /// For a changed row: each field that differs.
    pub fields: Vec<FieldChange>,
}

/// One field of a changed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field (`required`, `hosts`, `destination` …).
    pub field: String,
    /// Its value in the `from` edition.
    pub from: String,
    /// Its value in the `to` edition.
    pub to: String,
}

impl Comparison {
    /// Counts: (added, removed, changed).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |k: Kind| self.rows.iter().filter(|r| r.change == k).count();
        (n(Kind::Added), n(Kind::Removed), n(Kind::Changed))
    }
}

/// Compares the rows of `catalog` (as loaded, every edition) between `from` and `to`.
pub fn compare(catalog: &Catalog, from: &Edition, to: &Edition) -> Comparison {
    let common: Vec<Platform> = from
        .platforms
        .iter()
        .copied()
        .filter(|p| to.platforms.contains(p))
        .collect();
    let mut rows = Vec::new();
    for dep in &catalog.dependencies {
        let a = resolve(dep, &catalog.editions, from);
        let b = resolve(dep, &catalog.editions, to);
        let change = match (&a, &b) {
            (None, Some(b)) => Some(row(Kind::Added, b, Vec::new(), &to.platforms)),
            (Some(a), None) => Some(row(Kind::Removed, a, Vec::new(), &from.platforms)),
            (Some(a), Some(b)) => {
                let fields = fields(a, b, &common);
                (!fields.is_empty()).then(|| row(Kind::Changed, b, fields, &to.platforms))
            }
            (None, None) => None,
        };
        rows.extend(change);
    }
    Comparison {
        from: from.clone(),
        to: to.clone(),
        platforms: platform_lines(catalog, from, to),
        rows,
    }
}

fn platform_lines(catalog: &Catalog, from: &Edition, to: &Edition) -> Vec<String> {
    let mut out = Vec::new();
    for (have, lack) in [(from, to), (to, from)] {
        for p in have
            .platforms
            .iter()
            .filter(|p| !lack.platforms.contains(p))
        {
            let why = catalog
                .retired
                .iter()
                .find(|r| r.name == *p)
                .map_or_else(String::new, |r| {
                    format!(
                        " ({p} was retired on {}: {})",
                        super::editions::long_date(&r.retired),
                        r.notice
                    )
                });
            out.push(format!(
                "{p}: a table only the {} edition has{why}",
                have.id
            ));
        }
    }
    out
}

fn row(change: Kind, d: &Dependency, fields: Vec<FieldChange>, tables: &[Platform]) -> RowChange {
    RowChange {
        change,
        id: d.id.get_ref().clone(),
        direction: d.direction,
        tag: tag(d).to_owned(),
        ports: ports(d),
        transport: d
            .transport
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join("+"),
        required: d.required,
        platforms: d
            .platforms
            .iter()
            .copied()
            .filter(|p| tables.contains(p))
            .collect(),
        purpose: d.purpose.clone(),
        fields,
    }
}

fn tag(d: &Dependency) -> &str {
    match d.direction {
        Direction::Inbound => &d.source,
        Direction::Outbound | Direction::Peer => &d.destination,
    }
}

fn ports(d: &Dependency) -> String {
    d.ports
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields that differ, in the order a reader weighs them.
fn fields(a: &Dependency, b: &Dependency, common: &[Platform]) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: &str, x: String, y: String| {
        if x != y {
            out.push(FieldChange {
                field: field.to_owned(),
                from: x,
                to: y,
            });
        }
    };
    let word = |r: bool| if r { "required" } else { "optional" }.to_owned();
    push("required", word(a.required), word(b.required));
    push("destination", a.destination.clone(), b.destination.clone());
    push("source", a.source.clone(), b.source.clone());
    push("ports", ports(a), ports(b));
    let on = |d: &Dependency| {
        let list: Vec<&str> = d
            .platforms
            .iter()
            .filter(|p| common.contains(p))
            .map(|p| p.as_str())
            .collect();
        list.join(", ")
    };
    push("platforms", on(a), on(b));
    let vnet = |d: &Dependency| {
        d.vnet
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    push("vnet", vnet(a), vnet(b));
    push("hosts", hosts(a), hosts(b));
    push("purpose", a.purpose.clone(), b.purpose.clone());
    let skip = |d: &Dependency| d.skip.clone().unwrap_or_default();
    push("skip", skip(a), skip(b));
    out
}

/// The hosts of a row, every cloud: `a, b` when the clouds agree, else `public: a; usgov: b`.
fn hosts(d: &Dependency) -> String {
    let Some(set) = &d.hosts else {
        return String::new();
    };
    let per: Vec<(Cloud, String)> = Cloud::ALL
        .iter()
        .map(|&c| {
            let list = set.get_ref().for_cloud(c).unwrap_or_default();
            let names: Vec<&str> = list.iter().map(|h| h.name.as_str()).collect();
            (c, names.join(", "))
        })
        .collect();
    if per.iter().all(|(_, h)| *h == per[0].1) {
        return per[0].1.clone();
    }
    per.iter()
        .map(|(c, h)| format!("{c}: {h}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::load;

    #[test]
    fn names_agree_with_serde() {
        crate::names::assert_serde_agrees(Kind::ALL, |v| v.as_str());
    }

    #[test]
    fn the_embedded_editions_differ_as_the_page_does() {
        let c = load::embedded().unwrap();
        let edition = |id: &str| c.editions.iter().find(|e| e.id == id).unwrap();
        let (old, new) = (edition("2023-11"), edition("2025-06"));
        let cmp = compare(&c, old, new);
        let find = |id: &str, k: Kind| cmp.rows.iter().find(|r| r.id == id && r.change == k);
        let added = find("cert-validation", Kind::Added).expect("the new required row");
        assert!(added.required && added.tag == "Internet" && added.ports == "80");
        assert!(find("file-share", Kind::Removed).is_some());
        let tls = find("tls-chain", Kind::Changed).expect("hosts moved");
        assert!(tls.fields.iter().any(|f| f.field == "hosts"
            && f.from.contains("ocsp.msocsp.com")
            && f.to.contains("oneocsp.microsoft.com")));
        let portal = find("portal-publishing", Kind::Changed).unwrap();
        assert!(
            portal.fields.iter().any(|f| f.field == "destination"
                && f.from == "Storage.WestUS"
                && f.to == "Storage")
        );
        assert!(cmp.platforms[0].starts_with("stv1: a table only the 2023-11 edition has"));
        // Backwards, the same rows the other way round.
        let back = compare(&c, new, old);
        assert_eq!(
            back.counts(),
            (cmp.counts().1, cmp.counts().0, cmp.counts().2)
        );
    }
}
