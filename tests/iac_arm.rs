//! `evaluate` on ARM templates (Bicep compiled to ARM) before anything is deployed: Azure's own
//! quickstart with its parameters file, a template with property and resource copy loops, child
//! rule resources and a typo, values not known before deployment named, and every way a template
//! can be malformed refused with the file and JSON path (exit 2).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iac/arm")
        .join(p)
}

/// Runs `evaluate` on `files` (fixtures of this folder) with `args`: exit code, stdout, stderr.
fn run(files: &[&str], args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .arg("evaluate")
        .args(["--region", "westeurope"])
        .args(args)
        .args(files.iter().map(|f| fixture(f)))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(files: &[&str]) -> Value {
    let (code, out, err) = run(files, &["-o", "json"]);
    assert!(matches!(code, 0 | 1), "exit {code}: {err}");
    serde_json::from_str(&out).expect("the report is JSON")
}

/// Each flow's verdict, by `id direction protocol/ports`.
fn verdicts(report: &Value) -> BTreeMap<String, String> {
    report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!(
                    "{} {} {}/{}",
                    f["id"].as_str().unwrap(),
                    f["direction"].as_str().unwrap(),
                    f["protocol"].as_str().unwrap(),
                    f["ports"].as_str().unwrap()
                ),
                f["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The first element of the report's list `list` whose `key` is `value`.
fn find<'a>(report: &'a Value, list: &str, key: &str, value: &str) -> &'a Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no {list} with {key} {value}"))
}

/// The 1-based line of the first line of `file` holding `needle`.
fn line_of(file: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    let i = text.lines().position(|l| l.contains(needle)).unwrap();
    u64::try_from(i).unwrap() + 1
}

#[test]
fn azures_quickstart_is_read_with_its_parameters() {
    let files = [
        "quickstart-internal-vnet.json",
        "quickstart-internal-vnet.parameters.json",
    ];
    let r = json(&files);
    // The template's APIM instance is Internal in VNet and names the subnet of its VNet.
    assert_eq!(r["settings"]["vnet"], "internal");
    let v = verdicts(&r);
    assert_eq!(v["management-endpoint inbound tcp/3443"], "allowed");
    assert_eq!(v["storage outbound tcp/443"], "allowed");
    // Its NSG denies the Internet outbound, which the 2025-06 requirements need on port 80.
    assert_eq!(v["cert-validation outbound tcp/80"], "denied");
    // The NSG's name is not known before deployment (uniqueString of the resource group), and
    // the subnet still finds it: both are computed the same way.
    let subnet = find(&r, "resources", "kind", "subnet");
    assert_eq!(
        subnet["name"], "GEN-VNET-SUBNET1-NAME",
        "from the parameters file"
    );
    let denied = find(&r, "flows", "id", "cert-validation");
    let origin = &denied["rule"]["origin"];
    assert_eq!(
        origin["line"],
        line_of(files[0], "\"name\": \"Deny_All_Internet_Outbound\"") - 1,
        "the rule's element starts a line above its name: {origin}"
    );
    assert!(
        origin["address"]
            .as_str()
            .unwrap()
            .ends_with("/securityRules/Deny_All_Internet_Outbound")
    );
}

#[test]
fn without_its_parameters_file_the_defaults_apply() {
    let r = json(&["quickstart-internal-vnet.json"]);
    let subnet = find(&r, "resources", "kind", "subnet");
    assert_eq!(subnet["name"], "apim", "the parameter's defaultValue");
}

#[test]
fn loops_children_and_a_typo() {
    let r = json(&["apim-typos.json"]);
    assert_eq!(r["settings"]["vnet"], "external", "from virtualNetworkType");
    let v = verdicts(&r);
    // The property copy loop made the load balancer and client rules.
    assert_eq!(v["load-balancer inbound tcp/6390"], "allowed");
    assert_eq!(v["client-traffic inbound tcp/443"], "allowed");
    assert_eq!(v["management-endpoint inbound tcp/3443"], "denied");
    let near = r["near_misses"].as_array().unwrap();
    assert_eq!(near.len(), 1, "{near:#?}");
    assert_eq!(
        near[0]["says"],
        "rule AllowManagement (110) allows TCP 3433 — did you mean 3443?"
    );
    assert_eq!(near[0]["suggestion"]["language"], "arm");
    let text = near[0]["suggestion"]["text"].as_str().unwrap();
    assert!(
        text.contains("\"destinationPortRange\": \"3443\""),
        "{text}"
    );
    assert_eq!(
        near[0]["rule"]["origin"]["line"],
        line_of("apim-typos.json", "'AllowManagement')]") - 3,
        "the child resource's declaration"
    );
    // The fix is written in the template's language too: a securityRules element.
    let mgmt = find(&r, "flows", "id", "management-endpoint");
    assert_eq!(mgmt["hint"]["code"]["language"], "arm");
    assert!(mgmt["hint"]["code"]["text"].as_str().unwrap().starts_with(
        "// add to the securityRules of Microsoft.Network/networkSecurityGroups/nsg-apim"
    ));
    // The APIM instance chose the second subnet of the VNet, not the first.
    let subnet = find(&r, "resources", "kind", "subnet");
    assert_eq!(subnet["name"], "snet-apim");
}

#[test]
fn a_value_not_known_before_deployment_is_named() {
    let (code, out, err) = run(&["unknown-port.json"], &[]);
    assert_eq!(code, 1, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("unknown") && l.contains("management-endpoint"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("AllowManagement"), "{line}");
    assert!(
        out.contains("[parameters('managementPort')] has no value"),
        "{out}"
    );
    // Given a value by a parameters file, the same rule decides.
    let r = json(&["unknown-port.json", "unknown-port.parameters.json"]);
    assert_eq!(
        verdicts(&r)["management-endpoint inbound tcp/3443"],
        "allowed"
    );
}

#[test]
fn sarif_points_at_the_template_line() {
    let (code, out, err) = run(&["apim-typos.json"], &["-o", "sarif"]);
    assert_eq!(code, 1, "{err}");
    let log: Value = serde_json::from_str(&out).unwrap();
    let near = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "near-miss/port")
        .expect("the typo is a result");
    let loc = &near["locations"][0]["physicalLocation"];
    assert!(
        loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("apim-typos.json")
    );
    assert_eq!(
        loc["region"]["startLine"],
        line_of("apim-typos.json", "'AllowManagement')]") - 3
    );
}

#[test]
fn malformed_templates_name_the_file_and_path() {
    for (files, file, says) in [
        (
            vec!["invalid/bad-expression.json"],
            "bad-expression.json",
            "at resources[0].name: [concat('nsg-', ] is not a valid expression",
        ),
        (
            vec!["invalid/too-many-copies.json"],
            "too-many-copies.json",
            "at resources[0].copy.count: 801 copies",
        ),
        (
            vec!["invalid/circular-variables.json"],
            "circular-variables.json",
            "uses itself",
        ),
        (
            vec![
                "unknown-port.json",
                "invalid/undeclared-parameter.parameters.json",
            ],
            "undeclared-parameter.parameters.json",
            "at parameters.managmentPort.value: the template declares no parameter managmentPort",
        ),
    ] {
        let (code, _, err) = run(&files, &[]);
        assert_eq!(code, 2, "{files:?}: {err}");
        assert!(err.contains(file) && err.contains(says), "{files:?}: {err}");
    }
}

#[test]
fn a_second_parameters_file_is_refused() {
    let (code, _, err) = run(
        &[
            "unknown-port.json",
            "unknown-port.parameters.json",
            "quickstart-internal-vnet.parameters.json",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a second parameters file"), "{err}");
}

#[test]
fn a_route_not_known_before_deployment_is_named_not_refused() {
    let (code, out, err) = run(&["unknown-route.json"], &[]);
    assert_eq!(code, 1, "{err}");
    // The route whose prefix is a parameter without value is left out, and says so.
    assert!(
        out.contains(
            "warning: route a of route table rt: addressPrefix not known before deployment"
        ),
        "{out}"
    );
    // The default route to a firewall whose address is a parameter still applies.
    let line = out
        .lines()
        .find(|l| l.contains("management-endpoint"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.starts_with("denied") && line.ends_with("VirtualAppliance"),
        "{line}"
    );
}
