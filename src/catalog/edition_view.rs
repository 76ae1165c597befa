//! The catalog as one edition of the reference reads: `--reference` chooses the edition
//! (`latest`: the newest by date), [`select`] keeps that edition's rows and applies what the
//! edition (and those before it) changed in them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Catalog;
use super::editions::{Edition, EditionError, LATEST, ids, long_date};
use super::model::{Dependency, Platform, RowChange};
use super::profile::Profile;

/// The edition `--reference` names for a profile (`latest`: the newest by date of the editions
/// that describe it), if the catalog has editions.
pub fn find<'a>(
    editions: &'a [Edition],
    asked: &str,
    profile: Profile,
) -> Result<Option<&'a Edition>, EditionError> {
    let mine: Vec<Edition> = editions
        .iter()
        .filter(|e| e.profiles.contains(&profile))
        .cloned()
        .collect();
    if asked == LATEST {
        return Ok(editions
            .iter()
            .filter(|e| e.profiles.contains(&profile))
            .max_by(|a, b| a.date.cmp(&b.date)));
    }
    if editions.is_empty() {
        return Err(EditionError::NoEditions {
            asked: asked.to_owned(),
        });
    }
    let Some(found) = editions.iter().find(|e| e.id == asked) else {
        return Err(EditionError::Unknown {
            asked: asked.to_owned(),
            known: ids(&mine),
        });
    };
    if !found.profiles.contains(&profile) {
        let of: Vec<&str> = found.profiles.iter().map(|p| p.as_str()).collect();
        return Err(EditionError::OtherProfile {
            asked: asked.to_owned(),
            of: of.join(", "),
            profile: profile.as_str().to_owned(),
            known: if mine.is_empty() {
                "no edition of this catalog".to_owned()
            } else {
                ids(&mine)
            },
        });
    }
    Ok(Some(found))
}

/// The catalog as the edition `asked` reads for `platform`: only the rows of that edition, each
/// with the changes of that edition and the ones before it applied. A catalog without editions
/// is returned as it is.
pub fn select(
    catalog: &Catalog,
    asked: &str,
    platform: Platform,
    profile: Profile,
) -> Result<Catalog, EditionError> {
    let Some(edition) = find(&catalog.editions, asked, profile)? else {
        if profile != Profile::Classic && !catalog.editions.is_empty() {
            return Err(EditionError::OtherProfile {
                asked: asked.to_owned(),
                of: "other tiers".to_owned(),
                profile: profile.as_str().to_owned(),
                known: "no edition of this catalog".to_owned(),
            });
        }
        return Ok(catalog.clone());
    };
    if !edition.platforms.contains(&platform) {
        return Err(EditionError::NoPlatform(no_platform(
            catalog, edition, platform,
        )));
    }
    let dependencies: Vec<Dependency> = catalog
        .dependencies
        .iter()
        .filter(|d| d.profiles.as_ref().is_none_or(|p| p.contains(&profile)))
        .filter_map(|d| resolve(d, &catalog.editions, edition))
        .collect();
    let mut elsewhere: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &catalog.dependencies {
        let id = d.id.get_ref();
        if dependencies.iter().any(|k| k.id.get_ref() == id) {
            continue;
        }
        let list = elsewhere.entry(id.clone()).or_default();
        for e in d.editions.iter().flatten() {
            if !list.contains(e.get_ref()) {
                list.push(e.get_ref().clone());
            }
        }
    }
    Ok(Catalog {
        dependencies,
        edition: Some(edition.clone()),
        elsewhere,
        ..catalog.clone()
    })
}

/// "--platform stv1: the 2025-06 edition … has no stv1 table (stv1 was retired on …); --reference
/// 2023-11 still has it".
fn no_platform(catalog: &Catalog, edition: &Edition, platform: Platform) -> String {
    let mut msg = format!(
        "--platform {platform}: the {} edition of the reference ({}) has no {platform} table",
        edition.id, edition.date
    );
    if let Some(r) = catalog.retired.iter().find(|r| r.name == platform) {
        let _ = write!(
            msg,
            " ({platform} was retired on {}: {})",
            long_date(&r.retired),
            r.notice
        );
    }
    let older = catalog
        .editions
        .iter()
        .filter(|e| e.platforms.contains(&platform))
        .max_by(|a, b| a.date.cmp(&b.date));
    if let Some(older) = older {
        let _ = write!(msg, "; --reference {} still has its table", older.id);
    }
    msg
}

/// The row as `edition` reads it, or `None` when the row is not part of it.
pub fn resolve(dep: &Dependency, editions: &[Edition], edition: &Edition) -> Option<Dependency> {
    let member = dep
        .editions
        .as_ref()
        .is_none_or(|list| list.iter().any(|e| *e.get_ref() == edition.id));
    if !member {
        return None;
    }
    let mut row = dep.clone();
    // Changes apply from their edition on, oldest first, so a later change wins.
    let mut changes: Vec<(&str, &RowChange)> = dep
        .changed
        .iter()
        .filter_map(|(id, c)| {
            // A change belongs to its page: an edition of another page never applies here.
            let e = editions.iter().find(|e| e.id == *id)?;
            let same_page = e.profiles == edition.profiles;
            (same_page && e.date <= edition.date).then_some((e.date.as_str(), c.get_ref()))
        })
        .collect();
    changes.sort_by_key(|(date, _)| *date);
    for (_, c) in changes {
        c.apply(&mut row);
    }
    row.changed.clear();
    Some(row)
}
