//! Azure inputs on loopback: `--dependencies` (APIM's outboundNetworkDependenciesEndpoints) and
//! `--apim-status` (APIM's networkstatus) against a DNS responder that answers NXDOMAIN for
//! everything, so every probe stops at DNS and nothing leaves the machine.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::{DnsResponder, bin};

const DEPS: &str = "tests/fixtures/apim-api/outbound-network-dependencies.example.json";
const STATUS: &str = "tests/fixtures/apim-api/network-status.example.json";

fn check(dns: &DnsResponder, args: &[&str]) -> (i32, Value) {
    let dns = dns.addr.to_string();
    let mut all = vec!["--dns-server", &dns, "--timeout", "500ms"];
    all.extend_from_slice(args);
    support::check_json(&all)
}

fn entries<'a>(report: &'a Value, host: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["host"] == host)
        .collect()
}

/// `(id, check)` of the one result for `host:port`.
fn probe_of(report: &Value, host: &str, port: u16) -> (String, String) {
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

#[test]
fn apim_endpoints_are_probed_on_their_rows() {
    let dns = DnsResponder::start(&[]);
    let (code, report) = check(&dns, &["--dependencies", DEPS]);
    assert_eq!(code, 1, "everything fails at DNS");
    let want = [
        ("xxxx1345234.database.windows.net", 1433, "sql", "tds"),
        (
            "xxxx32storagedgfbay.blob.core.windows.net",
            443,
            "storage",
            "tls",
        ),
        (
            "xxxx32tst4oto8t0mlesawmm.queue.core.windows.net",
            443,
            "storage",
            "tls",
        ),
        (
            "xxxx32tst4oto8t0mlesawmm.file.core.windows.net",
            445,
            "file-share",
            "smb",
        ),
        (
            "xxxx1362629927eh.servicebus.windows.net",
            5671,
            "event-hub",
            "amqps",
        ),
        (
            "xxxx1362629927eh.servicebus.windows.net",
            5672,
            "event-hub",
            "amqp",
        ),
        (
            "xxxx1362629927eh.servicebus.windows.net",
            443,
            "event-hub",
            "tls",
        ),
        ("ocsp.msocsp.com", 80, "tls-chain", "http"),
        ("crl3.digicert.com", 443, "tls-chain-newer", "tls"),
        (
            "gcs.ppe.monitoring.core.windows.net",
            443,
            "azure-monitor",
            "tls",
        ),
        (
            "xxx3-red.prod.microsoftmetrics.com",
            1886,
            "azure-monitor-metrics",
            "tls",
        ),
        ("client.xxx.live.com", 443, "portal-captcha", "tls"),
        ("graph.windows.net", 443, "entra", "tls"),
        ("smtpi-ch1.msn.com", 25028, "smtp-relay", "tcp"),
    ];
    for (host, port, id, kind) in want {
        assert_eq!(
            probe_of(&report, host, port),
            (id.to_owned(), kind.to_owned()),
            "{host}:{port}"
        );
        let r = &entries(&report, host)[0];
        assert_eq!(r["status"], "dns_failed", "{r:#}");
    }
    let results = report["results"].as_array().unwrap();
    // The placeholders the file fills are gone; those it does not fill stay, saying what to give.
    let hosts: Vec<&str> = results.iter().filter_map(|r| r["host"].as_str()).collect();
    for gone in [
        "{sql_server}.database.windows.net",
        "{storage_account}.blob.core.windows.net",
        "{storage_account}.file.core.windows.net",
        "{event_hub_namespace}.servicebus.windows.net",
    ] {
        assert!(!hosts.contains(&gone), "{gone} still in the plan");
    }
    assert!(hosts.contains(&"{key_vault}.vault.azure.net"));
    assert!(hosts.contains(&"{region}.login.microsoft.com"));
    // The real hosts sit where the placeholders were: storage before sql, as in the catalog.
    let pos = |host: &str| hosts.iter().position(|h| *h == host).unwrap();
    assert!(
        pos("xxxx32storagedgfbay.blob.core.windows.net") < pos("xxxx1345234.database.windows.net")
    );
    assert!(pos("xxxx1345234.database.windows.net") < pos("login.microsoftonline.com"));
    // A host APIM lists that the catalog already probes is not probed twice.
    assert_eq!(entries(&report, "ocsp.msocsp.com").len(), 2, "80 and 443");
}

#[test]
fn without_the_file_the_smtp_relay_is_listed_skipped() {
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(&dns, &["--only", "smtp-relay"]);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "ports 25, 587, 25028: {results:#?}");
    assert!(results.iter().all(|r| r["status"] == "skipped"));
    assert!(
        results[0]["detail"]
            .as_str()
            .unwrap()
            .contains("--dependencies")
    );
}

#[test]
fn selection_applies_to_apim_endpoints() {
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(&dns, &["--dependencies", DEPS, "--only", "sql,event-hub"]);
    let ids: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter()
            .all(|i| ["sql", "sql-redirect", "event-hub"].contains(i)),
        "{ids:?}"
    );
    assert!(ids.contains(&"event-hub") && ids.contains(&"sql"));
    let (_, report) = check(&dns, &["--dependencies", DEPS, "--skip", "file-share"]);
    assert!(entries(&report, "xxxx32tst4oto8t0mlesawmm.file.core.windows.net").is_empty());
}

#[test]
fn unknown_categories_become_optional_tcp_probes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deps.json");
    std::fs::write(
        &file,
        r#"{"value":[{"category":"Azure Something New","endpoints":[
            {"domainName":"new.example.test","endpointDetails":[{"port":7000,"region":"West US"}]}]}]}"#,
    )
    .unwrap();
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(&dns, &["--dependencies", file.to_str().unwrap()]);
    let r = entries(&report, "new.example.test");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["check"], "tcp");
    assert_eq!(r[0]["port"], 7000);
    assert_eq!(r[0]["required"], false);
    assert_eq!(r[0]["id"], "apim-azure-something-new");
}

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
        .map(|w| w.as_str().unwrap())
        .collect();
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
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("APIM resolves through 168.63.129.16 but this run asked 127.0.0.1"),
        "{warnings:#?}"
    );
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `check` with a malformed input: exit 2, nothing on stdout, stderr names file and path.
fn rejected(option: &str, file: &PathBuf, want: &[&str]) {
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

#[test]
fn malformed_dependencies_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ep = |port: &str| {
        format!(r#"{{"domainName":"h.test","endpointDetails":[{{"port":{port},"region":"x"}}]}}"#)
    };
    let wrong_type = format!(
        r#"{{"value":[{{"category":"Azure SQL","endpoints":[{},{},{}]}}]}}"#,
        ep("1433"),
        ep("1433"),
        ep("\"x\"")
    );
    rejected(
        "--dependencies",
        &write(&dir, "wrong-type.json", &wrong_type),
        &[
            "at value[0].endpoints[2].endpointDetails[0].port: invalid type: string \"x\", expected u16",
        ],
    );
    rejected(
        "--dependencies",
        &write(
            &dir,
            "missing.json",
            r#"{"value":[{"category":"Azure SQL","endpoints":[{"endpointDetails":[]}]}]}"#,
        ),
        &["at value[0].endpoints[0]", "missing field `domainName`"],
    );
    rejected(
        "--dependencies",
        &write(&dir, "not-json.json", "<html>"),
        &["at $", "not JSON"],
    );
    rejected(
        "--dependencies",
        &write(&dir, "empty.json", ""),
        &["at $", "empty"],
    );
    rejected(
        "--dependencies",
        &write(
            &dir,
            "port.json",
            &format!(
                r#"{{"value":[{{"category":"x","endpoints":[{}]}}]}}"#,
                ep("70000")
            ),
        ),
        &["value[0].endpoints[0].endpointDetails[0].port"],
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
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("APIM says login.microsoftonline.com (from West US) is reachable"),
        "{warnings:#?}"
    );
}
