//! A report given to `diff`, whatever its bytes, is read or refused with an error that names
//! the JSON path; never a panic. A report read is compared both ways with the sample report and
//! the comparison written in both formats, as `diff` does.
#![no_main]

mod common;

use apim_probe::app::read_report;
use apim_probe::report::diff::{self, Diff};
use apim_probe::report::model::Report;
use common::{sample, scratch};
use libfuzzer_sys::fuzz_target;

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
