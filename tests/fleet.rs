//! packaging/fleet/run-command.sh against a recorded-response `az` stand-in on PATH
//! (tests/fixtures/fleet/bin/az, answers from tests/fixtures/fleet/responses in the shapes real az
//! gives): five VMs of a resource group through `invoke`, one per call, answering out of order —
//! one failing, one passing, one whose output was cut to its last 4,096 bytes, one that outlasts
//! --timeout, one Windows VM; two VMs through managed run-command with blob output; --dry-run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-apim/providers/Microsoft.Compute/virtualMachines";
const SAS_URL: &str = "https://st.blob.core.windows.net/tools/apim-probe?sv=2024&sig=SECRET";

struct Run {
    out: Output,
    dir: tempfile::TempDir,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("az.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
    fn results(&self) -> PathBuf {
        self.dir.path().join("out")
    }
    fn merged(&self) -> Value {
        let text = std::fs::read(self.results().join("merge.json")).unwrap();
        serde_json::from_slice(&text).unwrap()
    }
}

/// Runs the fleet script with the stand-in first on PATH.
fn fleet(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = format!(
        "{}:{}",
        root.join("tests/fixtures/fleet/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(root.join("packaging/fleet/run-command.sh"))
        .args(args)
        .args(["--out", dir.path().join("out").to_str().unwrap()])
        .args(["--apim-probe", env!("CARGO_BIN_EXE_apim-probe")])
        .env("PATH", path)
        .env("AZ_LOG", dir.path().join("az.log"))
        .env("AZ_STATE", &state)
        .output()
        .unwrap();
    Run { out, dir }
}

fn sha() -> String {
    "a".repeat(64)
}

fn column<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"]["name"] == name)
        .unwrap_or_else(|| panic!("no column {name}: {m}"))
}

/// The status of `id` in the column named `name`.
fn cell(m: &Value, id: &str, name: &str) -> String {
    let i = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["key"]["name"] == name)
        .unwrap();
    let row = m["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    row["cells"][i]["status"].as_str().unwrap().to_owned()
}

#[test]
fn a_resource_group_through_invoke_one_vm_per_call() {
    let sha = sha();
    let run = fleet(&[
        "-g",
        "rg-apim",
        "--sha256",
        &sha,
        "--url",
        SAS_URL,
        "--windows-sha256",
        &sha,
        "--windows-url",
        SAS_URL,
        "--args",
        "--region westeurope",
        "--reference",
        "2025-06",
        "--timeout",
        "3",
        "--parallel",
        "3",
    ]);
    assert_eq!(
        run.out.status.code(),
        Some(1),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    assert!(!run.stdout().contains("SECRET") && !run.stderr().contains("SECRET"));
    // One invoke per VM, each with one id (the stand-in refuses more).
    let log = run.log();
    let invokes: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("vm run-command invoke"))
        .collect();
    assert_eq!(invokes.len(), 5, "{:?}", run.log());
    // The edition reaches every VM's script, by each script's own parameter name.
    assert!(
        invokes
            .iter()
            .all(|l| l.contains("reference=2025-06") || l.contains("Reference=2025-06")),
        "{invokes:?}"
    );
    // Out of order: the listing names probe-weu first, its answer comes back last (the stand-in
    // answers it slowest). Which invoke reaches the log first is a race: not asserted.
    for name in ["probe-weu", "probe-neu"] {
        assert!(
            invokes.iter().any(|l| l.contains(&format!("/{name} "))),
            "{invokes:?}"
        );
    }
    let err = run.stderr();
    assert!(
        err.find("probe-neu done").unwrap() < err.find("probe-weu done").unwrap(),
        "{err}"
    );
    // Each VM's file is named by its id and holds its own answer.
    for name in [
        "probe-weu",
        "probe-neu",
        "probe-cut",
        "probe-slow",
        "probe-win",
    ] {
        let file = run.results().join(format!(
            "vms/00000000-0000-0000-0000-000000000000_rg-apim_{name}.json"
        ));
        let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(doc["vm"]["id"], format!("{SUB}/{name}"));
    }
    let m = run.merged();
    assert_eq!(column(&m, "probe-weu")["verdict"], "fail");
    assert_eq!(cell(&m, "sql", "probe-weu"), "timeout");
    assert_eq!(column(&m, "probe-neu")["verdict"], "pass");
    assert_eq!(cell(&m, "sql", "probe-neu"), "not failed");
    assert_eq!(column(&m, "probe-win")["verdict"], "pass");
    // The 4 KB-cut output: the failures whose lines came back, and a note that it was cut.
    let cut = column(&m, "probe-cut");
    assert_eq!(cut["verdict"], "fail");
    assert!(
        cut["notes"][0].as_str().unwrap().starts_with("truncated"),
        "{cut}"
    );
    assert_eq!(cell(&m, "sql", "probe-cut"), "timeout");
    assert_eq!(cell(&m, "key-vault", "probe-cut"), "?");
    // The VM that outlasted --timeout: no verdict, said why.
    let slow = column(&m, "probe-slow");
    assert_eq!(slow["verdict"], "unknown");
    assert!(
        slow["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("timed out after 3 s"),
        "{slow}"
    );
    assert!(
        run.stdout()
            .contains("1 of 5 without a verdict: probe-slow"),
        "{}",
        run.stdout()
    );
    assert!(run.results().join("merge.html").is_file());
}

#[test]
fn managed_run_command_brings_each_whole_report_back_from_its_blob() {
    let sha = sha();
    let (weu, neu) = (format!("{SUB}/probe-weu"), format!("{SUB}/probe-neu"));
    let run = fleet(&[
        "--ids",
        &weu,
        &neu,
        "--sha256",
        &sha,
        "--bin",
        "/usr/local/bin/apim-probe",
        "--storage-container",
        "https://st.blob.core.windows.net/reports?sv=2024&sig=SECRET",
        "--timeout",
        "20",
        "-o",
        "markdown",
    ]);
    assert_eq!(run.out.status.code(), Some(1), "{}", run.stderr());
    assert!(!run.stdout().contains("SECRET") && !run.stderr().contains("SECRET"));
    let log = run.log();
    for verb in ["create", "show", "delete"] {
        let n = log
            .iter()
            .filter(|l| l.starts_with(&format!("vm run-command {verb} ")))
            .count();
        assert_eq!(n, 2, "{verb}: {log:?}");
    }
    let creates: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("vm run-command create"))
        .collect();
    assert!(
        creates
            .iter()
            .all(|l| l.contains("format=json") && l.contains("--output-blob-uri")),
        "{creates:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("storage blob download"))
            .count(),
        2
    );
    let m = run.merged();
    for name in ["probe-weu", "probe-neu"] {
        let c = column(&m, name);
        assert_eq!(c["kind"], "report", "{c}");
        assert_eq!(c["diagnosis"][0]["cause"], "firewall_inspection");
    }
    assert_eq!(cell(&m, "ntp", "probe-weu"), "ok");
    assert!(
        run.stdout().starts_with("# apim-probe: 2 VMs"),
        "{}",
        run.stdout()
    );
}

#[test]
fn dry_run_lists_the_vms_and_prints_every_command_without_running_them() {
    let sha = sha();
    let run = fleet(&[
        "--tag",
        "apim-probe=yes",
        "--sha256",
        &sha,
        "--url",
        SAS_URL,
        "--dry-run",
    ]);
    assert_eq!(run.out.status.code(), Some(0), "{}", run.stderr());
    let out = run.stdout();
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("az vm run-command invoke --ids "))
            .count(),
        2,
        "{out}"
    );
    assert!(
        out.lines().last().unwrap().contains(" merge -o table "),
        "{out}"
    );
    assert!(!out.contains("SECRET") && out.contains("<SAS>"), "{out}");
    // Only the read-only listing reached az.
    let log = run.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].starts_with("vm list --query"), "{log:?}");
    assert!(!run.results().exists());
}

#[test]
fn bad_options_exit_2() {
    let sha = sha();
    for args in [
        vec!["--sha256", sha.as_str()],
        vec!["-g", "rg-apim"],
        vec!["-g", "rg-apim", "--sha256", &sha, "--tag", "a='b"],
        vec!["-g", "rg-apim", "--sha256", &sha, "--parallel", "0"],
        vec![
            "-g",
            "rg-apim",
            "--sha256",
            &sha,
            "--storage-container",
            "http://x",
        ],
    ] {
        let run = fleet(&args);
        assert_eq!(run.out.status.code(), Some(2), "{args:?}: {}", run.stderr());
        assert!(run.log().is_empty(), "{args:?}");
    }
}
