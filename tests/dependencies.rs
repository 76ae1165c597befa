//! `list --dependencies`: APIM's own outboundNetworkDependenciesEndpoints previewed as a plan,
//! the very plan `check --dependencies` runs (checked against a `check` whose every probe stops
//! at a loopback DNS responder answering NXDOMAIN, so nothing leaves the machine).

mod support;

use serde_json::Value;
use support::{DnsResponder, bin};

const DEPS: &str = "tests/fixtures/apim-api/outbound-network-dependencies.example.json";

/// `(id, host, port, check)` of every entry that is not skipped, in order.
fn probed(entries: &[Value]) -> Vec<(String, String, u64, String)> {
    entries
        .iter()
        .filter(|e| e["skip"].is_null() && e["status"] != "skipped")
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["host"].as_str().unwrap().to_owned(),
                e["port"].as_u64().unwrap(),
                e["check"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn list_shows_the_plan_check_runs_with_apim_endpoints() {
    let dns = DnsResponder::start(&[]);
    let server = dns.addr.to_string();
    let out = bin()
        .args(["list", "-o", "json", "--dns-server", &server])
        .args(["--dependencies", DEPS])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = probed(plan["probes"].as_array().unwrap());
    let sql = (
        "sql".to_owned(),
        "xxxx1345234.database.windows.net".to_owned(),
        1433,
        "tds".to_owned(),
    );
    assert!(listed.contains(&sql), "{listed:#?}");
    assert!(
        !listed.iter().any(|p| p.1.contains('{')),
        "no placeholder left where the file names real hosts: {listed:#?}"
    );
    let (_, report) = support::check_json(&[
        "--dns-server",
        &server,
        "--timeout",
        "500ms",
        "--dependencies",
        DEPS,
    ]);
    assert_eq!(listed, probed(report["results"].as_array().unwrap()));
}

#[test]
fn list_rejects_a_malformed_file_naming_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deps.json");
    std::fs::write(&file, r#"{"value": [{"category": 1}]}"#).unwrap();
    let out = bin()
        .args(["list", "--dns-server", "127.0.0.1:9", "--dependencies"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deps.json: at value[0].category: invalid type"),
        "{err}"
    );
}
