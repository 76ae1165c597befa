//! `evaluate` on Terraform plans (`terraform show -json PLANFILE`): real public plans are read
//! (their resources listed with where they are declared); an APIM network written as a team
//! would (a child module, a rule mistyped 3433, the subnet linked through a module output) gets
//! the management flow denied with the near miss, the tier and VNet mode of its API Management
//! instance, and SARIF results on the lines that cause them; every malformed plan, an unknown
//! `--subnet` and a Bicep file exit 2 naming the file and where.

use std::path::{Path, PathBuf};
use std::process::Output;

use apim_probe::azure::iac;
use apim_probe::azure::network::model::AddressSpec;
use apim_probe::azure::network::{InputKind, NetworkInputs};
use assert_cmd::Command;
use serde_json::Value;
use test_case::test_case;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/iac/plan")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::cargo_bin("apim-probe")
        .unwrap()
        .arg("evaluate")
        .args(["--region", "westeurope"])
        .args(args)
        .output()
        .unwrap()
}

/// `evaluate -o json`, which must judge (exit 0 or 1), not refuse the input.
fn report(args: &[&str]) -> Value {
    let out = run(&[&["-o", "json"], args].concat());
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// `evaluate`, which must refuse the input (exit 2); its stderr.
fn refused(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

/// The 1-based line of the JSON object holding the first occurrence of `needle` (the `{` before
/// it): where the reader says a resource or block is declared.
fn line_of_object(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the fixture"));
    let open = text[..at].rfind('{').unwrap();
    text[..open].matches('\n').count() + 1
}

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn apim_plan() -> String {
    fixture("apim-internal-module.json").display().to_string()
}

fn flow<'a>(report: &'a Value, id: &str, ports: &str) -> &'a Value {
    report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id && f["ports"] == ports)
        .unwrap_or_else(|| panic!("no flow {id} {ports}"))
}

fn resource<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .collect()
}

// --- Real plans -------------------------------------------------------------------------------

#[test]
fn a_plan_with_child_modules_is_read() {
    let file = fixture("terraform-compliance-issue-294.json");
    let r = report(&[file.to_str().unwrap()]);
    assert_eq!(r["inputs"][0]["kind"], "terraform-plan");
    // Its only subnet is chosen; the NSGs of the modules' NICs are read and named, not evaluated.
    let subnets = resource(&r, "subnet");
    assert_eq!(subnets.len(), 1, "{:#}", r["resources"]);
    assert_eq!(subnets[0]["name"], "internal");
    assert_eq!(subnets[0]["origin"]["address"], "azurerm_subnet.internal");
    assert_eq!(subnets[0]["origin"]["file"], file.display().to_string());
    assert_eq!(subnets[0]["origin"]["line"], 1, "the plan is one line");
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("mywinvm-nsg") && warnings.contains("myvm-nsg"),
        "{warnings}"
    );
}

#[test]
fn a_standalone_rule_in_a_child_module_joins_its_nsg() {
    let file = fixture("terraform-compliance-issue-294.json");
    let text = text("terraform-compliance-issue-294.json");
    let doc = iac::plan::read(&file, &text, &serde_json::from_str(&text).unwrap()).unwrap();
    for (nsg, module) in [
        ("myvm-nsg", "linuxservers-fail"),
        ("mywinvm-nsg", "windowsservers-pass"),
    ] {
        let n = doc.nsgs.iter().find(|n| n["name"] == nsg).unwrap();
        let rules = n["properties"]["securityRules"].as_array().unwrap();
        assert_eq!(rules.len(), 1, "{n:#}");
        assert_eq!(
            rules[0]["x-apim-probe-origin"]["address"],
            format!("module.{module}.azurerm_network_security_rule.vm")
        );
    }
}

#[test]
fn nsgs_and_a_rule_linked_by_name_are_read_with_their_lines() {
    let name = "checkov-extra-ref.json";
    let file = fixture(name);
    let r = report(&[file.to_str().unwrap()]);
    let nsgs = resource(&r, "network_security_group");
    let names: Vec<&str> = nsgs.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fail", "pass"]);
    for n in &nsgs {
        let address = format!(
            "azurerm_network_security_group.{}",
            n["name"].as_str().unwrap()
        );
        assert_eq!(n["origin"]["address"], address.as_str());
        assert_eq!(
            n["origin"]["line"],
            line_of_object(&text(name), &format!("\"address\": \"{address}\""))
        );
    }
    // `network_security_group_name = "pass"`: a literal name links the rule to its NSG.
    let mut inputs = NetworkInputs::default();
    let mut pending = iac::Pending::default();
    iac::add_path(&mut inputs, &mut pending, &file, None).unwrap();
    iac::finish(&mut inputs, pending, None).unwrap();
    let pass = inputs.nsgs.iter().find(|n| n.name == "pass").unwrap();
    let rule = pass.rules.iter().find(|r| r.name == "pass").unwrap();
    assert_eq!(rule.priority, 100);
    assert_eq!(
        rule.origin.as_ref().unwrap().line,
        Some(line_of_object(
            &text(name),
            "\"address\": \"azurerm_network_security_rule.pass\""
        ))
    );
}

#[test]
fn a_real_plan_azure_would_refuse_names_the_rule_and_its_line() {
    // Five standalone rules give `testnsg` inbound priority 100; Azure allows one.
    let name = "regula-nsg-inbound-22.json";
    let file = fixture(name);
    let stderr = refused(&[file.to_str().unwrap()]);
    let line = line_of_object(
        &text(name),
        "\"address\": \"azurerm_network_security_rule.invalidrule2\"",
    );
    assert!(
        stderr.contains(&format!(
            "{}: at azurerm_network_security_rule.invalidrule2.priority: a second Inbound rule with priority 100",
            file.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("(line {line})")), "{stderr}");
}

// --- The APIM network of a team -----------------------------------------------------------------

#[test]
fn the_mistyped_management_port_is_denied_with_its_near_miss() {
    let plan = apim_plan();
    let r = report(&[&plan]);
    assert_eq!(r["passed"], false);
    let mgmt = flow(&r, "management-endpoint", "3443");
    assert_eq!(mgmt["verdict"], "denied");
    assert_eq!(mgmt["rule"]["name"], "DenyAllInbound");
    assert_eq!(
        mgmt["rule"]["origin"]["address"],
        "module.network.azurerm_network_security_group.apim.security_rule.3"
    );
    // The inline rules decide the flows they allow.
    let storage = flow(&r, "storage", "443");
    assert_eq!(storage["verdict"], "allowed");
    assert_eq!(storage["rule"]["name"], "AllowStorage");
    let near: Vec<&Value> = r["near_misses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["flow"] == "management-endpoint")
        .collect();
    assert_eq!(near.len(), 1, "{:#}", r["near_misses"]);
    let n = near[0];
    assert_eq!(n["kind"], "port");
    assert_eq!(
        n["says"],
        "rule AllowApimManagement (110) allows TCP 3433 — did you mean 3443?"
    );
    assert_eq!(
        n["rule"]["origin"]["address"],
        "module.network.azurerm_network_security_rule.management"
    );
    assert_eq!(n["suggestion"]["language"], "terraform");
    let fix = n["suggestion"]["text"].as_str().unwrap();
    assert!(
        fix.contains("resource \"azurerm_network_security_rule\" \"management\""),
        "{fix}"
    );
    assert!(
        fix.contains("destination_port_range     = \"3443\""),
        "{fix}"
    );
    assert!(!fix.contains("3433"), "{fix}");
}

#[test]
fn the_api_management_instance_sets_tier_vnet_mode_and_subnet() {
    let plan = apim_plan();
    let r = report(&[&plan]);
    // Not given on the command line: the instance's `Developer_1` and `Internal` decide.
    assert_eq!(r["settings"]["tier"], "classic");
    assert_eq!(r["settings"]["profile"], "classic");
    assert_eq!(r["settings"]["vnet"], "internal");
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains(
            "API Management apim-contoso-dev (azurerm_api_management.apim) chooses the classic tiers' VNet injection (classic, Developer_1) and --vnet internal"
        ),
        "{warnings}"
    );
    let apims = resource(&r, "api_management");
    assert_eq!(apims.len(), 1);
    assert_eq!(apims[0]["origin"]["address"], "azurerm_api_management.apim");
    assert_eq!(
        apims[0]["origin"]["line"],
        line_of_object(
            &text("apim-internal-module.json"),
            "\"address\": \"azurerm_api_management.apim\""
        )
    );
    // Of the module's two subnets, the one its `subnet_id` reaches through the module output.
    let subnets = resource(&r, "subnet");
    assert_eq!(subnets.len(), 1);
    assert_eq!(subnets[0]["name"], "snet-apim");
    assert_eq!(
        subnets[0]["origin"]["address"],
        "module.network.azurerm_subnet.apim"
    );
    let nsgs = resource(&r, "network_security_group");
    assert_eq!(nsgs.len(), 1, "the association joins the NSG to the subnet");
    assert_eq!(nsgs[0]["name"], "nsg-apim-dev");
}

#[test]
fn the_command_line_wins_over_the_code() {
    let plan = apim_plan();
    let r = report(&["--vnet", "external", &plan]);
    assert_eq!(r["settings"]["vnet"], "external");
    // `--subnet NAME` chooses another of the code's subnets; the NSG is then another subnet's.
    let r = report(&["--subnet", "snet-workload", &plan]);
    assert_eq!(resource(&r, "subnet")[0]["name"], "snet-workload");
    assert!(resource(&r, "network_security_group").is_empty());
}

#[test]
fn the_subnet_id_is_linked_through_the_module_output() {
    let file = fixture("apim-internal-module.json");
    let text = text("apim-internal-module.json");
    let doc = iac::plan::read(&file, &text, &serde_json::from_str(&text).unwrap()).unwrap();
    assert_eq!(doc.apims.len(), 1);
    assert_eq!(doc.apims[0].sku.as_deref(), Some("Developer_1"));
    assert_eq!(doc.apims[0].vnet_type.as_deref(), Some("Internal"));
    assert_eq!(
        doc.apims[0].subnet.as_deref(),
        Some("module.network.azurerm_subnet.apim")
    );
}

#[test]
fn an_unknown_subnet_name_lists_the_code_s_subnets() {
    let plan = apim_plan();
    let stderr = refused(&["--subnet", "NOSUCH", &plan]);
    assert!(
        stderr.contains(
            "--subnet NOSUCH: the code declares no such subnet (it declares: snet-apim, snet-workload)"
        ),
        "{stderr}"
    );
}

#[test]
fn sarif_results_point_at_the_lines_that_cause_them() {
    // Run from the repository's root with a relative path, as in CI: the URI stays relative.
    let plan = "tests/fixtures/iac/plan/apim-internal-module.json";
    let out = Command::cargo_bin("apim-probe")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["evaluate", "--region", "westeurope", "-o", "sarif", plan])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&log);
    let text = text("apim-internal-module.json");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let at = |rule_id: &str| {
        let r = results
            .iter()
            .find(|r| r["ruleId"] == rule_id)
            .unwrap_or_else(|| panic!("no {rule_id} result"));
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], plan);
        physical["region"]["startLine"].clone()
    };
    // The near miss: the standalone rule resource in `planned_values`.
    assert_eq!(
        at("near-miss/port"),
        line_of_object(
            &text,
            "\"address\": \"module.network.azurerm_network_security_rule.management\""
        )
    );
    // The denied flow: the inline `security_rule` block of the rule that denies it.
    assert_eq!(
        at("flow/management-endpoint"),
        line_of_object(&text, "\"name\": \"DenyAllInbound\"")
    );
}

/// Validates `log` against the SARIF 2.1.0 schema (as `tests/evaluate_sarif.rs` does).
fn assert_valid(log: &Value) {
    let schema_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_file).unwrap()).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(log).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}");
}

#[test]
fn a_rule_known_only_after_apply_is_unknown_not_an_error() {
    // The management rule with the right port, but its source computed at apply time.
    let mut plan: Value = serde_json::from_str(&text("apim-internal-module.json")).unwrap();
    let change = plan["resource_changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == "module.network.azurerm_network_security_rule.management")
        .unwrap();
    let after = change["change"]["after"].as_object_mut().unwrap();
    after.remove("source_address_prefix");
    after.insert("destination_port_range".into(), "3443".into());
    change["change"]["after_unknown"]["source_address_prefix"] = Value::Bool(true);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    std::fs::write(&file, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let r = report(&[file.to_str().unwrap()]);
    let mgmt = flow(&r, "management-endpoint", "3443");
    assert_eq!(mgmt["verdict"], "unknown", "{mgmt:#}");
    let detail = mgmt["detail"].as_str().unwrap();
    assert!(
        detail.contains("source_address_prefix (known after apply)"),
        "{detail}"
    );
}

#[test]
fn rules_naming_application_security_groups_keep_them() {
    let mut plan: Value = serde_json::from_str(&text("apim-internal-module.json")).unwrap();
    let asg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-apim-dev/providers/Microsoft.Network/applicationSecurityGroups/asg-apim";
    let change = plan["resource_changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == "module.network.azurerm_network_security_rule.management")
        .unwrap();
    change["change"]["after"]["source_address_prefix"] = Value::Null;
    change["change"]["after"]["source_application_security_group_ids"] = serde_json::json!([asg]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    std::fs::write(&file, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    let mut inputs = NetworkInputs::default();
    let mut pending = iac::Pending::default();
    iac::add_path(&mut inputs, &mut pending, &file, None).unwrap();
    iac::finish(&mut inputs, pending, None).unwrap();
    assert_eq!(inputs.inputs[0].kind, InputKind::TerraformPlan);
    let rule = inputs.nsgs[0]
        .rules
        .iter()
        .find(|r| r.name == "AllowApimManagement")
        .unwrap();
    assert_eq!(rule.source, AddressSpec::Asg(vec![asg.to_owned()]));
}

// --- Refused ------------------------------------------------------------------------------------

#[test]
fn a_rule_azure_would_refuse_is_named_by_its_address_and_line() {
    // The inline DenyAllInbound with a priority outside the range of user rules, everywhere the
    // plan writes it (the lines stay those of the fixture).
    let text = text("apim-internal-module.json");
    assert_eq!(text.matches("\"priority\": 4000").count(), 3);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    std::fs::write(
        &file,
        text.replace("\"priority\": 4000", "\"priority\": 5000"),
    )
    .unwrap();
    let stderr = refused(&[file.to_str().unwrap()]);
    assert!(
        stderr.contains(&format!(
            "{}: at module.network.azurerm_network_security_group.apim.security_rule.3.priority: priority 5000 is outside 100-4096",
            file.display()
        )),
        "{stderr}"
    );
    let line = line_of_object(&text, "\"name\": \"DenyAllInbound\"");
    assert!(stderr.contains(&format!("(line {line})")), "{stderr}");
}

#[test]
fn a_bicep_file_is_refused_with_the_command_that_compiles_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.bicep");
    std::fs::write(&file, "param location string = resourceGroup().location\n").unwrap();
    let stderr = refused(&[file.to_str().unwrap()]);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(
        stderr.contains(&format!("az bicep build --file {}", file.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("bicep build {}", file.display())),
        "{stderr}"
    );
}

#[test_case("planned-values-not-an-object.json", "planned_values.root_module", "missing or not an object"; "planned values")]
#[test_case("resources-not-a-list.json", "planned_values.root_module.resources", "expected a list, found an object"; "resources")]
#[test_case("resource-without-address.json", "planned_values.root_module.resources.1", "a resource without `address`"; "address")]
#[test_case("resource-without-type.json", "planned_values.root_module.child_modules.0.resources.0", "a resource without `type`"; "type")]
#[test_case("security-rule-not-a-list.json", "planned_values.root_module.resources.0.values.security_rule", "expected a list, found \"AllowApimManagement\""; "security rule list")]
#[test_case("security-rule-not-a-block.json", "planned_values.root_module.resources.0.values.security_rule.1", "expected an object (a security_rule block), found \"AllowApimManagement\""; "security rule block")]
fn each_malformed_plan_names_file_and_path(name: &str, path: &str, message: &str) {
    let file = fixture(&format!("invalid/{name}"));
    let stderr = refused(&[file.to_str().unwrap()]);
    assert!(
        stderr.contains(&format!("{}: at {path}: {message}", file.display())),
        "{stderr}"
    );
}

#[test]
fn every_invalid_plan_is_in_the_table() {
    let listed = include_str!("iac_plan.rs");
    for entry in std::fs::read_dir(fixture("invalid")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            listed.contains(&format!("(\"{name}\"")),
            "{name} has no row in the table"
        );
    }
}
