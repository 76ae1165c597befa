//! The output of `list`: the plan, as a table or as JSON (`apim-probe/plan/v1`).

use std::io::{self, Write};

use serde::Serialize;

use crate::catalog::editions::{NO_DELEGATION, SubnetSpec};
use crate::catalog::model::Platform;
use crate::catalog::plan::Plan;

use super::model::{ProbeSpec, Reference, ReportSettings, Tool};
use super::rows::md_cell;

/// The schema name of `list -o json`.
pub const SCHEMA: &str = "apim-probe/plan/v1";

/// The plan as users see it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// This tool.
    pub tool: Tool,
    /// The options that shaped the plan.
    pub settings: ReportSettings,
    /// The edition of the reference the plan follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// What that edition asks of the subnet itself (`evaluate` checks it on an exported subnet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet: Option<SubnetRequirements>,
    /// DNS servers that `{dns_server}` expanded to.
    pub dns_servers: Vec<String>,
    /// One entry per probe `check` would run or list as skipped.
    pub probes: Vec<PlanEntry>,
}

/// What the edition asks of the subnet itself, for the profile and platform of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetRequirements {
    /// The service it must be delegated to, or `none`.
    pub delegation: String,
    /// The longest prefix allowed (27: a /27 at least).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smallest: Option<u8>,
    /// The shortest prefix allowed (24: a /24 at most).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest: Option<u8>,
    /// The recommended prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommended: Option<u8>,
    /// Whether nothing else may be in it.
    pub dedicated: bool,
    /// Whether an NSG must be associated with it.
    pub nsg: bool,
    /// Where the page says so.
    pub reference: String,
}

impl SubnetRequirements {
    /// The requirements of `spec` on `platform`.
    pub fn of(spec: &SubnetSpec, platform: Platform) -> Self {
        Self {
            delegation: spec.delegation.clone(),
            smallest: spec.smallest,
            largest: spec.largest,
            recommended: spec.recommended,
            dedicated: spec.dedicated,
            nsg: spec.nsg_platforms.contains(&platform),
            reference: spec.reference.clone(),
        }
    }

    /// In one line: `delegated to Microsoft.Web/serverFarms, /27 to /24 (/24 recommended),
    /// dedicated, NSG required`.
    pub fn words(&self) -> String {
        let mut parts = vec![if self.delegation == NO_DELEGATION {
            "not delegated".to_owned()
        } else {
            format!("delegated to {}", self.delegation)
        }];
        let size = match (self.smallest, self.largest) {
            (Some(s), Some(l)) => Some(format!("/{s} to /{l}")),
            (Some(s), None) => Some(format!("/{s} or larger")),
            (None, Some(l)) => Some(format!("/{l} or smaller")),
            (None, None) => None,
        };
        if let Some(size) = size {
            let rec = self
                .recommended
                .map_or(String::new(), |r| format!(" (/{r} recommended)"));
            parts.push(format!("{size}{rec}"));
        }
        if self.dedicated {
            parts.push("nothing else in it".to_owned());
        }
        if self.nsg {
            parts.push("an NSG associated".to_owned());
        }
        parts.join(", ")
    }
}

/// One entry of the plan: what would be probed, and why not when it would be skipped.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    /// What would be probed.
    #[serde(flatten)]
    pub spec: ProbeSpec,
    /// Why `check` would skip it, when it would.
    pub skip: Option<String>,
}

impl PlanReport {
    /// Builds the model of a plan.
    pub fn new(plan: &Plan, settings: ReportSettings, dns_servers: Vec<String>) -> Self {
        let subnet = plan
            .edition
            .as_ref()
            .and_then(|e| e.subnet_for(settings.profile))
            .map(|spec| SubnetRequirements::of(spec, settings.platform));
        let probes = plan
            .probes
            .iter()
            .map(|p| PlanEntry {
                spec: ProbeSpec::from(p),
                skip: p.skip.clone(),
            })
            .collect();
        Self {
            schema: SCHEMA,
            tool: Tool::default(),
            settings,
            reference: plan.edition.as_ref().map(Reference::from),
            subnet,
            dns_servers,
            probes,
        }
    }
}

/// Writes the plan as JSON.
pub fn write_json(p: &PlanReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, p)?;
    writeln!(out)
}

/// Writes the plan as an aligned table; skip reasons follow the target.
pub fn write_table(p: &PlanReport, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<(String, &PlanEntry)> = p.probes.iter().map(|e| (e.spec.target(), e)).collect();
    let w_id = p
        .probes
        .iter()
        .map(|e| e.spec.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let w_t = rows.iter().map(|(t, _)| t.len()).max().unwrap_or(6).max(6);
    if let Some(reference) = &p.reference {
        writeln!(out, "Requirements: {}", reference.line())?;
        if let Some(sub) = &p.subnet {
            writeln!(out, "Subnet: {}", sub.words())?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{:<w_id$} {:<3} {:<8} {:<5} {:<w_t$} NOTE",
        "ID", "REQ", "DIR", "CHECK", "TARGET"
    )?;
    for (target, e) in &rows {
        let req = if e.spec.required { "req" } else { "opt" };
        let dir = e.spec.direction.as_str();
        let note = note(e);
        writeln!(
            out,
            "{:<w_id$} {req:<3} {dir:<8} {:<5} {target:<w_t$} {note}",
            e.spec.id,
            e.spec.check.as_str()
        )?;
    }
    let skipped = p.probes.iter().filter(|e| e.skip.is_some()).count();
    writeln!(
        out,
        "\n{} entries: {} to probe, {skipped} skipped",
        p.probes.len(),
        p.probes.len() - skipped
    )
}

/// What a plan entry's last column says: why it is skipped, or the path an `http` row asks for.
fn note(e: &PlanEntry) -> String {
    match (&e.skip, &e.spec.path) {
        (Some(s), _) => format!("skipped: {s}"),
        (None, Some(path)) => format!("GET {path}"),
        (None, None) => String::new(),
    }
}

/// Writes the plan as a Markdown table (for a ticket: what `check` would probe, and why not).
pub fn write_markdown(p: &PlanReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# apim-probe plan\n")?;
    if let Some(r) = &p.reference {
        writeln!(out, "{}.\n", super::rows::reference_md(r))?;
    }
    writeln!(out, "| Id | Required | Direction | Check | Target | Note |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for e in &p.probes {
        let note = note(e);
        writeln!(
            out,
            "| `{}` | {} | {} | {} | `{}` | {} |",
            e.spec.id,
            if e.spec.required { "yes" } else { "no" },
            e.spec.direction.as_str(),
            e.spec.check.as_str(),
            e.spec.target().replace('`', "'"),
            md_cell(&note)
        )?;
    }
    let skipped = p.probes.iter().filter(|e| e.skip.is_some()).count();
    writeln!(
        out,
        "\n{} entries: {} to probe, {skipped} skipped.",
        p.probes.len(),
        p.probes.len() - skipped
    )
}
