//! The `junit` report: JUnit XML for CI dashboards. One `<testsuite>`, one `<testcase>` per
//! result (classname = dependency id, name = `host:port/transport check`), `<failure>` with the
//! reason and the hint, `<skipped>` with why. Every text is escaped, and characters XML 1.0 cannot
//! carry at all (most controls) are replaced, so no peer's bytes can break the document.

use std::io::{self, Write};

use super::model::{Report, ResultEntry};
use crate::probe::Status;
use crate::probe::outcome::Warning;

/// Writes the JUnit XML report.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let m = &r.summary;
    let secs = std::time::Duration::from_millis(r.duration_ms).as_secs_f64();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="{}" time="{:.3}" timestamp="{}" hostname="{}">"#,
        xml(&r.tool.name),
        m.total,
        m.failed,
        m.skipped,
        secs,
        xml(&r.started_at),
        xml(&r.host.hostname)
    )?;
    write_properties(r, out)?;
    for e in &r.results {
        write_case(e, out)?;
    }
    if !r.warnings.is_empty() {
        writeln!(
            out,
            "  <system-out>{}</system-out>",
            xml(&join_warnings(&r.warnings))
        )?;
    }
    writeln!(out, "</testsuite>")
}

fn write_properties(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.settings;
    let props = [
        ("version", r.tool.version.clone()),
        (
            "reference",
            r.reference
                .as_ref()
                .map_or_else(String::new, |x| x.edition.clone()),
        ),
        ("profile", s.profile.to_string()),
        ("platform", s.platform.to_string()),
        ("vnet", s.vnet.to_string()),
        ("cloud", s.cloud.to_string()),
        ("region", s.region.clone().unwrap_or_default()),
        (
            "timeout_ms",
            s.timeout_ms.map_or_else(String::new, |t| t.to_string()),
        ),
        ("strict", s.strict.to_string()),
        ("dns_servers", r.dns.servers.join(",")),
        ("interrupted", r.interrupted.to_string()),
    ];
    writeln!(out, "  <properties>")?;
    for (name, value) in props {
        writeln!(
            out,
            r#"    <property name="{name}" value="{}"/>"#,
            xml(&value)
        )?;
    }
    writeln!(out, "  </properties>")
}

fn write_case(e: &ResultEntry, out: &mut dyn Write) -> io::Result<()> {
    let name = format!("{} {}", e.target(), e.spec.check.as_str());
    write!(
        out,
        r#"  <testcase classname="{}" name="{}" time="{}""#,
        xml(&e.spec.id),
        xml(&name),
        seconds(e.timings_ms.total)
    )?;
    match e.status {
        Status::Ok if e.warnings.is_empty() => writeln!(out, "/>"),
        Status::Ok => {
            writeln!(out, ">")?;
            let text = with_hint(&join_warnings(&e.warnings), e.hint.as_deref());
            writeln!(out, "    <system-out>{}</system-out>", xml(&text))?;
            writeln!(out, "  </testcase>")
        }
        Status::Skipped => {
            writeln!(out, ">")?;
            writeln!(out, r#"    <skipped message="{}"/>"#, xml(&e.detail))?;
            writeln!(out, "  </testcase>")
        }
        status => {
            writeln!(out, ">")?;
            let text = with_hint(&e.detail, e.hint.as_deref());
            writeln!(
                out,
                r#"    <failure message="{0}" type="{0}">{1}</failure>"#,
                status.as_str(),
                xml(&text)
            )?;
            writeln!(out, "  </testcase>")
        }
    }
}

/// `text`, and the hint on a line of its own when there is one.
fn with_hint(text: &str, hint: Option<&str>) -> String {
    match hint {
        Some(h) => format!("{text}\nhint: {h}"),
        None => text.to_owned(),
    }
}

/// Milliseconds as seconds with three decimals; `0.000` when unknown.
fn seconds(ms: Option<f64>) -> String {
    format!("{:.3}", ms.unwrap_or(0.0).max(0.0) / 1000.0)
}

/// `s` escaped for XML text and attribute values alike.
///
/// `& < > " '` become entities; tab, newline and carriage return become character references
/// (attribute values would otherwise fold them into spaces); other characters XML 1.0 forbids
/// even as references (C0 controls, U+FFFE, U+FFFF) become U+FFFD.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The warnings' messages, one per line.
fn join_warnings(ws: &[Warning]) -> String {
    ws.iter()
        .map(|w| w.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            xml(r#"a&b<c>"d"'e'"#),
            "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;"
        );
        assert_eq!(xml("x\u{1}\n\u{ffff}"), "x\u{fffd}&#10;\u{fffd}");
    }
}
