//! `apim-probe evaluate` on Terraform sources (`.tf`), end to end through the binary: a module
//! folder with inline and standalone rules, an association and the APIM instance (a port slip
//! found as a near miss, every resource with its file and line); a root module calling a local
//! child module whose rules come from a map through a `dynamic` block, with names and addresses
//! left to variables the pipeline sets; a syntax error (exit 2, the file and line named); a port
//! from a variable without default (unknown, naming the variable, never guessed); a `for_each`
//! instance indexed by key (`azurerm_subnet.s["apim"]`) is that instance, not the first.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iac/tf")
        .join(p)
}

/// `evaluate PATH -o json`: the exit code and the report (stdout must be JSON).
fn evaluate(path: &Path) -> (i32, Value) {
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .arg("evaluate")
        .arg(path)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        matches!(code, 0 | 1),
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).expect("JSON"))
}

/// The flow `id` on `port`.
fn flow<'a>(report: &'a Value, id: &str, port: &str) -> &'a Value {
    report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id && f["ports"] == port)
        .unwrap_or_else(|| panic!("no flow {id} {port}"))
}

/// The resource read from code of `kind`.
fn resource<'a>(report: &'a Value, kind: &str) -> &'a Value {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:#}", report["resources"]))
}

fn ends_with(v: &Value, tail: &str) -> bool {
    v.as_str().is_some_and(|s| s.ends_with(tail))
}

#[test]
fn a_port_typo_denies_3443_and_is_named_as_a_near_miss() {
    let dir = fixture("handwritten");
    let (code, r) = evaluate(&dir);
    assert_eq!(code, 1, "{r:#}");
    // The instance chose the subnet, the mode and the tier.
    assert_eq!(r["settings"]["vnet"], "internal", "{:#}", r["settings"]);
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["verdict"], "denied");
    assert_eq!(m["rule"]["name"], "DenyAllInBound");

    let near = r["near_misses"].as_array().unwrap();
    assert_eq!(near.len(), 1, "{near:#?}");
    let n = &near[0];
    assert_eq!(n["flow"], "management-endpoint");
    assert_eq!(n["kind"], "port");
    assert_eq!(n["rule"]["name"], "AllowApimManagement");
    assert!(
        n["says"].as_str().unwrap().contains("3433")
            && n["says"].as_str().unwrap().contains("3443"),
        "{n:#}"
    );
    let origin = &n["rule"]["origin"];
    assert!(
        ends_with(&origin["file"], "handwritten/main.tf"),
        "{origin:#}"
    );
    assert_eq!(
        origin["address"],
        "azurerm_network_security_group.apim.security_rule.0"
    );
    assert_eq!(origin["line"], 35, "the first security_rule block");
    assert_eq!(n["suggestion"]["language"], "terraform");
    assert!(
        n["suggestion"]["text"]
            .as_str()
            .unwrap()
            .contains(r#"destination_port_range     = "3443""#),
        "{n:#}"
    );

    // The variable's default is the port: Storage goes through the inline rule that uses it.
    let storage = flow(&r, "storage", "443");
    assert_eq!(storage["verdict"], "allowed");
    assert_eq!(storage["rule"]["name"], "AllowStorageOutbound");
    // The standalone rule joined its NSG by reference.
    let lb = flow(&r, "load-balancer", "6390");
    assert_eq!(lb["rule"]["name"], "AllowAzureLoadBalancer");
    assert_eq!(lb["rule"]["nsg"], "contoso-apim-nsg");

    for (kind, name, line) in [
        ("subnet", "apim-subnet", 22),
        ("network_security_group", "contoso-apim-nsg", 29),
        ("api_management", "contoso-apim", 79),
    ] {
        let res = resource(&r, kind);
        assert_eq!(res["name"], name, "{res:#}");
        assert!(
            ends_with(&res["origin"]["file"], "handwritten/main.tf"),
            "{res:#}"
        );
        assert_eq!(res["origin"]["line"], line, "{res:#}");
    }
}

#[test]
fn a_child_module_with_dynamic_rules_is_read_and_what_the_pipeline_sets_stays_unknown() {
    let (code, r) = evaluate(&fixture("patterns"));
    assert_eq!(code, 1, "{r:#}");
    // The rules come from a map in the root module, through the module call and a dynamic
    // block: the SQL slip is found there.
    let sql = flow(&r, "sql", "1433");
    assert_eq!(sql["verdict"], "denied");
    assert_eq!(sql["rule"]["name"], "DenyAllOutbound");
    let near = r["near_misses"].as_array().unwrap();
    let n = near
        .iter()
        .find(|n| n["flow"] == "sql")
        .unwrap_or_else(|| panic!("{near:#?}"));
    assert_eq!(n["rule"]["name"], "AllowSqlOutbound");
    assert!(n["says"].as_str().unwrap().contains("1443"), "{n:#}");
    assert!(
        ends_with(
            &n["rule"]["origin"]["file"],
            "patterns/modules/apim-network/main.tf"
        ),
        "{n:#}"
    );
    // The management rule's literal port, through all of that.
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["verdict"], "allowed");
    assert_eq!(m["rule"]["name"], "AllowApimManagement");

    // The APIM instance found its subnet through the module's output.
    let subnet = resource(&r, "subnet");
    assert_eq!(
        subnet["origin"]["address"],
        "module.network.azurerm_subnet.apim"
    );
    assert!(
        ends_with(
            &subnet["origin"]["file"],
            "patterns/modules/apim-network/main.tf"
        ),
        "{subnet:#}"
    );
    assert_eq!(subnet["origin"]["line"], 13);
    assert!(ends_with(
        &resource(&r, "api_management")["origin"]["file"],
        "patterns/main.tf"
    ));
    // The subnet's prefix is set by the pipeline: said, naming the root module's variable.
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("var.apim_address_prefix has no default"),
        "{warnings}"
    );
}

#[test]
fn a_syntax_error_exits_2_naming_the_file_and_line() {
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .arg("evaluate")
        .arg(fixture("malformed"))
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout on exit 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("malformed/main.tf"), "{err}");
    assert!(err.contains("line 6"), "{err}");
}

#[test]
fn a_port_from_a_variable_without_default_is_unknown_and_names_it() {
    let dir = fixture("unknown-port");
    let (code, r) = evaluate(&dir);
    // Unknown is not denied: without --strict, the run passes, saying what it could not tell.
    assert_eq!(code, 0, "{r:#}");
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["verdict"], "unknown", "{m:#}");
    assert_eq!(m["rule"]["name"], "AllowApimManagement");
    let detail = m["detail"].as_str().unwrap();
    assert!(detail.contains("var.x"), "{detail}");
    assert!(detail.contains("destination_port_range"), "{detail}");
    assert_eq!(r["summary"]["unknown"], 1, "{:#}", r["summary"]);

    // The same in the table, for a person.
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .arg("evaluate")
        .arg(dir.join("main.tf"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("var.x has no default"), "{table}");
}

#[test]
fn a_for_each_instance_indexed_by_key_is_that_instance() {
    let (code, r) = evaluate(&fixture("for-each"));
    assert_eq!(code, 0, "{r:#}");
    // The instance's subnet is s["apim"], the second of the for_each: not the first one read.
    let subnet = resource(&r, "subnet");
    assert_eq!(subnet["name"], "snet-apim", "{subnet:#}");
    assert_eq!(subnet["origin"]["address"], r#"azurerm_subnet.s["apim"]"#);
    let nsg = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "subnet-nsg")
        .unwrap();
    assert_eq!(nsg["ok"], true, "{nsg:#}");
    assert!(
        nsg["detail"].as_str().unwrap().contains("snet-apim"),
        "{nsg:#}"
    );
    let m = flow(&r, "management-endpoint", "3443");
    assert_eq!(m["rule"]["nsg"], "nsg-apim");
    // The other subnet's NSG is said to be left out, not mixed in.
    assert!(
        r["warnings"].to_string().contains("nsg-agw"),
        "{:#}",
        r["warnings"]
    );
}

#[test]
fn subnets_named_by_variables_are_chosen_by_their_label() {
    // Two subnets whose names a pipeline sets (no default): `--subnet` takes the resource's
    // label, which the code has even when the name is not known.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"variable "suffix" {}
resource "azurerm_network_security_group" "apim" {
  name = "nsg-apim-${var.suffix}"
}
resource "azurerm_subnet" "gateway" {
  name             = "snet-apgw-${var.suffix}"
  address_prefixes = ["10.0.1.0/24"]
}
resource "azurerm_subnet" "apim" {
  name             = "snet-apim-${var.suffix}"
  address_prefixes = ["10.0.2.0/24"]
}
resource "azurerm_subnet_network_security_group_association" "apim" {
  subnet_id                 = azurerm_subnet.apim.id
  network_security_group_id = azurerm_network_security_group.apim.id
}
"#,
    )
    .unwrap();
    let run = |subnet: &str| {
        Command::cargo_bin("apim-probe")
            .unwrap()
            .args(["evaluate", "-o", "json", "--subnet", subnet])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let out = run("apim");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let subnet = resource(&report, "subnet");
    assert!(
        ends_with(&subnet["origin"]["address"], "azurerm_subnet.apim"),
        "{subnet}"
    );
    let out = run("nosuch");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("azurerm_subnet.gateway") && err.contains("azurerm_subnet.apim"),
        "{err}"
    );
}
