//! The output of `list`: the plan, as a table or as JSON (`apim-probe/plan/v1`).

use std::io::{self, Write};

use serde::Serialize;

use crate::catalog::model::{CheckKind, Direction, Transport};
use crate::catalog::plan::Plan;

use super::model::{ReportSettings, Tool};

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
    /// DNS servers that `{dns_server}` expanded to.
    pub dns_servers: Vec<String>,
    /// One entry per probe `check` would run or list as skipped.
    pub probes: Vec<PlanEntry>,
}

/// One entry of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    /// Dependency id.
    pub id: String,
    /// What APIM needs it for.
    pub purpose: String,
    /// The service tag an NSG rule would name.
    pub service_tag: String,
    /// Whether the dependency is required.
    pub required: bool,
    /// `outbound`, `inbound` or `peer`.
    pub direction: Direction,
    /// Host (a template when a placeholder is missing).
    pub host: Option<String>,
    /// Port (none for "any port").
    pub port: Option<u16>,
    /// Transport.
    pub transport: Transport,
    /// What `check` would do.
    pub check: CheckKind,
    /// Why `check` would skip it, when it would.
    pub skip: Option<String>,
    /// The reference's wildcard this host stands for (e.g. `*.update.microsoft.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stands_for: Option<String>,
    /// Where in the reference the row comes from.
    pub reference: String,
}

impl PlanReport {
    /// Builds the model of a plan.
    pub fn new(plan: &Plan, settings: ReportSettings, dns_servers: Vec<String>) -> Self {
        let probes = plan
            .probes
            .iter()
            .map(|p| PlanEntry {
                id: p.dep.id.get_ref().clone(),
                purpose: p.dep.purpose.clone(),
                service_tag: if p.dep.direction == Direction::Inbound {
                    p.dep.source.clone()
                } else {
                    p.dep.destination.clone()
                },
                required: p.dep.required,
                direction: p.dep.direction,
                host: p.host.clone(),
                port: p.port,
                transport: p.transport,
                check: p.check,
                skip: p.skip.clone(),
                stands_for: p.stands_for.clone(),
                reference: p.dep.reference.clone(),
            })
            .collect();
        Self {
            schema: SCHEMA,
            tool: Tool::default(),
            settings,
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
    let rows: Vec<(String, &PlanEntry)> = p
        .probes
        .iter()
        .map(|e| {
            let host = e.host.as_deref().unwrap_or("*");
            let port = e.port.map_or("*".to_owned(), |x| x.to_string());
            (format!("{host}:{port}/{}", e.transport.as_str()), e)
        })
        .collect();
    let w_id = p
        .probes
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let w_t = rows.iter().map(|(t, _)| t.len()).max().unwrap_or(6).max(6);
    writeln!(
        out,
        "{:<w_id$} {:<3} {:<8} {:<5} {:<w_t$} NOTE",
        "ID", "REQ", "DIR", "CHECK", "TARGET"
    )?;
    for (target, e) in &rows {
        let req = if e.required { "req" } else { "opt" };
        let dir = format!("{:?}", e.direction).to_lowercase();
        let note = e
            .skip
            .as_deref()
            .map_or(String::new(), |s| format!("skipped: {s}"));
        writeln!(
            out,
            "{:<w_id$} {req:<3} {dir:<8} {:<5} {target:<w_t$} {note}",
            e.id,
            e.check.as_str()
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
