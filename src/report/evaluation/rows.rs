//! What the text formats of `evaluate` share: cells, order, the header line.

use crate::evaluate::report::EvaluationReport;
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
