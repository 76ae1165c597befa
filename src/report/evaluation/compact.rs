//! The `compact` format of `evaluate`: at most [`crate::report::compact::BUDGET`] bytes of plain
//! ASCII — a header, the counts, one line per flow that is not allowed (most important first),
//! then the verdict as the last line.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::rows::{by_importance, header, near_of, rule_cell};
use crate::evaluate::Verdict;
use crate::evaluate::report::{EvaluationReport, label};
use crate::report::compact::{BUDGET, WIDTH};

/// Writes the compact report.
pub fn write(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(r).as_bytes())
}

/// The compact report as text.
pub fn render(r: &EvaluationReport) -> String {
    let s = &r.summary;
    let head = [
        ascii(&header(r), WIDTH),
        format!(
            "flows: {} total, {} allowed, {} denied, {} partial, {} unknown; {} required failing",
            s.total, s.allowed, s.denied, s.partial, s.unknown, s.failed_required
        ),
    ];
    let mut body: Vec<String> = r
        .findings
        .iter()
        .filter(|x| !x.ok)
        .map(|x| ascii(&format!("FAILED subnet {}: {}", x.id, x.detail), WIDTH))
        .collect();
    body.extend(
        by_importance(r)
            .into_iter()
            .filter(|f| f.verdict != Verdict::Allowed)
            .map(|f| {
                // A near miss names the one field to change: shorter and surer than a new rule.
                let index = r.flows.iter().position(|x| std::ptr::eq(x, f));
                let near = index.and_then(|i| near_of(r, i));
                let fix = match (near, &f.hint) {
                    (Some(n), _) => format!(" | near miss: {}", n.says),
                    (None, Some(h)) => format!(" | fix: {}", h.text),
                    (None, None) => String::new(),
                };
                ascii(
                    &format!(
                        "{} {}{} rule {}: {}{fix}",
                        f.verdict.as_str().to_uppercase(),
                        label(f),
                        if f.flow.required { "" } else { " (optional)" },
                        rule_cell(f.rule.as_ref()),
                        f.detail
                    ),
                    WIDTH,
                )
            }),
    );
    let tail = ascii(&r.verdict_line(), 400);
    let fixed: usize = head.iter().map(|l| l.len() + 1).sum::<usize>() + tail.len() + 1;
    let mut room = BUDGET.saturating_sub(fixed);
    let mut text = head.join("\n") + "\n";
    let mut shown = 0;
    for (i, line) in body.iter().enumerate() {
        let reserve = if i + 1 < body.len() { 24 } else { 0 };
        if line.len() + 1 + reserve > room {
            break;
        }
        room -= line.len() + 1;
        text.push_str(line);
        text.push('\n');
        shown += 1;
    }
    if shown < body.len() {
        let _ = writeln!(text, "+{} more", body.len() - shown);
    }
    text.push_str(&tail);
    text.push('\n');
    text
}

/// Plain ASCII (others become `?`, the dash `-`), cut to `width` bytes with `...`.
fn ascii(s: &str, width: usize) -> String {
    let plain: String = s
        .chars()
        .map(|c| match c {
            '—' | '–' => '-',
            '…' => '.',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect();
    if plain.len() <= width {
        plain
    } else {
        format!("{}...", &plain[..width - 3])
    }
}
