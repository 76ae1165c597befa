//! The run-command scripts that ship in `packaging/run-command/`: `linux.sh` run against the
//! shipped x86_64 musl binary (SHA-256 checked, downloaded from a `file://` URL, verdict last,
//! report written), and `windows.ps1` checked for the same steps.
//!
//! Gated like `packaging.rs`: the `linux.sh` tests need `dist/`, so without
//! `APIM_PROBE_PACKAGING=1` they print `PACKAGING SKIPPED` and pass. Only a `check` whose only row
//! is skipped runs (nothing probed), with `--dns-server 127.0.0.1:9` and `APIM_PROBE_NO_IMDS=true`.

mod shipped;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use shipped::{MUSL_X86, dist, repo, require, run};

/// `packaging/run-command/linux.sh` with `check` made harmless: its only row is skipped.
fn linux_sh(dir: &Path, params: &[String]) -> (Option<i32>, String) {
    let out = Command::new("sh")
        .arg(repo().join("packaging/run-command/linux.sh"))
        .args(params)
        .env("APIM_PROBE_NO_IMDS", "true")
        .env_remove("APIM_PROBE_SHA256")
        .env_remove("APIM_PROBE_URL")
        .env_remove("APIM_PROBE_BIN")
        .env("APIM_PROBE_DIR", dir.join("reports"))
        .env(
            "APIM_PROBE_ARGS",
            "--only key-vault --dns-server 127.0.0.1:9",
        )
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "stderr must stay empty (run-command appends it last): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

fn reports(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir.join("reports")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("report-")
        })
        .collect()
}

fn sha256_of(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn run_command_linux_sh_verifies_runs_and_ends_with_the_verdict() {
    let Some(dist) = dist() else { return };
    let dir = tempfile::tempdir().unwrap();
    let shipped = dist.join(MUSL_X86).join("apim-probe");
    let bin = dir.path().join("apim-probe");
    fs::copy(&shipped, &bin).unwrap();
    let sha = sha256_of(&bin);
    let wrong = format!(
        "{}{}",
        &sha[..63],
        if sha.ends_with('0') { '1' } else { '0' }
    );

    // A wrong SHA-256 refuses to run: exit 3, nothing written.
    let (code, out) = linux_sh(
        dir.path(),
        &[format!("bin={}", bin.display()), format!("sha256={wrong}")],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.lines().last().unwrap().contains("SHA-256 mismatch"),
        "{out}"
    );
    assert!(reports(dir.path()).is_empty());
    // No SHA-256 at all is refused too.
    let (code, out) = linux_sh(dir.path(), &[format!("bin={}", bin.display())]);
    assert_eq!(code, Some(3), "{out}");

    // The right one (upper case accepted) runs `check`; its exit code is the script's.
    let (code, out) = linux_sh(
        dir.path(),
        &[
            format!("bin={}", bin.display()),
            format!("sha256={}", sha.to_uppercase()),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.len() <= 4096,
        "{} bytes: run-command would cut the head",
        out.len()
    );
    assert!(
        out.lines().last().unwrap().starts_with("VERDICT: PASS"),
        "{out}"
    );
    let written = reports(dir.path());
    assert_eq!(written.len(), 1, "{written:?}");
    let report: Value = serde_json::from_slice(&fs::read(&written[0]).unwrap()).unwrap();
    assert_eq!(
        report["results"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert!(
        out.contains(&written[0].display().to_string()),
        "the report path is printed: {out}"
    );

    // format=json (managed run-command, output to a blob): the whole report after one line.
    let (code, out) = linux_sh(
        dir.path(),
        &[
            format!("bin={}", bin.display()),
            format!("sha256={sha}"),
            "format=json".to_owned(),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let (_, report) = out.split_once('\n').unwrap();
    let report: Value = serde_json::from_str(report).unwrap();
    assert_eq!(
        report["results"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
}

#[test]
fn run_command_linux_sh_downloads_checks_and_never_echoes_the_url() {
    let Some(dist) = dist() else { return };
    require("curl", "curl");
    let dir = tempfile::tempdir().unwrap();
    let shipped = dist.join(MUSL_X86).join("apim-probe");
    let sha = sha256_of(&shipped);
    let wrong = format!(
        "{}{}",
        &sha[..63],
        if sha.ends_with('0') { '1' } else { '0' }
    );
    // file:// stands in for the storage URL (no network): a wrong SHA-256 leaves nothing behind.
    let target = dir.path().join("dl/apim-probe");
    let url = format!("url=file://{}", shipped.display());
    let (code, out) = linux_sh(
        dir.path(),
        &[
            url.clone(),
            format!("bin={}", target.display()),
            format!("sha256={wrong}"),
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        !target.exists()
            && fs::read_dir(dir.path().join("dl"))
                .unwrap()
                .next()
                .is_none()
    );
    let (code, out) = linux_sh(
        dir.path(),
        &[
            url,
            format!("bin={}", target.display()),
            format!("sha256={sha}"),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("VERDICT: "),
        "{out}"
    );
    assert_eq!(sha256_of(&target), sha);

    // A failed download is exit 3 with the reason, and the URL (it may hold a SAS) is not echoed.
    let missing = format!(
        "url=file://{}/nothing-here?sig=SECRET",
        dir.path().display()
    );
    let (code, out) = linux_sh(
        dir.path(),
        &[
            missing,
            format!("bin={}", target.display()),
            format!("sha256={sha}"),
        ],
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("download failed") && !out.contains("SECRET"),
        "{out}"
    );
}

/// PowerShell is not in Debian's archive, so `windows.ps1` cannot run here: its text is checked
/// for the steps that `linux.sh` is proven to take.
#[test]
fn run_command_windows_ps1_takes_the_same_steps() {
    let text = fs::read_to_string(repo().join("packaging/run-command/windows.ps1")).unwrap();
    for step in [
        "[string]$Sha256 = $env:APIM_PROBE_SHA256",
        "[string]$Url = $env:APIM_PROBE_URL",
        "[string]$Bin = $env:APIM_PROBE_BIN",
        "[string]$Dir = $env:APIM_PROBE_DIR",
        "[string]$ProbeArgs = $env:APIM_PROBE_ARGS",
        "Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $tmp",
        "Get-FileHash -Algorithm SHA256 -LiteralPath $tmp",
        "Get-FileHash -Algorithm SHA256 -LiteralPath $Bin",
        "if ($got -ne $Sha256) { Fail",
        "@('check', '-o', $Format, '--report-file', \"`\"$report`\"\")",
        "if (-not $Format) { $Format = 'compact' }",
        "-RedirectStandardOutput $out -RedirectStandardError $err",
        "Get-Content -LiteralPath $out\nexit $code",
        "    exit 3\n",
    ] {
        assert!(text.contains(step), "windows.ps1 lacks: {step}");
    }
    assert!(
        !text.contains("Write-Error") && !text.contains("Write-Host"),
        "all output goes to stdout"
    );
}
