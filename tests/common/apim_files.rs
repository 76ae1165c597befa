//! What the tests of APIM's own files (`--dependencies`, `--apim-status`) share: a `check` that
//! resolves through a loopback DNS responder, lookups in its report, and malformed-file runs.

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

use super::support::{self, DnsResponder, bin};

/// APIM's outboundNetworkDependenciesEndpoints, as `az rest` prints it.
pub const DEPS: &str = "tests/fixtures/apim-api/outbound-network-dependencies.example.json";
/// APIM's networkstatus, as `az rest` prints it.
pub const STATUS: &str = "tests/fixtures/apim-api/network-status.example.json";

/// `check -o json` through `dns` with a 500 ms timeout: the exit code and the report.
pub fn check(dns: &DnsResponder, args: &[&str]) -> (i32, Value) {
    let dns = dns.addr.to_string();
    let mut all = vec!["--dns-server", &dns, "--timeout", "500ms"];
    all.extend_from_slice(args);
    support::check_json(&all)
}

/// Every result for `host`.
pub fn entries<'a>(report: &'a Value, host: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["host"] == host)
        .collect()
}

/// `(id, check)` of the one result for `host:port`.
pub fn probe_of(report: &Value, host: &str, port: u16) -> (String, String) {
    let found: Vec<&Value> = entries(report, host)
        .into_iter()
        .filter(|r| r["port"] == port)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{host}:{port} once in the report: {found:#?}"
    );
    let r = found[0];
    assert_ne!(r["status"], "skipped", "{host}:{port} is probed: {r:#}");
    (
        r["id"].as_str().unwrap().to_owned(),
        r["check"].as_str().unwrap().to_owned(),
    )
}

/// Writes `text` to `name` in `dir`; returns the path.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `check` with a malformed input: exit 2, nothing on stdout, stderr names file and path.
pub fn rejected(option: &str, file: &PathBuf, want: &[&str]) {
    let dns = DnsResponder::start(&[]);
    let out = bin()
        .args(["check", "-o", "json", "--dns-server", &dns.addr.to_string()])
        .arg(option)
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    for w in want {
        assert!(stderr.contains(w), "want {w:?} in: {stderr}");
    }
}
