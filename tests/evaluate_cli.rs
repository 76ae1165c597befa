//! `apim-probe evaluate` end to end on the fixtures: exit codes 0, 1 and 2 (nothing on stdout
//! then), the verdicts that matter (a deny before the allow rule, another region's tag, an ASG,
//! forced tunnelling, a NIC NSG, a subnet without NSG, CIDR rules against real prefixes). The
//! formats are in `evaluate_formats.rs`.

mod evaluate_support;

use std::path::Path;

use evaluate_support::{DIR, evaluate, flow, json};
use serde_json::Value;

const BROKEN: &[&str] = &["--region", "westeurope", "subnet.json", "nsg-broken.json"];

#[test]
fn a_good_nsg_passes_with_exit_0() {
    let (code, r) = json(&["--region", "westeurope", "subnet.json", "nsg-cli.json"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["schema"], "apim-probe/evaluation/v1");
    assert_eq!(r["passed"], true);
    assert_eq!(r["inputs"][1]["kind"], "nsg");
    assert_eq!(r["inputs"][1]["name"], "apim-nsg");
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["verdict"], "allowed");
    assert_eq!(m["direction"], "inbound");
    assert_eq!(m["source"], "ApiManagement");
    assert_eq!(m["rule"]["name"], "AllowApimManagement");
    assert_eq!(m["rule"]["priority"], 110);
    assert_eq!(m["rule"]["access"], "Allow");
    assert!(m["hint"].is_null());
    // Sql.WestEurope satisfies Sql for an instance in westeurope.
    assert_eq!(flow(&r, "sql", "1433")["rule"]["name"], "AllowSql");
    assert_eq!(r["summary"]["total"], r["flows"].as_array().unwrap().len());
}

#[test]
fn a_deny_before_the_allow_rule_fails_with_the_rule_and_the_fix() {
    let (code, r) = json(BROKEN);
    assert_eq!(code, 1);
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["verdict"], "denied");
    assert_eq!(m["rule"]["name"], "DenyAllInboundCustom");
    assert_eq!(m["rule"]["priority"], 200);
    let hint = &m["hint"];
    assert_eq!(hint["kind"], "nsg_rule");
    assert_eq!(
        hint["priority"], 190,
        "a free priority below the blocking rule"
    );
    assert_eq!(hint["direction"], "Inbound");
    assert_eq!(hint["source"], "ApiManagement");
    assert_eq!(hint["destination"], "VirtualNetwork");
    assert_eq!(hint["protocol"], "Tcp");
    assert_eq!(hint["ports"], "3443");
    assert!(
        hint["command"]
            .as_str()
            .unwrap()
            .starts_with("az network nsg rule create -g apim-rg --nsg-name apim-nsg")
    );
    let storage = flow(&r, "storage", "443");
    assert_eq!(
        storage["detail"],
        "NSG apim-nsg rule DenyStorageOut (200) denies TCP 443 to Storage"
    );
    assert!(r["summary"]["failed_required"].as_u64().unwrap() >= 3);
}

#[test]
fn another_regions_tag_does_not_satisfy_and_says_so() {
    let (_, r) = json(BROKEN);
    let sql = flow(&r, "sql", "1433");
    assert_eq!(sql["verdict"], "denied");
    assert!(
        sql["detail"].as_str().unwrap().contains(
            "rule names Sql.NorthEurope, the tag of northeurope; the instance is in westeurope"
        ),
        "{sql}"
    );
    let (_, r) = json(&["--region", "northeurope", "subnet.json", "nsg-broken.json"]);
    let sql = flow(&r, "sql", "1433");
    assert_eq!(sql["verdict"], "allowed");
    assert_eq!(sql["rule"]["name"], "AllowSqlNorthEurope");
}

#[test]
fn an_application_security_group_gives_unknown_and_why() {
    let (_, r) = json(BROKEN);
    let kv = flow(&r, "key-vault", "443");
    assert_eq!(kv["verdict"], "unknown");
    assert_eq!(kv["rule"]["name"], "AllowKeyVaultAsg");
    assert!(
        kv["detail"]
            .as_str()
            .unwrap()
            .contains("application security group"),
        "{kv}"
    );
}

#[test]
fn forced_tunnelling_without_an_apimanagement_route_denies_3443() {
    let (code, r) = json(&[
        "--region",
        "westeurope",
        "subnet.json",
        "nsg-cli.json",
        "routes-forced.json",
    ]);
    assert_eq!(code, 1);
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["verdict"], "denied");
    assert!(m["rule"].is_null(), "the route decides: {m}");
    assert_eq!(m["next_hop"]["type"], "VirtualAppliance");
    assert_eq!(m["next_hop"]["address"], "10.0.0.4");
    assert_eq!(m["next_hop"]["route"], "default-to-fw");
    assert!(
        m["detail"]
            .as_str()
            .unwrap()
            .contains("asymmetric return path"),
        "{m}"
    );
    assert_eq!(m["hint"]["kind"], "route");
    assert_eq!(m["hint"]["address_prefix"], "ApiManagement");
    assert_eq!(m["hint"]["next_hop_type"], "Internet");
    let storage = flow(&r, "storage", "443");
    assert_eq!(storage["verdict"], "allowed");
    assert!(storage["detail"].as_str().unwrap().contains("via VirtualAppliance 10.0.0.4 (route default-to-fw): that firewall must allow TCP 443 to Storage"));
    assert_eq!(r["default_route"]["type"], "VirtualAppliance");
    // With the ApiManagement → Internet route the control plane's replies go straight out.
    let (code, r) = json(&[
        "--region",
        "westeurope",
        "subnet.json",
        "nsg-cli.json",
        "routes-fixed.json",
    ]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        flow(&r, "management-endpoint", "3443")["next_hop"]["type"],
        "Internet"
    );
}

#[test]
fn a_route_to_none_drops_the_traffic() {
    let (code, r) = json(&[
        "--region",
        "westeurope",
        "subnet.json",
        "nsg-cli.json",
        "routes-arm.json",
    ]);
    assert_eq!(code, 1);
    let storage = flow(&r, "storage", "443");
    assert_eq!(storage["verdict"], "denied");
    assert_eq!(storage["next_hop"]["type"], "None");
    assert!(
        storage["detail"]
            .as_str()
            .unwrap()
            .starts_with("route blackhole-storage sends Storage to None"),
        "{storage}"
    );
}

#[test]
fn cidr_rules_are_compared_with_the_tags_real_prefixes() {
    let (code, r) = json(&[
        "--region",
        "westeurope",
        "--service-tags",
        "service-tags-public.json",
        "subnet.json",
        "nsg-cidr.json",
    ]);
    assert_eq!(code, 1);
    let storage = flow(&r, "storage", "443");
    assert_eq!(storage["verdict"], "partial");
    assert_eq!(storage["prefixes"]["covered"], 2);
    assert_eq!(storage["prefixes"]["total"], 4);
    assert_eq!(storage["rule"]["name"], "DenyStorageOut");
    assert!(storage["detail"].as_str().unwrap().starts_with(
        "2 of 4 Storage.WestEurope prefixes allowed by NSG apim-nsg rule AllowStorageCidrs (100)"
    ));
}

#[test]
fn the_nic_nsg_is_met_too() {
    let (code, r) = json(&[
        "--region",
        "westeurope",
        "--effective-nsg",
        "effective-nsg-ps.json",
    ]);
    assert_eq!(code, 1);
    let sql = flow(&r, "sql", "1433");
    assert_eq!(sql["verdict"], "denied");
    assert_eq!(sql["rule"]["nsg"], "apim-vm-nic-nsg");
    assert_eq!(sql["rule"]["name"], "DenySqlFromNic");
    assert_eq!(flow(&r, "storage", "443")["verdict"], "allowed");
}

#[test]
fn stv2_needs_an_nsg_on_the_subnet() {
    let (code, r) = json(&["subnet-no-nsg.json"]);
    assert_eq!(code, 1, "{r:#}");
    let f = &r["findings"][0];
    assert_eq!(f["id"], "subnet-nsg");
    assert_eq!(f["ok"], false);
    assert_eq!(f["required"], true);
    // Without any NSG Azure lets everything through.
    assert_eq!(flow(&r, "storage", "443")["verdict"], "allowed");
    let (code, r) = json(&[
        "--platform",
        "stv1",
        "--reference",
        "2023-11",
        "subnet-no-nsg.json",
    ]);
    assert_eq!(code, 0, "{r:#}");
    // stv1 asked for no NSG; the subnet is not delegated, as the classic tiers need.
    let findings = r["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["id"] != "subnet-nsg" && f["ok"] == true)
    );
}

#[test]
fn strict_counts_optional_flows_and_unknown_verdicts() {
    let (_dir, file) = nsg_with(&serde_json::json!({
        "name": "DenyEventHub", "priority": 300, "direction": "Outbound", "access": "Deny",
        "protocol": "*", "sourceAddressPrefix": "*", "sourcePortRange": "*",
        "destinationAddressPrefix": "EventHub", "destinationPortRange": "*"
    }));
    let path = file.to_str().unwrap();
    let (code, out, _) = evaluate(&["--region", "westeurope", path]);
    assert_eq!(code, 0, "event-hub is optional: {out}");
    let (code, out, _) = evaluate(&["--region", "westeurope", "--strict", path]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.trim_end().ends_with("denied, 0 partial, 0 unknown"),
        "{out}"
    );
    assert!(
        out.contains("VERDICT: FAIL — not allowed: event-hub tcp/5671"),
        "{out}"
    );
}

#[test]
fn bad_input_exits_2_with_nothing_on_stdout() {
    let (code, out, err) = evaluate(&["subnet.json", "invalid/priority-not-a-number.json"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        err.trim(),
        "apim-probe: error: invalid/priority-not-a-number.json: at securityRules[3].priority: expected a number, found \"high\""
    );
    let (code, out, err) = evaluate(&["--nsg", "routes-forced.json"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("routes-forced.json: at $: --nsg expects an NSG or an ARM template, but this is a route table"), "{err}");
    let (code, out, err) = evaluate(&[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("evaluate needs at least one input"), "{err}");
    let (code, _, err) = evaluate(&["missing.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.json: at $: cannot read"), "{err}");
}

#[test]
fn report_file_gets_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evaluation.json");
    let (code, out, _) = evaluate(&[
        "-o",
        "compact",
        "--report-file",
        file.to_str().unwrap(),
        "subnet.json",
        "nsg-cli.json",
    ]);
    assert_eq!(code, 0);
    assert!(out.ends_with("unknown\n"), "{out}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(r["schema"], "apim-probe/evaluation/v1");
}

#[test]
fn the_us_government_cloud_with_its_service_tags() {
    let (code, r) = json(&[
        "--cloud",
        "usgov",
        "--region",
        "usgovvirginia",
        "--only",
        "storage,management-endpoint",
        "--service-tags",
        "ServiceTags_AzureGovernment.json",
        "subnet.json",
        "nsg-cli.json",
    ]);
    assert_eq!(code, 0, "{r:#}");
    let storage = flow(&r, "storage", "443");
    assert_eq!(storage["verdict"], "allowed");
    let count = &storage["prefixes"];
    assert!(
        count["total"].as_u64().unwrap() > 5 && count["covered"] == count["total"],
        "{storage}"
    );
    assert!(storage["detail"].as_str().unwrap().contains("AllowStorage"));
}

#[test]
fn outbound_http_denied_is_a_denied_required_flow_under_2025_06() {
    let (_dir, file) = nsg_with(&serde_json::json!({
        "name": "DenyHttpOut", "priority": 150, "direction": "Outbound", "access": "Deny",
        "protocol": "Tcp", "sourceAddressPrefix": "VirtualNetwork", "sourcePortRange": "*",
        "destinationAddressPrefix": "Internet", "destinationPortRange": "80"
    }));
    let path = file.to_str().unwrap();
    let (code, r) = json(&["--region", "westeurope", path]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["reference"]["edition"], "2025-06");
    let cert = flow(&r, "cert-validation", "80");
    assert_eq!(cert["verdict"], "denied", "{cert:#}");
    assert_eq!(cert["required"], true);
    assert_eq!(cert["rule"]["name"], "DenyHttpOut");
    // The rule to add, before the deny.
    let fix = cert["hint"]["command"].as_str().unwrap();
    assert!(
        fix.contains("--priority 140 --direction Outbound --access Allow --protocol Tcp")
            && fix
                .contains("--destination-address-prefixes Internet --destination-port-ranges '80'"),
        "{fix}"
    );
    // 2023-11 had no such row: its chain-building hosts on 80 were optional.
    let (_, old) = json(&["--region", "westeurope", "--reference", "2023-11", path]);
    assert!(
        !old["flows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "cert-validation")
    );
    assert_eq!(flow(&old, "tls-chain", "80")["required"], false);
}

/// The fixture NSG with one more rule, written to a new folder (kept alive by the caller).
fn nsg_with(rule: &Value) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut nsg: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(DIR).join("nsg-cli.json")).unwrap(),
    )
    .unwrap();
    nsg["securityRules"]
        .as_array_mut()
        .unwrap()
        .push(rule.clone());
    let file = dir.path().join("nsg.json");
    std::fs::write(&file, nsg.to_string()).unwrap();
    (dir, file)
}
