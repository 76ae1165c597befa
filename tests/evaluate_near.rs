//! Near misses: an allow rule one field away from a required flow gets named, with the one
//! change that makes it allow the flow — for each kind of slip, the exact suggestion; and none
//! where a correct allow exists or where one change would not be enough.

mod evaluate_support;

use std::path::Path;

use apim_probe::evaluate::near::{Language, NearKind, NearMiss};
use evaluate_support::evaluation_of;
use serde_json::{Value, json};
use test_case::test_case;

/// The CLI export of a correct NSG, with every other outbound flow closed so a slip shows.
fn base() -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure-network");
    let text = std::fs::read_to_string(dir.join("nsg-cli.json")).unwrap();
    let mut nsg: Value = serde_json::from_str(&text).unwrap();
    nsg["securityRules"].as_array_mut().unwrap().push(json!({
        "name": "DenyAllOut", "priority": 4000, "direction": "Outbound", "access": "Deny",
        "protocol": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "sourcePortRange": "*", "destinationPortRange": "*"
    }));
    nsg
}

fn rule<'a>(nsg: &'a mut Value, name: &str) -> &'a mut Value {
    nsg["securityRules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["name"] == name)
        .unwrap()
}

fn near_misses(nsg: &Value) -> Vec<NearMiss> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nsg.json");
    std::fs::write(&file, serde_json::to_string_pretty(nsg).unwrap()).unwrap();
    evaluation_of(&[&file]).near_misses
}

#[test]
fn a_correct_nsg_has_none() {
    assert_eq!(near_misses(&base()), Vec::new());
}

const RG: &str = "az network nsg rule update --resource-group apim-rg --nsg-name apim-nsg";

#[test_case("AllowApimManagement", json!({"destinationPortRange": "3433"}), "management-endpoint", NearKind::Port,
    "rule AllowApimManagement (110) allows TCP 3433 — did you mean 3443?",
    "--name AllowApimManagement --destination-port-ranges 3443"; "a digit changed")]
#[test_case("AllowApimManagement", json!({"destinationPortRange": "3344"}), "management-endpoint", NearKind::Port,
    "rule AllowApimManagement (110) allows TCP 3344 — did you mean 3443?",
    "--name AllowApimManagement --destination-port-ranges 3443"; "digits swapped")]
#[test_case("AllowSql", json!({"destinationPortRange": "1443"}), "sql", NearKind::Port,
    "rule AllowSql (110) allows TCP 1443 — did you mean 1433?",
    "--name AllowSql --destination-port-ranges 1433"; "sql port typo")]
#[test_case("AllowSql", json!({"direction": "Inbound", "priority": 210}), "sql", NearKind::Direction,
    "rule AllowSql (210) allows TCP 1433 as Inbound — did you mean Outbound?",
    "--name AllowSql --direction Outbound"; "the other direction")]
#[test_case("AllowKeyVault", json!({"protocol": "Udp"}), "key-vault", NearKind::Protocol,
    "rule AllowKeyVault (120) allows UDP 443 — did you mean TCP?",
    "--name AllowKeyVault --protocol Tcp"; "another protocol")]
#[test_case("AllowKeyVault", json!({"destinationAddressPrefix": "AzureKeyVualt"}), "key-vault", NearKind::Tag,
    "rule AllowKeyVault (120) names AzureKeyVualt — did you mean AzureKeyVault?",
    "--name AllowKeyVault --destination-address-prefixes AzureKeyVault"; "a misspelt tag")]
#[test_case("AllowKeyVault", json!({"destinationAddressPrefix": "AzureKeyvault"}), "key-vault", NearKind::Tag,
    "rule AllowKeyVault (120) names AzureKeyvault: Azure keeps a tag in another case without mapping it to the AzureKeyVault tag (Azure/azure-cli#15462) — write AzureKeyVault",
    "--name AllowKeyVault --destination-address-prefixes AzureKeyVault"; "a tag in another case")]
#[test_case("AllowSql", json!({"destinationAddressPrefix": "Sql.EastUS"}), "sql", NearKind::Region,
    "rule AllowSql (110) names Sql.EastUS, another region's tag; the instance is in westeurope — did you mean Sql.WestEurope?",
    "--name AllowSql --destination-address-prefixes Sql.WestEurope"; "another region")]
fn one_slip(name: &str, patch: Value, flow: &str, kind: NearKind, says: &str, command: &str) {
    let mut nsg = base();
    let r = rule(&mut nsg, name);
    let Value::Object(fields) = patch else {
        panic!("a patch is an object")
    };
    for (k, v) in fields {
        r[k.as_str()] = v;
    }
    let found = near_misses(&nsg);
    let n = found
        .iter()
        .find(|n| n.flow == flow)
        .unwrap_or_else(|| panic!("no near miss for {flow}: {found:#?}"));
    assert_eq!(n.kind, kind);
    assert_eq!(n.says, says);
    assert_eq!(n.suggestion.language, Language::Az);
    assert_eq!(n.suggestion.text, format!("{RG} {command}"));
    // One slip, near misses only of its flow (a row may carry it on several ports).
    assert!(
        found.iter().all(|m| m.flow == flow && m.says == says),
        "{found:#?}"
    );
}

#[test]
fn a_shadowed_allow_gets_a_priority_below_the_deny() {
    let mut nsg = base();
    nsg["securityRules"].as_array_mut().unwrap().push(json!({
        "name": "DenyInbound", "priority": 105, "direction": "Inbound", "access": "Deny",
        "protocol": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "sourcePortRange": "*", "destinationPortRange": "3443"
    }));
    let found = near_misses(&nsg);
    let n = found
        .iter()
        .find(|n| n.flow == "management-endpoint")
        .unwrap();
    assert_eq!(n.kind, NearKind::Shadowed);
    assert_eq!(
        n.says,
        "rule AllowApimManagement (110) allows it, but DenyInbound (105) denies it first: give AllowApimManagement a priority below 105"
    );
    assert_eq!(
        n.suggestion.text,
        format!("{RG} --name AllowApimManagement --priority 104")
    );
}

#[test]
fn a_slip_behind_a_deny_is_not_one_change_away() {
    // The port is wrong *and* a deny with a smaller number decides first: fixing the port alone
    // would not let the flow through, so no near miss is offered.
    let mut nsg = base();
    rule(&mut nsg, "AllowApimManagement")["destinationPortRange"] = json!("3433");
    nsg["securityRules"].as_array_mut().unwrap().push(json!({
        "name": "DenyInbound", "priority": 105, "direction": "Inbound", "access": "Deny",
        "protocol": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "sourcePortRange": "*", "destinationPortRange": "3443"
    }));
    assert!(
        near_misses(&nsg)
            .iter()
            .all(|n| n.flow != "management-endpoint")
    );
}

#[test]
fn two_slips_in_one_rule_are_not_a_near_miss() {
    let mut nsg = base();
    let r = rule(&mut nsg, "AllowApimManagement");
    r["destinationPortRange"] = json!("3433");
    r["protocol"] = json!("Udp");
    assert!(
        near_misses(&nsg)
            .iter()
            .all(|n| n.flow != "management-endpoint")
    );
}

#[test]
fn an_unrelated_port_is_not_a_typo() {
    let mut nsg = base();
    rule(&mut nsg, "AllowApimManagement")["destinationPortRange"] = json!("22");
    assert!(
        near_misses(&nsg)
            .iter()
            .all(|n| n.flow != "management-endpoint")
    );
}
