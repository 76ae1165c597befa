//! What the text formats of the matrix share: the verdict line, cell words with a symbol (so the
//! state reads without colour), a VM's place and counts, and which rows a wide matrix shows.

use super::model::{CellClass, Column, Counts, Matrix, Row, Verdict};

/// Most columns printed side by side; a wider matrix lists only the rows that fail somewhere,
/// each with its note.
pub const MAX_SIDE_BY_SIDE: usize = 8;

/// Which edition of the VNet reference the columns were checked against: one line, naming the
/// columns of each when they differ; `None` when no column says.
pub fn references_line(m: &Matrix) -> Option<String> {
    match m.references.as_slice() {
        [] => None,
        [one] => Some(format!("checked against the VNet reference {one}")),
        many => {
            let groups: Vec<String> = many
                .iter()
                .map(|e| {
                    let names: Vec<&str> = m
                        .columns
                        .iter()
                        .filter(|c| c.reference.as_deref() == Some(e))
                        .map(|c| c.label.as_str())
                        .collect();
                    format!("{e} ({})", list(&names))
                })
                .collect();
            Some(format!(
                "checked against different editions of the VNet reference: {}; rows marked [edition] differ only because of that",
                groups.join(", ")
            ))
        }
    }
}

/// The one-line verdict of the merge.
pub fn verdict_line(m: &Matrix) -> String {
    let n = m.columns.len();
    let names = |v: Verdict| -> Vec<&str> {
        m.columns
            .iter()
            .filter(|c| c.verdict == v)
            .map(|c| c.label.as_str())
            .collect()
    };
    let failed = names(Verdict::Fail);
    let unknown = names(Verdict::Unknown);
    if failed.is_empty() && unknown.is_empty() {
        return format!(
            "VERDICT: PASS — every VM reaches every required dependency ({n} {})",
            plural(n, "VM", "VMs")
        );
    }
    let mut parts = Vec::new();
    if !failed.is_empty() {
        parts.push(format!(
            "{} of {n} with a required failure: {}",
            failed.len(),
            list(&failed)
        ));
    }
    if !unknown.is_empty() {
        parts.push(format!(
            "{} of {n} without a verdict: {}",
            unknown.len(),
            list(&unknown)
        ));
    }
    format!("VERDICT: FAIL — {}", parts.join("; "))
}

fn list(names: &[&str]) -> String {
    const SHOWN: usize = 10;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{}, +{} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// `word` or `words` by count.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A symbol per class, so a cell reads without colour: ✓ ok, ✗ failed, – skipped, · not
/// failed, ? unknown, blank for does not apply.
pub fn symbol(class: CellClass) -> &'static str {
    match class {
        CellClass::Ok => "✓",
        CellClass::Failed => "✗",
        CellClass::Skipped => "–",
        CellClass::NotFailed => "·",
        CellClass::Unknown => "?",
        CellClass::NotApplicable => " ",
    }
}

/// `westeurope, 10.0.1.0/24`, or `-`.
pub fn place(c: &Column) -> String {
    let parts: Vec<&str> = [c.key.region.as_deref(), c.key.subnet.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}

/// `ok 80, failed 3 (required 2), skipped 7, unknown 0`.
pub fn counts(c: &Counts) -> String {
    format!(
        "ok {}, failed {} (required {}), skipped {}, unknown {}",
        c.ok, c.failed, c.failed_required, c.skipped, c.unknown
    )
}

/// The verdict word, upper case.
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Unknown => "NO VERDICT",
    }
}

/// The rows a text format prints, and how many it leaves out: every row when the columns fit
/// side by side, else the rows that differ or fail somewhere.
pub fn shown_rows(m: &Matrix) -> (Vec<&Row>, usize) {
    if m.columns.len() <= MAX_SIDE_BY_SIDE {
        return (m.rows.iter().collect(), 0);
    }
    let shown: Vec<&Row> = m
        .rows
        .iter()
        .filter(|r| r.differs || !r.note.is_empty())
        .collect();
    let hidden = m.rows.len() - shown.len();
    (shown, hidden)
}

/// `sql db.example.net:1433/tcp`.
pub fn row_name(r: &Row) -> String {
    format!("{} {}", r.id, r.target)
}
