//! Exported Azure network JSON (`evaluate`'s inputs: subnet, NSGs in every form, routes, service
//! tags), whatever its bytes, is read or refused with an error that names the JSON path; what is
//! read is evaluated against every flow of the embedded catalog. Never a panic.
#![no_main]

#[allow(dead_code, reason = "the sample report is for the other targets")]
mod common;

use std::sync::OnceLock;

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

/// Premium v2 injection's subnet requirements, from the embedded catalog.
fn v2_injection() -> Option<apim_probe::catalog::editions::SubnetSpec> {
    let catalog = apim_probe::catalog::load::embedded().ok()?;
    catalog.editions.iter().rev().find_map(|e| {
        e.subnet_for(apim_probe::catalog::profile::Profile::V2Injection)
            .cloned()
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("scratch file");
    let mut inputs = NetworkInputs::default();
    match inputs.add_path(path, None) {
        Ok(()) => {
            let mut settings = EvalSettings::classic(
                Platform::Stv2,
                VnetMode::External,
                Cloud::Public,
                Some("westeurope".into()),
                Vec::new(),
            );
            // The subnet held to Premium v2 injection's page too: size, units, delegation, others.
            settings.subnet = v2_injection();
            let eval = evaluate(all_flows(), &inputs, &settings);
            let _ = format!("{:?}", eval.flows);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
