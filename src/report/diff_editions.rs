//! When two reports were checked against different editions of the VNet reference, some
//! probes differ only because of that: a row one edition has and the other does not (the
//! certificate-validation row of 2025-06, the Storage 445 row of 2023-11). `diff` marks them so
//! that a reader tells a changed requirement from a changed network; a required probe that only
//! the old edition had does not fail the diff.

use std::collections::HashSet;

use super::diff::{Change, Diff, key};
use super::model::Report;

/// Marks the changes the editions explain, and counts again.
pub fn mark(d: &mut Diff, old: &Report, new: &Report) {
    let (Some(a), Some(b)) = (&old.reference, &new.reference) else {
        return;
    };
    if a.edition == b.edition {
        return;
    }
    // The dependency ids each report's edition has: a probe whose id the other report lacks
    // altogether belongs to one edition only. (A host added within a row is not marked: its
    // row exists in both.)
    let ids =
        |r: &Report| -> HashSet<String> { r.results.iter().map(|e| e.spec.id.clone()).collect() };
    let (old_ids, new_ids) = (ids(old), ids(new));
    let only_new = |c: &Change| c.old.is_none() && !old_ids.contains(&c.id);
    for c in d.regressed.iter_mut().chain(d.new.iter_mut()) {
        if only_new(c) {
            c.edition = Some(format!("only in {}", b.edition));
        }
    }
    for c in &mut d.gone {
        if !new_ids.contains(&c.id) {
            c.edition = Some(format!("only in {}", a.edition));
        }
    }
    // A probe both reports have, that the editions call required and optional.
    let old_required: std::collections::HashMap<_, bool> = old
        .results
        .iter()
        .map(|e| (key(e), e.spec.required))
        .collect();
    for c in d.regressed.iter_mut().chain(d.fixed.iter_mut()) {
        let k = (c.id.as_str(), c.host.as_deref(), c.port, c.transport);
        if c.edition.is_none()
            && let Some(&was) = old_required.get(&k)
            && was != c.required
        {
            let word = |r: bool| if r { "required" } else { "optional" };
            c.edition = Some(format!(
                "{} in {}, {} in {}",
                word(was),
                a.edition,
                word(c.required),
                b.edition
            ));
        }
    }
    d.count();
}
