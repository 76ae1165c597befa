//! Columns checked against different editions of the VNet reference: each such column says so in
//! a note, and a row that only the columns of some editions have (the certificate-validation row
//! of 2025-06, the Storage 445 row of 2023-11) is marked, so that nobody reads a changed
//! requirement as a difference between VMs.

use super::model::{CellClass, Row};
use super::source::Source;

/// Notes the columns and marks the rows when editions differ; returns the editions named,
/// oldest first (ids are `YYYY-MM`, so their order is their age).
pub fn mark(sources: &mut [Source], rows: &mut [Row]) -> Vec<String> {
    let mut editions: Vec<String> = sources.iter().filter_map(|s| s.reference.clone()).collect();
    editions.sort();
    editions.dedup();
    if editions.len() < 2 {
        return editions;
    }
    for s in sources.iter_mut() {
        let own = s.reference.as_deref().unwrap_or("unnamed");
        let others: Vec<&str> = editions
            .iter()
            .map(String::as_str)
            .filter(|e| *e != own)
            .collect();
        s.notes.push(format!(
            "checked against the {own} edition of the VNet reference (other columns: {}); rows marked [edition] differ only because of that",
            others.join(", ")
        ));
    }
    for row in rows.iter_mut() {
        row.edition = only_in(sources, row);
        if let Some(which) = &row.edition {
            for (cell, s) in row.cells.iter_mut().zip(sources.iter()) {
                if lacks(cell.class, &cell.status) {
                    cell.detail = format!(
                        "the {} edition has no such row",
                        s.reference.as_deref().unwrap_or("unnamed")
                    );
                }
            }
            let mark = format!("[edition: {which}]");
            row.note = if row.note.is_empty() {
                mark
            } else {
                format!("{} {mark}", row.note)
            };
        }
    }
    editions
}

/// Whether a cell says its column has no such row (a report without it, an evaluation without
/// a flow for it).
fn lacks(class: CellClass, status: &str) -> bool {
    (class == CellClass::Unknown && status == "absent") || class == CellClass::NotApplicable
}

/// `only in 2025-06` when the columns that have the row and those that lack it are split by
/// edition: every lacking column names an edition, and none of those editions has the row.
fn only_in(sources: &[Source], row: &Row) -> Option<String> {
    let mut having: Vec<&str> = Vec::new();
    let mut lacking: Vec<&str> = Vec::new();
    for (cell, s) in row.cells.iter().zip(sources) {
        let edition = s.reference.as_deref();
        if lacks(cell.class, &cell.status) {
            lacking.push(edition?);
        } else if let Some(e) = edition {
            having.push(e);
        }
    }
    if lacking.is_empty() || having.is_empty() || lacking.iter().any(|e| having.contains(e)) {
        return None;
    }
    having.sort_unstable();
    having.dedup();
    Some(format!("only in {}", having.join(", ")))
}
