//! The `compact` report, for `az vm run-command`: Azure returns only the last 4,096 bytes of a
//! script's output (stdout and stderr together), so this never writes more than [`BUDGET`]
//! bytes, in plain ASCII: a header, the counts, one line per cause of the diagnosis, one short line
//! per failure no cause explains (most important first), then the verdict as the last line. The
//! JSON report file keeps the full evidence.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{Report, ResultEntry};
use super::table::verdict;
use super::{causes, fixes};

/// The most bytes written. Below 4,096 so that run-command's wrapper (`[stdout]`, `[stderr]`) and
/// a line on stderr still fit in what Azure returns.
pub const BUDGET: usize = 3_584;

/// The widest line, in bytes, before it is cut with `...`.
pub const WIDTH: usize = 200;

/// The most bytes the fix lines take before the verdict.
const FIX_SHARE: usize = 800;

/// The widest line of a cause: its summary and its fix, which say more than any one failure.
const CAUSE_WIDTH: usize = 400;

/// The most of a failure's detail shown, so its hint fits on the line too.
const DETAIL_WIDTH: usize = 72;

/// The widest verdict line: it may list many ids, and must stay whole at the end.
const VERDICT_WIDTH: usize = 400;

/// Writes the compact report.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(r).as_bytes())
}

/// The compact report as text, at most [`BUDGET`] bytes.
pub fn render(r: &Report) -> String {
    let s = &r.settings;
    let mut head = vec![
        cut(
            &format!(
                "{} {} check: {} ref {} region {} timeout {} strict {} dns {}",
                r.tool.name,
                r.tool.version,
                super::rows::settings_scope(s),
                r.reference.as_ref().map_or("-", |x| x.edition.as_str()),
                s.region.as_deref().unwrap_or("-"),
                s.timeout_ms.map_or("-".to_owned(), |t| format!("{t}ms")),
                if s.strict { "on" } else { "off" },
                r.dns.servers.join(",")
            ),
            WIDTH,
        ),
        counts(r),
    ];
    if r.interrupted {
        head.push("INTERRUPTED: partial report".to_owned());
    }
    let tail = [
        "full evidence (detail, hint, certificates, timings): the JSON report file (--report-file)"
            .to_owned(),
        fit_verdict(&verdict(r)),
    ];
    let mut body: Vec<String> = causes::compact_lines(r)
        .into_iter()
        .map(|l| cut(&l, CAUSE_WIDTH))
        .collect();
    body.extend(causes::unexplained(r).into_iter().map(failure_line));
    body.extend(warning_lines(r));
    // The first fixes, just before the tail, within their own share of the budget.
    let mut fix_lines: Vec<String> = Vec::new();
    let mut fix_room = FIX_SHARE;
    for line in fixes::compact_lines(r).into_iter().map(|l| cut(&l, WIDTH)) {
        if line.len() + 1 > fix_room {
            break;
        }
        fix_room -= line.len() + 1;
        fix_lines.push(line);
    }
    let fixed: usize = head
        .iter()
        .chain(&tail)
        .chain(&fix_lines)
        .map(|l| l.len() + 1)
        .sum();
    let mut room = BUDGET.saturating_sub(fixed);
    let mut text = String::new();
    for line in &head {
        let _ = writeln!(text, "{line}");
    }
    let mut shown = 0;
    for (i, line) in body.iter().enumerate() {
        let more = body.len() - i - 1;
        // Keep room for the "+N more" line whenever something would be left out.
        let reserve = if more > 0 { 40 } else { 0 };
        if line.len() + 1 + reserve > room {
            break;
        }
        room -= line.len() + 1;
        let _ = writeln!(text, "{line}");
        shown += 1;
    }
    if shown < body.len() {
        let _ = writeln!(text, "+{} more (see the report file)", body.len() - shown);
    }
    for line in fix_lines.iter().chain(&tail) {
        let _ = writeln!(text, "{line}");
    }
    text
}

fn counts(r: &Report) -> String {
    let m = &r.summary;
    format!(
        "results {}: ok {}, failed {} (required {}), skipped {}; {:.1} s",
        m.total,
        m.ok,
        m.failed,
        m.failed_required,
        m.skipped,
        std::time::Duration::from_millis(r.duration_ms).as_secs_f64()
    )
}

/// `FAIL req timeout sql host:1433/tcp: detail | hint: …`, the detail cut to [`DETAIL_WIDTH`]
/// and the line to [`WIDTH`].
fn failure_line(e: &ResultEntry) -> String {
    let req = if e.spec.required { "req" } else { "opt" };
    let hint = e
        .hint
        .as_deref()
        .map_or_else(String::new, |h| format!(" | hint: {h}"));
    cut(
        &format!(
            "FAIL {req} {} {} {}: {}{hint}",
            e.status.as_str(),
            e.spec.id,
            e.target(),
            cut(&e.detail, DETAIL_WIDTH)
        ),
        WIDTH,
    )
}

/// `WARN id target: warning`, for results that did not fail.
fn warning_lines(r: &Report) -> Vec<String> {
    let mut lines: Vec<String> = r
        .warnings
        .iter()
        .map(|w| cut(&format!("WARN {w}"), WIDTH))
        .collect();
    for e in r.results.iter().filter(|e| !e.status.is_failure()) {
        for w in &e.warnings {
            lines.push(cut(
                &format!("WARN {} {}: {w}", e.spec.id, e.target()),
                WIDTH,
            ));
        }
    }
    lines
}

/// The verdict, ASCII, with the list of ids shortened in the middle when too long, so that it
/// still starts with `VERDICT:` and ends with the optional count.
fn fit_verdict(v: &str) -> String {
    let v = ascii(v);
    if v.len() <= VERDICT_WIDTH {
        return v;
    }
    let tail = v.rfind("; ").map_or("", |i| &v[i..]);
    let head = &v[..VERDICT_WIDTH - tail.len() - 3];
    let head = head.rfind(", ").map_or(head, |i| &head[..i]);
    format!("{head}, ...{tail}")
}

/// `s` in printable ASCII, cut to `width` bytes with `...` when longer.
fn cut(s: &str, width: usize) -> String {
    let s = ascii(s);
    if s.len() <= width {
        s
    } else {
        format!("{}...", &s[..width - 3])
    }
}

/// Printable ASCII only: typographic marks spelled out, other characters and controls as `?`
/// and spaces, so the text survives any code page and never moves a terminal's cursor.
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' '..='~' => out.push(c),
            '—' | '–' => out.push('-'),
            '·' => out.push('.'),
            '…' => out.push_str("..."),
            '✗' => out.push('x'),
            c if c.is_control() || c.is_whitespace() => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_cut() {
        assert_eq!(ascii("a — b\n\x1b[31mé"), "a - b  [31m?");
        assert_eq!(cut("abcdefgh", 6), "abc...");
        assert_eq!(cut("abc", 6), "abc");
    }

    #[test]
    fn a_long_verdict_keeps_its_start_and_end() {
        let ids: Vec<String> = (0..300).map(|i| format!("dep-{i}")).collect();
        let v = format!(
            "VERDICT: FAIL — 300 required probe(s) failed: {}; 2 optional failure(s)",
            ids.join(", ")
        );
        let f = fit_verdict(&v);
        assert!(f.len() <= VERDICT_WIDTH, "{}", f.len());
        assert!(f.starts_with("VERDICT: FAIL - 300 required"), "{f}");
        assert!(f.ends_with(", ...; 2 optional failure(s)"), "{f}");
    }
}
