//! The terminal report: one aligned line per result, then failures with reason and hint, skipped
//! reasons grouped, and the verdict as the very last line (run-command keeps only the tail).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use crate::probe::Status;

use super::model::{Report, ResultEntry};

/// Writes the table report with a style (stub: colour is being written).
pub fn write_styled(r: &Report, out: &mut dyn Write, _style: super::Style) -> io::Result<()> {
    write(r, out)
}

/// Writes the table report.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.settings;
    let region = s.region.as_deref().unwrap_or("(none)");
    writeln!(
        out,
        "{} {} · {}/{}/{} · region {region} · timeout {} ms · DNS {}",
        r.tool.name,
        r.tool.version,
        lower(s.platform),
        lower(s.vnet),
        lower(s.cloud),
        s.timeout_ms.unwrap_or_default(),
        r.dns.servers.join(", ")
    )?;
    writeln!(out)?;
    let w_id = r
        .results
        .iter()
        .map(|e| e.facts.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let w_target = r
        .results
        .iter()
        .map(|e| e.target().len())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "{:<15} {:<3} {:<w_id$} {:<w_target$} {:>9}",
        "STATUS", "REQ", "ID", "TARGET", "TIME"
    )?;
    for e in &r.results {
        let time = e
            .timings_ms
            .total
            .map_or("-".to_owned(), |t| format!("{t:.0} ms"));
        let req = if e.facts.required { "req" } else { "opt" };
        writeln!(
            out,
            "{:<15} {req:<3} {:<w_id$} {:<w_target$} {time:>9}",
            e.status.as_str(),
            e.facts.id,
            e.target()
        )?;
    }
    write_skipped(r, out)?;
    write_failures(r, out)?;
    writeln!(out)?;
    let m = &r.summary;
    writeln!(
        out,
        "{} results: {} ok, {} failed ({} required), {} skipped, in {:.3} s",
        m.total,
        m.ok,
        m.failed,
        m.failed_required,
        m.skipped,
        Duration::from_millis(r.duration_ms).as_secs_f64()
    )?;
    writeln!(out, "{}", verdict(r))
}

fn write_skipped(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in r.results.iter().filter(|e| e.status == Status::Skipped) {
        let ids = by_reason.entry(e.detail.as_str()).or_default();
        if !ids.contains(&e.facts.id.as_str()) {
            ids.push(&e.facts.id);
        }
    }
    if by_reason.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nSkipped:")?;
    for (reason, ids) in by_reason {
        writeln!(out, "  {}: {reason}", ids.join(", "))?;
    }
    Ok(())
}

fn write_failures(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let failed: Vec<&ResultEntry> = r.results.iter().filter(|e| e.status.is_failure()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nFailures ({}), required first:", failed.len())?;
    for e in failed
        .iter()
        .filter(|e| e.facts.required)
        .chain(failed.iter().filter(|e| !e.facts.required))
    {
        let req = if e.facts.required {
            "required"
        } else {
            "optional"
        };
        writeln!(
            out,
            "  ✗ {} ({req}) {} — {}",
            e.facts.id,
            e.target(),
            e.status.as_str()
        )?;
        writeln!(out, "      {}", e.detail)?;
        if let Some(h) = &e.hint {
            writeln!(out, "      hint: {h}")?;
        }
    }
    Ok(())
}

/// The one-line verdict: `PASS`/`FAIL`, and what failed.
pub fn verdict(r: &Report) -> String {
    let mut required: Vec<&str> = r
        .results
        .iter()
        .filter(|e| e.facts.required && e.status.is_failure())
        .map(|e| e.facts.id.as_str())
        .collect();
    required.dedup();
    let optional = r.summary.failed - r.summary.failed_required;
    let word = if r.passed() { "PASS" } else { "FAIL" };
    let interrupted = if r.interrupted {
        " (interrupted: partial report)"
    } else {
        ""
    };
    if required.is_empty() {
        format!(
            "VERDICT: {word}{interrupted} — every required dependency probed is reachable; {optional} optional failure(s)"
        )
    } else {
        format!(
            "VERDICT: {word}{interrupted} — {} required probe(s) failed: {}; {optional} optional failure(s)",
            r.summary.failed_required,
            required.join(", ")
        )
    }
}

/// The serde (lowercase) name of a settings enum.
fn lower(v: impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_owned))
        .unwrap_or_default()
}
