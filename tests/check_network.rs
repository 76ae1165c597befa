//! `check` with the exported network configuration beside its probes (loopback only): a failed
//! row gets the NSG rule that explains it, a row no probe can test gets its evaluated verdict, and
//! `--service-tags` classes every resolved address.

mod common;

use common::support;

use support::{catalog, check_json, closed_port, row};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/azure-network/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

const INBOUND: &str = r#"
[[dependency]]
id = "management"
purpose = "Management endpoint"
direction = "inbound"
source = "ApiManagement"
destination = "VirtualNetwork"
required = true
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = "tcp"
ports = [3443]
check = "tcp"
reference = "test"
"#;

#[test]
fn a_failed_row_gets_the_rule_that_explains_it_and_a_skipped_one_its_verdict() {
    let storage = row("storage", true, "127.0.0.1", closed_port()).replace("TestTag", "Storage");
    let (_dir, cat) = catalog(&[storage, INBOUND.to_owned()]);
    let (code, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        "127.0.0.1:9",
        "--region",
        "westeurope",
        "--nsg",
        &fixture("nsg-broken.json"),
    ]);
    assert_eq!(code, 1);
    let results = report["results"].as_array().unwrap();
    let storage = &results[0];
    assert_eq!(storage["status"], "refused", "{storage:#}");
    assert_eq!(
        storage["facts"]["evaluated"]["verdict"], "denied",
        "{storage:#}"
    );
    assert!(
        storage["detail"]
            .as_str()
            .unwrap()
            .contains("dropped: NSG apim-nsg rule"),
        "{storage:#}"
    );
    let inbound = &results[1];
    assert_eq!(inbound["status"], "skipped", "{inbound:#}");
    assert_eq!(
        inbound["facts"]["evaluated"]["verdict"], "denied",
        "{inbound:#}"
    );
    assert!(
        inbound["detail"]
            .as_str()
            .unwrap()
            .contains("DenyAllInboundCustom"),
        "{inbound:#}"
    );
}

#[test]
fn the_service_tag_file_classes_every_address() {
    let storage = row("storage", true, "127.0.0.1", closed_port()).replace("TestTag", "Storage");
    let (_dir, cat) = catalog(&[storage]);
    let (_, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        "127.0.0.1:9",
        "--region",
        "westeurope",
        "--service-tags",
        &fixture("service-tags-public.json"),
    ]);
    let m = &report["results"][0]["facts"]["membership"][0];
    assert_eq!(m["address"], "127.0.0.1", "{m:#}");
    assert_eq!(m["class"], "private", "loopback is no Azure tag's: {m:#}");
}

#[test]
fn a_bad_network_file_is_a_usage_error_naming_the_file() {
    let (_dir, cat) = catalog(&[row("x", true, "127.0.0.1", closed_port())]);
    let out = support::bin()
        .args(["check", "--catalog", cat.to_str().unwrap()])
        .args([
            "--dns-server",
            "127.0.0.1:9",
            "--nsg",
            &fixture("subnet.json"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("subnet.json"), "{err}");
}
