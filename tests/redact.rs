//! `--redact`: the library function on a report with IMDS data, and `check --redact` end to end
//! on loopback.

mod common;

use common::support;

use apim_probe::report::model::Report;
use apim_probe::report::redact::redact;
use serde_json::{Value, json};
use support::{bin, catalog, closed_port, row};

const SUBSCRIPTION: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const VM_ID: &str = "aaaabbbb-cccc-dddd-eeee-ffff00001111";
const RESOURCE_ID: &str = "/subscriptions/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/resourceGroups/rg-apim-prod/providers/Microsoft.Compute/virtualMachines/apim-vm-01";

/// The diff fixture, on a machine with IMDS data, with identifying values in its texts.
fn sample() -> Report {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diff/old.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The writer leaves an empty list out; the model wants it (see src/app/diff.rs).
    v["dns"]["checks"] = json!([]);
    v["host"] = json!({
        "hostname": "apim-vm-01",
        "addresses": ["10.0.1.4", "fd00::4", "20.50.1.2", "fe80::1%eth0"],
        "azure": {
            "name": "APIM-VM-01", "location": "westeurope", "az_environment": "AzurePublicCloud",
            "vm_id": VM_ID, "resource_id": RESOURCE_ID, "subscription_id": SUBSCRIPTION,
            "resource_group_name": "rg-apim-prod", "private_ips": ["10.0.1.4", "10.0.1.5"],
            "subnets": ["10.0.1.0/24"]
        }
    });
    let r = &mut v["results"];
    r[0]["detail"] = json!(
        "connected from 10.0.1.4:50000 (apim-vm-01.internal.cloudapp.net) to 203.0.113.7:1433; 10.0.1.40 is another machine"
    );
    r[0]["peer"] = json!("203.0.113.7:1433");
    r[1]["hint"] = json!("allow outbound TCP 443 from subnet 10.0.1.0/24 (NIC 10.0.1.5)");
    // An older report's warning (plain text) and a typed one whose field holds this machine's
    // address; the typed facts hold it too.
    r[1]["warnings"] = json!([
        format!("seen by {VM_ID}"),
        {"kind": "dns_rcode", "server": "10.0.1.4:53", "rcode": "SERVFAIL", "message": "10.0.1.4:53 answers SERVFAIL"}
    ]);
    r[1]["facts"] = json!({"icmp": {"version": 4, "type": 3, "code": 13, "name": "admin-prohibited", "from": "10.0.1.4"}});
    r[2]["evidence"] = json!({"kind": "reply", "protocol": "http", "first_bytes_hex": "", "understood": "Apim-Vm-01"});
    v["warnings"] = json!([
        format!("IMDS: {RESOURCE_ID}"),
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-apim-prod: no access")
    ]);
    serde_json::from_value(v).unwrap()
}

fn redacted() -> (Report, String) {
    let mut report = sample();
    redact(&mut report);
    let text = serde_json::to_string_pretty(&report).unwrap();
    (report, text)
}

#[test]
fn identifying_values_are_gone_everywhere() {
    let (_, text) = redacted();
    let lower = text.to_ascii_lowercase();
    for secret in [
        "apim-vm-01",
        "10.0.1.4\"",
        "10.0.1.4:",
        "10.0.1.5",
        "fd00::4",
        "fe80::1",
        "10.0.1.0/24",
        SUBSCRIPTION,
        VM_ID,
        "rg-apim-prod",
        "virtualmachines/",
    ] {
        assert!(!lower.contains(secret), "{secret} left in\n{text}");
    }
}

#[test]
fn placeholders_are_consistent() {
    let (r, _) = redacted();
    let h = &r.host;
    assert_eq!(h.hostname, "host-1");
    assert_eq!(
        h.addresses,
        ["private-ip-1", "private-ip-2", "20.50.1.2", "private-ip-3"]
    );
    let azure = serde_json::to_value(h.azure.as_ref().unwrap()).unwrap();
    assert_eq!(azure["name"], "host-1", "the VM name is the host name");
    assert_eq!(azure["location"], "westeurope");
    assert_eq!(azure["az_environment"], "AzurePublicCloud");
    assert_eq!(azure["vm_id"], "vm-id-1");
    assert_eq!(azure["resource_id"], "resource-id-1");
    assert_eq!(azure["subscription_id"], "subscription-1");
    assert_eq!(azure["resource_group_name"], "resource-group-1");
    assert_eq!(
        azure["private_ips"],
        json!(["private-ip-1", "private-ip-4"])
    );
    assert_eq!(azure["subnets"], json!(["subnet-1"]));
    let res = &r.results;
    assert_eq!(
        res[0].detail,
        "connected from private-ip-1:50000 (host-1.internal.cloudapp.net) to 203.0.113.7:1433; \
         10.0.1.40 is another machine"
    );
    assert_eq!(res[0].peer.as_deref(), Some("203.0.113.7:1433"));
    assert_eq!(
        res[1].hint.as_deref(),
        Some("allow outbound TCP 443 from subnet subnet-1 (NIC private-ip-4)")
    );
    let messages: Vec<&str> = res[1].warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        ["seen by vm-id-1", "private-ip-1:53 answers SERVFAIL"]
    );
    let w = serde_json::to_value(&res[1].warnings[1]).unwrap();
    assert_eq!(w["kind"], "dns_rcode", "the kind survives: {w}");
    assert_eq!(w["server"], "private-ip-1:53", "typed fields too: {w}");
    let icmp = res[1].facts.icmp.as_ref().unwrap();
    assert_eq!(icmp.from.as_deref(), Some("private-ip-1"));
    let ev = serde_json::to_value(res[2].evidence.as_ref().unwrap()).unwrap();
    assert_eq!(ev["understood"], "host-1");
    let messages: Vec<&str> = r.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "IMDS: resource-id-1",
            "/subscriptions/subscription-1/resourceGroups/resource-group-1: no access"
        ]
    );
}

#[test]
fn evidence_of_the_endpoints_stays() {
    let (r, text) = redacted();
    for kept in [
        "db.example.net",
        "203.0.113.7",
        "20.50.1.2",
        "from 10.0.0.4",
    ] {
        assert!(text.contains(kept), "{kept} was redacted");
    }
    assert_eq!(r.results[3].status.as_str(), "refused");
    assert_eq!(r.results.len(), sample().results.len());
}

#[test]
fn redacting_is_deterministic() {
    let (_, a) = redacted();
    let (_, b) = redacted();
    assert_eq!(a, b);
}

#[test]
fn a_report_with_nothing_identifying_is_unchanged() {
    let mut r = sample();
    r.host.hostname = String::new();
    r.host.addresses = vec!["20.50.1.2".into()];
    r.host.azure = None;
    let before = serde_json::to_string(&r).unwrap();
    redact(&mut r);
    assert_eq!(serde_json::to_string(&r).unwrap(), before);
}

#[test]
fn the_command_line_loses_paths_and_private_dns_servers() {
    let mut r = sample();
    r.dns.servers = vec!["10.0.0.4:53".into(), "168.63.129.16:53".into()];
    r.dns.source = "option".into();
    r.results[0].detail = "no answer from 10.0.0.4:53 over UDP".into();
    r.settings.command_line = Some(
        "apim-probe check --dns-server 10.0.0.4 --dns-server 168.63.129.16 \
         --report-file /home/alice/contoso-prod/report.json --expect-ca '/home/alice/contoso ca.pem' \
         '--dependencies=/srv/contoso/deps.json' --region westeurope"
            .into(),
    );
    redact(&mut r);
    assert_eq!(
        r.settings.command_line.as_deref(),
        Some(
            "apim-probe check --dns-server dns-server-1 --dns-server 168.63.129.16 \
             --report-file path-1 --expect-ca path-2 '--dependencies=path-3' --region westeurope"
        )
    );
    // The same placeholder everywhere else the address shows; Azure's public DNS stays.
    assert_eq!(r.dns.servers, ["dns-server-1:53", "168.63.129.16:53"]);
    assert_eq!(
        r.results[0].detail,
        "no answer from dns-server-1:53 over UDP"
    );
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("10.0.0.4") && !text.contains("contoso"),
        "{text}"
    );
}

/// Whether `word` occurs in `text` (ASCII case-insensitive) not inside a longer name.
fn contains_word(text: &str, word: &str) -> bool {
    let (text, word) = (text.to_ascii_lowercase(), word.to_ascii_lowercase());
    let is_word =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b"-_".contains(b));
    text.match_indices(&word).any(|(i, _)| {
        let bytes = text.as_bytes();
        !is_word(i.checked_sub(1).and_then(|j| bytes.get(j))) && !is_word(bytes.get(i + word.len()))
    })
}

#[test]
fn check_redact_hides_the_machine() {
    let port = closed_port();
    let (_dir, cat) = catalog(&[row("closed", true, "127.0.0.1", port)]);
    let cat = cat.display().to_string();
    let args = ["--catalog", &cat, "--dns-server", "127.0.0.1:9"];
    let (_, plain) = support::check_json(&args);
    let hostname = plain["host"]["hostname"].as_str().unwrap().to_owned();
    let private: Vec<String> = plain["host"]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|a| apim_probe::report::redact::is_private(a))
        .map(str::to_owned)
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let out = bin()
        .args(["check", "-o", "json", "--redact", "--report-file"])
        .arg(&file)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let saved = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the report file is its owner's alone");
    }
    for text in [&stdout, &saved] {
        let v: Value = serde_json::from_str(text).unwrap();
        if !hostname.is_empty() {
            assert_eq!(v["host"]["hostname"], "host-1");
            assert!(!contains_word(text, &hostname), "{hostname} in\n{text}");
        }
        for a in &private {
            assert!(!contains_word(text, a), "{a} in\n{text}");
        }
        assert_eq!(v["results"][0]["host"], "127.0.0.1");
        assert_eq!(v["results"][0]["status"], "refused");
        // The paths given (the catalog's, the report's) are gone from the command line.
        let line = v["settings"]["command_line"].as_str().unwrap();
        assert!(
            line.contains("--report-file path-") && line.contains("--catalog path-"),
            "{line}"
        );
        let folder = dir.path().display().to_string();
        assert!(!text.contains(&folder) && !text.contains(&cat), "{text}");
    }
}
