//! What can be read from output that is not a whole report: the lines of `-o compact` (one per
//! failure, the verdict last) and, from a JSON report cut to its last 4,096 bytes, the result
//! objects that came back whole.

use serde::Deserialize;

use crate::catalog::model::Transport;
use crate::probe::Status;
use crate::report::model::ProbeSpec;

use super::model::{Cell, CellClass, Verdict};
use super::source::{SourceRow, class_of};

/// What the output holds.
#[derive(Debug, Default, Clone)]
pub struct Salvaged {
    /// The failures (compact) or results (cut JSON) read.
    pub rows: Vec<SourceRow>,
    /// From the `VERDICT:` line.
    pub verdict: Option<Verdict>,
    /// Whether the compact header came back: the output was not cut at its start.
    pub header: bool,
    /// Failures the compact output left out (`+N more`).
    pub more: Option<usize>,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// The run-command script's own `ERROR:` line.
    pub error: Option<String>,
    /// Whether rows came from a cut JSON report.
    pub from_json: bool,
    /// The edition the compact header names (`ref 2025-06`).
    pub reference: Option<String>,
}

impl Salvaged {
    /// Whether every failure is listed: the whole compact output came back.
    pub fn complete(&self) -> bool {
        self.header && self.more.is_none() && !self.from_json && self.verdict.is_some()
    }
}

/// Reads compact lines, else result objects of a cut JSON report.
pub fn salvage(text: &str) -> Salvaged {
    let mut s = Salvaged::default();
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = line.strip_prefix("FAIL ") {
            s.rows.extend(fail_line(rest));
        } else if let Some(rest) = line.strip_prefix("VERDICT: ") {
            s.interrupted |= rest.contains("interrupted");
            s.verdict = if rest.starts_with("PASS") {
                Some(Verdict::Pass)
            } else if rest.starts_with("FAIL") {
                Some(Verdict::Fail)
            } else {
                None
            };
        } else if line.starts_with("apim-probe ") && line.contains(" check: ") {
            s.header = true;
            s.reference = line
                .split_once(" ref ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .filter(|r| *r != "-")
                .map(str::to_owned);
        } else if let Some(n) = line.strip_prefix('+').and_then(|r| r.split_once(" more")) {
            s.more = n.0.parse().ok();
        } else if let Some((_, e)) = line.split_once("ERROR: ") {
            s.error = Some(e.chars().take(300).collect());
        } else if line.starts_with("INTERRUPTED") {
            s.interrupted = true;
        }
    }
    if s.rows.is_empty() && s.verdict.is_none() {
        s.rows = cut_json(text);
        s.from_json = !s.rows.is_empty();
        s.interrupted |= text.contains("\"interrupted\": true");
    }
    s
}

/// `req timeout sql db.example.net:1433/tcp: detail | hint: text` (after `FAIL `).
fn fail_line(rest: &str) -> Option<SourceRow> {
    let mut words = rest.splitn(4, ' ');
    let required = match words.next()? {
        "req" => true,
        "opt" => false,
        _ => return None,
    };
    let status = words.next()?;
    let id = words.next()?;
    let tail = words.next()?;
    let (target, detail) = tail
        .split_once(": ")
        .unwrap_or((tail.trim_end_matches(':'), ""));
    let (detail, hint) = match detail.split_once(" | hint: ") {
        Some((d, h)) => (d, Some(h.to_owned())),
        None => (detail, None),
    };
    let class = serde_json::from_value::<Status>(serde_json::Value::from(status))
        .map_or(CellClass::Failed, class_of);
    Some(SourceRow {
        id: id.to_owned(),
        target: target.to_owned(),
        required,
        cell: Cell {
            class,
            status: status.to_owned(),
            detail: detail.to_owned(),
            hint,
        },
    })
}

/// The fields of one result object read from a cut report.
#[derive(Deserialize)]
struct CutResult {
    id: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    transport: Transport,
    #[serde(default)]
    required: bool,
    status: Status,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    hint: Option<String>,
}

/// Every result object that came back whole: tried at each `{`, kept when it parses.
fn cut_json(text: &str) -> Vec<SourceRow> {
    let mut rows = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find('{') {
        let start = i + at;
        let mut stream =
            serde_json::Deserializer::from_str(&text[start..]).into_iter::<CutResult>();
        match stream.next() {
            Some(Ok(r)) => {
                i = start + stream.byte_offset();
                rows.push(row_of(r));
            }
            _ => i = start + 1,
        }
    }
    rows
}

fn row_of(r: CutResult) -> SourceRow {
    let target = ProbeSpec {
        id: r.id.clone(),
        purpose: String::new(),
        service_tag: String::new(),
        required: r.required,
        direction: crate::catalog::model::Direction::Outbound,
        host: r.host,
        port: r.port,
        stands_for: None,
        path: None,
        transport: r.transport,
        check: crate::catalog::model::CheckKind::Tcp,
        reference: String::new(),
    }
    .target();
    SourceRow {
        id: r.id,
        target,
        required: r.required,
        cell: Cell {
            class: class_of(r.status),
            status: r.status.as_str().to_owned(),
            detail: r.detail,
            hint: r.hint,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_lines_are_read() {
        let text = "apim-probe 0.1.0 check: stv2/external/public region westeurope timeout 5000ms strict off dns 10.0.0.4:53\n\
            results 3: ok 1, failed 2 (required 1), skipped 0; 5.0 s\n\
            FAIL req timeout sql db.example.net:1433/tcp: no answer within 5s | hint: allow outbound TCP 1433\n\
            FAIL opt refused kms kms.core.windows.net:1688/tcp: reset\n\
            VERDICT: FAIL - 1 required probe(s) failed: sql; 1 optional failure(s)\n";
        let s = salvage(text);
        assert!(s.complete());
        assert_eq!(s.verdict, Some(Verdict::Fail));
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.rows[0].target, "db.example.net:1433/tcp");
        assert_eq!(
            s.rows[0].cell.hint.as_deref(),
            Some("allow outbound TCP 1433")
        );
        assert!(!s.rows[1].required);
    }

    #[test]
    fn a_cut_start_and_more_lines_are_incomplete() {
        let s = salvage(
            "re)\nFAIL req timeout a h:1/tcp: x\n+4 more (see the report file)\nVERDICT: FAIL - x\n",
        );
        assert!(!s.header);
        assert_eq!(s.more, Some(4));
        assert!(!s.complete());
    }

    #[test]
    fn whole_result_objects_come_back_from_a_cut_report() {
        let text = r#"ils": "x" }, "status": "ok" },
    { "id": "sql", "host": "db.example.net", "port": 1433, "transport": "tcp", "required": true,
      "status": "timeout", "detail": "no answer", "facts": { "timed_out_in": "connect" } }
  ], "warnings": [], "interrupted": false }"#;
        let s = salvage(text);
        assert!(s.from_json);
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.rows[0].target, "db.example.net:1433/tcp");
        assert_eq!(s.rows[0].cell.class, CellClass::Failed);
        assert!(!s.complete());
    }
}
