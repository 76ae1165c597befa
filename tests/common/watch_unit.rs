//! `apim-probe-watch.service` checked by systemd's own tools: `systemd-analyze verify` (the unit
//! parses, its directives exist, its binary is there) and `security` (how exposed it runs).

use std::path::Path;
use std::process::Command;

/// The exposure `systemd-analyze security` may give the unit at most (0 best, 10 worst; systemd
/// calls up to 2.0 "OK"). Ours is 1.2 with systemd 252.
const MAX_EXPOSURE: f64 = 2.0;

/// Verifies `unit` with `ExecStart`'s `/usr/bin/apim-probe` replaced by `binary` (verify wants the
/// program to exist). Returns false after a loud skip when `systemd-analyze` is missing.
pub fn verify(unit: &Path, binary: &Path) -> bool {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        super::prereq::missing(
            "SYSTEMD UNIT",
            "systemd-analyze not found (apt-get install -y systemd)",
        );
        return false;
    }
    let text = std::fs::read_to_string(unit).expect("read the unit");
    assert!(
        text.contains("ExecStart=/usr/bin/apim-probe watch "),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("apim-probe-watch.service");
    let exec = format!("ExecStart={} watch ", binary.display());
    std::fs::write(
        &copy,
        text.replace("ExecStart=/usr/bin/apim-probe watch ", &exec),
    )
    .unwrap();
    // The man page named in Documentation= is installed by the .deb, not on this machine.
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .expect("run systemd-analyze verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("apim-probe-watch.service"),
        "systemd-analyze verify: {}\n{stderr}",
        out.status
    );
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&copy)
        .output()
        .expect("run systemd-analyze security");
    let text = String::from_utf8_lossy(&security.stdout);
    let exposure = text
        .lines()
        .find_map(|l| l.split("apim-probe-watch.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok());
    eprintln!("systemd-analyze security: exposure {exposure:?}");
    if let Some(e) = exposure {
        assert!(e <= MAX_EXPOSURE, "exposure {e} > {MAX_EXPOSURE}:\n{text}");
    }
    true
}
