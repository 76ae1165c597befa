//! `list --compare`: what changed between two editions of the VNet reference, as a table, JSON
//! (`apim-probe/reference-changes/v1`) or Markdown, where every line cites the public page of
//! the edition it comes from (the newer for an added or changed row, the older for a removed one).

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::model::Tool;
use super::rows::md_cell;
use crate::catalog::compare::{Comparison, Kind, RowChange};
use crate::catalog::editions::Edition;

/// The schema name of `list --compare -o json`.
pub const SCHEMA: &str = "apim-probe/reference-changes/v1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: Tool,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// Writes the comparison as JSON.
pub fn write_json(c: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA,
        tool: Tool::default(),
        comparison: c,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn edition_line(e: &Edition) -> String {
    let at = e.source.as_deref().unwrap_or(&e.url);
    format!("{} (page of {}, {at})", e.id, e.date)
}

/// What a row's line says after its columns: the purpose (with the platform tables of a row
/// only some have), or each field that changed; hosts as those dropped (−) and added (+).
fn what(c: &Comparison, r: &RowChange) -> String {
    if r.change != Kind::Changed {
        let edition = if r.change == Kind::Removed {
            &c.from
        } else {
            &c.to
        };
        let tables = if r.platforms.len() < edition.platforms.len() {
            let names: Vec<&str> = r.platforms.iter().map(|p| p.as_str()).collect();
            format!("[{} table] ", names.join(", "))
        } else {
            String::new()
        };
        return format!("{tables}{}", r.purpose);
    }
    r.fields
        .iter()
        .map(|f| {
            if f.field == "hosts" && !f.from.contains(':') && !f.to.contains(':') {
                return format!("hosts: {}", host_delta(&f.from, &f.to));
            }
            format!("{}: {} → {}", f.field, or_none(&f.from), or_none(&f.to))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `−a, −b, +c`: the hosts one list drops and the other adds.
fn host_delta(from: &str, to: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (from.split(", ").collect(), to.split(", ").collect());
    let gone = a.iter().filter(|h| !b.contains(h)).map(|h| format!("−{h}"));
    let new = b.iter().filter(|h| !a.contains(h)).map(|h| format!("+{h}"));
    gone.chain(new).collect::<Vec<_>>().join(", ")
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}

fn totals(c: &Comparison) -> String {
    let (a, r, ch) = c.counts();
    format!("{a} added, {r} removed, {ch} changed")
}

/// Writes the comparison as aligned text.
pub fn write_table(c: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", c.to.title)?;
    writeln!(out, "from {}", edition_line(&c.from))?;
    writeln!(out, "  to {}", edition_line(&c.to))?;
    for p in &c.platforms {
        writeln!(out, "{p}")?;
    }
    writeln!(out)?;
    let cells: Vec<[String; 7]> = c
        .rows
        .iter()
        .map(|r| {
            [
                r.change.as_str().to_owned(),
                r.id.clone(),
                r.direction.as_str().to_owned(),
                r.tag.clone(),
                format!("{}/{}", r.ports, r.transport),
                if r.required { "req" } else { "opt" }.to_owned(),
                what(c, r),
            ]
        })
        .collect();
    let head = ["CHANGE", "ID", "DIR", "TAG", "PORTS", "REQ", "WHAT"].map(String::from);
    let mut widths = head.clone().map(|h| h.len());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&head).chain(&cells) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$} ");
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out, "\n{}", totals(c))
}

/// Writes the comparison as a Markdown section: one table row per change, each citing the page.
pub fn write_markdown(c: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let link = |e: &Edition| {
        format!(
            "[{} ({})]({})",
            e.id,
            e.date,
            e.source.as_deref().unwrap_or(&e.url)
        )
    };
    writeln!(out, "## From {} to {}\n", link(&c.from), link(&c.to))?;
    for p in &c.platforms {
        writeln!(out, "- {}", md_cell(p))?;
    }
    if !c.platforms.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "| Change | Id | Direction | Service tag | Ports | Required | What | Source |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for r in &c.rows {
        let source = if r.change == Kind::Removed {
            &c.from
        } else {
            &c.to
        };
        writeln!(
            out,
            "| {} | `{}` | {} | {} | {}/{} | {} | {} | {} |",
            r.change.as_str(),
            r.id,
            r.direction.as_str(),
            md_cell(&r.tag),
            md_cell(&r.ports),
            r.transport,
            if r.required { "**yes**" } else { "no" },
            md_cell(&what(c, r)),
            link(source)
        )?;
    }
    writeln!(out, "\n{}.", totals(c))
}
