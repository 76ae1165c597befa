//! The matrix for a terminal: each VM with its verdict, counts and diagnosis, then one line per
//! row (the rows that differ first) with each VM's cell and where it fails, then the verdict as
//! the last line. Text from reports passes through `printable` (no control bytes reach the
//! terminal).

use std::io::{self, Write};

use crate::report::table::printable;

use super::model::{Column, Matrix, Row};
use super::text::{
    MAX_SIDE_BY_SIDE, counts, place, plural, references_line, row_name, shown_rows, symbol,
    verdict_line, verdict_word,
};

/// Writes the matrix as aligned text.
pub fn write(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    let s = &m.summary;
    writeln!(
        out,
        "apim-probe merge: {} {} ({} pass, {} fail, {} without a verdict), {} rows, {} differ",
        s.columns,
        plural(s.columns, "VM", "VMs"),
        s.passed,
        s.failed,
        s.unknown,
        s.rows,
        s.differing
    )?;
    if let Some(line) = references_line(m) {
        writeln!(out, "{}", printable(&line))?;
    }
    writeln!(out)?;
    for (i, c) in m.columns.iter().enumerate() {
        write_column(out, i, c)?;
    }
    writeln!(out)?;
    let (rows, hidden) = shown_rows(m);
    for line in align(&lines(m, &rows)) {
        writeln!(out, "{}", line.trim_end())?;
    }
    if hidden > 0 {
        writeln!(
            out,
            "({hidden} rows that fail nowhere are not listed: more than {MAX_SIDE_BY_SIDE} VMs; -o html or -o json has every cell)"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", verdict_line(m))
}

fn write_column(out: &mut dyn Write, i: usize, c: &Column) -> io::Result<()> {
    writeln!(
        out,
        "[{}] {} ({}): {} — {}",
        i + 1,
        printable(&c.label),
        printable(&place(c)),
        verdict_word(c.verdict),
        counts(&c.counts)
    )?;
    for cause in &c.diagnosis {
        writeln!(
            out,
            "    cause {}: {}",
            printable(&cause.cause),
            printable(&cause.summary)
        )?;
        if !cause.fix.is_empty() {
            writeln!(out, "      fix: {}", printable(&cause.fix))?;
        }
    }
    for note in &c.notes {
        writeln!(out, "    note: {}", printable(note))?;
    }
    writeln!(out, "    file: {}", printable(&c.file))
}

/// The header and one line of cells per row; side by side only when the columns fit.
fn lines(m: &Matrix, rows: &[&Row]) -> Vec<Vec<String>> {
    let side_by_side = m.columns.len() <= MAX_SIDE_BY_SIDE;
    let mut head = vec!["DEPENDENCY".to_owned(), "REQ".to_owned()];
    if side_by_side {
        head.extend((1..=m.columns.len()).map(|i| format!("[{i}]")));
    }
    head.push("WHERE".to_owned());
    let mut out = vec![head];
    for r in rows {
        let mut line = vec![
            printable(&row_name(r)).into_owned(),
            if r.required { "req" } else { "opt" }.to_owned(),
        ];
        if side_by_side {
            line.extend(
                r.cells
                    .iter()
                    .map(|c| format!("{} {}", symbol(c.class), printable(&c.status))),
            );
        }
        line.push(printable(&r.note).into_owned());
        out.push(line);
    }
    out
}

/// Pads each column to its widest cell (in characters).
fn align(rows: &[Vec<String>]) -> Vec<String> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    format!("{c}{}", " ".repeat(pad))
                })
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect()
}
