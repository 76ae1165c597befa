//! `packaging/run-command/linux.sh` as root, against what a local user could have prepared: a
//! folder of theirs or a symlink where the script's folder goes, a binary they can swap, a glob
//! in `args=`. The binary is a stand-in (a shell script that logs how it was run and writes the
//! report file), so these tests need no `dist/`; `packaging_run_command.rs` runs the real one.
//!
//! They need root (to own folders as another user, as a planted folder would be); without root
//! they print `RUN-COMMAND SKIPPED` and pass, and under `CI=true` they fail instead.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The uid of `nobody`: "another user".
const OTHER_UID: u32 = 65534;

/// The stand-in for apim-probe: logs `$0` and its arguments one a line, writes the report file.
const STAND_IN: &str = r#"#!/bin/sh
printf '%s\n' "$0" "$@" > "$STAND_IN_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = --report-file ]; then echo '{}' > "$2"; fi
  shift
done
echo "VERDICT: PASS (stand-in)"
"#;

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// `true` when the tests can run; otherwise says so (and fails under CI).
fn as_root() -> bool {
    if is_root() {
        return true;
    }
    common::prereq::missing("RUN-COMMAND", "linux.sh's safety tests need root");
    false
}

/// A scratch folder with the stand-in binary (`bin`), its SHA-256, and where it logs.
struct Scratch {
    dir: tempfile::TempDir,
    bin: PathBuf,
    sha: String,
    log: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("apim-probe-stand-in");
        fs::write(&bin, STAND_IN).unwrap();
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new("sha256sum").arg(&bin).output().unwrap();
        let sha = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let log = dir.path().join("stand-in.log");
        Scratch { dir, bin, sha, log }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs linux.sh with `params` (plus `sha256=`) in `cwd`; (exit code, stdout).
    fn run(&self, cwd: &Path, params: &[String]) -> (Option<i32>, String) {
        let out = Command::new("sh")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/packaging/run-command/linux.sh"
            ))
            .arg(format!("sha256={}", self.sha))
            .args(params)
            .current_dir(cwd)
            .env("STAND_IN_LOG", &self.log)
            .env_remove("APIM_PROBE_URL")
            .env_remove("APIM_PROBE_BIN")
            .env_remove("APIM_PROBE_DIR")
            .env_remove("APIM_PROBE_ARGS")
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.stderr.is_empty(),
            "stderr must stay empty: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), stdout)
    }

    /// The stand-in's log: `$0`, then its arguments; `None` when it never ran.
    fn ran(&self) -> Option<Vec<String>> {
        let text = fs::read_to_string(&self.log).ok()?;
        Some(text.lines().map(str::to_owned).collect())
    }

    fn bin_param(&self) -> String {
        format!("bin={}", self.bin.display())
    }
}

fn dir_param(dir: &Path) -> String {
    format!("dir={}", dir.display())
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn refused(code: Option<i32>, out: &str, why: &str) {
    assert_eq!(code, Some(3), "{out}");
    let last = out.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("apim-probe run-command: ERROR: ") && last.contains(why),
        "{out}"
    );
}

#[test]
fn a_folder_someone_else_made_is_refused_and_nothing_is_written_there() {
    if !as_root() {
        return;
    }
    let s = Scratch::new();
    let planted = s.path("planted");
    fs::create_dir(&planted).unwrap();
    chown(&planted, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&planted)]);
    refused(code, &out, "belongs to uid 65534");
    assert!(entries(&planted).is_empty(), "{:?}", entries(&planted));
    assert_eq!(s.ran(), None, "the binary ran");
    assert_eq!(fs::metadata(&planted).unwrap().uid(), OTHER_UID);

    // Root's own, but open to everyone: refused too, not "repaired".
    let open = s.path("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&open)]);
    refused(code, &out, "may be written by others");
    assert!(entries(&open).is_empty());

    // A folder inside one that someone else owns: that one could swap ours.
    let theirs = s.path("theirs");
    fs::create_dir(&theirs).unwrap();
    chown(&theirs, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&theirs.join("x"))]);
    refused(code, &out, "belongs to uid 65534");
    assert!(entries(&theirs).is_empty());
    assert_eq!(s.ran(), None);
}

#[test]
fn a_planted_symlink_is_refused_and_nothing_is_written_through_it() {
    if !as_root() {
        return;
    }
    let s = Scratch::new();
    let victim = s.path("victim");
    fs::create_dir(&victim).unwrap();
    let link = s.path("link");
    symlink(&victim, &link).unwrap();
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&link)]);
    refused(code, &out, "is a symlink");
    assert!(entries(&victim).is_empty(), "{:?}", entries(&victim));
    assert_eq!(s.ran(), None);
    // A dangling one (where the script would create its folder) too.
    let dangling = s.path("dangling");
    symlink(s.path("nowhere"), &dangling).unwrap();
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&dangling)]);
    refused(code, &out, "is a symlink");
    assert!(!s.path("nowhere").exists());
}

#[test]
fn the_file_hashed_is_the_file_run_from_a_private_folder() {
    if !as_root() {
        return;
    }
    let s = Scratch::new();
    let dir = s.path("private");
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&dir)]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("VERDICT: "),
        "{out}"
    );
    // Not the bin= path, which anyone who can write there could swap after the check.
    let ran = s.ran().expect("the binary ran");
    assert_eq!(ran[0], dir.join("apim-probe").display().to_string());
    let meta = fs::metadata(&dir).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o700);
    assert_eq!(meta.uid(), 0);
    for name in entries(&dir) {
        let mode = fs::metadata(dir.join(&name)).unwrap().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{name} is {mode:o}");
    }
    assert!(
        entries(&dir).iter().any(|n| n.starts_with("report-")),
        "{:?}",
        entries(&dir)
    );
    // The kept copy runs again without bin=; a wrong SHA-256 runs nothing.
    fs::remove_file(&s.log).unwrap();
    let (code, out) = s.run(s.dir.path(), &[dir_param(&dir)]);
    assert_eq!(code, Some(0), "{out}");
    fs::remove_file(&s.log).unwrap();
    fs::write(&s.bin, format!("{STAND_IN}# swapped\n")).unwrap();
    let (code, out) = s.run(s.dir.path(), &[s.bin_param(), dir_param(&dir)]);
    refused(code, &out, "SHA-256 mismatch");
    assert_eq!(s.ran(), None);
    assert!(
        !entries(&dir).iter().any(|n| n.starts_with(".apim-probe")),
        "no temporary file left: {:?}",
        entries(&dir)
    );
}

#[test]
fn args_words_are_passed_literally_never_glob_expanded() {
    if !as_root() {
        return;
    }
    let s = Scratch::new();
    let cwd = s.path("cwd");
    fs::create_dir(&cwd).unwrap();
    for name in ["a", "b", "--only=x"] {
        fs::write(cwd.join(name), "").unwrap();
    }
    let (code, out) = s.run(
        &cwd,
        &[
            s.bin_param(),
            dir_param(&s.path("private")),
            "args=--only * --set k=? --skip [ab] --only=*".into(),
            "reference=2023-11".into(),
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    let ran = s.ran().expect("the binary ran");
    // reference= becomes `--reference`, before the extra words.
    assert_eq!(ran[6..8], ["--reference", "2023-11"]);
    let extra: Vec<&str> = ran.iter().skip(8).map(String::as_str).collect();
    assert_eq!(
        extra,
        ["--only", "*", "--set", "k=?", "--skip", "[ab]", "--only=*"]
    );
}

#[test]
fn any_failure_is_exit_3() {
    if !as_root() {
        return;
    }
    let s = Scratch::new();
    let dir = dir_param(&s.path("private"));
    for (params, why) in [
        (
            vec![dir.clone(), "bin=/nonexistent/apim-probe".into()],
            "no binary at",
        ),
        (vec![dir.clone(), "colour=blue".into()], "unknown parameter"),
        (
            vec!["dir=relative/folder".into(), s.bin_param()],
            "absolute path",
        ),
        (
            vec![dir_param(&s.path("missing/parent")), s.bin_param()],
            "does not exist",
        ),
        (
            vec![dir.clone(), s.bin_param(), "url=file:///x".into()],
            "not both",
        ),
    ] {
        let (code, out) = s.run(s.dir.path(), &params);
        refused(code, &out, why);
    }
    assert_eq!(s.ran(), None);
}
