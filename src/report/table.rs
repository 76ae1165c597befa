//! The terminal report: one aligned line per result, then failures with reason and hint, skipped
//! reasons grouped, and the verdict as the very last line (run-command keeps only the tail).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use crate::probe::Status;

use super::model::{Report, ResultEntry};
use super::rows::{self, Preset, paint};
use super::{Style, causes};

/// Writes the table report, coloured when `style.colour`: status words (green `ok`, red
/// failures, yellow `skipped`) and the verdict line. Without colour, the bytes of [`write`].
pub fn write_styled(r: &Report, out: &mut dyn Write, style: Style) -> io::Result<()> {
    let s = &r.settings;
    let region = s.region.as_deref().unwrap_or("(none)");
    writeln!(
        out,
        "{} {} · {} · region {region} · timeout {} ms · DNS {}",
        r.tool.name,
        r.tool.version,
        rows::settings_scope(s),
        s.timeout_ms.unwrap_or_default(),
        r.dns.servers.join(", ")
    )?;
    if let Some(reference) = &r.reference {
        writeln!(out, "checked against {}", reference.line())?;
    }
    writeln!(out)?;
    rows::write_results(
        r,
        out,
        Preset::Terminal {
            colour: style.colour,
        },
    )?;
    write_skipped(r, out)?;
    causes::write_text(r, out, |s| printable(s).into_owned())?;
    write_failures(r, out, style.colour)?;
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
    let verdict_status = if r.passed() {
        Status::Ok
    } else {
        Status::Error
    };
    writeln!(out, "{}", paint(&verdict(r), verdict_status, style.colour))
}

/// Writes the table report without colour.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_styled(r, out, Style::default())
}

fn write_skipped(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in r.results.iter().filter(|e| e.status == Status::Skipped) {
        let ids = by_reason.entry(e.detail.as_str()).or_default();
        if !ids.contains(&e.spec.id.as_str()) {
            ids.push(&e.spec.id);
        }
    }
    if by_reason.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nSkipped:")?;
    for (reason, ids) in by_reason {
        writeln!(out, "  {}: {}", ids.join(", "), printable(reason))?;
    }
    Ok(())
}

/// The failures no cause explains (every failure when there is no diagnosis), required first.
fn write_failures(r: &Report, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    let failed: Vec<&ResultEntry> = causes::unexplained(r);
    if failed.is_empty() {
        return Ok(());
    }
    if r.diagnosis.is_empty() {
        writeln!(out, "\nFailures ({}), required first:", failed.len())?;
    } else {
        writeln!(
            out,
            "\nFailures no cause explains ({}), required first:",
            failed.len()
        )?;
    }
    for e in failed
        .iter()
        .filter(|e| e.spec.required)
        .chain(failed.iter().filter(|e| !e.spec.required))
    {
        let req = if e.spec.required {
            "required"
        } else {
            "optional"
        };
        writeln!(
            out,
            "  ✗ {} ({req}) {} — {}",
            e.spec.id,
            e.target(),
            paint(e.status.as_str(), e.status, colour)
        )?;
        writeln!(out, "      {}", printable(&e.detail))?;
        if let Some(h) = &e.hint {
            writeln!(out, "      hint: {}", printable(h))?;
        }
    }
    Ok(())
}

/// The one-line verdict: `PASS`/`FAIL`, and what failed.
pub fn verdict(r: &Report) -> String {
    let mut required: Vec<&str> = r
        .results
        .iter()
        .filter(|e| e.spec.required && e.status.is_failure())
        .map(|e| e.spec.id.as_str())
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

/// Text a peer supplied (an HTTP body, a banner) may hold control bytes; a terminal must never
/// receive them raw (escape sequences could rewrite the screen), so each becomes U+FFFD.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_bytes_never_reach_the_terminal() {
        assert_eq!(printable("ok"), "ok");
        assert_eq!(printable("a\x01b\x1b[2Jc"), "a\u{FFFD}b\u{FFFD}[2Jc");
    }
}
