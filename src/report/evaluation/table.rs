//! The `table` format of `evaluate`: the inputs, one aligned row per flow (verdict, direction,
//! flow, protocol, ports, far side, deciding rule, next hop), the why and the fix under every
//! flow that is not allowed, the subnet findings, warnings, and the verdict as the last line.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::rows::{header, near_groups, near_of, origin_cell, remote_cell, rule_cell};
use crate::evaluate::report::EvaluationReport;
use crate::evaluate::{FlowResult, Verdict};

const HEAD: [&str; 8] = [
    "VERDICT",
    "DIRECTION",
    "FLOW",
    "PROTO",
    "PORTS",
    "REMOTE",
    "RULE",
    "NEXT HOP",
];

/// Writes the table.
pub fn write(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", header(r))?;
    for i in &r.inputs {
        writeln!(out, "input: {} ({} {})", i.path, i.kind.as_str(), i.name)?;
    }
    for c in &r.resources {
        writeln!(
            out,
            "declared: {} {} at {}",
            c.kind,
            c.name,
            origin_cell(&c.origin)
        )?;
    }
    writeln!(out)?;
    let rows: Vec<[String; 8]> = r.flows.iter().map(row).collect();
    let mut widths = HEAD.map(str::len);
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    writeln!(out, "{}", line(&HEAD.map(String::from), &widths))?;
    for (i, (row, f)) in rows.iter().zip(&r.flows).enumerate() {
        writeln!(out, "{}", line(row, &widths))?;
        let near = near_of(r, i);
        if f.verdict != Verdict::Allowed {
            writeln!(out, "    why: {}", f.detail)?;
            if let Some(o) = f.rule.as_ref().and_then(|x| x.origin.as_ref()) {
                writeln!(out, "    at: {}", origin_cell(o))?;
            }
        }
        if let Some(n) = near {
            writeln!(out, "    near miss: {}", n.says)?;
        }
        if f.verdict != Verdict::Allowed {
            for h in f.hint.iter().chain(&f.also) {
                match &h.code {
                    // Code inputs get the rule in their own language, under the `az` words.
                    Some(code) => {
                        writeln!(out, "    fix: {}", h.text)?;
                        for l in code.text.lines() {
                            writeln!(out, "      {l}")?;
                        }
                    }
                    None => writeln!(out, "    fix: {}", h.command.as_deref().unwrap_or(&h.text))?,
                }
            }
        }
    }
    write_near(r, out)?;
    write_tail(r, out)
}

fn row(f: &FlowResult) -> [String; 8] {
    let optional = if f.flow.required { "" } else { " (optional)" };
    let hop = f.next_hop.as_ref().map_or_else(
        || "-".into(),
        |h| match &h.address {
            Some(a) => format!("{} {a}", h.kind.as_str()),
            None => h.kind.as_str().to_owned(),
        },
    );
    [
        f.verdict.as_str().to_owned(),
        f.flow.direction.as_str().to_owned(),
        format!("{}{optional}", f.flow.id),
        f.flow.transport.as_str().to_owned(),
        f.flow.ports.to_string(),
        remote_cell(f),
        rule_cell(f.rule.as_ref()),
        hop,
    ]
}

/// The cells padded to their column's width, the last one as is.
fn line(cells: &[String; 8], widths: &[usize; 8]) -> String {
    let mut s = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i + 1 == cells.len() {
            s.push_str(c);
        } else {
            let _ = write!(s, "{c:<w$}  ", w = widths[i]);
        }
    }
    s.trim_end().to_owned()
}

/// Each near miss once, with the corrected rule in the input's language.
fn write_near(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    for (flows, n) in near_groups(r) {
        writeln!(out)?;
        writeln!(out, "near miss: {} ({})", n.says, flows.join(", "))?;
        if let Some(o) = &n.rule.origin {
            writeln!(out, "  at: {}", origin_cell(o))?;
        }
        for l in n.suggestion.text.lines() {
            writeln!(out, "  {l}")?;
        }
    }
    Ok(())
}

/// The subnet findings, the warnings and the verdict.
fn write_tail(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
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
