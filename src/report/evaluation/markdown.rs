//! The `markdown` format of `evaluate`, for a ticket: the scope and inputs, what is not allowed
//! first (why, and the `az` command that fixes it), every flow in a table, the verdict.

use std::io::{self, Write};

use super::rows::{by_importance, near_groups, origin_cell, remote_cell, rule_cell};
use crate::evaluate::Verdict;
use crate::evaluate::near::Language;
use crate::evaluate::report::{EvaluationReport, label};
use crate::report::rows::{md_cell, md_inline};

/// Writes the Markdown report.
pub fn write(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    write_head(r, out)?;
    write_problems(r, out)?;
    write_near(r, out)?;
    writeln!(out)?;
    writeln!(out, "## Every flow")?;
    writeln!(out)?;
    writeln!(
        out,
        "| verdict | direction | flow | protocol | ports | remote | rule | next hop |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for f in &r.flows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            f.verdict.as_str(),
            f.flow.direction.as_str(),
            md_cell(&f.flow.id),
            f.flow.transport.as_str(),
            f.flow.ports,
            md_cell(&remote_cell(f)),
            md_cell(&rule_cell(f.rule.as_ref())),
            md_cell(f.next_hop.as_ref().map_or("-", |h| h.kind.as_str()))
        )?;
    }
    if !r.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Warnings")?;
        writeln!(out)?;
        for w in &r.warnings {
            writeln!(out, "- {}", md_inline(w))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", md_inline(&r.verdict_line()))
}

/// The title, the scope and the inputs.
fn write_head(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.settings;
    writeln!(
        out,
        "# apim-probe evaluate: {}",
        if r.passed { "PASS" } else { "FAIL" }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{}Platform `{}`, VNet `{}`, cloud `{}`, region `{}`{}; {} {}.",
        if s.profile == crate::catalog::profile::Profile::Classic {
            String::new()
        } else {
            format!("Tier `{}` ({}). ", s.tier, s.profile.words())
        },
        s.platform.as_str(),
        s.vnet.as_str(),
        s.cloud.as_str(),
        s.region.as_deref().unwrap_or("-"),
        if s.strict { ", strict" } else { "" },
        r.tool.name,
        r.tool.version
    )?;
    if let Some(x) = &r.reference {
        writeln!(out)?;
        writeln!(
            out,
            "Checked against: {}.",
            crate::report::rows::reference_md(x)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Inputs:")?;
    writeln!(out)?;
    for i in &r.inputs {
        writeln!(
            out,
            "- `{}`: {} {}",
            md_inline(&i.path),
            i.kind.as_str(),
            md_inline(&i.name)
        )?;
    }
    if !r.resources.is_empty() {
        writeln!(out)?;
        writeln!(out, "Declared in code:")?;
        writeln!(out)?;
        for c in &r.resources {
            writeln!(
                out,
                "- {} `{}` at `{}`",
                c.kind,
                md_inline(&c.name),
                md_inline(&origin_cell(&c.origin))
            )?;
        }
    }
    Ok(())
}

/// What is not allowed, most important first, each with why and the fix.
fn write_problems(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    let problems: Vec<_> = by_importance(r)
        .into_iter()
        .filter(|f| f.verdict != Verdict::Allowed)
        .collect();
    let failed: Vec<_> = r.findings.iter().filter(|x| !x.ok).collect();
    if !problems.is_empty() || !failed.is_empty() {
        writeln!(out)?;
        writeln!(out, "## Not allowed")?;
        for x in failed {
            writeln!(out)?;
            writeln!(
                out,
                "### subnet: {}{}",
                x.id,
                if x.required { " (required)" } else { "" }
            )?;
            writeln!(out)?;
            writeln!(out, "{}", md_inline(&x.detail))?;
            write_fix(out, x.hint.as_ref())?;
        }
        for f in problems {
            writeln!(out)?;
            let req = if f.flow.required {
                "required"
            } else {
                "optional"
            };
            writeln!(
                out,
                "### {} — {} ({req})",
                md_inline(&label(f)),
                f.verdict.as_str()
            )?;
            writeln!(out)?;
            writeln!(out, "{}", md_inline(&f.detail))?;
            if let Some(o) = f.rule.as_ref().and_then(|x| x.origin.as_ref()) {
                writeln!(out)?;
                writeln!(out, "At `{}`.", md_inline(&origin_cell(o)))?;
            }
            for h in f.hint.iter().chain(&f.also) {
                write_fix(out, Some(h))?;
            }
        }
    }
    Ok(())
}

/// Each near miss once: what is off, and the corrected rule in the input's language.
fn write_near(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    let groups = near_groups(r);
    if groups.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "## Near misses")?;
    for (flows, n) in groups {
        writeln!(out)?;
        writeln!(
            out,
            "- {} (for {})",
            md_inline(&n.says),
            md_inline(&flows.join(", "))
        )?;
        let fence = fence(n.suggestion.language);
        writeln!(out)?;
        writeln!(out, "  ```{fence}")?;
        for l in n.suggestion.text.lines() {
            writeln!(out, "  {l}")?;
        }
        writeln!(out, "  ```")?;
    }
    Ok(())
}

fn write_fix(out: &mut dyn Write, hint: Option<&crate::evaluate::hint::Hint>) -> io::Result<()> {
    let Some(h) = hint else { return Ok(()) };
    writeln!(out)?;
    writeln!(out, "Fix: {}", md_inline(&h.text))?;
    if let Some(code) = &h.code {
        writeln!(out)?;
        writeln!(out, "```{}\n{}\n```", fence(code.language), code.text)?;
    } else if let Some(cmd) = &h.command {
        writeln!(out)?;
        writeln!(out, "```sh\n{cmd}\n```")?;
    }
    Ok(())
}

/// The fence's language for a suggestion.
fn fence(language: Language) -> &'static str {
    match language {
        Language::Terraform => "hcl",
        Language::Arm => "jsonc",
        Language::Az => "sh",
    }
}
