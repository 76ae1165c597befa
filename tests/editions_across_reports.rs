//! Two reports checked against different editions of the VNet reference: `diff` and `merge` say
//! so, and mark the rows that differ only because of it (the certificate-validation row only
//! 2025-06 has, the Storage 445 row only 2023-11 has), so that a changed requirement is not read
//! as a changed network. The reports are the sample report, edited as each edition would make it.

mod common;

use std::path::{Path, PathBuf};

use common::support::bin;
use serde_json::{Value, json};

fn sample() -> Value {
    serde_json::from_str(&std::fs::read_to_string("tests/fixtures/report-sample.json").unwrap())
        .unwrap()
}

fn reference(edition: &str, date: &str) -> Value {
    json!({
        "edition": edition,
        "date": date,
        "url": "https://learn.microsoft.com/azure/api-management/virtual-network-reference"
    })
}

/// A result like the sample's first, for another row.
fn result(id: &str, host: &str, port: u16, required: bool, status: &str) -> Value {
    let mut r = sample()["results"][0].clone();
    r["id"] = json!(id);
    r["host"] = json!(host);
    r["port"] = json!(port);
    r["required"] = json!(required);
    r["status"] = json!(status);
    r["detail"] = json!(format!("{status} (made for this test)"));
    r
}

/// The sample as a 2023-11 run on `vm-old` (with the Storage 445 row) and as a 2025-06 run on
/// `vm-new` (with a failing certificate-validation row).
fn two_reports(dir: &Path) -> (PathBuf, PathBuf) {
    let mut old = sample();
    old["reference"] = reference("2023-11", "2023-11-29");
    old["host"]["hostname"] = json!("vm-old");
    old["host"]["azure"] = Value::Null;
    let files = result("file-share", "st.file.core.windows.net", 445, false, "ok");
    old["results"].as_array_mut().unwrap().push(files);
    old["summary"]["total"] = json!(16);
    old["summary"]["ok"] = json!(4);
    let mut new = sample();
    new["reference"] = reference("2025-06", "2025-06-17");
    new["host"]["hostname"] = json!("vm-new");
    new["host"]["azure"] = Value::Null;
    let cert = result("cert-validation", "crl3.digicert.com", 80, true, "timeout");
    new["results"].as_array_mut().unwrap().push(cert);
    new["summary"]["total"] = json!(16);
    new["summary"]["failed"] = json!(11);
    new["summary"]["failed_required"] = json!(5);
    let (a, b) = (dir.join("old.json"), dir.join("new.json"));
    std::fs::write(&a, old.to_string()).unwrap();
    std::fs::write(&b, new.to_string()).unwrap();
    (a, b)
}

fn run(args: &[&str]) -> (i32, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn diff_marks_what_the_editions_explain() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = two_reports(dir.path());
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let (code, out) = run(&["diff", old, new, "-o", "json"]);
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["reports"]["old"]["reference"], "2023-11");
    assert_eq!(d["reports"]["new"]["reference"], "2025-06");
    // A newly required row that fails is still a failure of this network under 2025-06 …
    let regressed = &d["regressed"][0];
    assert_eq!(regressed["id"], "cert-validation");
    assert_eq!(regressed["edition"], "only in 2025-06");
    assert_eq!(code, 1, "{out}");
    // … and a row only 2023-11 had is gone because of the edition, not lost.
    let gone = &d["gone"][0];
    assert_eq!(gone["id"], "file-share");
    assert_eq!(gone["edition"], "only in 2023-11");
    assert_eq!(d["counts"]["gone_required"], 0);
    let (_, text) = run(&["diff", old, new]);
    assert!(
        text.contains("cert-validation crl3.digicert.com:80/tcp absent → timeout (required) [edition: only in 2025-06]"),
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().starts_with(
            "checked against different editions of the VNet reference (2023-11 → 2025-06; 2 marked [edition] differ only because of that): "
        ),
        "{text}"
    );
    // The same edition twice: nothing is marked.
    let (_, same) = run(&["diff", old, old, "-o", "json"]);
    assert!(!same.contains("\"edition\""), "{same}");
}

#[test]
fn merge_says_the_columns_differ_in_edition_and_marks_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = two_reports(dir.path());
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let (_, out) = run(&["merge", old, new, "-o", "json"]);
    let m: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(m["references"], json!(["2023-11", "2025-06"]));
    let row = |id: &str| {
        m["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(row("cert-validation")["edition"], "only in 2025-06");
    assert_eq!(row("file-share")["edition"], "only in 2023-11");
    assert_eq!(
        row("file-share")["cells"][1]["detail"],
        "the 2025-06 edition has no such row"
    );
    assert!(row("sql")["edition"].is_null(), "both editions have sql");
    assert_eq!(m["columns"][0]["reference"], "2023-11");
    let (_, table) = run(&["merge", old, new]);
    assert!(
        table.contains("checked against different editions of the VNet reference: 2023-11 (vm-old), 2025-06 (vm-new); rows marked [edition] differ only because of that"),
        "{table}"
    );
    assert!(table.contains("[edition: only in 2025-06]"), "{table}");
    let (_, md) = run(&["merge", old, new, "-o", "markdown"]);
    assert!(
        md.contains("different editions of the VNet reference"),
        "{md}"
    );
    let (_, html) = run(&["merge", old, new, "-o", "html"]);
    assert!(html.contains("<p id=\"reference\">checked against different editions"));
}
