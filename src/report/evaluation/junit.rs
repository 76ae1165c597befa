//! The `junit` format of `evaluate`: one `<testcase>` per flow (classname = flow id, name =
//! `direction transport/ports remote`) and per subnet finding; `<failure>` for denied and
//! partial, `<skipped>` for unknown, with the why and the fix.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::evaluate::Verdict;
use crate::evaluate::report::EvaluationReport;
use crate::report::junit::xml;

/// Writes the JUnit XML report.
pub fn write(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    let failures = s.denied + s.partial + r.findings.iter().filter(|x| !x.ok).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuite name="{} evaluate" tests="{}" failures="{failures}" errors="0" skipped="{}">"#,
        xml(&r.tool.name),
        s.total + r.findings.len(),
        s.unknown
    )?;
    write_properties(r, out)?;
    for x in &r.findings {
        write_finding(x, out)?;
    }
    for (i, f) in r.flows.iter().enumerate() {
        write_flow(f, super::rows::near_of(r, i), out)?;
    }
    if !r.warnings.is_empty() {
        writeln!(
            out,
            "  <system-out>{}</system-out>",
            xml(&r.warnings.join("\n"))
        )?;
    }
    writeln!(out, "</testsuite>")
}

fn write_properties(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "  <properties>")?;
    let st = &r.settings;
    for (name, value) in [
        ("version", r.tool.version.clone()),
        (
            "reference",
            r.reference
                .as_ref()
                .map_or_else(String::new, |x| x.edition.clone()),
        ),
        ("profile", st.profile.as_str().to_owned()),
        ("platform", st.platform.as_str().to_owned()),
        ("vnet", st.vnet.as_str().to_owned()),
        ("cloud", st.cloud.as_str().to_owned()),
        ("region", st.region.clone().unwrap_or_default()),
        ("strict", st.strict.to_string()),
    ] {
        writeln!(
            out,
            r#"    <property name="{name}" value="{}"/>"#,
            xml(&value)
        )?;
    }
    writeln!(out, "  </properties>")?;
    Ok(())
}

fn write_finding(x: &crate::evaluate::Finding, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        r#"  <testcase classname="subnet" name="{}""#,
        xml(&x.id)
    )?;
    if x.ok {
        writeln!(out, "/>")?;
    } else {
        let fix = x
            .hint
            .as_ref()
            .map(|h| format!("\nfix: {}", h.text))
            .unwrap_or_default();
        writeln!(out, ">")?;
        writeln!(
            out,
            r#"    <failure message="{}">{}</failure>"#,
            xml(&x.detail),
            xml(&format!("{}{fix}", x.detail))
        )?;
        writeln!(out, "  </testcase>")?;
    }
    Ok(())
}

fn write_flow(
    f: &crate::evaluate::FlowResult,
    near: Option<&crate::evaluate::near::NearMiss>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let name = format!(
        "{} {}/{} {}",
        f.flow.direction.as_str(),
        f.flow.transport.as_str(),
        f.flow.ports,
        f.flow.remote_tag()
    );
    write!(
        out,
        r#"  <testcase classname="{}" name="{}""#,
        xml(&f.flow.id),
        xml(&name)
    )?;
    let mut fix = f
        .hint
        .as_ref()
        .map(|h| format!("\nfix: {}", h.command.as_deref().unwrap_or(&h.text)))
        .unwrap_or_default();
    if let Some(o) = f.rule.as_ref().and_then(|x| x.origin.as_ref()) {
        fix = format!("\nat: {}{fix}", super::rows::origin_cell(o));
    }
    if let Some(n) = near {
        let _ = write!(fix, "\nnear miss: {}\n{}", n.says, n.suggestion.text);
    }
    match f.verdict {
        Verdict::Allowed => writeln!(out, "/>")?,
        Verdict::Unknown => {
            writeln!(out, ">")?;
            writeln!(out, r#"    <skipped message="{}"/>"#, xml(&f.detail))?;
            writeln!(out, "  </testcase>")?;
        }
        Verdict::Denied | Verdict::Partial => {
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"    <failure message="{}: {}" type="{}">{}</failure>"#,
                f.verdict.as_str(),
                xml(&f.detail),
                f.verdict.as_str(),
                xml(&format!("{}{fix}", f.detail))
            )?;
            writeln!(out, "  </testcase>")?;
        }
    }
    Ok(())
}
