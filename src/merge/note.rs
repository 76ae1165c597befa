//! Where a row fails, in words: whether its columns disagree, and a note such as `fails from
//! westeurope-vm only (timeout)`.

use super::model::{Cell, CellClass};

/// How many names a note lists before it says how many more.
const NAMES: usize = 3;

/// Whether the columns that know the row disagree: different statuses, or a failure where a
/// compact output says it did not fail. Cells that know nothing are left out.
pub fn differs(cells: &[Cell]) -> bool {
    let mut first: Option<&str> = None;
    let mut any_failed = false;
    let mut not_failed = false;
    let mut mixed = false;
    for c in cells {
        match c.class {
            CellClass::Unknown | CellClass::NotApplicable => {}
            CellClass::NotFailed => not_failed = true,
            CellClass::Ok | CellClass::Skipped | CellClass::Failed => {
                any_failed |= c.class == CellClass::Failed;
                match first {
                    None => first = Some(&c.status),
                    Some(s) if s != c.status => mixed = true,
                    Some(_) => {}
                }
            }
        }
    }
    mixed || (not_failed && any_failed)
}

/// The row's note: where it fails (`fails from a, b only (timeout)`, `fails from every VM
/// (refused)`, `fails from 12 of 1000 (a, b, c, +9 more)`), or, when nothing fails but the
/// columns disagree, where it was skipped; empty otherwise.
pub fn note(cells: &[Cell], labels: &[String]) -> String {
    let known: Vec<usize> = (0..cells.len())
        .filter(|&i| {
            !matches!(
                cells[i].class,
                CellClass::Unknown | CellClass::NotApplicable
            )
        })
        .collect();
    let applicable = cells
        .iter()
        .filter(|c| c.class != CellClass::NotApplicable)
        .count();
    let failing: Vec<usize> = known
        .iter()
        .copied()
        .filter(|&i| cells[i].class == CellClass::Failed)
        .collect();
    if failing.is_empty() {
        let skipped: Vec<usize> = known
            .iter()
            .copied()
            .filter(|&i| cells[i].class == CellClass::Skipped)
            .collect();
        if skipped.is_empty() || skipped.len() == known.len() {
            return String::new();
        }
        return format!("skipped from {}", place(&skipped, labels, known.len()));
    }
    let statuses = statuses(cells, &failing, labels);
    if failing.len() == known.len() && known.len() == applicable {
        format!("fails from every VM ({statuses})")
    } else if failing.len() == known.len() {
        format!(
            "fails from {} ({statuses}); the others do not say",
            names_or_count(&failing, labels, applicable)
        )
    } else {
        format!(
            "fails from {} ({statuses})",
            place(&failing, labels, known.len())
        )
    }
}

/// `a, b only`, or `12 of 1000 VMs: a, b, c, +9 more`.
fn place(which: &[usize], labels: &[String], of: usize) -> String {
    if which.len() <= NAMES {
        format!("{} only", names(which, labels))
    } else {
        format!("{} of {of} VMs: {}", which.len(), names(which, labels))
    }
}

/// `a, b`, or `12 of 1000 VMs: a, b, c, +9 more`.
fn names_or_count(which: &[usize], labels: &[String], of: usize) -> String {
    if which.len() <= NAMES {
        names(which, labels)
    } else {
        format!("{} of {of} VMs: {}", which.len(), names(which, labels))
    }
}

/// `a, b` or `a, b, c, +9 more`.
fn names(which: &[usize], labels: &[String]) -> String {
    let shown: Vec<&str> = which
        .iter()
        .take(NAMES)
        .map(|&i| labels[i].as_str())
        .collect();
    if which.len() <= NAMES {
        shown.join(", ")
    } else {
        format!("{}, +{} more", shown.join(", "), which.len() - NAMES)
    }
}

/// `timeout` when every failing column says the same, else `timeout: a; refused: b`.
fn statuses(cells: &[Cell], failing: &[usize], labels: &[String]) -> String {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for &i in failing {
        let s = cells[i].status.as_str();
        match groups.iter_mut().find(|(g, _)| *g == s) {
            Some((_, v)) => v.push(i),
            None => groups.push((s, vec![i])),
        }
    }
    if groups.len() == 1 {
        return groups[0].0.to_owned();
    }
    groups
        .iter()
        .map(|(s, v)| format!("{s}: {}", names(v, labels)))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(class: CellClass, status: &str) -> Cell {
        Cell {
            class,
            status: status.into(),
            detail: String::new(),
            hint: None,
        }
    }

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("vm{i}")).collect()
    }

    #[test]
    fn one_failing_vm_is_named() {
        let cells = [
            cell(CellClass::Failed, "timeout"),
            cell(CellClass::Ok, "ok"),
            cell(CellClass::Unknown, "?"),
        ];
        assert!(differs(&cells));
        assert_eq!(note(&cells, &labels(3)), "fails from vm0 only (timeout)");
    }

    #[test]
    fn everywhere_and_mixed_statuses() {
        let cells = [
            cell(CellClass::Failed, "timeout"),
            cell(CellClass::Failed, "refused"),
        ];
        assert!(differs(&cells));
        assert_eq!(
            note(&cells, &labels(2)),
            "fails from every VM (timeout: vm0; refused: vm1)"
        );
        let same = [
            cell(CellClass::Failed, "timeout"),
            cell(CellClass::Failed, "timeout"),
        ];
        assert!(!differs(&same));
        assert_eq!(note(&same, &labels(2)), "fails from every VM (timeout)");
    }

    #[test]
    fn many_names_are_counted() {
        let mut cells = vec![cell(CellClass::Failed, "timeout"); 5];
        cells.extend(vec![cell(CellClass::Ok, "ok"); 5]);
        assert_eq!(
            note(&cells, &labels(10)),
            "fails from 5 of 10 VMs: vm0, vm1, vm2, +2 more (timeout)"
        );
    }

    #[test]
    fn not_failed_agrees_with_ok_but_not_with_a_failure() {
        let ok = [
            cell(CellClass::Ok, "ok"),
            cell(CellClass::NotFailed, "not failed"),
        ];
        assert!(!differs(&ok));
        assert_eq!(note(&ok, &labels(2)), "");
        let failed = [
            cell(CellClass::Failed, "dns_failed"),
            cell(CellClass::NotFailed, "not failed"),
        ];
        assert!(differs(&failed));
    }

    #[test]
    fn a_failure_only_some_columns_know_is_not_everywhere() {
        let cells = [
            cell(CellClass::Failed, "denied"),
            cell(CellClass::Unknown, "absent"),
        ];
        assert_eq!(
            note(&cells, &labels(2)),
            "fails from vm0 (denied); the others do not say"
        );
    }

    #[test]
    fn skipped_on_some() {
        let cells = [
            cell(CellClass::Skipped, "skipped"),
            cell(CellClass::Ok, "ok"),
        ];
        assert!(differs(&cells));
        assert_eq!(note(&cells, &labels(2)), "skipped from vm0 only");
    }
}
