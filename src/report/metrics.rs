//! The report as Prometheus metrics (`watch --listen`, `GET /metrics`): a pure function of the
//! last report, in the text exposition format 0.0.4.
//!
//! Names follow Prometheus's conventions (<https://prometheus.io/docs/practices/naming/>): the
//! `apim_probe_` prefix, base units in the name (`_seconds`), gauges only (every value is the
//! state of the last run). Per result: `apim_probe_up`, `apim_probe_status` and
//! `apim_probe_duration_seconds`, labelled by the row of the plan (`id`, `host`, `port`,
//! `transport`, `check`, `required`, `service_tag`) — never by an address or the detail, so the
//! number of series is bounded by the plan. Per run: `apim_probe_last_run_timestamp_seconds`,
//! `apim_probe_run_duration_seconds`, `apim_probe_failed_required`; per cause of the diagnosis,
//! `apim_probe_cause{cause,summary}` (the only free text as a label: one series per cause).
//!
//! `apim_probe_status` has one series per status of the contract for every row, 1 for the current
//! one and 0 for the others (the state-set pattern of OpenMetrics): a status that ends sets its
//! series to 0 instead of making it vanish, so `changes()`, `for:` in alerts and
//! `sum by (status)` see every change, and a graph shows the old status end. The cost is 11 series
//! a row; a plan has tens of rows.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::model::{Report, ResultEntry};
use crate::probe::outcome::Status;

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The last completed run: its report and when it finished.
#[derive(Debug, Clone, Copy)]
pub struct Round<'a> {
    /// The report.
    pub report: &'a Report,
    /// When the run finished, in seconds since the epoch.
    pub finished_unix: f64,
}

/// The exposition: the build info always, the rest once a run has completed.
pub fn render(last: Option<Round<'_>>) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "apim_probe_build_info",
        "The version of apim-probe that serves these metrics (always 1).",
    );
    sample(
        &mut out,
        "apim_probe_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    if let Some(round) = last {
        per_run(&mut out, round);
        per_result(&mut out, round.report);
        causes(&mut out, round.report);
    }
    out
}

fn per_run(out: &mut String, round: Round<'_>) {
    let r = round.report;
    let runs: [(&str, &str, f64); 3] = [
        (
            "apim_probe_last_run_timestamp_seconds",
            "When the last completed run finished, in seconds since the epoch.",
            round.finished_unix,
        ),
        (
            "apim_probe_run_duration_seconds",
            "How long the last completed run took.",
            secs(r.duration_ms),
        ),
        (
            "apim_probe_failed_required",
            "Required dependencies that failed in the last run (the verdict fails above 0).",
            count(r.summary.failed_required),
        ),
    ];
    for (name, help, value) in runs {
        family(out, name, help);
        sample(out, name, &[], value);
    }
    if let Some(x) = &r.reference {
        let name = "apim_probe_reference_info";
        family(
            out,
            name,
            "The edition of the VNet reference the last run checked against (always 1).",
        );
        sample(
            out,
            name,
            &[("edition", &x.edition), ("date", &x.date)],
            1.0,
        );
    }
}

fn per_result(out: &mut String, r: &Report) {
    let rows = unique_rows(r);
    family(
        out,
        "apim_probe_up",
        "Whether the dependency was reachable in the last run (1 ok, 0 failed); skipped rows have none.",
    );
    for (row, labels) in &rows {
        if row.status != Status::Skipped {
            sample(
                out,
                "apim_probe_up",
                &pairs(labels),
                bool_value(row.status == Status::Ok),
            );
        }
    }
    family(
        out,
        "apim_probe_status",
        "The status of the row in the last run: 1 for the current status, 0 for the others.",
    );
    for (row, labels) in &rows {
        for &status in Status::ALL {
            let mut l = pairs(labels);
            l.push(("status", status.as_str()));
            sample(
                out,
                "apim_probe_status",
                &l,
                bool_value(row.status == status),
            );
        }
    }
    family(
        out,
        "apim_probe_duration_seconds",
        "How long the probe of the row took in the last run.",
    );
    for (row, labels) in &rows {
        if let Some(ms) = row.timings_ms.total {
            sample(
                out,
                "apim_probe_duration_seconds",
                &pairs(labels),
                ms / 1000.0,
            );
        }
    }
}

fn causes(out: &mut String, r: &Report) {
    family(
        out,
        "apim_probe_cause",
        "A cause the diagnosis names for failures of the last run (always 1 while it holds).",
    );
    let mut seen = HashSet::new();
    for c in &r.diagnosis {
        if seen.insert((c.cause.as_str(), c.summary.as_str())) {
            let labels = [("cause", c.cause.as_str()), ("summary", c.summary.as_str())];
            sample(out, "apim_probe_cause", &labels, 1.0);
        }
    }
}

/// The labels of one row, owned; rows whose labels repeat an earlier row's are left out (a
/// repeated series would make Prometheus reject the whole scrape).
fn unique_rows(r: &Report) -> Vec<(&ResultEntry, [(&'static str, String); 7])> {
    let mut seen = HashSet::new();
    r.results
        .iter()
        .map(|row| (row, row_labels(row)))
        .filter(|(_, labels)| seen.insert(labels.clone()))
        .collect()
}

fn row_labels(row: &ResultEntry) -> [(&'static str, String); 7] {
    let s = &row.spec;
    [
        ("id", s.id.clone()),
        ("host", s.host.clone().unwrap_or_default()),
        ("port", s.port.map(|p| p.to_string()).unwrap_or_default()),
        ("transport", s.transport.as_str().to_owned()),
        ("check", s.check.as_str().to_owned()),
        ("required", s.required.to_string()),
        ("service_tag", s.service_tag.clone()),
    ]
}

fn pairs<'a>(labels: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    labels.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// `# HELP` and `# TYPE … gauge` of one metric family.
fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// One sample line: `name{k="v",…} value`.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {}", number(value));
}

/// A label value as the format wants it: backslash, double quote and line feed escaped.
pub fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// A HELP text: backslash and line feed escaped (quotes stay as they are there).
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value: Rust prints floats without exponents, which the format accepts; the
/// non-finite values have their own spellings.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn bool_value(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "milliseconds of a run are far below 2^52"
)]
fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

#[expect(
    clippy::cast_precision_loss,
    reason = "a count of rows is far below 2^52"
)]
fn count(n: usize) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Cause;

    fn sample_report() -> Report {
        serde_json::from_str(include_str!("../../tests/fixtures/report-sample.json")).unwrap()
    }

    fn lines_of<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .collect()
    }

    #[test]
    fn before_any_run_only_the_build_info() {
        let text = render(None);
        assert_eq!(
            text,
            format!(
                "# HELP apim_probe_build_info The version of apim-probe that serves these metrics (always 1).\n\
                 # TYPE apim_probe_build_info gauge\n\
                 apim_probe_build_info{{version=\"{}\"}} 1\n",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn one_up_per_probed_row_and_every_status_per_row() {
        let r = sample_report();
        let text = render(Some(Round {
            report: &r,
            finished_unix: 1_700_000_000.5,
        }));
        let probed = r
            .results
            .iter()
            .filter(|x| x.status != Status::Skipped)
            .count();
        assert_eq!(lines_of(&text, "apim_probe_up").len(), probed);
        assert_eq!(
            lines_of(&text, "apim_probe_status").len(),
            r.results.len() * Status::ALL.len()
        );
        let current: Vec<_> = lines_of(&text, "apim_probe_status")
            .into_iter()
            .filter(|l| l.ends_with(" 1"))
            .collect();
        assert_eq!(current.len(), r.results.len());
        assert!(
            text.contains(
                "apim_probe_up{id=\"sql\",host=\"apim-weu.database.windows.net\",port=\"1433\",transport=\"tcp\",check=\"tds\",required=\"true\",service_tag=\"Sql\"} 0\n"
            ),
            "{text}"
        );
        assert!(text.contains("apim_probe_last_run_timestamp_seconds 1700000000.5\n"));
        assert!(text.contains(&format!(
            "apim_probe_failed_required {}\n",
            r.summary.failed_required
        )));
        // Addresses and details never become labels: only the plan's hosts.
        let label_values: Vec<&str> = text.split('"').skip(1).step_by(2).collect();
        for row in &r.results {
            for a in row
                .addresses
                .iter()
                .filter(|a| row.spec.host.as_deref() != Some(a.as_str()))
            {
                assert!(!label_values.contains(&a.as_str()), "{a} is a label");
            }
            assert!(
                !label_values.contains(&row.detail.as_str()),
                "{}",
                row.detail
            );
        }
    }

    #[test]
    fn a_row_without_host_or_port_has_empty_labels() {
        let r = sample_report();
        let text = render(Some(Round {
            report: &r,
            finished_unix: 0.0,
        }));
        assert!(
            text.contains("apim_probe_status{id=\"mgmt-inbound\",host=\"\",port=\"3443\","),
            "{text}"
        );
    }

    #[test]
    fn causes_are_labelled_and_escaped() {
        let mut r = sample_report();
        let cause = |c: &str, s: &str| Cause {
            cause: c.into(),
            summary: s.into(),
            explains: vec![1],
            evidence: String::new(),
            fix: String::new(),
            fixes: Vec::new(),
        };
        r.diagnosis = vec![
            cause(
                "dns_unreachable",
                "DNS server 10.0.0.4 \"corp\" said\nnothing \\ at all",
            ),
            cause("tag_blocked", "Sql blocked"),
            cause("tag_blocked", "Sql blocked"),
        ];
        let text = render(Some(Round {
            report: &r,
            finished_unix: 0.0,
        }));
        let causes = lines_of(&text, "apim_probe_cause");
        assert_eq!(
            causes,
            [
                "apim_probe_cause{cause=\"dns_unreachable\",summary=\"DNS server 10.0.0.4 \\\"corp\\\" said\\nnothing \\\\ at all\"} 1",
                "apim_probe_cause{cause=\"tag_blocked\",summary=\"Sql blocked\"} 1",
            ]
        );
    }

    #[test]
    fn repeated_rows_are_exported_once() {
        let mut r = sample_report();
        let first = r.results[0].clone();
        r.results.push(first);
        let text = render(Some(Round {
            report: &r,
            finished_unix: 0.0,
        }));
        let probed = r
            .results
            .iter()
            .filter(|x| x.status != Status::Skipped)
            .count();
        assert_eq!(lines_of(&text, "apim_probe_up").len(), probed - 1);
    }

    #[test]
    fn every_family_has_help_and_type_before_its_samples() {
        let r = sample_report();
        let text = render(Some(Round {
            report: &r,
            finished_unix: 0.0,
        }));
        let mut typed = HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                assert!(
                    typed.insert(rest.split(' ').next().unwrap().to_owned()),
                    "{line}"
                );
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(typed.contains(name), "{name} has no TYPE before it");
            }
        }
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NAN), "NaN");
    }
}
