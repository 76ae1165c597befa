//! What ships: `packaging/build.sh` once, then every artefact in `dist/` is run the way a user
//! would — the static musl binaries in an empty root and under `qemu-aarch64`, the Windows exe
//! under Wine, the `.deb` unpacked into a scratch root — and the run-command scripts are exercised.
//!
//! Heavy (three release builds), so gated: without `APIM_PROBE_PACKAGING=1` each test prints
//! `PACKAGING SKIPPED` and passes. `.ci/run` sets it; then a missing tool is a failure.
//! Only `list` runs here (no network), and one `check` whose only row is skipped (nothing probed),
//! with `--dns-server 127.0.0.1:9` and `APIM_PROBE_NO_IMDS=true`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

const MUSL_X86: &str = "x86_64-unknown-linux-musl";
const MUSL_ARM: &str = "aarch64-unknown-linux-musl";
const WINDOWS: &str = "x86_64-pc-windows-gnu";
/// The size goal for each shipped binary: printed next to the real size, not met yet (about
/// 4.2 MiB on x86_64 with unwinding panics, measured 2026-11-27).
const GOAL_BINARY_BYTES: u64 = 3 * 1024 * 1024;
/// A regression guard: a binary past this grew for a reason someone must look at.
const MAX_BINARY_BYTES: u64 = 5 * 1024 * 1024;
/// `list` output depends on the DNS servers; every run gets the same one.
const LIST: [&str; 5] = ["list", "-o", "json", "--dns-server", "127.0.0.1"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `dist/` after one `packaging/build.sh` per test process, or `None` (skip) when not asked for.
fn dist() -> Option<&'static Path> {
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
fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is missing (Debian package {package}); scripts/test.sh installs it as root"
    );
}

fn run(cmd: &mut Command) -> Output {
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

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The plan the x86_64 musl binary lists: what every other build must list too.
fn reference_plan(dist: &Path) -> Value {
    json(&run(
        Command::new(dist.join(MUSL_X86).join("apim-probe")).args(LIST)
    ))
}

fn assert_static(bin: &Path, machine: &str) {
    let out = run(Command::new("readelf").args(["-hlW"]).arg(bin));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(machine),
        "{} is not {machine}:\n{text}",
        bin.display()
    );
    assert!(
        !text.contains("INTERP") && !text.contains("Requesting program interpreter"),
        "{} asks for a program interpreter (not static):\n{text}",
        bin.display()
    );
    let dynamic = run(Command::new("readelf").args(["-dW"]).arg(bin));
    let dynamic = String::from_utf8_lossy(&dynamic.stdout);
    assert!(
        !dynamic.contains("(NEEDED)"),
        "{} needs shared libraries:\n{dynamic}",
        bin.display()
    );
}

#[test]
fn binary_sizes_are_reported_and_bounded_and_sha256sums_checks() {
    let Some(dist) = dist() else { return };
    for (target, exe) in [
        (MUSL_X86, "apim-probe"),
        (MUSL_ARM, "apim-probe"),
        (WINDOWS, "apim-probe.exe"),
    ] {
        let size = fs::metadata(dist.join(target).join(exe)).unwrap().len();
        let goal = if size <= GOAL_BINARY_BYTES {
            "within"
        } else {
            "OVER"
        };
        eprintln!("{target}/{exe}: {size} bytes, {goal} the {GOAL_BINARY_BYTES}-byte goal");
        assert!(
            size <= MAX_BINARY_BYTES,
            "{target}/{exe} is {size} bytes, over {MAX_BINARY_BYTES}"
        );
    }
    let out = run(Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(dist));
    let checked = String::from_utf8_lossy(&out.stdout);
    for name in [
        "apim-probe.exe",
        ".tar.gz",
        ".zip",
        "_amd64.deb",
        "_arm64.deb",
    ] {
        assert!(
            checked.contains(name),
            "SHA256SUMS does not cover *{name}:\n{checked}"
        );
    }
}

#[test]
fn archives_hold_just_the_binary() {
    let Some(dist) = dist() else { return };
    let version = env!("CARGO_PKG_VERSION");
    for target in [MUSL_X86, MUSL_ARM] {
        let tgz = dist.join(format!("apim-probe-{version}-{target}.tar.gz"));
        let out = run(Command::new("tar").arg("-tzvf").arg(&tgz));
        let listing = String::from_utf8_lossy(&out.stdout);
        assert_eq!(listing.lines().count(), 1, "{listing}");
        assert!(
            listing.starts_with("-rwxr-xr-x 0/0 ") && listing.trim_end().ends_with(" apim-probe"),
            "{listing}"
        );
    }
    let zip = dist.join(format!("apim-probe-{version}-{WINDOWS}.zip"));
    let out = run(Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).namelist())",
        ])
        .arg(&zip));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "['apim-probe.exe']"
    );
}

#[test]
fn musl_binaries_are_static_and_run_in_an_empty_root() {
    let Some(dist) = dist() else { return };
    require("readelf", "binutils");
    require("chroot", "coreutils");
    let x86 = dist.join(MUSL_X86).join("apim-probe");
    assert_static(&x86, "X86-64");
    assert_static(&dist.join(MUSL_ARM).join("apim-probe"), "AArch64");

    // A root holding nothing but the binary: no libc, no /etc, no /proc, no certificates.
    let root = tempfile::tempdir().unwrap();
    fs::copy(&x86, root.path().join("apim-probe")).unwrap();
    let version = run(Command::new("chroot")
        .arg(root.path())
        .args(["/apim-probe", "--version"]));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("apim-probe {}", env!("CARGO_PKG_VERSION"))
    );
    let listed = json(&run(Command::new("chroot")
        .arg(root.path())
        .arg("/apim-probe")
        .args(LIST)));
    assert_eq!(listed, reference_plan(dist));
    assert!(
        listed["probes"].as_array().is_some_and(|p| p.len() > 10),
        "{listed}"
    );
}

#[test]
fn arm64_binary_lists_the_same_plan_under_qemu() {
    let Some(dist) = dist() else { return };
    require("qemu-aarch64", "qemu-user");
    let listed = json(&run(Command::new("qemu-aarch64")
        .arg(dist.join(MUSL_ARM).join("apim-probe"))
        .args(LIST)));
    assert_eq!(listed, reference_plan(dist));
}

/// Debian 12's Wine 8 lacks `ProcessPrng` (bcryptprimitives.dll), which Rust's std calls for
/// random bytes. This test-only stand-in fills the buffer with `RtlGenRandom`; it is built here,
/// next to a copy of the exe in a temp dir, and never shipped or committed.
const PROCESS_PRNG_STUB: &str = r"
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
";

#[test]
fn windows_exe_lists_the_same_plan_under_wine() {
    let Some(dist) = dist() else { return };
    require("wine", "wine64");
    require("x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64");
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("apim-probe.exe");
    fs::copy(dist.join(WINDOWS).join("apim-probe.exe"), &exe).unwrap();
    fs::write(dir.path().join("stub.c"), PROCESS_PRNG_STUB).unwrap();
    run(Command::new("x86_64-w64-mingw32-gcc")
        .args([
            "-shared",
            "-O2",
            "-o",
            "bcryptprimitives.dll",
            "stub.c",
            "-ladvapi32",
        ])
        .current_dir(dir.path()));
    let prefix = tempfile::tempdir().unwrap();
    let wine = |args: &[&str]| {
        run(Command::new("wine")
            .arg(&exe)
            .args(args)
            .current_dir(dir.path())
            .env("WINEPREFIX", prefix.path())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env("DISPLAY", ""))
    };
    let version = wine(&["--version"]);
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("apim-probe "));
    assert_eq!(json(&wine(&LIST)), reference_plan(dist));
}

#[test]
fn deb_installs_into_a_scratch_root_with_man_page_and_completions() {
    let Some(dist) = dist() else { return };
    let version = env!("CARGO_PKG_VERSION");
    for (arch, bin) in [("amd64", MUSL_X86), ("arm64", MUSL_ARM)] {
        let deb = dist.join(format!("apim-probe_{version}_{arch}.deb"));
        let info = run(Command::new("dpkg-deb").args(["--field"]).arg(&deb).args([
            "Package",
            "Version",
            "Architecture",
        ]));
        assert_eq!(
            String::from_utf8_lossy(&info.stdout),
            format!("Package: apim-probe\nVersion: {version}\nArchitecture: {arch}\n")
        );
        let root = tempfile::tempdir().unwrap();
        run(Command::new("dpkg").arg("-x").arg(&deb).arg(root.path()));
        let installed = root.path().join("usr/bin/apim-probe");
        assert_eq!(
            fs::read(&installed).unwrap(),
            fs::read(dist.join(bin).join("apim-probe")).unwrap()
        );
        for f in [
            "usr/share/man/man1/apim-probe.1.gz",
            "usr/share/bash-completion/completions/apim-probe",
            "usr/share/zsh/vendor-completions/_apim-probe",
            "usr/share/fish/vendor_completions.d/apim-probe.fish",
        ] {
            let len = fs::metadata(root.path().join(f)).map_or(0, |m| m.len());
            assert!(len > 0, "{arch}: {f} missing or empty");
        }
        let man = run(Command::new("sh")
            .arg("-c")
            .arg("gzip -dc \"$1\"")
            .arg("sh")
            .arg(root.path().join("usr/share/man/man1/apim-probe.1.gz")));
        assert!(
            String::from_utf8_lossy(&man.stdout).contains(".TH apim-probe"),
            "not a man page"
        );
        if arch == "amd64" {
            let out = run(Command::new(&installed).arg("--version"));
            assert!(String::from_utf8_lossy(&out.stdout).starts_with("apim-probe "));
        }
    }
}

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
