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

/// `list -o json` with these arguments: the exit code, the listed ids, and stderr.
fn list(args: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let out = bin()
        .args(["list", "-o", "json", "--dns-server", "127.0.0.1:9"])
        .args(args)
        .output()
        .unwrap();
    let ids = serde_json::from_slice::<Value>(&out.stdout)
        .map(|plan| {
            plan["probes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), ids, err)
}

#[test]
fn only_and_skip_can_name_the_rows_of_categories_the_catalog_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deps.json");
    std::fs::write(
        &file,
        r#"{"value":[{"category":"Azure Something New","endpoints":[
            {"domainName":"new.example.test","endpointDetails":[{"port":7000}]}]},
            {"category":"Azure SQL","endpoints":[
            {"domainName":"x.database.windows.net","endpointDetails":[{"port":1433}]}]}]}"#,
    )
    .unwrap();
    let deps = file.to_str().unwrap();
    let (code, ids, err) = list(&["--dependencies", deps, "--only", "apim-azure-something-new"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(ids, ["apim-azure-something-new"]);
    let (code, ids, err) = list(&[
        "--dependencies",
        deps,
        "--only",
        "sql,apim-azure-something-new",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        ids.contains(&"sql".to_owned()) && ids.contains(&"apim-azure-something-new".to_owned())
    );
    let (code, ids, err) = list(&["--dependencies", deps, "--skip", "apim-azure-something-new"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!ids.iter().any(|i| i.starts_with("apim-")), "{ids:?}");

    // A misspelt one is an error that lists what the file makes; without the file, says so.
    let (code, _, err) = list(&["--dependencies", deps, "--only", "apim-azure-something"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--only: no dependency has the id `apim-azure-something`")
            && err.contains("makes apim-azure-something-new"),
        "{err}"
    );
    let (code, _, err) = list(&["--skip", "apim-azure-something-new"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("none was given"), "{err}");
}
