//! The one way a test says it cannot run here: a loud skip on a developer's machine, a failure
//! under `CI=true` (or `CI=1`), where every prerequisite must be installed (`.ci/run` and
//! `scripts/test.sh` install them).

use std::io::Write as _;

/// Whether a missing prerequisite must fail the test instead of skipping it.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Reports that `area`'s tests cannot run because of `why`: panics under CI, else prints
/// `<AREA> SKIPPED: why` where it is seen, and the caller returns.
pub fn missing(area: &str, why: &str) {
    assert!(
        !under_ci(),
        "{area} PREREQUISITE MISSING under CI (a failure, never a skip): {why}"
    );
    // Straight to the process's stderr: the test harness would swallow `eprintln!` of a test
    // that passes, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! {area} SKIPPED: {why} !!!!!!!!\n"
    );
}
