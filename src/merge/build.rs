//! Many sources into one matrix: the same VM twice is folded (the later run stays), rows are the
//! union of every report's rows in the order first seen, evaluated flows land on the probe rows
//! they cover, and the rows whose columns disagree come first, each with a note saying where it
//! fails.

use std::collections::HashMap;

use super::editions;
use super::model::{
    Cell, CellClass, Column, Counts, Matrix, MatrixSummary, Row, SCHEMA, Verdict, VmKey,
};
use super::note::{differs, note};
use super::source::Source;

/// Merges the sources, in the order given.
pub fn build(sources: Vec<Source>) -> Matrix {
    let mut sources = fold_duplicates(sources);
    let labels = labels(&sources);
    let mut grid = Grid::default();
    let columns = sources.len();
    for (c, s) in sources.iter_mut().enumerate() {
        for r in std::mem::take(&mut s.rows) {
            let row = grid.row(&r.id, &r.target, r.required, columns);
            grid.cells[row][c] = Some(r.cell);
        }
    }
    for (c, s) in sources.iter().enumerate() {
        for f in &s.flows {
            let covered: Vec<usize> = grid.by_id.get(&f.id).map_or_else(Vec::new, |rows| {
                rows.iter()
                    .copied()
                    .filter(|&r| grid.covered_by(r, f))
                    .collect()
            });
            if covered.is_empty() {
                let row = grid.row(&f.id, &f.target, f.required, sources.len());
                grid.cells[row][c] = Some(f.cell.clone());
            }
            for row in covered {
                grid.cells[row][c].get_or_insert_with(|| f.cell.clone());
            }
        }
    }
    assemble(sources, labels, grid)
}

/// Rows and their cells while they are gathered.
#[derive(Default)]
struct Grid {
    /// (id, target, required) per row, in the order first seen.
    keys: Vec<(String, String, bool)>,
    /// Row indices by id (a few targets each): finds a row without building a key.
    by_id: HashMap<String, Vec<usize>>,
    /// `cells[row][column]`; `None` until a source says.
    cells: Vec<Vec<Option<Cell>>>,
}

impl Grid {
    /// The row of (id, target), added when new.
    fn row(&mut self, id: &str, target: &str, required: bool, columns: usize) -> usize {
        let found = self
            .by_id
            .get(id)
            .and_then(|rows| rows.iter().copied().find(|&i| self.keys[i].1 == target));
        if let Some(i) = found {
            self.keys[i].2 |= required;
            return i;
        }
        let i = self.keys.len();
        self.keys.push((id.to_owned(), target.to_owned(), required));
        self.by_id.entry(id.to_owned()).or_default().push(i);
        self.cells.push(vec![None; columns]);
        i
    }

    /// Whether the flow covers the probe row `row` (its target's transport and port).
    fn covered_by(&self, row: usize, f: &super::source::FlowRow) -> bool {
        let target = &self.keys[row].1;
        let Some((hostport, transport)) = target.rsplit_once('/') else {
            return false;
        };
        let port = hostport
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok());
        f.covers(transport, port)
    }
}

/// The same VM given twice (a re-run, a file copied): the run that started last stays; the
/// other is named in a note.
fn fold_duplicates(sources: Vec<Source>) -> Vec<Source> {
    let mut out: Vec<Source> = Vec::with_capacity(sources.len());
    let mut seen: HashMap<VmKey, usize> = HashMap::new();
    for s in sources {
        let Some(&i) = seen.get(&s.key) else {
            seen.insert(s.key.clone(), out.len());
            out.push(s);
            continue;
        };
        let newer = s.started_at.is_some() && s.started_at > out[i].started_at;
        let (mut keep, drop) = if newer {
            (s, std::mem::replace(&mut out[i], placeholder()))
        } else {
            (std::mem::replace(&mut out[i], placeholder()), s)
        };
        keep.notes.push(format!(
            "the same VM is also in {} (an older run, left out)",
            drop.file
        ));
        out[i] = keep;
    }
    out
}

fn placeholder() -> Source {
    Source {
        key: VmKey {
            name: String::new(),
            region: None,
            subnet: None,
        },
        file: String::new(),
        kind: super::model::SourceKind::Report,
        verdict: Verdict::Unknown,
        diagnosis: Vec::new(),
        notes: Vec::new(),
        started_at: None,
        rows: Vec::new(),
        flows: Vec::new(),
        missing: super::source::Missing::Absent,
        reference: None,
    }
}

/// A unique label per column: the name, with the region, then the subnet, then a number when
/// names repeat.
fn labels(sources: &[Source]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for s in sources {
        *count.entry(s.key.name.as_str()).or_default() += 1;
    }
    let mut used: HashMap<String, usize> = HashMap::new();
    sources
        .iter()
        .map(|s| {
            let k = &s.key;
            let mut label = if count[k.name.as_str()] > 1 {
                let place = k.region.as_deref().or(k.subnet.as_deref()).unwrap_or("");
                format!("{} ({place})", k.name)
            } else {
                k.name.clone()
            };
            let n = used.entry(label.clone()).or_default();
            *n += 1;
            if *n > 1 {
                label = format!("{label} #{n}");
            }
            label
        })
        .collect()
}

/// Fills the cells no source gave, counts, notes and orders the rows.
fn assemble(mut sources: Vec<Source>, labels: Vec<String>, grid: Grid) -> Matrix {
    let mut rows: Vec<Row> = grid
        .keys
        .into_iter()
        .zip(grid.cells)
        .map(|((id, target, required), cells)| {
            let cells: Vec<Cell> = cells
                .into_iter()
                .zip(&sources)
                .map(|(c, s)| c.unwrap_or_else(|| s.missing.cell()))
                .collect();
            Row {
                id,
                target,
                required,
                differs: differs(&cells),
                note: note(&cells, &labels),
                edition: None,
                cells,
            }
        })
        .collect();
    let references = editions::mark(&mut sources, &mut rows);
    // Stable: within each group the reports' own order stays.
    rows.sort_by_key(|r| {
        if r.differs {
            0
        } else if r.cells.iter().any(|c| c.class == CellClass::Failed) {
            1
        } else {
            2
        }
    });
    let columns: Vec<Column> = sources
        .into_iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (s, label))| column(s, label, &rows, i))
        .collect();
    let summary = MatrixSummary {
        columns: columns.len(),
        passed: count(&columns, Verdict::Pass),
        failed: count(&columns, Verdict::Fail),
        unknown: count(&columns, Verdict::Unknown),
        rows: rows.len(),
        differing: rows.iter().filter(|r| r.differs).count(),
    };
    Matrix {
        schema: SCHEMA,
        columns,
        rows,
        summary,
        references,
    }
}

fn count(columns: &[Column], v: Verdict) -> usize {
    columns.iter().filter(|c| c.verdict == v).count()
}

fn column(s: Source, label: String, rows: &[Row], i: usize) -> Column {
    let mut counts = Counts::default();
    for r in rows {
        match r.cells[i].class {
            CellClass::Ok => counts.ok += 1,
            CellClass::Failed => {
                counts.failed += 1;
                counts.failed_required += usize::from(r.required);
            }
            CellClass::Skipped => counts.skipped += 1,
            CellClass::NotFailed | CellClass::Unknown | CellClass::NotApplicable => {
                counts.unknown += 1;
            }
        }
    }
    Column {
        key: s.key,
        label,
        file: s.file,
        kind: s.kind,
        verdict: s.verdict,
        diagnosis: s.diagnosis,
        notes: s.notes,
        started_at: s.started_at,
        reference: s.reference,
        counts,
    }
}
