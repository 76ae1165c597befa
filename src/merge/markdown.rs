//! The matrix as a Markdown document for a ticket or a wiki: the verdict, a table of VMs with
//! their diagnosis, then the matrix (the rows that differ first). Every value from a report is
//! escaped for a table cell (`md_cell`): no raw HTML, no broken rows.

use std::io::{self, Write};

use crate::report::rows::md_cell;

use super::model::Matrix;
use super::text::{
    MAX_SIDE_BY_SIDE, counts, place, plural, references_line, row_name, shown_rows, symbol,
    verdict_line, verdict_word,
};

/// Writes the Markdown document.
pub fn write(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    let n = m.columns.len();
    writeln!(out, "# apim-probe: {n} {}\n", plural(n, "VM", "VMs"))?;
    writeln!(out, "**{}**\n", md_cell(&verdict_line(m)))?;
    if let Some(line) = references_line(m) {
        writeln!(out, "{}\n", md_cell(&line))?;
    }
    writeln!(out, "## VMs\n")?;
    writeln!(out, "| # | VM | Place | Verdict | Cells | File |")?;
    writeln!(out, "|--:|---|---|---|---|---|")?;
    for (i, c) in m.columns.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | `{}` |",
            i + 1,
            md_cell(&c.label),
            md_cell(&place(c)),
            verdict_word(c.verdict),
            counts(&c.counts),
            md_cell(&c.file).replace('`', "'")
        )?;
    }
    for c in m
        .columns
        .iter()
        .filter(|c| !c.diagnosis.is_empty() || !c.notes.is_empty())
    {
        writeln!(out, "\n### {}\n", md_cell(&c.label))?;
        for cause in &c.diagnosis {
            writeln!(
                out,
                "- **{}**: {} — fix: {}",
                md_cell(&cause.cause),
                md_cell(&cause.summary),
                md_cell(&cause.fix)
            )?;
        }
        for note in &c.notes {
            writeln!(out, "- note: {}", md_cell(note))?;
        }
    }
    writeln!(out, "\n## Matrix\n")?;
    write_matrix(m, out)
}

fn write_matrix(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    let side_by_side = m.columns.len() <= MAX_SIDE_BY_SIDE;
    let mut head = vec!["Dependency".to_owned(), "Req".to_owned()];
    if side_by_side {
        head.extend(m.columns.iter().map(|c| md_cell(&c.label)));
    }
    head.push("Where".to_owned());
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(head.len()))?;
    let (rows, hidden) = shown_rows(m);
    for r in rows {
        let mut line = vec![
            md_cell(&row_name(r)),
            if r.required { "req" } else { "opt" }.to_owned(),
        ];
        if side_by_side {
            line.extend(
                r.cells
                    .iter()
                    .map(|c| format!("{} {}", symbol(c.class), md_cell(&c.status))),
            );
        }
        line.push(md_cell(&r.note));
        writeln!(out, "| {} |", line.join(" | "))?;
    }
    if hidden > 0 {
        writeln!(
            out,
            "\n{hidden} rows that fail nowhere are not listed (more than {MAX_SIDE_BY_SIDE} VMs)."
        )?;
    }
    Ok(())
}
