//! Shared by the packaging tests (`packaging.rs`, `packaging_run_command.rs`): the shipped
//! targets, `dist/` built by `packaging/build.sh` once per test process (or `None` to skip without
//! `APIM_PROBE_PACKAGING=1`), and running what was built.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// The x86_64 Linux target (static musl).
pub const MUSL_X86: &str = "x86_64-unknown-linux-musl";
/// The arm64 Linux target (static musl).
pub const MUSL_ARM: &str = "aarch64-unknown-linux-musl";
/// The Windows target.
pub const WINDOWS: &str = "x86_64-pc-windows-gnu";
/// `list` output depends on the DNS servers; every run gets the same one.
pub const LIST: [&str; 5] = ["list", "-o", "json", "--dns-server", "127.0.0.1"];

/// The crate root (where `packaging/` and `dist/` are).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `dist/` after one `packaging/build.sh` per test process, or `None` (skip) when not asked for.
pub fn dist() -> Option<&'static Path> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    if std::env::var("APIM_PROBE_PACKAGING").as_deref() != Ok("1") {
        eprintln!(
            "PACKAGING SKIPPED: set APIM_PROBE_PACKAGING=1 (as .ci/run does) to build and test what ships"
        );
        return None;
    }
    let built = BUILT.get_or_init(|| {
        let started = std::time::Instant::now();
        let status = Command::new(repo().join("packaging/build.sh"))
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", repo().join("target/packaging"))
            .status()
            .map_err(|e| format!("cannot start packaging/build.sh: {e}"))?;
        eprintln!(
            "packaging/build.sh: {status} after {} s",
            started.elapsed().as_secs()
        );
        if status.success() {
            Ok(repo().join("dist"))
        } else {
            Err(format!(
                "packaging/build.sh failed ({status}); its output is above"
            ))
        }
    });
    match built {
        Ok(p) => Some(p),
        Err(e) => panic!("{e}"),
    }
}

/// Fails (never skips: the flag asked for these tests) when a tool is missing.
pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is missing (Debian package {package}); scripts/test.sh installs it as root"
    );
}

/// Runs a command that must succeed; fails the test with its output otherwise.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A command's stdout as JSON; fails the test when it is not.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}
