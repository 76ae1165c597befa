//! The report of `evaluate` (`schema: apim-probe/evaluation/v1`): the settings, the inputs, one
//! entry per flow, the subnet findings, counts and warnings. Every format reads only this.

use serde::Serialize;

use super::model::{Evaluation, Finding, FlowResult, Verdict};
use super::near::NearMiss;
use super::routes::NextHop;
use crate::azure::network::model::Origin;
use crate::azure::network::{InputInfo, NetworkInputs};
use crate::catalog::model::{Cloud, Platform, VnetMode};
use crate::catalog::profile::{Profile, Tier};
use crate::report::model::{Reference, Tool};

/// The schema name and major version this build writes.
pub const SCHEMA: &str = "apim-probe/evaluation/v1";

/// The settings the evaluation ran with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalReportSettings {
    /// The tier the subnet is for.
    pub tier: Tier,
    /// The requirements evaluated: the tier and how it joins the VNet.
    pub profile: Profile,
    /// APIM platform.
    pub platform: Platform,
    /// VNet mode.
    pub vnet: VnetMode,
    /// Cloud.
    pub cloud: Cloud,
    /// Region, lowercase.
    pub region: Option<String>,
    /// Whether anything not allowed fails the run.
    pub strict: bool,
    /// DNS servers evaluated for the DNS flow (empty: Azure DNS).
    pub dns_servers: Vec<String>,
}

/// Counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EvalSummary {
    /// Flows evaluated.
    pub total: usize,
    /// Allowed.
    pub allowed: usize,
    /// Denied.
    pub denied: usize,
    /// Partly allowed.
    pub partial: usize,
    /// Not decidable offline.
    pub unknown: usize,
    /// Required flows denied or partly denied, plus required findings not met.
    pub failed_required: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationReport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// This tool.
    pub tool: Tool,
    /// The settings.
    pub settings: EvalReportSettings,
    /// The edition of the VNet reference whose flows were evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// The files read.
    pub inputs: Vec<InputInfo>,
    /// The resources read from code (a plan, `.tf` files, a template) and where each is
    /// declared; empty for exports of deployed resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<CodeResource>,
    /// One entry per flow, in catalog order.
    pub flows: Vec<FlowResult>,
    /// Requirements on the subnet itself.
    pub findings: Vec<Finding>,
    /// Allow rules one field away from allowing a required flow (a port one keystroke off, the
    /// other direction, a misspelt tag …), with the rule as it should read.
    pub near_misses: Vec<NearMiss>,
    /// The next hop of `0.0.0.0/0`, when routes were given.
    pub default_route: Option<NextHop>,
    /// Counts.
    pub summary: EvalSummary,
    /// Whether the run passes (exit code 0).
    pub passed: bool,
    /// About the inputs and the evaluation.
    pub warnings: Vec<String>,
}

impl EvaluationReport {
    /// The report of an evaluation.
    pub fn new(eval: Evaluation, settings: EvalReportSettings, inputs: Vec<InputInfo>) -> Self {
        let count = |v: Verdict| eval.flows.iter().filter(|f| f.verdict == v).count();
        let failed_required = eval
            .flows
            .iter()
            .filter(|f| f.flow.required && matches!(f.verdict, Verdict::Denied | Verdict::Partial))
            .count()
            + eval.findings.iter().filter(|f| f.required && !f.ok).count();
        let summary = EvalSummary {
            total: eval.flows.len(),
            allowed: count(Verdict::Allowed),
            denied: count(Verdict::Denied),
            partial: count(Verdict::Partial),
            unknown: count(Verdict::Unknown),
            failed_required,
        };
        let passed = eval.passes(settings.strict);
        EvaluationReport {
            schema: SCHEMA,
            tool: Tool::default(),
            settings,
            reference: None,
            inputs,
            resources: Vec::new(),
            flows: eval.flows,
            findings: eval.findings,
            near_misses: eval.near_misses,
            default_route: eval.default_route,
            summary,
            passed,
            warnings: eval.warnings,
        }
    }

    /// The flows and findings that make the run fail, as short labels (`storage tcp/443`).
    pub fn failures(&self) -> Vec<String> {
        let strict = self.settings.strict;
        let mut out: Vec<String> = self
            .flows
            .iter()
            .filter(|f| match f.verdict {
                Verdict::Allowed => false,
                Verdict::Denied | Verdict::Partial => f.flow.required || strict,
                Verdict::Unknown => strict,
            })
            .map(label)
            .collect();
        out.extend(
            self.findings
                .iter()
                .filter(|x| !x.ok && (x.required || strict))
                .map(|x| x.id.clone()),
        );
        out
    }

    /// The last line of the text formats.
    pub fn verdict_line(&self) -> String {
        let failures = self.failures();
        let s = &self.summary;
        let counts = format!(
            "{} flows: {} allowed, {} denied, {} partial, {} unknown",
            s.total, s.allowed, s.denied, s.partial, s.unknown
        );
        if self.passed && s.unknown > 0 {
            format!(
                "VERDICT: PASS — no required flow is denied; {} cannot be told offline (--strict counts them); {counts}",
                s.unknown
            )
        } else if self.passed {
            format!("VERDICT: PASS — every required flow is allowed; {counts}")
        } else {
            format!(
                "VERDICT: FAIL — not allowed: {}; {counts}",
                failures.join(", ")
            )
        }
    }
}

/// A resource read from code, and where it is declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeResource {
    /// `subnet`, `network_security_group`, `route_table` or `api_management`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Where it is declared.
    pub origin: Origin,
}

/// The resources of `inputs` that come from code, in the order subnet, NSGs, route tables,
/// API Management instances.
pub fn code_resources(inputs: &NetworkInputs) -> Vec<CodeResource> {
    let mut out = Vec::new();
    let mut add = |kind, name: &str, origin: Option<&Origin>| {
        if let Some(o) = origin {
            out.push(CodeResource {
                kind,
                name: name.to_owned(),
                origin: o.clone(),
            });
        }
    };
    if let Some(s) = &inputs.subnet {
        add("subnet", &s.name, s.origin.as_ref());
    }
    for n in &inputs.nsgs {
        add("network_security_group", &n.name, n.origin.as_ref());
    }
    for r in &inputs.routes {
        add("route_table", &r.name, r.origin.as_ref());
    }
    for a in &inputs.apims {
        add("api_management", &a.name, Some(&a.origin));
    }
    out
}

/// A flow's short label: `management-endpoint tcp/3443`.
pub fn label(f: &FlowResult) -> String {
    format!(
        "{} {}/{}",
        f.flow.id,
        f.flow.transport.as_str(),
        f.flow.ports
    )
}
