//! A Terraform plan (`terraform show -json PLANFILE`), whatever its bytes, is read through the
//! code readers as `evaluate` reads it (`azure::iac::add_path`, then `finish` choosing the APIM
//! subnet, by name when the plan's first subnet is asked for) or refused with an error that names
//! the file and the JSON path; what is read is evaluated against every flow of the embedded
//! catalog. Never a panic, never a hang (module outputs that reference each other included).
#![no_main]

#[allow(dead_code, reason = "the sample report is for the other targets")]
mod common;

use std::sync::OnceLock;

use apim_probe::azure::iac;
use apim_probe::azure::network::NetworkInputs;
use apim_probe::catalog::load;
use apim_probe::catalog::model::{Cloud, Platform, VnetMode};
use apim_probe::evaluate::{EvalSettings, Flow, evaluate, flows};
use common::scratch;
use libfuzzer_sys::fuzz_target;

fn all_flows() -> &'static [Flow] {
    static FLOWS: OnceLock<Vec<Flow>> = OnceLock::new();
    FLOWS.get_or_init(|| {
        let catalog = load::embedded().expect("the embedded catalog");
        flows::from_rows(&catalog.dependencies)
    })
}

/// Reads the scratch file as `evaluate FILE [--subnet NAME]` does; an error as its message.
fn read(subnet: Option<&str>) -> Result<NetworkInputs, String> {
    let mut inputs = NetworkInputs::default();
    let mut pending = iac::Pending::default();
    iac::add_path(&mut inputs, &mut pending, scratch(), None).map_err(|e| e.to_string())?;
    iac::finish(&mut inputs, pending, subnet).map_err(|e| e.to_string())?;
    Ok(inputs)
}

/// The name of the plan's first subnet, to choose it as `--subnet NAME` does.
fn first_subnet(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?;
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let doc = iac::plan::read(scratch(), text, &value).ok()?;
    doc.subnets.first()?["name"].as_str().map(str::to_owned)
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(scratch(), data).expect("scratch file");
    // The subnet its instance names or the only one; then the first by name.
    let first = first_subnet(data);
    for subnet in std::iter::once(None).chain(first.as_deref().map(Some)) {
        match read(subnet) {
            Ok(inputs) => {
                let settings = EvalSettings::classic(
                    Platform::Stv2,
                    VnetMode::Internal,
                    Cloud::Public,
                    Some("westeurope".into()),
                    Vec::new(),
                );
                let eval = evaluate(all_flows(), &inputs, &settings);
                let _ = format!("{:?} {:?}", eval.flows, eval.near_misses);
            }
            Err(e) => {
                let _ = e;
            }
        }
    }
});
