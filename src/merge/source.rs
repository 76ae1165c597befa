//! One file's contribution to the matrix, before merging: who it speaks for, its verdict and
//! diagnosis, and its rows. Made from a `check` report here, from an evaluation in
//! `evaluation.rs`, from what run-command brought back in `runcommand.rs`.

use crate::probe::Status;
use crate::report::model::{Cause, Report};

use super::brief::{Brief, BriefResult, target};
use super::model::{Cell, CellClass, SourceKind, Verdict, VmKey};

/// One file, read.
#[derive(Debug, Clone)]
pub struct Source {
    /// Who it speaks for.
    pub key: VmKey,
    /// The file, as given.
    pub file: String,
    /// What kind of file.
    pub kind: SourceKind,
    /// Its verdict.
    pub verdict: Verdict,
    /// The causes its diagnosis names.
    pub diagnosis: Vec<Cause>,
    /// What the reader should know about it.
    pub notes: Vec<String>,
    /// When its run started (RFC 3339), which decides between two files of the same VM.
    pub started_at: Option<String>,
    /// Its rows, in its order.
    pub rows: Vec<SourceRow>,
    /// Evaluated flows, matched to probe rows by id, transport and port.
    pub flows: Vec<FlowRow>,
    /// What a row it does not list means.
    pub missing: Missing,
    /// The edition of the VNet reference it was checked against, when it says.
    pub reference: Option<String>,
}

/// One row of one file.
#[derive(Debug, Clone)]
pub struct SourceRow {
    /// Dependency id.
    pub id: String,
    /// `host:port/transport`.
    pub target: String,
    /// Whether the dependency is required.
    pub required: bool,
    /// What this file says of it.
    pub cell: Cell,
}

/// One evaluated flow: it speaks for every probe row of its id whose transport and port it
/// covers.
#[derive(Debug, Clone)]
pub struct FlowRow {
    /// Dependency id.
    pub id: String,
    /// `tcp`/`udp`; `None` for any.
    pub transport: Option<String>,
    /// Port ranges; empty for any port.
    pub ports: Vec<(u16, u16)>,
    /// The row's target when no probe row matches (`*:443/tcp`).
    pub target: String,
    /// Whether the flow is required.
    pub required: bool,
    /// The verdict as a cell.
    pub cell: Cell,
}

/// What a row that a file does not list means for that file's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// A whole report without the row: another catalog, region or selection.
    Absent,
    /// A complete compact output lists only failures: the row is `ok` or `skipped`.
    NotFailed,
    /// The output was cut: nothing is known.
    Cut,
    /// An evaluation: no flow covers the row.
    NoFlow,
}

impl Missing {
    /// The cell shown for a row the file does not list.
    pub fn cell(self) -> Cell {
        match self {
            Missing::Absent => Cell::unknown(
                "absent",
                "this report has no such row (another catalog, region or selection)",
            ),
            Missing::NotFailed => Cell {
                class: CellClass::NotFailed,
                status: "not failed".into(),
                detail: "not among the failures this VM's compact output lists: ok or skipped"
                    .into(),
                hint: None,
            },
            Missing::Cut => Cell::unknown("?", "cut from the output that came back"),
            Missing::NoFlow => Cell {
                class: CellClass::NotApplicable,
                status: "n/a".into(),
                detail: "no evaluated flow covers this row".into(),
                hint: None,
            },
        }
    }
}

impl FlowRow {
    /// Whether this flow covers a probe row of the same id on `transport` and `port`.
    pub fn covers(&self, transport: &str, port: Option<u16>) -> bool {
        let transport_ok = self.transport.as_deref().is_none_or(|t| t == transport);
        let port_ok = self.ports.is_empty()
            || port.is_some_and(|p| self.ports.iter().any(|&(lo, hi)| lo <= p && p <= hi));
        transport_ok && port_ok
    }
}

/// The class of a probe status.
pub fn class_of(status: Status) -> CellClass {
    match status {
        Status::Ok => CellClass::Ok,
        Status::Skipped => CellClass::Skipped,
        _ => CellClass::Failed,
    }
}

/// A report's row as a cell.
pub fn cell_of(e: &BriefResult) -> Cell {
    Cell {
        class: class_of(e.status),
        status: e.status.as_str().to_owned(),
        detail: e.detail.clone(),
        hint: e.hint.clone(),
    }
}

/// Who a report speaks for: IMDS's name, region and subnet, else the host name and `--region`.
pub fn key_of(r: &Brief, file: &str) -> VmKey {
    let azure = r.host.azure.as_ref();
    let name = azure
        .map(|a| a.name.trim())
        .filter(|n| !n.is_empty())
        .or_else(|| Some(r.host.hostname.trim()).filter(|h| !h.is_empty()))
        .map_or_else(|| file_stem(file), str::to_owned);
    let region = azure
        .map(|a| a.location.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty())
        .or_else(|| r.settings.region.clone());
    let subnet = azure.and_then(|a| a.subnets.first().cloned());
    VmKey {
        name,
        region,
        subnet,
    }
}

/// A `check` report as a column.
pub fn from_report(r: &Report, file: &str) -> Source {
    from_brief(&Brief::from(r), file)
}

/// A report, as the matrix reads it, as a column: every result a row.
pub fn from_brief(r: &Brief, file: &str) -> Source {
    let mut notes = Vec::new();
    let verdict = if r.interrupted {
        notes.push("interrupted: a partial report".to_owned());
        if r.passed() {
            Verdict::Unknown
        } else {
            Verdict::Fail
        }
    } else if r.passed() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Source {
        key: key_of(r, file),
        file: file.to_owned(),
        kind: SourceKind::Report,
        verdict,
        diagnosis: r.diagnosis.clone(),
        notes,
        started_at: Some(r.started_at.clone()),
        rows: r
            .results
            .iter()
            .map(|e| SourceRow {
                id: e.id.clone(),
                target: target(e.host.as_deref(), e.port, e.transport),
                required: e.required,
                cell: cell_of(e),
            })
            .collect(),
        flows: Vec::new(),
        missing: Missing::Absent,
        reference: r.reference.as_ref().map(|x| x.edition.clone()),
    }
}

/// The file's name without its folder and extension: a name of last resort.
pub fn file_stem(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    name.strip_suffix(".json").unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_covers_its_transport_and_ports() {
        let f = FlowRow {
            id: "redis".into(),
            transport: Some("tcp".into()),
            ports: vec![(6381, 6383)],
            target: "*:6381-6383/tcp".into(),
            required: true,
            cell: Missing::Cut.cell(),
        };
        assert!(f.covers("tcp", Some(6382)));
        assert!(!f.covers("udp", Some(6382)));
        assert!(!f.covers("tcp", Some(6390)));
        assert!(!f.covers("tcp", None));
    }

    #[test]
    fn the_stem_drops_folder_and_extension() {
        assert_eq!(file_stem("out/vms/rg.vm1.json"), "rg.vm1");
        assert_eq!(file_stem("C:\\r\\a.json"), "a");
    }
}
