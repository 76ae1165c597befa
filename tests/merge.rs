//! `apim-probe merge`: hand-made reports in tests/fixtures/merge/ (three VMs of one instance, an
//! older run of one of them, an `evaluate` output whose ids were renamed to the sample's) merged
//! through the binary; the fleet script's run-command files made here from real compact and JSON
//! output; files that are not reports; hostile text in the HTML page.

mod common;

use std::path::Path;

use apim_probe::report::compact;
use apim_probe::report::model::Report;
use common::support::bin;
use serde_json::Value;

const DIR: &str = "tests/fixtures/merge";

fn vm(name: &str) -> String {
    format!("{DIR}/{name}.json")
}

/// Runs `merge` with these arguments: exit code, stdout, stderr.
fn merge(args: &[&str]) -> (i32, String, String) {
    let out = bin().arg("merge").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn merge_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let (code, out, err) = merge(&all);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}")),
    )
}

fn row<'a>(m: &'a Value, id: &str) -> &'a Value {
    m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

fn three_vms() -> [String; 3] {
    [
        vm("westeurope-vm"),
        vm("westeurope-vm2"),
        vm("northeurope-vm"),
    ]
}

#[test]
fn the_matrix_of_three_vms_and_an_evaluation() {
    let (code, out, err) = merge(&[DIR]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("merge-table", out);
    let (_, md, _) = merge(&["-o", "markdown", DIR]);
    insta::assert_snapshot!("merge-markdown", md);
}

#[test]
fn the_row_that_fails_from_one_vm_only_comes_first_and_says_so() {
    let [a, b, c] = three_vms();
    let (code, m) = merge_json(&[&a, &b, &c]);
    assert_eq!(code, 1);
    assert_eq!(m["schema"], "apim-probe/merge/v1");
    assert_eq!(m["summary"]["columns"], 3);
    let sql = row(&m, "sql");
    assert_eq!(sql["differs"], true);
    assert_eq!(sql["note"], "fails from westeurope-vm only (timeout)");
    let cells: Vec<&str> = sql["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(cells, ["timeout", "ok", "ok"]);
    // The rows that differ come before those that agree.
    let differs: Vec<bool> = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["differs"].as_bool().unwrap())
        .collect();
    let first_same = differs.iter().position(|d| !d).unwrap();
    assert!(differs[first_same..].iter().all(|d| !d), "{differs:?}");
    assert_eq!(first_same, 5, "{differs:?}");
    // Each VM carries its diagnosis.
    assert_eq!(
        m["columns"][0]["diagnosis"][0]["cause"],
        "firewall_inspection"
    );
    assert_eq!(m["columns"][2]["diagnosis"], serde_json::json!([]));
}

#[test]
fn the_same_vm_twice_keeps_the_later_run_and_says_so() {
    let (_, m) = merge_json(&[&vm("westeurope-vm-older"), &vm("westeurope-vm")]);
    let columns = m["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 1);
    assert_eq!(columns[0]["file"], vm("westeurope-vm"));
    assert_eq!(columns[0]["started_at"], "2026-11-27T21:00:00Z");
    assert!(
        columns[0]["notes"][0]
            .as_str()
            .unwrap()
            .contains("westeurope-vm-older.json")
    );
}

#[test]
fn every_vm_passing_exits_0() {
    let (code, out, _) = merge(&[&vm("northeurope-vm")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.trim_end()
            .ends_with("every VM reaches every required dependency (1 VM)"),
        "{out}"
    );
}

#[test]
fn an_evaluation_lands_on_the_probe_rows_it_covers() {
    let (_, m) = merge_json(&[&vm("evaluation"), &vm("northeurope-vm")]);
    let storage = row(&m, "azure-storage");
    assert_eq!(storage["cells"][0]["status"], "denied");
    assert!(
        storage["cells"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("DenyStorageOut")
    );
    assert!(
        storage["cells"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("priority 190")
    );
    assert_eq!(
        storage["note"],
        "fails from offline: NSG apim-nsg only (denied)"
    );
    // The inbound flow covers the skipped inbound row; a flow no probe row matches gets its own.
    assert_eq!(row(&m, "mgmt-inbound")["cells"][0]["status"], "denied");
    assert_eq!(row(&m, "redis-internal")["target"], "*:6381-6383/tcp");
    assert_eq!(row(&m, "ntp")["cells"][0]["class"], "not_applicable");
}

#[test]
fn a_file_that_is_not_a_report_exits_2_naming_it_and_the_json_path() {
    for (file, path) in [
        ("tests/fixtures/diff/not-json.json", "at $:"),
        ("tests/fixtures/diff/other-schema.json", "at $.schema:"),
        (
            "tests/fixtures/diff/wrong-type.json",
            "at $.results[1].port:",
        ),
    ] {
        let (code, out, err) = merge(&[&vm("northeurope-vm"), file]);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(file) && err.contains(path), "{file}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("eval.json");
    std::fs::write(
        &bad,
        r#"{"schema":"apim-probe/evaluation/v1","flows":[{"id":"x","verdict":7}]}"#,
    )
    .unwrap();
    let (code, _, err) = merge(&[bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("at $.flows[0].verdict:"), "{err}");
}

#[test]
fn the_report_file_holds_the_merged_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("merged.json");
    let [a, b, c] = three_vms();
    let (code, out, _) = merge(&[&a, &b, &c, "--report-file", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("VERDICT: FAIL"), "{out}");
    let m: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(m["summary"]["failed"], 2);
}

fn sample() -> Report {
    serde_json::from_slice(&std::fs::read("tests/fixtures/report-sample.json").unwrap()).unwrap()
}

/// A run-command file as `packaging/fleet/run-command.sh` writes it.
fn envelope(dir: &Path, name: &str, body: &Value) -> String {
    let path = dir.join(format!("{name}.json"));
    let mut doc = serde_json::json!({
        "schema": "apim-probe/run-command/v1",
        "vm": { "id": format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}"),
                "name": name, "location": "westeurope" },
    });
    doc.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    std::fs::write(&path, doc.to_string()).unwrap();
    path.display().to_string()
}

/// Linux's one message, cut to the last `keep` bytes of stdout as Azure does.
fn invoke(stdout: &str, keep: usize) -> Value {
    let cut = &stdout[stdout.len().saturating_sub(keep)..];
    serde_json::json!({ "value": [{
        "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
        "message": format!("Enable succeeded: \n[stdout]\n{cut}\n[stderr]\n"), "time": null }] })
}

#[test]
fn run_command_output_shows_what_came_back() {
    let dir = tempfile::tempdir().unwrap();
    let compact = compact::render(&sample());
    let full = envelope(
        dir.path(),
        "vm-full",
        &serde_json::json!({"mode": "invoke", "invoke": invoke(&compact, 4096)}),
    );
    let cut = envelope(
        dir.path(),
        "vm-cut",
        &serde_json::json!({"mode": "invoke", "invoke": invoke(&compact, 700)}),
    );
    let json = serde_json::to_string_pretty(&sample()).unwrap();
    let json_cut = envelope(
        dir.path(),
        "vm-json-cut",
        &serde_json::json!({"mode": "invoke", "invoke": invoke(&json, 4096)}),
    );
    let silent = envelope(
        dir.path(),
        "vm-silent",
        &serde_json::json!({"mode": "invoke", "error": "timed out after 600 s (az vm run-command invoke)"}),
    );
    std::fs::write(dir.path().join("vm-blob.output.txt"), format!("apim-probe run-command: /var/tmp/apim-probe/apim-probe sha256 ok; full report: r.json\n{json}\n")).unwrap();
    let blob = envelope(
        dir.path(),
        "vm-blob",
        &serde_json::json!({"mode": "managed", "output_file": "vm-blob.output.txt",
        "instance_view": {"executionState": "Succeeded", "exitCode": 1, "output": "", "error": ""}}),
    );
    let (code, m) = merge_json(&[&full, &cut, &json_cut, &silent, &blob]);
    assert_eq!(code, 1);
    let col = |i: usize| &m["columns"][i];
    assert_eq!(col(0)["kind"], "run_command");
    assert_eq!(col(0)["verdict"], "fail");
    assert_eq!(col(0)["notes"], serde_json::json!([]));
    assert!(
        col(1)["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("truncated: the start"),
        "{}",
        col(1)
    );
    assert!(
        col(2)["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("truncated: only the end of a JSON report"),
        "{}",
        col(2)
    );
    assert_eq!(col(3)["verdict"], "unknown");
    assert_eq!(
        col(3)["notes"][0],
        "timed out after 600 s (az vm run-command invoke)"
    );
    // The blob held the whole report: every row, as from the report itself.
    assert_eq!(col(4)["kind"], "report");
    assert_eq!(col(4)["key"]["name"], "apim-probe-vm1");
    let sql = row(&m, "sql");
    let statuses: Vec<&str> = sql["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["timeout", "?", "?", "?", "timeout"]);
    // The cut output still shows the failures whose lines came back.
    let failed_in_cut = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["cells"][1]["class"] == "failed")
        .count();
    assert!((1..10).contains(&failed_in_cut), "{failed_in_cut}");
    // Rows a complete compact output does not list did not fail there.
    assert_eq!(row(&m, "ntp")["cells"][0]["class"], "not_failed");
    assert_eq!(row(&m, "ntp")["cells"][1]["class"], "unknown");
}

#[test]
fn hostile_text_never_becomes_markup() {
    let mut r = sample();
    r.host.azure.as_mut().unwrap().name = "<img src=x onerror=alert(1)>".into();
    r.results[1].detail = "</script><script>alert(2)</script>".into();
    r.results[1].spec.id = "\"><svg onload=alert(3)>".into();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.json");
    std::fs::write(&file, serde_json::to_vec(&r).unwrap()).unwrap();
    let (_, page, err) = merge(&["-o", "html", file.to_str().unwrap()]);
    assert!(page.starts_with("<!DOCTYPE html>"), "{err}");
    for raw in ["<img", "<svg", "<script>alert", "</script><script>"] {
        assert!(!page.contains(raw), "{raw} in the page");
    }
    assert_eq!(
        page.matches("<script").count(),
        2,
        "the data block and the page's own script"
    );
    assert!(page.contains("Content-Security-Policy"));
}
