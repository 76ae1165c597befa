//! The diagnosis in each text format: the causes first (what, why we believe it, what to change,
//! which results), then only the failures no cause explains. Pure functions over the report.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{Cause, Report, ResultEntry};
use super::rows::{by_importance, md_inline};

/// The failures no cause explains, most important first.
pub fn unexplained(r: &Report) -> Vec<&ResultEntry> {
    let explained = |e: &ResultEntry| {
        r.results
            .iter()
            .position(|x| std::ptr::eq(x, e))
            .is_some_and(|i| r.diagnosis.iter().any(|c| c.explains.contains(&i)))
    };
    by_importance(r)
        .into_iter()
        .filter(|e| !explained(e))
        .collect()
}

/// The results a cause explains, as `id target` (the first `n`, then how many more).
pub fn explained(r: &Report, c: &Cause, n: usize) -> String {
    let mut names: Vec<String> = Vec::new();
    for &i in &c.explains {
        if let Some(e) = r.results.get(i) {
            let name = format!("{} {}", e.spec.id, e.target());
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let more = names.len().saturating_sub(n);
    names.truncate(n);
    let mut s = names.join(", ");
    if more > 0 {
        let _ = write!(s, " (+{more} more)");
    }
    s
}

/// How many of the report's failures the diagnosis explains.
fn failures_explained(r: &Report) -> usize {
    let failed = r.results.iter().filter(|e| e.status.is_failure()).count();
    failed - unexplained(r).len()
}

/// The diagnosis for the terminal: one numbered block per cause.
pub fn write_text(
    r: &Report,
    out: &mut dyn Write,
    printable: fn(&str) -> String,
) -> io::Result<()> {
    if r.diagnosis.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nDiagnosis: {} cause(s), {} of {} failure(s) explained",
        r.diagnosis.len(),
        failures_explained(r),
        r.summary.failed
    )?;
    for (n, c) in r.diagnosis.iter().enumerate() {
        writeln!(out, "  {}. [{}] {}", n + 1, c.cause, printable(&c.summary))?;
        writeln!(out, "      evidence: {}", printable(&c.evidence))?;
        writeln!(out, "      fix: {}", printable(&c.fix))?;
        writeln!(out, "      explains: {}", printable(&explained(r, c, 4)))?;
    }
    Ok(())
}

/// The diagnosis for a ticket: a section with one sub-section per cause.
pub fn write_markdown(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.diagnosis.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "## Diagnosis: {} cause(s), {} of {} failure(s) explained",
        r.diagnosis.len(),
        failures_explained(r),
        r.summary.failed
    )?;
    writeln!(out)?;
    for (n, c) in r.diagnosis.iter().enumerate() {
        writeln!(
            out,
            "### {}. {} (`{}`)",
            n + 1,
            md_inline(&c.summary),
            c.cause
        )?;
        writeln!(out)?;
        writeln!(out, "- Evidence: {}", md_inline(&c.evidence))?;
        writeln!(out, "- Fix: {}", md_inline(&c.fix))?;
        writeln!(out, "- Explains: {}", md_inline(&explained(r, c, 12)))?;
        writeln!(out)?;
    }
    Ok(())
}

/// One line per cause for `compact`: `CAUSE kind: summary | fix: …`, before any cut.
pub fn compact_lines(r: &Report) -> Vec<String> {
    r.diagnosis
        .iter()
        .map(|c| {
            format!(
                "CAUSE {} ({} result(s)): {} | fix: {}",
                c.cause,
                c.explains.len(),
                c.summary,
                c.fix
            )
        })
        .collect()
}
