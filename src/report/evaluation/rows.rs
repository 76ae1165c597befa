//! What the text formats of `evaluate` share: cells, order, the header line.

use crate::azure::network::model::Origin;
use crate::evaluate::near::NearMiss;
use crate::evaluate::report::{EvaluationReport, label};
use crate::evaluate::{FlowResult, RuleRef};

/// `apim-nsg/AllowStorage (110)`, or `-`.
pub fn rule_cell(r: Option<&RuleRef>) -> String {
    r.map_or_else(
        || "-".into(),
        |r| format!("{}/{} ({})", r.nsg, r.name, r.priority),
    )
}

/// The far side as a report shows it: the service tag, or the subnet for peers.
pub fn remote_cell(f: &FlowResult) -> String {
    if f.flow.is_dns() {
        return "DNS servers".into();
    }
    f.flow.remote_tag().to_owned()
}

/// Flows, most important first: required not allowed, then optional not allowed, then the rest,
/// catalog order kept within each group.
pub fn by_importance(r: &EvaluationReport) -> Vec<&FlowResult> {
    let rank = |f: &FlowResult| {
        use crate::evaluate::Verdict::{Allowed, Denied, Partial, Unknown};
        match (f.verdict, f.flow.required) {
            (Denied | Partial, true) => 0,
            (Unknown, true) => 1,
            (Denied | Partial, false) => 2,
            (Unknown, false) => 3,
            (Allowed, _) => 4,
        }
    };
    let mut v: Vec<&FlowResult> = r.flows.iter().collect();
    v.sort_by_key(|f| rank(f));
    v
}

/// The header line: tool, command, scope.
pub fn header(r: &EvaluationReport) -> String {
    let s = &r.settings;
    format!(
        "{} {} evaluate: {} ref {} region {}{}",
        r.tool.name,
        r.tool.version,
        crate::report::reference::scope(s.platform, s.vnet, s.cloud, s.tier, s.profile),
        r.reference.as_ref().map_or("-", |x| x.edition.as_str()),
        s.region.as_deref().unwrap_or("-"),
        if s.strict { " strict" } else { "" }
    )
}

/// The near misses once each — two flows one correction fixes share it — with the labels of the
/// flows each fixes, in flow order.
pub fn near_groups(r: &EvaluationReport) -> Vec<(Vec<String>, &NearMiss)> {
    let mut out: Vec<(Vec<String>, &NearMiss)> = Vec::new();
    for n in &r.near_misses {
        let flow = r.flows.get(n.index).map_or_else(|| n.flow.clone(), label);
        match out
            .iter_mut()
            .find(|(_, m)| m.suggestion == n.suggestion && m.rule == n.rule)
        {
            Some((flows, _)) => flows.push(flow),
            None => out.push((vec![flow], n)),
        }
    }
    out
}

/// The near miss of the flow at `index`, if any.
pub fn near_of(r: &EvaluationReport, index: usize) -> Option<&NearMiss> {
    r.near_misses.iter().find(|n| n.index == index)
}

/// Where a rule or resource is written: `module.net.azurerm_network_security_rule.mgmt
/// (plan.json:120)`.
pub fn origin_cell(o: &Origin) -> String {
    match o.line {
        Some(l) => format!("{} ({}:{l})", o.address, o.file),
        None => format!("{} ({})", o.address, o.file),
    }
}
