//! `--apim-status` (APIM's networkstatus) on loopback, beside `--dependencies`: APIM's view is
//! put beside ours, disagreements are flagged, malformed files are usage errors. A DNS responder
//! answers NXDOMAIN for everything, so every probe stops at DNS and nothing leaves the machine.

mod common;

use common::apim_files;
use common::support;

use apim_files::{DEPS, STATUS, check, entries, rejected, write};
use support::DnsResponder;

#[test]
fn apim_status_is_put_beside_ours() {
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(&dns, &["--dependencies", DEPS, "--apim-status", STATUS]);
    // APIM says success, this run failed DNS: disagreement, and a warning says so.
    let login = entries(&report, "login.windows.net");
    assert_eq!(login.len(), 1);
    let s = &login[0]["apim_status"];
    assert_eq!(s["status"], "success");
    assert_eq!(s["agrees"], false);
    assert_eq!(s["resource_type"], "AzureActiveDirectory");
    assert_eq!(s["last_updated"], "2023-06-08T16:40:43.4048644Z");
    // Hosts APIM does not name carry nothing.
    assert!(
        entries(&report, "graph.windows.net")[0]
            .get("apim_status")
            .is_none()
    );
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "apim_disagrees" && w["apim_status"] == "success"),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "APIM says https://login.windows.net is reachable but this probe found dns_failed"
        )),
        "{warnings:#?}"
    );
    // APIM's endpoints this run did not probe are listed, once.
    let unprobed: Vec<&&str> = warnings
        .iter()
        .filter(|w| w.contains("did not probe"))
        .collect();
    assert_eq!(unprobed.len(), 1, "{warnings:#?}");
    assert!(unprobed[0].contains("LocalGatewayRedis"));
    assert!(unprobed[0].contains("apikv-XXXXXXurugl3.vault.azure.net"));
    assert!(!unprobed[0].contains("https://login.windows.net"));
}

#[test]
fn apim_status_agrees_on_a_failure_and_accepts_one_location() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("status.json");
    std::fs::write(
        &file,
        r#"{"dnsServers":["168.63.129.16"],"connectivityStatus":[
            {"name":"https://login.microsoftonline.com:443/x","status":"failure","error":"timeout",
             "lastUpdated":"2026-01-01T00:00:00Z","resourceType":"AzureActiveDirectory","isOptional":false}]}"#,
    )
    .unwrap();
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(
        &dns,
        &["--only", "entra", "--apim-status", file.to_str().unwrap()],
    );
    let r = entries(&report, "login.microsoftonline.com");
    assert_eq!(r[0]["apim_status"]["agrees"], true);
    assert_eq!(r[0]["apim_status"]["error"], "timeout");
    // APIM resolves through Azure DNS, this run through the loopback responder: said once.
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("APIM resolves through 168.63.129.16 but this run asked 127.0.0.1"),
        "{warnings:#?}"
    );
}

#[test]
fn malformed_apim_status_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    rejected(
        "--apim-status",
        &write(
            &dir,
            "wrong-type.json",
            r#"[{"location":"x","networkStatus":{"connectivityStatus":[{"name":"a.test","status":"success"},{"name":7,"status":"success"}]}}]"#,
        ),
        &[
            "at [0].networkStatus.connectivityStatus[1].name: invalid type: integer `7`, expected a string",
        ],
    );
    rejected(
        "--apim-status",
        &write(
            &dir,
            "missing.json",
            r#"[{"location":"x","networkStatus":{"connectivityStatus":[{"name":"a.test"}]}}]"#,
        ),
        &[
            "at [0].networkStatus.connectivityStatus[0]",
            "missing field `status`",
        ],
    );
    rejected(
        "--apim-status",
        &write(&dir, "not-json.json", "{"),
        &["at $", "not JSON"],
    );
    rejected(
        "--apim-status",
        &write(&dir, "empty.json", "  \n"),
        &["at $", "empty"],
    );
    rejected(
        "--apim-status",
        &write(&dir, "other.json", r#"{"value":[]}"#),
        &["at $", "networkStatus"],
    );
}

#[test]
fn several_apim_locations_each_have_their_say() {
    let dir = tempfile::tempdir().unwrap();
    let loc = |name: &str, status: &str| {
        format!(
            r#"{{"location":"{name}","networkStatus":{{"dnsServers":[],"connectivityStatus":[
                {{"name":"login.microsoftonline.com","status":"{status}","error":"","lastUpdated":"t",
                  "resourceType":"AzureActiveDirectory","isOptional":false}}]}}}}"#
        )
    };
    let file = write(
        &dir,
        "status.json",
        &format!(
            "[{},{}]",
            loc("West US", "success"),
            loc("North Europe", "failure")
        ),
    );
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(
        &dns,
        &["--only", "entra", "--apim-status", file.to_str().unwrap()],
    );
    let r = entries(&report, "login.microsoftonline.com");
    assert_eq!(
        r[0]["apim_status"]["agrees"], false,
        "the disagreeing location is kept"
    );
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("APIM says login.microsoftonline.com (from West US) is reachable"),
        "{warnings:#?}"
    );
}
