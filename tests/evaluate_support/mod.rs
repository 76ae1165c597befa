//! Helpers of the `evaluate` CLI tests: run the binary in the fixture folder (so paths in the
//! report are short), read its JSON report, find a flow in it; or evaluate in the library as
//! `check` does.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use apim_probe::azure::network::NetworkInputs;
use apim_probe::catalog::load;
use apim_probe::catalog::model::{Cloud, Platform, VnetMode};
use apim_probe::catalog::plan::{self, Scope};
use apim_probe::evaluate::{EvalSettings, Evaluation, evaluate as run_evaluation, flows};
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

/// The library's evaluation of `paths` for stv2, external, Public cloud, westeurope: the
/// embedded catalog's plan, the inputs read, one `evaluate` — what `check` calls.
pub fn evaluation_of(paths: &[&Path]) -> Evaluation {
    let catalog = load::embedded().unwrap();
    let scope = Scope {
        platform: Platform::Stv2,
        vnet: VnetMode::External,
        cloud: Cloud::Public,
        values: BTreeMap::from([("region".to_owned(), "westeurope".to_owned())]),
        dns_servers: Vec::new(),
        only: Vec::new(),
        skip: Vec::new(),
        peers: Vec::new(),
    };
    let plan = plan::build(&catalog, &scope).unwrap();
    let mut inputs = NetworkInputs::default();
    for p in paths {
        inputs.add_path(p, None).unwrap();
    }
    let settings = EvalSettings::classic(
        Platform::Stv2,
        VnetMode::External,
        Cloud::Public,
        Some("westeurope".into()),
        Vec::new(),
    );
    run_evaluation(&flows::from_plan(&plan), &inputs, &settings)
}
