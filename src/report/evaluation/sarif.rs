//! The `sarif` format of `evaluate`: SARIF 2.1.0 (OASIS), what code-scanning services read
//! (GitHub code scanning, Azure DevOps' SARIF viewer), so a pre-flight of a Terraform plan or an
//! ARM template shows its findings on the lines of the code that cause them.
//!
//! One result per flow not allowed, per subnet requirement not met and per near miss; its level
//! from whether the row is required (`error`), optional (`warning`) or cannot be told offline
//! (`note`; `warning` when required). The location is the most precise one known: the deciding
//! rule's declaration, else its NSG's, else the subnet's, else the input file. Rule ids are
//! stable (`flow/<row>`, `subnet/<finding>`, `near-miss/<kind>`), and `partialFingerprints`
//! name the flow rather than a line, so a result keeps its identity when the code moves.
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::rows::origin_cell;
use crate::azure::network::InputKind;
use crate::azure::network::model::Origin;
use crate::evaluate::near::NearMiss;
use crate::evaluate::report::{EvaluationReport, label};
use crate::evaluate::{Finding, FlowResult, Verdict};

/// The schema the log names.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The page every flow rule points to when the report names no edition.
const REFERENCE_PAGE: &str =
    "https://learn.microsoft.com/azure/api-management/virtual-network-reference";

/// Writes the SARIF log.
pub fn write(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    // To a string first: a closed pipe then stays an io error the caller recognises.
    let text = serde_json::to_string_pretty(&render(r)).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}

/// The SARIF log as JSON.
pub fn render(r: &EvaluationReport) -> Value {
    let mut rules = Rules::default();
    let mut results = Vec::new();
    for x in r.findings.iter().filter(|x| !x.ok) {
        results.push(finding(r, x, &mut rules));
    }
    for f in r.flows.iter().filter(|f| f.verdict != Verdict::Allowed) {
        results.push(flow(r, f, &mut rules));
    }
    for n in &r.near_misses {
        results.push(near(r, n, &mut rules));
    }
    let s = &r.settings;
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": r.tool.name,
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "informationUri": help_uri(r),
                "rules": rules.list,
            }},
            "invocations": [{"executionSuccessful": true}],
            "results": results,
            "properties": {
                "reference": r.reference.as_ref().map(|x| x.edition.clone()),
                "tier": s.tier.as_str(),
                "profile": s.profile.as_str(),
                "platform": s.platform.as_str(),
                "vnet": s.vnet.as_str(),
                "region": s.region,
                "passed": r.passed,
                "verdict": r.verdict_line(),
            },
        }],
    })
}

/// The rules (reporting descriptors) in order of first use, and each one's index.
#[derive(Default)]
struct Rules {
    list: Vec<Value>,
    ids: Vec<String>,
}

impl Rules {
    /// The index of rule `id`, adding it (from `make`) on first use.
    fn index(&mut self, id: &str, make: impl FnOnce() -> Value) -> usize {
        if let Some(i) = self.ids.iter().position(|x| x == id) {
            return i;
        }
        self.ids.push(id.to_owned());
        self.list.push(make());
        self.ids.len() - 1
    }
}

fn help_uri(r: &EvaluationReport) -> String {
    r.reference
        .as_ref()
        .map_or_else(|| REFERENCE_PAGE.to_owned(), |x| x.url.clone())
}

/// `management-endpoint` → `ManagementEndpoint` (a rule's `name`).
fn pascal(id: &str) -> String {
    id.split(['-', '_', '/'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}

fn level(required: bool, verdict: Option<Verdict>) -> &'static str {
    match (verdict, required) {
        (Some(Verdict::Unknown), false) => "note",
        (Some(Verdict::Unknown), true) | (_, false) => "warning",
        (_, true) => "error",
    }
}

fn flow(r: &EvaluationReport, f: &FlowResult, rules: &mut Rules) -> Value {
    let id = format!("flow/{}", f.flow.id);
    let index = rules.index(&id, || {
        json!({
            "id": id,
            "name": pascal(&f.flow.id),
            "shortDescription": {"text": f.flow.purpose},
            "fullDescription": {"text": format!(
                "API Management needs {} {} {} {} {} ({}).",
                f.flow.direction.as_str(),
                f.flow.transport.as_str().to_uppercase(),
                f.flow.ports,
                if f.flow.direction.as_str() == "inbound" { "from" } else { "to" },
                f.flow.remote_tag(),
                if f.flow.required { "required" } else { "optional" }
            )},
            "helpUri": help_uri(r),
            "defaultConfiguration": {"level": level(f.flow.required, None)},
            "properties": {"tags": ["network", "api-management", f.flow.direction.as_str()]},
        })
    });
    let mut text = format!("{}: {}: {}", label(f), f.verdict.as_str(), f.detail);
    if let Some(h) = &f.hint {
        let _ = write!(text, " — fix: {}", h.command.as_deref().unwrap_or(&h.text));
    }
    let origin = f.rule.as_ref().and_then(|x| {
        x.origin
            .clone()
            .or_else(|| declared(r, "network_security_group", &x.nsg))
    });
    let mut logical = Vec::new();
    if let Some(x) = &f.rule {
        logical.push(json!({
            "name": x.name,
            "fullyQualifiedName": format!("{}/{}", x.nsg, x.name),
            "kind": "resource",
        }));
    }
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": level(f.flow.required, Some(f.verdict)),
        "message": {"text": text},
        "locations": [location(r, origin.as_ref(), logical)],
        "partialFingerprints": {"apimProbeFlow/v1": format!(
            "{}/{}/{}/{}", f.flow.id, f.flow.direction.as_str(), f.flow.transport.as_str(), f.flow.ports
        )},
        "properties": {
            "verdict": f.verdict.as_str(),
            "direction": f.flow.direction.as_str(),
            "protocol": f.flow.transport.as_str(),
            "ports": f.flow.ports.to_string(),
            "remote": f.flow.remote_tag(),
            "required": f.flow.required,
        },
    })
}

fn finding(r: &EvaluationReport, x: &Finding, rules: &mut Rules) -> Value {
    let id = format!("subnet/{}", x.id);
    let index = rules.index(&id, || {
        json!({
            "id": id,
            "name": pascal(&x.id),
            "shortDescription": {"text": format!("The subnet's {} requirement", x.id)},
            "helpUri": help_uri(r),
            "defaultConfiguration": {"level": level(x.required, None)},
            "properties": {"tags": ["network", "api-management", "subnet"]},
        })
    });
    let mut text = x.detail.clone();
    if let Some(h) = &x.hint {
        let _ = write!(text, " — fix: {}", h.command.as_deref().unwrap_or(&h.text));
    }
    let origin = r
        .resources
        .iter()
        .find(|c| c.kind == "subnet")
        .map(|c| c.origin.clone());
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": level(x.required, None),
        "message": {"text": text},
        "locations": [location(r, origin.as_ref(), Vec::new())],
        "partialFingerprints": {"apimProbeSubnet/v1": x.id},
    })
}

fn near(r: &EvaluationReport, n: &NearMiss, rules: &mut Rules) -> Value {
    let id = format!("near-miss/{}", n.kind.as_str());
    let index = rules.index(&id, || {
        json!({
            "id": id,
            "name": format!("NearMiss{}", pascal(n.kind.as_str())),
            "shortDescription": {"text": format!(
                "An allow rule one change ({}) away from a flow API Management needs", n.kind.as_str()
            )},
            "helpUri": help_uri(r),
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["network", "api-management", "near-miss"]},
        })
    });
    let fence = match n.suggestion.language {
        crate::evaluate::near::Language::Terraform => "hcl",
        crate::evaluate::near::Language::Arm => "jsonc",
        crate::evaluate::near::Language::Az => "sh",
    };
    let logical = vec![json!({
        "name": n.rule.name,
        "fullyQualifiedName": format!("{}/{}", n.rule.nsg, n.rule.name),
        "kind": "resource",
    })];
    let origin = n
        .rule
        .origin
        .clone()
        .or_else(|| declared(r, "network_security_group", &n.rule.nsg));
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": "error",
        "message": {
            "text": format!("{} ({}). Change it to:\n{}", n.says, n.flow, n.suggestion.text),
            "markdown": format!("{} (`{}`). Change it to:\n\n```{fence}\n{}\n```", n.says, n.flow, n.suggestion.text),
        },
        "locations": [location(r, origin.as_ref(), logical)],
        "partialFingerprints": {"apimProbeNearMiss/v1": format!("{}/{}/{}", n.flow, n.rule.nsg, n.rule.name)},
        "properties": {"suggestion": n.suggestion, "fixed": n.fixed},
    })
}

/// Where a resource of `kind` named `name` is declared, when it comes from code.
fn declared(r: &EvaluationReport, kind: &str, name: &str) -> Option<Origin> {
    r.resources
        .iter()
        .find(|c| c.kind == kind && c.name == name)
        .map(|c| c.origin.clone())
}

/// A location: the origin (file and line) when known, else the first input file that is not
/// service tags.
fn location(r: &EvaluationReport, origin: Option<&Origin>, mut logical: Vec<Value>) -> Value {
    let (file, line) = if let Some(o) = origin {
        logical
            .push(json!({"name": o.address, "fullyQualifiedName": o.address, "kind": "resource"}));
        (o.file.clone(), o.line)
    } else {
        let input = r
            .inputs
            .iter()
            .find(|i| i.kind != InputKind::ServiceTags)
            .or(r.inputs.first());
        (input.map_or_else(|| "-".into(), |i| i.path.clone()), None)
    };
    let mut physical = json!({"artifactLocation": {"uri": uri(&file)}});
    if let Some(l) = line {
        physical["region"] = json!({"startLine": l});
    }
    let mut loc = json!({"physicalLocation": physical});
    if !logical.is_empty() {
        loc["logicalLocations"] = Value::Array(logical);
    }
    if let Some(o) = origin {
        loc["message"] = json!({"text": origin_cell(o)});
    }
    loc
}

/// A file path as a URI reference: relative paths stay relative (code scanning resolves them
/// from the repository root), absolute ones become `file://` URIs; spaces and `%` escaped.
fn uri(path: &str) -> String {
    let escaped: String = path
        .replace('\\', "/")
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_owned(),
            '%' => "%25".to_owned(),
            '#' => "%23".to_owned(),
            '?' => "%3F".to_owned(),
            c => c.to_string(),
        })
        .collect();
    let trimmed = escaped.strip_prefix("./").unwrap_or(&escaped);
    if trimmed.starts_with('/') {
        format!("file://{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri("./infra/plan.json"), "infra/plan.json");
        assert_eq!(uri("/tmp/my plan.json"), "file:///tmp/my%20plan.json");
        assert_eq!(uri("infra\\main.tf"), "infra/main.tf");
    }

    #[test]
    fn levels() {
        assert_eq!(level(true, Some(Verdict::Denied)), "error");
        assert_eq!(level(false, Some(Verdict::Denied)), "warning");
        assert_eq!(level(true, Some(Verdict::Unknown)), "warning");
        assert_eq!(level(false, Some(Verdict::Unknown)), "note");
    }
}
