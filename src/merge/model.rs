//! The merged view of many runs: one column per VM (or per offline evaluation), one row per
//! dependency (id and target), each cell what that VM found. Built once by `build`; every format
//! reads only this.

use serde::Serialize;

use crate::report::model::Cause;

/// The schema name of the merged JSON document.
pub const SCHEMA: &str = "apim-probe/merge/v1";

/// The whole matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// One per VM or evaluation, in the order the files were given (duplicates folded).
    pub columns: Vec<Column>,
    /// The rows that differ between columns first, then those failing everywhere, then the rest,
    /// each group in the order the reports list them.
    pub rows: Vec<Row>,
    /// Counts over the columns.
    pub summary: MatrixSummary,
    /// The editions of the VNet reference the columns were checked against, oldest first;
    /// more than one means some rows differ only because of that (`Row::edition`).
    pub references: Vec<String>,
}

/// Who a column speaks for: the VM by its Azure name (IMDS, else host name), region and subnet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct VmKey {
    /// IMDS `compute.name`, else the host name, else the file's name.
    pub name: String,
    /// The region (IMDS location, else `--region`).
    pub region: Option<String>,
    /// The subnet (IMDS, `address/prefix`).
    pub subnet: Option<String>,
}

/// What kind of file a column came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A `check` report (`apim-probe/report/v1`).
    Report,
    /// An offline NSG/route evaluation (`apim-probe/evaluation/v1`).
    Evaluation,
    /// What `az vm run-command` brought back (`apim-probe/run-command/v1`), when it held no whole
    /// report: the compact lines, or nothing.
    RunCommand,
}

names!(SourceKind {
    Report => "report",
    Evaluation => "evaluation",
    RunCommand => "run_command",
});

/// A column's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every required dependency reachable (or allowed).
    Pass,
    /// A required dependency failed (or was denied).
    Fail,
    /// No verdict came back (timed out, cut short, not run): counts as failed.
    Unknown,
}

names!(Verdict {
    Pass => "pass",
    Fail => "fail",
    Unknown => "unknown",
});

/// One VM (or evaluation).
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Who it is.
    pub key: VmKey,
    /// A short unique label for headers (the name; with the region or a number when names repeat).
    pub label: String,
    /// The file it was read from.
    pub file: String,
    /// What kind of file.
    pub kind: SourceKind,
    /// Its verdict.
    pub verdict: Verdict,
    /// The causes its report's diagnosis names, most failures explained first.
    pub diagnosis: Vec<Cause>,
    /// What the reader should know: cut output, an interrupted run, a duplicate folded in.
    pub notes: Vec<String>,
    /// When the run started, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// The edition of the VNet reference it was checked against, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Counts over its cells.
    pub counts: Counts,
}

/// Counts of a column's cells by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// `ok` (or `allowed`).
    pub ok: usize,
    /// Failed (or denied, partial).
    pub failed: usize,
    /// Failed and required.
    pub failed_required: usize,
    /// Skipped.
    pub skipped: usize,
    /// Not known from what came back.
    pub unknown: usize,
}

/// One dependency target, across every column.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The dependency id.
    pub id: String,
    /// `host:port/transport` (`*:443/tcp` for an evaluated flow no probe matched).
    pub target: String,
    /// Whether any column calls it required.
    pub required: bool,
    /// Whether the columns that know it disagree.
    pub differs: bool,
    /// Where it fails, in words (`fails from westeurope-vm only`); empty when nothing fails.
    pub note: String,
    /// When the columns were checked against different editions of the reference and only the
    /// columns of some editions have this row: which (`only in 2025-06`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// One per column, in column order.
    pub cells: Vec<Cell>,
}

/// How a cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellClass {
    /// Reached (or allowed by the NSG).
    Ok,
    /// Failed (or denied, or partly allowed).
    Failed,
    /// Not probed.
    Skipped,
    /// Not listed among the failures of a compact output: `ok` or `skipped`.
    NotFailed,
    /// Not known: the row is absent from that VM's report, or cut from its output.
    Unknown,
    /// Does not apply: no flow of an evaluation covers the row.
    NotApplicable,
}

names!(CellClass {
    Ok => "ok",
    Failed => "failed",
    Skipped => "skipped",
    NotFailed => "not_failed",
    Unknown => "unknown",
    NotApplicable => "not_applicable",
});

/// What one VM found for one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// How it counts.
    pub class: CellClass,
    /// The status word shown (`ok`, `timeout`, `denied`, `absent`, `?`).
    pub status: String,
    /// The reason, as the report gives it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// What to change, when the report says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Counts over the columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MatrixSummary {
    /// Columns.
    pub columns: usize,
    /// Columns that pass.
    pub passed: usize,
    /// Columns with a required failure.
    pub failed: usize,
    /// Columns without a verdict.
    pub unknown: usize,
    /// Rows.
    pub rows: usize,
    /// Rows whose columns disagree.
    pub differing: usize,
}

impl Matrix {
    /// Whether every column passes: exit 0. A column without a verdict does not pass.
    pub fn passed(&self) -> bool {
        self.columns.iter().all(|c| c.verdict == Verdict::Pass)
    }
}

impl Cell {
    /// A cell for a row the column does not have (`absent`) or could not see (`?`).
    pub fn unknown(status: &str, detail: &str) -> Self {
        Self {
            class: CellClass::Unknown,
            status: status.to_owned(),
            detail: detail.to_owned(),
            hint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    #[test]
    fn names_agree_with_serde() {
        assert_serde_agrees(SourceKind::ALL, |v| v.as_str());
        assert_serde_agrees(Verdict::ALL, |v| v.as_str());
        assert_serde_agrees(CellClass::ALL, |v| v.as_str());
    }
}
