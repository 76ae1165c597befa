//! APIM's own JSON (`--dependencies`: outboundNetworkDependenciesEndpoints; `--apim-status`:
//! networkstatus), whatever its bytes, is read or refused with an error that names the JSON path;
//! never a panic. Status entries read are attached to the sample report, as `check` does.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use apim_probe::app::read_report;
use apim_probe::azure::{dependencies, status};
use apim_probe::report::model::Report;
use libfuzzer_sys::fuzz_target;

/// The loaders read a file: one per fuzzing process, in memory when /dev/shm exists.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        dir.join(format!(
            "apim-probe-fuzz-inputs-{}.json",
            std::process::id()
        ))
    })
}

fn sample() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/report-sample.json"
        );
        read_report(path.as_ref()).expect("the sample report reads")
    })
}

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
            status::attach(&mut report, &entries);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
