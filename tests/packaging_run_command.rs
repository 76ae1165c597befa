//! The run-command scripts that ship in `packaging/run-command/`: `linux.sh` run against the
//! shipped x86_64 musl binary (SHA-256 checked, downloaded from a `file://` URL, verdict last,
//! report written), and `windows.ps1` checked for the same steps.
//!
//! Gated like `packaging.rs`: the `linux.sh` tests need `dist/`, so without
//! `APIM_PROBE_PACKAGING=1` they print `PACKAGING SKIPPED` and pass. Only a `check` whose only row
//! is skipped runs (nothing probed), with `--dns-server 127.0.0.1:9` and `APIM_PROBE_NO_IMDS=true`.

mod common;

use common::shipped;

use std::fs;
use std::os::unix::fs::PermissionsExt;
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
    // file:// stands in for the storage URL (no network): a wrong SHA-256 leaves nothing behind;
    // the right one is kept in the script's private folder, where it ran from.
    let kept = dir.path().join("reports/apim-probe");
    let url = format!("url=file://{}", shipped.display());
    let (code, out) = linux_sh(dir.path(), &[url.clone(), format!("sha256={wrong}")]);
    assert_eq!(code, Some(3), "{out}");
    let left: Vec<_> = fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let (code, out) = linux_sh(dir.path(), &[url, format!("sha256={sha}")]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("VERDICT: "),
        "{out}"
    );
    assert_eq!(sha256_of(&kept), sha);
    for report in reports(dir.path()) {
        let mode = fs::metadata(&report).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", report.display());
    }

    // A failed download is exit 3 with the reason, and the URL (it may hold a SAS) is not echoed.
    let missing = format!(
        "url=file://{}/nothing-here?sig=SECRET",
        dir.path().display()
    );
    let (code, out) = linux_sh(dir.path(), &[missing, format!("sha256={sha}")]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("download failed") && !out.contains("SECRET"),
        "{out}"
    );
}

/// PowerShell cannot be had here (Debian's archive has none; the other ways download it at run
/// time): `windows.ps1`'s text is checked for the steps that `linux.sh` is proven to take.
#[test]
fn run_command_windows_ps1_takes_the_same_steps() {
    let text = fs::read_to_string(repo().join("packaging/run-command/windows.ps1")).unwrap();
    for step in [
        "[string]$Sha256 = $env:APIM_PROBE_SHA256",
        "[string]$Url = $env:APIM_PROBE_URL",
        "[string]$Bin = $env:APIM_PROBE_BIN",
        "[string]$Dir = $env:APIM_PROBE_DIR",
        "[string]$ProbeArgs = $env:APIM_PROBE_ARGS",
        "Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $script:tmp",
        "Copy-Item -LiteralPath $src -Destination $script:tmp",
        "Get-FileHash -Algorithm SHA256 -LiteralPath $script:tmp",
        "if ($got -ne $Sha256) { Fail",
        "Move-Item -Force -LiteralPath $script:tmp -Destination $exe",
        "Start-Process -FilePath $exe -ArgumentList $argLine",
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
    assert!(
        !text.contains("$Bin.download") && !text.contains("-Destination $Bin"),
        "nothing is written where Bin points"
    );
}

/// `windows.ps1` runs as SYSTEM in ProgramData, where every user may create folders: its folder
/// gets an explicit ACL (SYSTEM and Administrators, protected) as it is created, a folder that
/// is a link or that someone else owns (or holds what someone else owns) is refused, arguments
/// are quoted, and any failure is exit 3.
#[test]
fn run_command_windows_ps1_is_safe_as_system() {
    let text = fs::read_to_string(repo().join("packaging/run-command/windows.ps1")).unwrap();
    for step in [
        // The ACL: SYSTEM and BUILTIN\Administrators by SID, full control, nothing inherited.
        "$Trusted = @('S-1-5-18', 'S-1-5-32-544')",
        "$acl.SetAccessRuleProtection($true, $false)",
        "'FullControl',\n            'ContainerInherit, ObjectInherit', 'None', 'Allow')",
        // Created with that ACL in one step (Windows PowerShell 5.1 and PowerShell 7).
        "[System.IO.FileSystemAclExtensions]::Create($info, (New-PrivateAcl))",
        "$info.Create((New-PrivateAcl))",
        // An existing folder: no link or junction, owner checked, then made private, then its
        // entries checked.
        "if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {",
        "$owner = Get-OwnerSid $Dir\n    if ($Trusted -notcontains $owner) {",
        "Set-Acl -LiteralPath $Dir -AclObject (New-PrivateAcl)\n    foreach ($entry in Get-ChildItem -LiteralPath $Dir -Force) {",
        // A fresh file in it is the one hashed and run.
        "$script:tmp = Join-Path $Dir ('download-' + [guid]::NewGuid().ToString('N') + '.exe')",
        // Arguments quoted as the C runtime splits them.
        "$escaped = ($Arg -replace '(\\\\*)\"', '$1$1\\\"') -replace '(\\\\+)$', '$1$1'",
        "$argLine = ($argList | ForEach-Object { ConvertTo-Argument $_ }) -join ' '",
        // Any unhandled error is exit 3, documented in the header.
        "trap { Fail \"stopped unexpectedly: $($_.Exception.Message)\" }",
        "# 3 whenever this script fails",
    ] {
        assert!(text.contains(step), "windows.ps1 lacks: {step}");
    }
    let linux = fs::read_to_string(repo().join("packaging/run-command/linux.sh")).unwrap();
    assert!(linux.contains("# 3 whenever this script fails"));
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains("3 whenever the script fails"),
        "the README's run-command section documents exit 3"
    );
}
