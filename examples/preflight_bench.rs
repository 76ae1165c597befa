//! The benchmark of a pre-flight: `apim-probe evaluate plan.json` on a large Terraform plan — 50
//! child modules, 20 NSGs of 200 rules each (4,000 rules), filler resources in the other
//! modules, the APIM subnet and its association, and the instance itself — made by a seeded
//! generator in the shape `terraform show -json` prints. It prints a table: reading the plan
//! (the JSON, the line index, the azurerm normaliser, the subnet's choice), evaluating it, and
//! the whole command as a user runs it.
//!
//!   cargo run --release --example preflight_bench [RUNS]      (default 5 runs)
//!   tests/bench/evaluate.sh                                   (this and evaluate_bench)
//!
//! The goal is ≤ 300 ms for the whole command; it is read from this table, never asserted.

mod bench_kit;

use std::path::Path;

use apim_probe::azure::iac::{self, Pending};
use apim_probe::azure::network::NetworkInputs;
use apim_probe::catalog::load;
use apim_probe::catalog::model::{Cloud, Platform, VnetMode};
use apim_probe::evaluate::{EvalSettings, evaluate, flows};
use bench_kit::{Rng, clean, ms, process_row, runs, time};
use serde_json::{Value, json};

const MODULES: usize = 50;
const NSGS: usize = 20;
const RULES: usize = 200;

/// One inline rule, as the azurerm provider plans it (every attribute present, lists empty).
fn rule(rng: &mut Rng, i: usize) -> Value {
    let inbound = i.is_multiple_of(2);
    let tag = rng.pick(&[
        "Storage",
        "Sql",
        "AzureCloud",
        "Internet",
        "AzureMonitor",
        "*",
    ]);
    let port = if rng.below(3) == 0 {
        rng.pick(&["443", "1433", "3443", "1886", "5671", "6390"])
            .to_owned()
    } else {
        (20_000 + rng.below(30_000)).to_string()
    };
    let (source, destination) = if inbound {
        (tag, "VirtualNetwork")
    } else {
        ("VirtualNetwork", tag)
    };
    json!({
        "name": format!("rule-{i}"),
        "priority": 100 + i * 7 / 2 + usize::from(!inbound),
        "direction": if inbound { "Inbound" } else { "Outbound" },
        "access": rng.pick(&["Allow", "Deny"]),
        "protocol": rng.pick(&["Tcp", "Udp", "*"]),
        "source_port_range": "*", "source_port_ranges": [],
        "destination_port_range": port, "destination_port_ranges": [],
        "source_address_prefix": source, "source_address_prefixes": [],
        "destination_address_prefix": destination, "destination_address_prefixes": [],
        "source_application_security_group_ids": [],
        "destination_application_security_group_ids": [],
        "description": "",
    })
}

fn resource(module: &str, kind: &str, name: &str, mut values: Value) -> Value {
    json!({
        "address": format!("{module}.{kind}.{name}"),
        "mode": "managed", "type": kind, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/azurerm",
        "schema_version": 0, "values": values.take(), "sensitive_values": {},
    })
}

/// The plan: module `m0` holds the APIM subnet, its association and NSG 0.
fn plan(rng: &mut Rng) -> Value {
    let mut modules = Vec::new();
    for m in 0..MODULES {
        let addr = format!("module.m{m}");
        let mut resources = Vec::new();
        if m < NSGS {
            let rules: Vec<Value> = (0..RULES).map(|i| rule(rng, i)).collect();
            resources.push(resource(&addr, "azurerm_network_security_group", "nsg",
                json!({"name": format!("nsg-{m}"), "location": "westeurope", "security_rule": rules})));
        } else {
            for s in 0..10 {
                resources.push(resource(&addr, "azurerm_storage_account", &format!("sa{s}"),
                    json!({"name": format!("sa{m}x{s}"), "account_tier": "Standard", "tags": {"env": "bench"}})));
            }
        }
        if m == 0 {
            resources.push(resource(
                &addr,
                "azurerm_subnet",
                "apim",
                json!({
                "name": "apim-subnet", "address_prefixes": ["10.0.1.0/24"], "delegation": [],
                "service_endpoints": []}),
            ));
            resources.push(resource(
                &addr,
                "azurerm_subnet_network_security_group_association",
                "apim",
                json!({}),
            ));
        }
        modules.push(json!({"address": addr, "resources": resources}));
    }
    let apim = resource(
        "",
        "azurerm_api_management",
        "apim",
        json!({
        "name": "bench-apim", "sku_name": "Developer_1", "virtual_network_type": "Internal",
        "virtual_network_configuration": [{}]}),
    );
    let mut apim = apim;
    apim["address"] = json!("azurerm_api_management.apim");
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": [apim], "child_modules": modules}},
        "resource_changes": [],
        "configuration": {"root_module": {
            "resources": [{"address": "azurerm_api_management.apim", "type": "azurerm_api_management", "name": "apim",
                "expressions": {"virtual_network_configuration": [{"subnet_id": {"references": ["module.m0.subnet_id", "module.m0"]}}]}}],
            "module_calls": {"m0": {"source": "./m0", "module": {"resources": [
                {"address": "azurerm_subnet_network_security_group_association.apim",
                 "type": "azurerm_subnet_network_security_group_association", "name": "apim",
                 "expressions": {
                    "subnet_id": {"references": ["azurerm_subnet.apim.id", "azurerm_subnet.apim"]},
                    "network_security_group_id": {"references": ["azurerm_network_security_group.nsg.id", "azurerm_network_security_group.nsg"]}}}
            ]}}}}},
    })
}

fn read(file: &Path) -> NetworkInputs {
    let mut inputs = NetworkInputs::default();
    let mut pending = Pending::default();
    iac::add_path(&mut inputs, &mut pending, file, None).expect("the synthetic plan reads");
    iac::finish(&mut inputs, pending, None).expect("one APIM subnet");
    inputs
}

fn main() {
    let runs = runs();
    let dir =
        std::env::temp_dir().join(format!("apim-probe-preflight-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let file = dir.join("plan.json");
    let text = serde_json::to_string_pretty(&plan(&mut Rng(0x5EED_0026_0000_0001))).expect("JSON");
    std::fs::write(&file, &text).expect("write the plan");

    let catalog = load::embedded().expect("the embedded catalog");
    let rows = catalog
        .dependencies
        .iter()
        .filter(|d| d.platforms.contains(&Platform::Stv2) && d.vnet.contains(&VnetMode::Internal));
    let flows = flows::from_rows(rows);
    let settings = EvalSettings::classic(
        Platform::Stv2,
        VnetMode::Internal,
        Cloud::Public,
        Some("westeurope".into()),
        Vec::new(),
    );
    let (pb, pm, _) = time(runs, || serde_json::from_str::<Value>(&text).expect("JSON"));
    let (lb, lm, _) = time(runs, || iac::lines::Lines::of(&text));
    let (rb, rm, inputs) = time(runs, || read(&file));
    let (eb, em, eval) = time(runs, || evaluate(&flows, &inputs, &settings));
    let rules: usize = inputs.nsgs.iter().map(|n| n.rules.len()).sum();
    println!("apim-probe pre-flight benchmark ({runs} runs; best / median, ms)");
    println!("{:<46} {:>9} {:>9}  what", "step", "best", "median");
    println!(
        "{:<46} {:>9} {:>9}  {:.1} MB, {MODULES} modules, {NSGS} NSGs x {RULES} rules",
        "read the plan",
        ms(rb),
        ms(rm),
        f64::from(u32::try_from(text.len()).unwrap_or(u32::MAX)) / 1e6
    );
    println!(
        "{:<46} {:>9} {:>9}  serde_json, for comparison",
        "  of which: parse the JSON",
        ms(pb),
        ms(pm)
    );
    println!(
        "{:<46} {:>9} {:>9}  the line of each object and array",
        "  of which: index its lines",
        ms(lb),
        ms(lm)
    );
    println!(
        "{:<46} {:>9} {:>9}  {} flows; NSGs kept: {} ({} rules with defaults)",
        "evaluate",
        ms(eb),
        ms(em),
        eval.flows.len(),
        inputs.nsgs.len(),
        rules
    );
    let args = ["evaluate", "--region", "westeurope", "-o", "sarif"].map(std::ffi::OsString::from);
    let mut args = args.to_vec();
    args.push(file.clone().into_os_string());
    process_row(runs, "evaluate -o sarif", &args);
    clean(&dir);
}
