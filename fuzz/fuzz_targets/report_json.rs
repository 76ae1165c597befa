//! A report given to `diff`, whatever its bytes, is read or refused with an error that names
//! the JSON path; never a panic. A report read is compared both ways with the sample report and
//! the comparison written in both formats, as `diff` does.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use apim_probe::app::read_report;
use apim_probe::report::diff::{self, Diff};
use apim_probe::report::model::Report;
use libfuzzer_sys::fuzz_target;

/// `read_report` reads a file: one per fuzzing process, in memory when /dev/shm exists.
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
            "apim-probe-fuzz-report-{}.json",
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

fn compare(old: &Report, new: &Report) {
    let d = Diff::of(old, "old.json", new, "new.json");
    let mut out = Vec::new();
    diff::write_table(&d, &mut out).expect("to memory");
    diff::write_json(&d, &mut out).expect("to memory");
    let _ = (d.failed(), d.is_empty(), diff::summary(&d));
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("scratch file");
    match read_report(path) {
        Ok(report) => {
            compare(sample(), &report);
            compare(&report, sample());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
