//! `evaluate -o sarif`: every log validates against the published SARIF 2.1.0 schema; results
//! carry stable rule ids, levels by whether the row is required, and the most precise location
//! known (the rule's declaration in code, with its line, when the input is code).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

fn sarif(args: &[&str]) -> Value {
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .arg("evaluate")
        .args(["--region", "westeurope", "-o", "sarif"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

/// Validates `log` against the SARIF 2.1.0 schema, naming every violation.
pub fn assert_valid(log: &Value) {
    let text = std::fs::read_to_string(fixture("sarif/sarif-schema-2.1.0.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}");
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

#[test]
fn an_export_gives_a_valid_log_pointing_at_the_file() {
    let nsg = fixture("azure-network/nsg-broken.json");
    let log = sarif(&[nsg.to_str().unwrap()]);
    assert_valid(&log);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "apim-probe");
    let storage = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "flow/storage")
        .expect("storage is denied by nsg-broken.json");
    assert_eq!(storage["level"], "error");
    let uri = storage["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("nsg-broken.json"), "{uri}");
    assert_eq!(
        storage["partialFingerprints"]["apimProbeFlow/v1"],
        "storage/outbound/tcp/443"
    );
    // Each rule id is listed once, and every result's index points at its rule.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results(&log) {
        let i = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn optional_flows_are_warnings_and_a_clean_nsg_has_no_errors() {
    let log = sarif(&[fixture("azure-network/nsg-cli.json").to_str().unwrap()]);
    assert_valid(&log);
    for r in results(&log) {
        let required = r["properties"]["required"].as_bool().unwrap_or(true);
        if !required {
            assert_ne!(r["level"], "error", "{r:#}");
        }
    }
}

#[test]
fn the_schema_check_catches_a_broken_log() {
    let mut log = sarif(&[fixture("azure-network/nsg-broken.json").to_str().unwrap()]);
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    let result = std::panic::catch_unwind(|| assert_valid(&log));
    assert!(result.is_err(), "a level SARIF does not know must fail");
}
