//! An offline evaluation (`apim-probe evaluate -o json`, schema `apim-probe/evaluation/v1`) as a
//! column: each flow's verdict lands on the probe rows it covers (same id, transport and port).
//!
//! Only the fields the matrix needs are read, loosely (ports as a number, `"443"`,
//! `"6381-6383"`, `"80,443"`, `"*"` or a list of those), so this reader does not depend on the
//! evaluator's own types.

use serde::Deserialize;
use serde_json::Value;

use super::model::{Cell, CellClass, SourceKind, Verdict, VmKey};
use super::source::{FlowRow, Missing, Source, SourceRow};

/// The schema name of an evaluation.
pub const SCHEMA: &str = "apim-probe/evaluation/v1";

/// The fields of an evaluation the matrix reads.
#[derive(Debug, Deserialize)]
pub struct EvaluationDoc {
    /// The settings it ran with.
    #[serde(default)]
    pub settings: EvalSettings,
    /// The files it read.
    #[serde(default)]
    pub inputs: Vec<EvalInput>,
    /// One per flow.
    pub flows: Vec<EvalFlow>,
    /// Requirements on the subnet itself.
    #[serde(default)]
    pub findings: Vec<EvalFinding>,
    /// Whether it passes.
    #[serde(default)]
    pub passed: Option<bool>,
    /// The edition of the VNet reference whose flows were evaluated.
    #[serde(default)]
    pub reference: Option<super::brief::BriefReference>,
}

/// The settings of an evaluation.
#[derive(Debug, Default, Deserialize)]
pub struct EvalSettings {
    /// The region.
    #[serde(default)]
    pub region: Option<String>,
}

/// One file an evaluation read.
#[derive(Debug, Deserialize)]
pub struct EvalInput {
    /// `nsg`, `subnet`, `route-table` …
    #[serde(default)]
    pub kind: String,
    /// Its resource name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One evaluated flow.
#[derive(Debug, Deserialize)]
pub struct EvalFlow {
    /// The catalog id.
    pub id: String,
    /// `outbound`, `inbound` …
    #[serde(default)]
    pub direction: String,
    /// `tcp`, `udp`, `*`, or a list.
    #[serde(default)]
    pub protocol: Value,
    /// Ports, see the module's text.
    #[serde(default)]
    pub ports: Value,
    /// Whether the flow is required.
    #[serde(default)]
    pub required: bool,
    /// `allowed`, `denied`, `partial` or `unknown`.
    pub verdict: String,
    /// The deciding rule (`nsg`, `name`, `priority`, `access`), or null.
    #[serde(default)]
    pub rule: Option<Value>,
    /// Why.
    #[serde(default)]
    pub detail: String,
    /// The rule to add: an object with `text`, or a string.
    #[serde(default)]
    pub hint: Option<Value>,
}

/// One requirement on the subnet (an NSG on it …).
#[derive(Debug, Deserialize)]
pub struct EvalFinding {
    /// Its id.
    pub id: String,
    /// Whether it is required.
    #[serde(default)]
    pub required: bool,
    /// Whether it is met.
    pub ok: bool,
    /// Why.
    #[serde(default)]
    pub detail: String,
}

/// The evaluation as a column.
pub fn to_source(doc: &EvaluationDoc, file: &str) -> Source {
    let nsgs: Vec<&str> = doc
        .inputs
        .iter()
        .filter(|i| i.kind.contains("nsg"))
        .filter_map(|i| i.name.as_deref())
        .collect();
    let subnet = doc
        .inputs
        .iter()
        .find(|i| i.kind == "subnet")
        .and_then(|i| i.name.clone());
    let name = if nsgs.is_empty() {
        format!("evaluation {}", super::source::file_stem(file))
    } else {
        format!("offline: NSG {}", nsgs.join("+"))
    };
    let failed = doc.flows.iter().any(|f| f.required && failing(&f.verdict))
        || doc.findings.iter().any(|f| f.required && !f.ok);
    let verdict = if doc.passed.unwrap_or(!failed) {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Source {
        key: VmKey {
            name,
            region: doc.settings.region.clone(),
            subnet,
        },
        file: file.to_owned(),
        kind: SourceKind::Evaluation,
        verdict,
        diagnosis: Vec::new(),
        notes: vec!["offline: what the NSG and routes allow, no traffic sent".to_owned()],
        started_at: None,
        rows: doc.findings.iter().map(finding_row).collect(),
        flows: doc.flows.iter().map(flow_row).collect(),
        missing: Missing::NoFlow,
        reference: doc.reference.as_ref().map(|x| x.edition.clone()),
    }
}

fn failing(verdict: &str) -> bool {
    matches!(verdict, "denied" | "partial")
}

fn flow_row(f: &EvalFlow) -> FlowRow {
    let transport = protocol(&f.protocol);
    let ports = ports(&f.ports);
    let port_text = match &f.ports {
        Value::String(s) => s.replace(' ', ""),
        Value::Null => "*".to_owned(),
        other => other.to_string().replace(['[', ']', '"', ' '], ""),
    };
    let target = format!("*:{port_text}/{}", transport.as_deref().unwrap_or("*"));
    let class = match f.verdict.as_str() {
        "allowed" => CellClass::Ok,
        v if failing(v) => CellClass::Failed,
        _ => CellClass::Unknown,
    };
    let named = f
        .rule
        .as_ref()
        .and_then(|r| r.get("name"))
        .and_then(Value::as_str)
        .is_some_and(|name| f.detail.contains(name));
    let detail = match f.rule.as_ref().and_then(rule_text) {
        Some(r) if !named => format!("{} (rule {r})", f.detail),
        _ => f.detail.clone(),
    };
    FlowRow {
        id: f.id.clone(),
        transport,
        ports,
        target,
        required: f.required,
        cell: Cell {
            class,
            status: f.verdict.clone(),
            detail: if f.direction.is_empty() {
                detail
            } else {
                format!("{}: {detail}", f.direction)
            },
            hint: f.hint.as_ref().and_then(hint_text),
        },
    }
}

fn finding_row(f: &EvalFinding) -> SourceRow {
    SourceRow {
        id: f.id.clone(),
        target: "subnet".to_owned(),
        required: f.required,
        cell: Cell {
            class: if f.ok {
                CellClass::Ok
            } else {
                CellClass::Failed
            },
            status: if f.ok { "met" } else { "not met" }.to_owned(),
            detail: f.detail.clone(),
            hint: None,
        },
    }
}

/// `tcp`/`udp`, or `None` for any protocol (`*`, `any`, `all`, both, or missing).
fn protocol(v: &Value) -> Option<String> {
    let words: Vec<String> = match v {
        Value::String(s) => s.split(',').map(|w| w.trim().to_lowercase()).collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        _ => Vec::new(),
    };
    match words.as_slice() {
        [one] if one == "tcp" || one == "udp" => Some(one.clone()),
        _ => None,
    }
}

/// Port ranges from a number, a text (`443`, `6381-6383`, `80,443`, `*`) or a list of those;
/// empty means any port.
fn ports(v: &Value) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let mut any = false;
    let mut add = |text: &str| {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "*" {
                any = true;
            } else if let Some((lo, hi)) = part.split_once('-') {
                if let (Ok(lo), Ok(hi)) = (lo.trim().parse(), hi.trim().parse()) {
                    out.push((lo, hi));
                }
            } else if let Ok(p) = part.parse() {
                out.push((p, p));
            }
        }
    };
    match v {
        Value::Number(n) => add(&n.to_string()),
        Value::String(s) => add(s),
        Value::Array(a) => {
            for item in a {
                match item {
                    Value::Number(n) => add(&n.to_string()),
                    Value::String(s) => add(s),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if any { Vec::new() } else { out }
}

/// `apim-nsg/DenyStorageOut (200) Deny`.
fn rule_text(v: &Value) -> Option<String> {
    let field = |k: &str| {
        v.get(k)
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
    };
    let name = field("name")?;
    let nsg = field("nsg").map_or_else(String::new, |n| format!("{n}/"));
    let priority = field("priority").map_or_else(String::new, |p| format!(" ({p})"));
    let access = field("access").map_or_else(String::new, |a| format!(" {a}"));
    Some(format!("{nsg}{name}{priority}{access}"))
}

fn hint_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("text").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_protocols_are_read_loosely() {
        assert_eq!(ports(&Value::from("443")), [(443, 443)]);
        assert_eq!(ports(&Value::from("6381-6383")), [(6381, 6383)]);
        assert_eq!(ports(&Value::from("80, 443")), [(80, 80), (443, 443)]);
        assert!(ports(&Value::from("*")).is_empty());
        assert_eq!(
            ports(&serde_json::json!([1433, "1886"])),
            [(1433, 1433), (1886, 1886)]
        );
        assert_eq!(protocol(&Value::from("Tcp")).as_deref(), Some("tcp"));
        assert_eq!(protocol(&Value::from("*")), None);
        assert_eq!(protocol(&serde_json::json!(["udp", "tcp"])), None);
    }
}
