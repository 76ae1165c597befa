//! `--dependencies` (APIM's own outboundNetworkDependenciesEndpoints) on loopback: each endpoint
//! probed on its catalog row with that row's check, in place of the placeholders it fills;
//! unknown categories as `apim-…` rows; `list --dependencies` previewing the very plan `check`
//! runs; malformed files as usage errors. A DNS responder answers NXDOMAIN for everything, so
//! every probe stops at DNS and nothing leaves the machine.

mod common;

use common::apim_files;
use common::support;

use apim_files::{DEPS, check, entries, probe_of, rejected, write};
use serde_json::Value;
use support::{DnsResponder, bin};

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
    let file = write(&dir, "deps.json", r#"{"value": [{"category": 1}]}"#);
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
    let file = write(
        &dir,
        "deps.json",
        r#"{"value":[{"category":"Azure Something New","endpoints":[
            {"domainName":"new.example.test","endpointDetails":[{"port":7000}]}]},
            {"category":"Azure SQL","endpoints":[
            {"domainName":"x.database.windows.net","endpointDetails":[{"port":1433}]}]}]}"#,
    );
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

#[test]
fn apim_endpoints_are_probed_on_their_rows() {
    let dns = DnsResponder::start(&[]);
    // The rows of the 2023-11 edition (Storage 445 had its own row then).
    let (code, report) = check(&dns, &["--dependencies", DEPS, "--reference", "2023-11"]);
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
    let (_, report) = check(
        &dns,
        &[
            "--dependencies",
            DEPS,
            "--skip",
            "file-share",
            "--reference",
            "2023-11",
        ],
    );
    assert!(entries(&report, "xxxx32tst4oto8t0mlesawmm.file.core.windows.net").is_empty());
    // 2025-06 has no file-share row: skipping it is nothing to do, and APIM's 445 endpoint is on
    // its optional `apim-azure-storage` row, which --skip names.
    let (_, report) = check(
        &dns,
        &[
            "--dependencies",
            DEPS,
            "--skip",
            "file-share,apim-azure-storage",
        ],
    );
    assert!(entries(&report, "xxxx32tst4oto8t0mlesawmm.file.core.windows.net").is_empty());
}

#[test]
fn under_2025_06_apim_endpoints_follow_its_rows() {
    let dns = DnsResponder::start(&[]);
    let (_, report) = check(&dns, &["--dependencies", DEPS, "--reference", "2025-06"]);
    let want = [
        // No row of 2025-06 has Storage on 445: probed, but optional.
        (
            "xxxx32tst4oto8t0mlesawmm.file.core.windows.net",
            445,
            "apim-azure-storage",
            "tcp",
        ),
        // Internet TCP 80 is required now: APIM's own certificate hosts land on that row.
        ("ocsp.msocsp.com", 80, "cert-validation", "http"),
        ("crl3.digicert.com", 443, "tls-chain", "tls"),
    ];
    for (host, port, id, kind) in want {
        assert_eq!(
            probe_of(&report, host, port),
            (id.to_owned(), kind.to_owned()),
            "{host}:{port}"
        );
    }
    let file = &entries(&report, "xxxx32tst4oto8t0mlesawmm.file.core.windows.net")[0];
    assert_eq!(file["required"], false, "{file:#}");
    let ocsp = &entries(&report, "ocsp.msocsp.com")[0];
    assert_eq!(ocsp["required"], true, "{ocsp:#}");
}

#[test]
fn unknown_categories_become_optional_tcp_probes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "deps.json",
        r#"{"value":[{"category":"Azure Something New","endpoints":[
            {"domainName":"new.example.test","endpointDetails":[{"port":7000,"region":"West US"}]}]}]}"#,
    );
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
