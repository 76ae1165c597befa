//! APIM's own JSON (`--dependencies`: outboundNetworkDependenciesEndpoints; `--apim-status`:
//! networkstatus), whatever its bytes, is read or refused with an error that names the JSON path;
//! never a panic. Status entries read are attached to the sample report, as `check` does.
#![no_main]

mod common;

use apim_probe::azure::{dependencies, status};
use apim_probe::report::apim;
use common::{sample, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("scratch file");
    match dependencies::load(path) {
        Ok(eps) => {
            let _ = format!("{eps:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match status::load(path) {
        Ok(entries) => {
            let mut report = sample().clone();
            apim::attach(&mut report, &entries);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
