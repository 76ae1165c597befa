//! An ARM template (or any code `evaluate` reads before deployment), whatever its bytes, is read
//! or refused with an error naming the file and JSON path; never a panic, never a hang — the
//! expression evaluator has a budget, copy loops ARM's bound of 800, and nesting a depth limit.
//! What reads is evaluated like `evaluate` does.
#![no_main]

#[allow(dead_code, reason = "the sample report is for the other targets")]
mod common;

use apim_probe::azure::iac::{self, Pending};
use apim_probe::azure::network::NetworkInputs;
use apim_probe::catalog::load;
use apim_probe::catalog::model::{Cloud, Platform, VnetMode};
use apim_probe::evaluate::{EvalSettings, evaluate, flows};
use common::scratch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("scratch file");
    let mut inputs = NetworkInputs::default();
    let mut pending = Pending::default();
    let read = iac::add_path(&mut inputs, &mut pending, path, None)
        .and_then(|()| iac::finish(&mut inputs, pending, None));
    if let Err(e) = read {
        let _ = e.to_string();
        return;
    }
    let catalog = load::embedded().expect("the embedded catalog");
    let rows = catalog
        .dependencies
        .iter()
        .filter(|d| d.platforms.contains(&Platform::Stv2));
    let settings = EvalSettings::classic(
        Platform::Stv2,
        VnetMode::Internal,
        Cloud::Public,
        Some("westeurope".into()),
        Vec::new(),
    );
    let _ = evaluate(&flows::from_rows(rows), &inputs, &settings);
});
