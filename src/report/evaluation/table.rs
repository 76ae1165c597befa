//! The `table` format of `evaluate`: the inputs, one aligned row per flow (verdict, direction,
//! flow, protocol, ports, far side, deciding rule, next hop), the why and the fix under every
//! flow that is not allowed, the subnet findings, warnings, and the verdict as the last line.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{header, remote_cell, rule_cell};
use crate::evaluate::Verdict;
use crate::evaluate::report::EvaluationReport;
use crate::report::rows::lower;

/// Writes the table.
pub fn write(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(r))?;
    for i in &r.inputs {
        writeln!(out, "input: {} ({} {})", i.path, i.kind.as_str(), i.name)?;
    }
    writeln!(out)?;
    let rows: Vec<[String; 8]> = r
        .flows
        .iter()
        .map(|f| {
            [
                f.verdict.as_str().to_owned(),
                lower(f.flow.direction),
                format!(
                    "{}{}",
                    f.flow.id,
                    if f.flow.required { "" } else { " (optional)" }
                ),
                f.flow.transport.as_str().to_owned(),
                f.flow.ports.to_string(),
                remote_cell(f),
                rule_cell(f.rule.as_ref()),
                f.next_hop.as_ref().map_or_else(
                    || "-".into(),
                    |h| match &h.address {
                        Some(a) => format!("{} {a}", h.kind.as_str()),
                        None => h.kind.as_str().to_owned(),
                    },
                ),
            ]
        })
        .collect();
    let head = [
        "VERDICT",
        "DIRECTION",
        "FLOW",
        "PROTO",
        "PORTS",
        "REMOTE",
        "RULE",
        "NEXT HOP",
    ];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ", w = widths[i]);
            }
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&head))?;
    for (row, f) in rows.iter().zip(&r.flows) {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
        if f.verdict != Verdict::Allowed {
            writeln!(out, "    why: {}", f.detail)?;
            for h in f.hint.iter().chain(&f.also) {
                writeln!(out, "    fix: {}", h.command.as_deref().unwrap_or(&h.text))?;
            }
        }
    }
    for x in &r.findings {
        writeln!(out)?;
        let state = if x.ok { "ok" } else { "FAILED" };
        writeln!(out, "subnet {}: {state}: {}", x.id, x.detail)?;
        if let Some(h) = x.hint.as_ref().filter(|_| !x.ok) {
            writeln!(out, "    fix: {}", h.command.as_deref().unwrap_or(&h.text))?;
        }
    }
    if !r.warnings.is_empty() {
        writeln!(out)?;
        for w in &r.warnings {
            writeln!(out, "warning: {w}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", r.verdict_line())
}
