//! The same APIM network read from what Azure exports (`az network vnet subnet show`, `az
//! network nsg show`, `az network route-table show`) and from the Terraform plan or ARM template
//! that declares it
//! gets the same verdict for every flow, decided by the same rule, with the same default route
//! and the same near misses: reading code changes where findings point, never what they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use test_case::test_case;

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

/// `evaluate -o json` with the scope given on the command line, so that nothing in the inputs
/// (an API Management instance in code, a delegated subnet) judges one form differently.
fn report(files: &[PathBuf]) -> Value {
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .args(["evaluate", "-o", "json", "--region", "westeurope"])
        .args(["--tier", "classic", "--vnet", "internal"])
        .args(files)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each flow (`id direction protocol/ports`: an id alone repeats across ports) → its verdict
/// and the rule that decides it, without where the rule is declared.
fn verdicts(r: &Value) -> BTreeMap<String, Value> {
    r["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let key = format!(
                "{} {} {}/{}",
                f["id"].as_str().unwrap(),
                f["direction"].as_str().unwrap(),
                f["protocol"].as_str().unwrap(),
                f["ports"].as_str().unwrap()
            );
            let mut rule = f["rule"].clone();
            if let Some(m) = rule.as_object_mut() {
                m.remove("origin");
            }
            (key, json!({"verdict": f["verdict"], "rule": rule}))
        })
        .collect()
}

fn near_misses(r: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r["near_misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["flow"].to_string(), n["says"].to_string()))
        .collect();
    v.sort();
    v
}

#[test_case(&["subnet.json", "nsg-broken.json", "routes-forced.json"], "plan-broken.json", "terraform-plan", false; "a broken nsg and a forced default route, plan")]
#[test_case(&["subnet.json", "nsg-cli.json", "routes-fixed.json"], "plan-correct.json", "terraform-plan", true; "a correct nsg and a fixed route table, plan")]
#[test_case(&["subnet.json", "nsg-broken.json", "routes-forced.json"], "template-broken.json", "arm-template", false; "a broken nsg and a forced default route, arm")]
#[test_case(&["subnet.json", "nsg-cli.json", "routes-fixed.json"], "template-correct.json", "arm-template", true; "a correct nsg and a fixed route table, arm")]
fn exports_and_code_get_the_same_verdicts(exports: &[&str], code: &str, kind: &str, passes: bool) {
    let exported = report(
        &exports
            .iter()
            .map(|e| fixture(&format!("azure-network/{e}")))
            .collect::<Vec<_>>(),
    );
    let planned = report(&[fixture(&format!("iac/equivalence/{code}"))]);
    // Each was read as what it is.
    let kinds = |r: &Value| -> Vec<Value> {
        r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].clone())
            .collect()
    };
    assert_eq!(
        kinds(&exported),
        [json!("subnet"), json!("nsg"), json!("route-table")]
    );
    assert_eq!(kinds(&planned), [json!(kind)]);
    // The code's links (associations, ids) joined its NSG and route table to its subnet.
    let declared: Vec<(Value, Value)> = planned["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].clone(), c["name"].clone()))
        .collect();
    assert_eq!(
        declared,
        [
            (json!("subnet"), json!("apim")),
            (json!("network_security_group"), json!("apim-nsg")),
            (json!("route_table"), json!("apim-rt")),
        ]
    );
    let (a, b) = (verdicts(&exported), verdicts(&planned));
    assert!(a.len() > 30, "{} flows", a.len());
    for (flow, verdict) in &a {
        assert_eq!(Some(verdict), b.get(flow), "{flow}");
    }
    assert_eq!(a.len(), b.len());
    assert_eq!(exported["default_route"], planned["default_route"]);
    assert_eq!(near_misses(&exported), near_misses(&planned));
    assert_eq!(exported["summary"], planned["summary"]);
    assert_eq!(exported["passed"], passes);
    assert_eq!(planned["passed"], passes);
}
