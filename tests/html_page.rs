//! The HTML page of `merge -o html` and `check -o html` in a real headless Chromium (Debian's
//! `chromium`), driven over the DevTools protocol by tests/html/drive.py: the page loads without
//! a console error (a blocked inline script or style would be one: the CSP allows only the
//! page's own, by hash), the matrix has a cell per VM and row, "only rows that fail" hides
//! exactly the rows that fail nowhere, one VM leaves one column, one dependency leaves its rows,
//! a click on a cell shows its detail, and hostile text runs nothing. Each page's screenshot is
//! kept under target/html-test/.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::prereq;
use common::support::{bin, catalog, closed_port, row};
use serde_json::Value;

fn chromium_missing() -> bool {
    let found = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        prereq::missing(
            "HTML",
            "Debian's chromium is not installed (scripts/test.sh installs it as root)",
        );
    }
    !found
}

fn artefacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/html-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens the page in Chromium; what the driver saw.
fn drive(page: &Path, shot: &Path) -> Value {
    let out = Command::new("python3")
        .arg("tests/html/drive.py")
        .arg(page)
        .arg(shot)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "driver failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Writes the page of `merge` (or `check`) with these arguments under target/html-test/.
fn page(name: &str, args: &[&str]) -> PathBuf {
    let dir = artefacts();
    let html = dir.join(format!("{name}.html"));
    let out = bin().args(args).args(["-o", "html"]).output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&html, &out.stdout).unwrap();
    html
}

fn merged(args: &[&str]) -> Value {
    let out = bin()
        .arg("merge")
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn assert_behaves(seen: &Value, m: &Value) {
    assert_eq!(
        seen["console"],
        serde_json::json!([]),
        "console errors: {seen}"
    );
    assert_eq!(seen["pwned"], Value::Null);
    let columns = m["columns"].as_array().unwrap().len();
    let rows = m["rows"].as_array().unwrap();
    assert_eq!(seen["columns"], columns);
    assert_eq!(seen["rows"], rows.len());
    assert_eq!(seen["cells"], rows.len() * columns);
    let failing: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["class"] == "failed")
        })
        .map(|r| &r["id"])
        .collect();
    assert_eq!(
        seen["after_only_failures"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        failing
    );
    assert_eq!(seen["only_failures_checked"], true);
    assert_eq!(seen["after_uncheck"], rows.len());
    assert_eq!(seen["one_vm_columns"], 1);
    let dep = seen["one_dependency"]["id"].as_str().unwrap();
    let with_id = rows.iter().filter(|r| r["id"] == dep).count();
    assert_eq!(
        seen["one_dependency"]["rows"].as_array().unwrap().len(),
        with_id
    );
    assert_eq!(seen["detail_hidden"], false);
    assert_eq!(seen["detail"]["vm"], m["columns"][0]["label"]);
    assert_eq!(
        seen["detail"]["row"],
        format!(
            "{} {}",
            rows[0]["id"].as_str().unwrap(),
            rows[0]["target"].as_str().unwrap()
        )
    );
    assert!(!seen["detail"]["detail"].as_str().unwrap().is_empty());
}

#[test]
fn the_merged_page_in_chromium() {
    if chromium_missing() {
        return;
    }
    let html = page("merge", &["merge", "tests/fixtures/merge"]);
    let seen = drive(&html, &artefacts().join("merge.png"));
    assert_behaves(&seen, &merged(&["tests/fixtures/merge"]));
    assert_eq!(seen["title"], "apim-probe: 4 VMs");
}

#[test]
fn the_check_page_has_one_column() {
    if chromium_missing() {
        return;
    }
    let port = closed_port();
    let (_dir, cat) = catalog(&[
        row("closed", true, "127.0.0.1", port),
        row("other", false, "127.0.0.1", port),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let html = page(
        "check",
        &[
            "check",
            "--catalog",
            cat.to_str().unwrap(),
            "--timeout",
            "2s",
            "--report-file",
            report.to_str().unwrap(),
        ],
    );
    let seen = drive(&html, &artefacts().join("check.png"));
    assert_behaves(&seen, &merged(&[report.to_str().unwrap()]));
    assert_eq!(seen["columns"], 1);
}

#[test]
fn hostile_text_runs_nothing_in_chromium() {
    if chromium_missing() {
        return;
    }
    let text = std::fs::read_to_string("tests/fixtures/merge/northeurope-vm.json").unwrap();
    let mut r: Value = serde_json::from_str(&text).unwrap();
    let plant = "<img src=x onerror=\"document.body.dataset.pwned=1\"><script>document.body.dataset.pwned=2</script>";
    r["host"]["azure"]["name"] = Value::from(format!("vm{plant}"));
    r["results"][0]["detail"] = Value::from(format!("</script>{plant}"));
    r["results"][0]["id"] = Value::from(format!("x\"'{plant}"));
    r["diagnosis"] = serde_json::json!([{ "cause": plant, "summary": plant, "explains": [0], "evidence": plant, "fix": plant }]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.json");
    std::fs::write(&file, r.to_string()).unwrap();
    let html = page("hostile", &["merge", file.to_str().unwrap()]);
    let seen = drive(&html, &artefacts().join("hostile.png"));
    assert_behaves(&seen, &merged(&[file.to_str().unwrap()]));
    assert!(
        seen["detail"]["vm"].as_str().unwrap().contains("<script>"),
        "shown as text: {seen}"
    );
}
