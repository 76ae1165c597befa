//! What the targets that read files share: a scratch file, and the sample report to compare with
//! or attach to.

use std::path::PathBuf;
use std::sync::OnceLock;

use apim_probe::app::read_report;
use apim_probe::report::model::Report;

/// The loaders read a file: one per fuzzing process, in memory when /dev/shm exists.
pub fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("apim-probe-fuzz-{}.json", std::process::id()))
    })
}

/// The sample report of the tests' fixtures, read once.
pub fn sample() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/report-sample.json"
        );
        read_report(path.as_ref()).expect("the sample report reads")
    })
}
