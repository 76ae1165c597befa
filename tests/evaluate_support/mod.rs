//! Helpers of the `evaluate` CLI tests: run the binary in the fixture folder (so paths in the
//! report are short), read its JSON report, find a flow in it.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/azure-network");

/// The binary, without asking IMDS.
fn bin() -> Command {
    let mut c = Command::cargo_bin("apim-probe").unwrap();
    c.env("APIM_PROBE_NO_IMDS", "true");
    c
}

/// Runs `evaluate` in the fixture folder (so paths in the report are short); returns the exit
/// code, stdout and stderr.
pub fn evaluate(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .current_dir(DIR)
        .arg("evaluate")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub fn json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["-o", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = evaluate(&all);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

pub fn flow<'a>(report: &'a Value, id: &str, port: &str) -> &'a Value {
    report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id && f["ports"] == port)
        .unwrap_or_else(|| panic!("no flow {id} {port}"))
}
