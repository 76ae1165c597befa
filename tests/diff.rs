//! `apim-probe diff`: hand-written reports in tests/fixtures/diff/ compared through the binary,
//! and two real `check` reports (loopback only) read back.

mod common;

use common::support;

use std::path::PathBuf;

use support::{bin, catalog, closed_port, row};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(name)
        .display()
        .to_string()
}

/// Runs `diff OLD NEW` with extra arguments; returns the exit code, stdout and stderr.
fn diff(old: &str, new: &str, args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .arg("diff")
        .args([fixture(old), fixture(new)])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn diff_json(old: &str, new: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = diff(old, new, &["-o", "json"]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn ids(v: &serde_json::Value, class: &str) -> Vec<String> {
    v[class]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_required_regression_fails_with_every_class_in_its_section() {
    let (code, out, _) = diff("old.json", "new.json", &[]);
    assert_eq!(code, 1, "{out}");
    let expected = "\
Regressed
  sql db.example.net:1433/tcp ok → timeout (required)

Fixed
  storage st.example.net:443/tcp timeout → ok (required)

Changed
  keyvault kv.example.net:443/tcp refused → unreachable (required) — status changed

New
  events ev.example.net:5671/tcp absent → ok

Gone
  legacy old.example.net:443/tcp ok → absent

1 regressed (1 required), 1 fixed, 1 changed, 1 new, 1 gone, 2 unchanged
";
    assert_eq!(out, expected);
}

#[test]
fn json_has_one_array_per_class_and_counts() {
    let (code, v) = diff_json("old.json", "new.json");
    assert_eq!(code, 1);
    assert_eq!(v["schema"], "apim-probe/diff/v1");
    assert_eq!(ids(&v, "regressed"), ["sql"]);
    assert_eq!(ids(&v, "fixed"), ["storage"]);
    assert_eq!(ids(&v, "changed_reason"), ["keyvault"]);
    assert_eq!(ids(&v, "new"), ["events"]);
    assert_eq!(ids(&v, "gone"), ["legacy"]);
    let sql = &v["regressed"][0];
    assert_eq!(sql["required"], true);
    assert_eq!(sql["old"]["status"], "ok");
    assert_eq!(sql["new"]["status"], "timeout");
    assert!(v["new"][0]["old"].is_null());
    assert!(v["gone"][0]["new"].is_null());
    assert_eq!(v["changed_reason"][0]["reason"], "status changed");
    assert_eq!(
        v["counts"],
        serde_json::json!({
            "regressed": 1, "regressed_required": 1, "fixed": 1, "changed_reason": 1,
            "new": 1, "gone": 1, "gone_required": 0, "unchanged": 2
        })
    );
    assert_eq!(v["new_interrupted"], false);
    assert!(
        v["reports"]["old"]["file"]
            .as_str()
            .unwrap()
            .ends_with("old.json")
    );
    assert_eq!(v["reports"]["new"]["started_at"], "2026-11-27T22:00:00Z");
}

#[test]
fn an_optional_regression_alone_passes() {
    let (code, out, _) = diff("old.json", "optional.json", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Regressed\n  ntp time.example.net:123/udp ok → timeout\n"));
    assert!(!out.contains("ntp time.example.net:123/udp ok → timeout (required)"));
}

#[test]
fn the_same_status_from_another_icmp_sender_is_a_changed_reason() {
    let (_, v) = diff_json("old.json", "optional.json");
    assert_eq!(ids(&v, "changed_reason"), ["keyvault"]);
    assert_eq!(
        v["changed_reason"][0]["reason"],
        "same status; ICMP from 10.0.0.4 → 10.0.0.5"
    );
    // monitor: the same timeout with other timings and address is not a change.
    assert_eq!(v["counts"]["unchanged"], 4);
}

#[test]
fn reversed_reports_swap_fixed_and_regressed() {
    // Reversed: new.json → old.json fixes sql and regresses storage (required): fails.
    let (code, v) = diff_json("new.json", "old.json");
    assert_eq!(code, 1);
    assert_eq!(ids(&v, "fixed"), ["sql"]);
    assert_eq!(ids(&v, "regressed"), ["storage"]);
    assert_eq!(ids(&v, "new"), ["legacy"]);
    assert_eq!(ids(&v, "gone"), ["events"]);
    // optional.json → old.json: ntp fixed, nothing regressed.
    let (code, out, _) = diff("optional.json", "old.json", &[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Fixed\n  ntp time.example.net:123/udp timeout → ok\n"));
}

#[test]
fn identical_reports_are_no_change() {
    let (code, out, _) = diff("old.json", "old.json", &[]);
    assert_eq!(code, 0);
    assert_eq!(out, "no change (6 unchanged)\n");
    let (code, v) = diff_json("old.json", "old.json");
    assert_eq!(code, 0);
    assert_eq!(v["counts"]["unchanged"], 6);
    assert_eq!(v["regressed"], serde_json::json!([]));
}

#[test]
fn bad_input_names_the_file_and_the_json_path() {
    let cases = [
        (
            "wrong-type.json",
            "at $.results[1].port: not an apim-probe report",
        ),
        ("not-json.json", "at $: not JSON: EOF while parsing"),
        (
            "schema-v2.json",
            "\"apim-probe/report/v2\" is not supported",
        ),
        (
            "other-schema.json",
            "not an apim-probe report: schema \"apim-probe/diff/v1\"",
        ),
        ("missing.json", "cannot read"),
    ];
    for (file, message) in cases {
        for (old, new) in [("old.json", file), (file, "old.json")] {
            let (code, out, err) = diff(old, new, &[]);
            assert_eq!(code, 2, "{file}: {err}");
            assert!(out.is_empty(), "{file}: {out}");
            assert!(err.contains(&format!("{file}: ")), "{file}: {err}");
            assert!(err.contains(message), "{file}: {err}");
        }
    }
}

#[test]
fn a_missing_required_field_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("old.json")).unwrap()).unwrap();
    v["results"][2].as_object_mut().unwrap().remove("status");
    let path = dir.path().join("no-status.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let out = bin()
        .arg("diff")
        .arg(fixture("old.json"))
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no-status.json: at $.results[2]"), "{err}");
    assert!(err.contains("missing field `status`"), "{err}");
}

#[test]
fn real_check_reports_read_back() {
    let port = closed_port();
    let (_dir, cat) = catalog(&[row("closed", true, "127.0.0.1", port)]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = bin()
        .arg("check")
        .args(["-q", "--catalog"])
        .arg(&cat)
        .args(["--dns-server", "127.0.0.1:9", "--report-file"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = bin()
        .arg("diff")
        .arg(&report)
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout, "no change (1 unchanged)\n");
}

#[test]
fn a_failure_now_skipped_or_decided_elsewhere_is_a_changed_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("old.json")).unwrap()).unwrap();
    v["results"][1]["status"] = "skipped".into();
    v["results"][1]["detail"] = "no --set storage_account".into();
    v["results"][5]["phase"] = "resolve".into();
    let path = dir.path().join("later.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let out = bin()
        .arg("diff")
        .arg(fixture("old.json"))
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "\
Changed
  storage st.example.net:443/tcp timeout → skipped (required) — no longer probed
  monitor mon.example.net:443/tcp timeout → timeout — same status; phase connect → resolve

0 regressed (0 required), 0 fixed, 2 changed, 0 new, 0 gone, 4 unchanged
"
    );
}

/// `old.json` changed by `edit`, written to a temp file; the diff `old.json → it` (code, table).
fn diff_edited(edit: impl FnOnce(&mut serde_json::Value)) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("old.json")).unwrap()).unwrap();
    edit(&mut v);
    let path = dir.path().join("later.json");
    std::fs::write(&path, v.to_string()).unwrap();
    let out = bin()
        .arg("diff")
        .arg(fixture("old.json"))
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_required_probe_no_longer_probed_is_a_regression() {
    // sql (required) was ok; now skipped: coverage lost, the diff fails.
    let (code, text) = diff_edited(|v| {
        v["results"][0]["status"] = "skipped".into();
        v["results"][0]["detail"] = "placeholder not filled".into();
    });
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "Regressed\n  sql db.example.net:1433/tcp ok → skipped (required) — no longer probed\n"
        ),
        "{text}"
    );
}

#[test]
fn a_required_probe_gone_fails_the_diff() {
    let (code, text) = diff_edited(|v| {
        v["results"].as_array_mut().unwrap().remove(0);
    });
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Gone\n  sql db.example.net:1433/tcp ok → absent (required)\n"),
        "{text}"
    );
    assert!(text.contains("1 gone (1 required)"), "{text}");
}

#[test]
fn an_interrupted_new_report_never_passes() {
    let (code, text) = diff_edited(|v| v["interrupted"] = true.into());
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("the new report is partial (its run was interrupted): no change"),
        "{text}"
    );
}
