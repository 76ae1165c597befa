//! The `markdown` report: a document to paste into a ticket. The verdict in the title, where and
//! how it ran, the failures first with reason, hint and evidence, then every result in a table
//! (the terminal table's function with the Markdown preset), then the command line.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use super::model::{Report, ResultEntry};
use super::rows::{self, Preset, highlights, md_inline};
use super::table::verdict;
use super::{causes, fixes};

/// Writes the Markdown report.
pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let word = if r.passed() { "PASS" } else { "FAIL" };
    writeln!(out, "# apim-probe check: {word}")?;
    writeln!(out)?;
    writeln!(out, "**{}**", md_inline(&verdict(r)))?;
    writeln!(out)?;
    write_environment(r, out)?;
    causes::write_markdown(r, out)?;
    write_failures(r, out)?;
    write_warnings(r, out)?;
    writeln!(out, "## All results")?;
    writeln!(out)?;
    let m = &r.summary;
    writeln!(
        out,
        "{} results: {} ok, {} failed ({} required), {} skipped.",
        m.total, m.ok, m.failed, m.failed_required, m.skipped
    )?;
    writeln!(out)?;
    rows::write_results(r, out, Preset::Markdown)?;
    writeln!(out)?;
    write_command(r, out)?;
    fixes::write_markdown(r, out)
}

fn write_environment(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.settings;
    writeln!(out, "## Environment")?;
    writeln!(out)?;
    let addresses = if r.host.addresses.is_empty() {
        "no address".to_owned()
    } else {
        r.host.addresses.join(", ")
    };
    writeln!(
        out,
        "- Host: `{}` ({})",
        md_inline(&r.host.hostname),
        md_inline(&addresses)
    )?;
    if let Some(azure) = azure_line(r) {
        writeln!(out, "- Azure: {}", md_inline(&azure))?;
    }
    writeln!(
        out,
        "- Settings: {}platform {}, VNet {}, cloud {}, region {}, timeout {}, strict {}",
        if s.profile == crate::catalog::profile::Profile::Classic {
            String::new()
        } else {
            format!("tier {} ({}), ", s.tier, s.profile.words())
        },
        s.platform.as_str(),
        s.vnet.as_str(),
        s.cloud.as_str(),
        md_inline(s.region.as_deref().unwrap_or("(none)")),
        s.timeout_ms.map_or("-".to_owned(), |t| format!("{t} ms")),
        if s.strict { "on" } else { "off" }
    )?;
    if let Some(x) = &r.reference {
        writeln!(out, "- Checked against: {}", super::rows::reference_md(x))?;
    }
    let servers = if r.dns.servers.is_empty() {
        "none".to_owned()
    } else {
        r.dns.servers.join(", ")
    };
    writeln!(
        out,
        "- DNS servers: {} (from {})",
        md_inline(&servers),
        md_inline(&r.dns.source)
    )?;
    if let Some(e) = &r.dns.error {
        writeln!(out, "- DNS configuration problem: {}", md_inline(e))?;
    }
    writeln!(
        out,
        "- Tool: {} {}",
        md_inline(&r.tool.name),
        md_inline(&r.tool.version)
    )?;
    writeln!(
        out,
        "- Started: {}, took {:.3} s",
        md_inline(&r.started_at),
        Duration::from_millis(r.duration_ms).as_secs_f64()
    )?;
    if r.interrupted {
        writeln!(out, "- **Interrupted** (Ctrl-C): this report is partial")?;
    }
    writeln!(out)
}

/// What IMDS said of the VM: name, location, cloud, and where it sits.
fn azure_line(r: &Report) -> Option<String> {
    let a = r.host.azure.as_ref()?;
    let or_unknown = |s: &str| {
        if s.is_empty() {
            "(unknown)".to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut line = format!(
        "VM {} in {}, cloud {}",
        or_unknown(&a.name),
        or_unknown(&a.location),
        or_unknown(&a.az_environment)
    );
    if !a.resource_group_name.is_empty() {
        let _ = write!(line, ", resource group {}", a.resource_group_name);
    }
    if !a.subnets.is_empty() {
        let _ = write!(line, ", subnet {}", a.subnets.join(", "));
    }
    if !a.private_ips.is_empty() {
        let _ = write!(line, ", private IP {}", a.private_ips.join(", "));
    }
    Some(line)
}

/// The failures no cause explains (every failure when there is no diagnosis).
fn write_failures(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let failed = causes::unexplained(r);
    let title = if r.diagnosis.is_empty() {
        "Failures"
    } else {
        "Failures no cause explains"
    };
    if failed.is_empty() {
        writeln!(out, "## {title}")?;
        writeln!(out)?;
        writeln!(out, "None.")?;
        return writeln!(out);
    }
    writeln!(
        out,
        "## {title} ({}), required first, most severe first",
        failed.len()
    )?;
    writeln!(out)?;
    for (n, e) in failed.iter().enumerate() {
        write_entry(out, n + 1, e)?;
    }
    Ok(())
}

fn write_entry(out: &mut dyn Write, n: usize, e: &ResultEntry) -> io::Result<()> {
    let req = if e.spec.required {
        "required"
    } else {
        "optional"
    };
    writeln!(
        out,
        "### {n}. `{}` ({req}): {}",
        md_inline(&e.spec.id),
        e.status.as_str()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "- Target: `{}` ({} check, {})",
        md_inline(&e.target()),
        e.spec.check.as_str(),
        md_inline(&e.spec.purpose)
    )?;
    writeln!(out, "- Status: `{}`", e.status.as_str())?;
    writeln!(out, "- Reason: {}", md_inline(&e.detail))?;
    if let Some(h) = &e.hint {
        writeln!(out, "- Hint: {}", md_inline(h))?;
    }
    for h in highlights(e) {
        writeln!(out, "- Evidence: {}", md_inline(&h))?;
    }
    for w in &e.warnings {
        writeln!(out, "- Warning: {}", md_inline(&w.message))?;
    }
    writeln!(out)
}

/// Findings that did not fail a probe (clock skew, certificates expiring) and the run's own.
fn write_warnings(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let with: Vec<&ResultEntry> = r
        .results
        .iter()
        .filter(|e| !e.status.is_failure() && !e.warnings.is_empty())
        .collect();
    if with.is_empty() && r.warnings.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Warnings")?;
    writeln!(out)?;
    for w in &r.warnings {
        writeln!(out, "- {}", md_inline(&w.message))?;
    }
    for e in with {
        for w in &e.warnings {
            writeln!(
                out,
                "- `{}` `{}`: {}",
                md_inline(&e.spec.id),
                md_inline(&e.target()),
                md_inline(&w.message)
            )?;
        }
        if let Some(h) = &e.hint {
            writeln!(out, "  - Hint: {}", md_inline(h))?;
        }
        for h in highlights(e) {
            writeln!(out, "  - Evidence: {}", md_inline(&h))?;
        }
    }
    writeln!(out)
}

/// The command line, rebuilt from the settings: the report does not record argv.
fn write_command(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.settings;
    let mut cmd = vec![
        "apim-probe check".to_owned(),
        format!("--platform {}", s.platform.as_str()),
        format!("--vnet {}", s.vnet.as_str()),
        format!("--cloud {}", s.cloud.as_str()),
    ];
    if let Some(region) = &s.region {
        cmd.push(format!("--region {}", shell_word(region)));
    }
    if let Some(t) = s.timeout_ms {
        cmd.push(format!("--timeout {t}ms"));
    }
    if r.dns.source == "option" {
        for server in &r.dns.servers {
            cmd.push(format!("--dns-server {}", shell_word(server)));
        }
    }
    if s.strict {
        cmd.push("--strict".to_owned());
    }
    let cmd = cmd.join(" ");
    writeln!(out, "## Command")?;
    writeln!(out)?;
    if let Some(line) = &s.command_line {
        writeln!(out, "```sh")?;
        writeln!(out, "{line}")?;
        return writeln!(out, "```");
    }
    writeln!(
        out,
        "Reconstructed from the report's settings (`--set`, `--catalog`, `--only`/`--skip` are not recorded):"
    )?;
    writeln!(out)?;
    writeln!(out, "```sh")?;
    writeln!(out, "{cmd}")?;
    writeln!(out, "```")
}

/// A value safe to paste into a POSIX shell: kept as is when plain, else single-quoted.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@[]".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''").replace(['\n', '\r'], " "))
    }
}
