//! The rules editions keep, checked while the catalog loads: each edition declared once with a
//! date and a URL; a row names only declared editions (all rows do, or none); a change is keyed
//! by an edition the row belongs to; a row's platforms exist in each of its editions.
//!
//! Problems carry a span and a field; `load` turns them into file:line:column errors.

use std::ops::Range;

use super::editions::{Edition, EditionDef, is_date};
use super::model::Dependency;

/// What is wrong, and where (a byte span of the file and the TOML key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file.
    pub span: Option<Range<usize>>,
    /// The key at fault.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn problem(span: Range<usize>, field: &'static str, message: String) -> Problem {
    Problem {
        span: Some(span),
        field,
        message,
    }
}

/// One `[[edition]]`, against those declared before it.
pub fn check_edition(def: &EditionDef, earlier: &[Edition]) -> Result<Edition, Problem> {
    let id = def.id.get_ref();
    // `2025-06`, or a page's own prefix before it: `v2-injection-2026-02`.
    let k = id.len().saturating_sub(7);
    let (prefix, month) = if id.is_char_boundary(k) {
        id.split_at(k)
    } else {
        ("?", id.as_str())
    };
    let prefix_ok = prefix.is_empty()
        || (prefix.ends_with('-')
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    if !(prefix_ok && is_date(&format!("{month}-01"))) {
        return Err(problem(
            def.id.span(),
            "id",
            format!(
                "edition id `{id}` must be the page's year and month, YYYY-MM (another page's: its name, then YYYY-MM)"
            ),
        ));
    }
    if earlier.iter().any(|e| e.id == *id) {
        return Err(problem(
            def.id.span(),
            "id",
            format!("edition `{id}` is declared twice"),
        ));
    }
    let Some(date) = &def.date else {
        return Err(problem(
            def.id.span(),
            "date",
            format!("edition `{id}` has no `date` (the page's own date, {month}-DD)"),
        ));
    };
    if !is_date(date.get_ref()) || !date.get_ref().starts_with(month) {
        let date = date.get_ref();
        return Err(problem(
            def.date.as_ref().map_or(def.id.span(), toml::Spanned::span),
            "date",
            format!("edition `{id}`: date `{date}` must be the page's date, {month}-DD"),
        ));
    }
    let url = def.url.get_ref();
    if !url.starts_with("https://") {
        return Err(problem(
            def.url.span(),
            "url",
            format!("edition `{id}`: url `{url}` must be the public https:// page"),
        ));
    }
    if def.profiles.is_empty() {
        return Err(problem(
            def.id.span(),
            "profiles",
            format!("edition `{id}` describes no profile"),
        ));
    }
    check_subnets(def)?;
    if def.platforms.is_empty() {
        return Err(problem(
            def.id.span(),
            "platforms",
            format!("edition `{id}` lists no platform tables"),
        ));
    }
    Ok(Edition::from(def))
}

/// An edition's subnet requirements: for its own profiles, with sizes that are prefix lengths.
fn check_subnets(def: &EditionDef) -> Result<(), Problem> {
    let id = def.id.get_ref();
    for spec in &def.subnet {
        if let Some(p) = spec.profiles.iter().find(|p| !def.profiles.contains(p)) {
            return Err(problem(
                def.id.span(),
                "subnet",
                format!(
                    "edition `{id}`: a subnet requirement for {p}, which the edition does not describe"
                ),
            ));
        }
        let sizes_ok = |n: Option<u8>| n.is_none_or(|n| (8..=29).contains(&n));
        if !(sizes_ok(spec.smallest) && sizes_ok(spec.largest) && sizes_ok(spec.recommended)) {
            return Err(problem(
                def.id.span(),
                "subnet",
                format!("edition `{id}`: subnet sizes are prefix lengths between 8 and 29"),
            ));
        }
    }
    Ok(())
}

/// A row's `editions` and `changed`, against the catalog's editions.
pub fn check_row(dep: &Dependency, editions: &[Edition]) -> Result<(), Problem> {
    let id = dep.id.get_ref();
    let Some(list) = &dep.editions else {
        if editions.is_empty() {
            return changes_without_editions(dep);
        }
        return Err(problem(
            dep.id.span(),
            "editions",
            format!(
                "dependency `{id}` must say which editions of the reference it belongs to (editions = [\"{}\"])",
                editions.last().map_or("", |e| e.id.as_str())
            ),
        ));
    };
    if list.is_empty() {
        return Err(problem(
            dep.id.span(),
            "editions",
            format!("dependency `{id}`: `editions` is empty"),
        ));
    }
    for e in list {
        let Some(edition) = editions.iter().find(|x| x.id == *e.get_ref()) else {
            return Err(unknown(e.span(), "editions", e.get_ref(), editions));
        };
        if !dep.platforms.iter().any(|p| edition.platforms.contains(p)) {
            let msg = format!(
                "dependency `{id}` is for {} only, but edition `{}` has no such table",
                names(&dep.platforms),
                edition.id
            );
            return Err(problem(e.span(), "editions", msg));
        }
    }
    for (key, change) in &dep.changed {
        if !editions.iter().any(|x| x.id == *key) {
            return Err(unknown(change.span(), "changed", key, editions));
        }
        if !list.iter().any(|e| e.get_ref() == key) {
            let msg = format!(
                "dependency `{id}`: a change for edition `{key}`, which the row is not part of (editions = [{}])",
                list.iter()
                    .map(|e| format!("\"{}\"", e.get_ref()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Err(problem(change.span(), "changed", msg));
        }
    }
    Ok(())
}

fn changes_without_editions(dep: &Dependency) -> Result<(), Problem> {
    match dep.changed.iter().next() {
        Some((key, change)) => Err(problem(
            change.span(),
            "changed",
            format!(
                "dependency `{}`: a change for edition `{key}`, but the catalog declares no editions ([[edition]])",
                dep.id.get_ref()
            ),
        )),
        None => Ok(()),
    }
}

fn unknown(span: Range<usize>, field: &'static str, id: &str, editions: &[Edition]) -> Problem {
    let known = if editions.is_empty() {
        "the catalog declares none ([[edition]])".to_owned()
    } else {
        format!("known: {}", super::editions::ids(editions))
    };
    problem(span, field, format!("unknown edition `{id}` ({known})"))
}

fn names(platforms: &[super::model::Platform]) -> String {
    platforms
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
