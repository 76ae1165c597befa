//! `scripts/test.sh` leaves the machine as it found it: it stops no process it did not start
//! (a developer's dnsmasq, nginx, chronyd, smbd, nmbd keep running), and the `policy-rc.d` it
//! puts in place while installing goes again on every way out — also when an install fails or
//! the script is stopped — while one the machine already had is left alone.
//!
//! Each run is sealed off: `unshare` gives it its own mount and PID namespaces (so it can see,
//! and kill, only the stand-in daemons started there), a scratch folder is mounted over
//! `/usr/sbin`, and `apt-get`, `dpkg-query` and `cargo` are stand-ins that log what they were
//! asked. Needs root; without it the tests print `TEST.SH SKIPPED` (under `CI=true` they fail).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the lab's packages run as; `test.sh` used to `pkill -x` each of them.
const DAEMONS: [&str; 5] = ["dnsmasq", "nginx", "chronyd", "smbd", "nmbd"];

/// Runs inside the namespaces: mounts the scratch `sbin`, starts the stand-in daemons, runs
/// test.sh with the stand-in tools first on PATH, then logs which daemons are still alive.
const INSIDE: &str = r#"set -u
S=$1
mount --bind "$S/sbin" /usr/sbin || exit 90
pids=""
for d in dnsmasq nginx chronyd smbd nmbd; do "$S/daemons/$d" 600 & pids="$pids $!"; done
PATH="$S/fake:/usr/bin:/bin" bash "$2/scripts/test.sh" --from-the-test
rc=$?
for p in $pids; do
  state=$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)
  case "$state" in "" | Z | X) echo "killed $p" ;; *) echo "alive $p" ;; esac
done > "$S/daemons.log"
kill $pids 2>/dev/null
exit $rc
"#;

const APT_GET: &str = r#"#!/bin/sh
if [ -x /usr/sbin/policy-rc.d ]; then /usr/sbin/policy-rc.d dnsmasq start; pol=$?; else pol=none; fi
echo "$* policy=$pol" >> "$SCRATCH/apt.log"
if [ "$1" = install ]; then
  case "${FAKE_APT:-ok}" in
    fail) exit 100 ;;
    term) kill -TERM "$PPID"; exit 100 ;;
  esac
fi
exit 0
"#;

const CARGO: &str = r#"#!/bin/sh
echo "$*" >> "$SCRATCH/cargo.log"
exit "${FAKE_CARGO_EXIT:-0}"
"#;

/// `true` when the tests can run; otherwise says so (and fails under CI).
fn can_run() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let unshare = Command::new("unshare")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if root && unshare {
        return true;
    }
    common::prereq::missing("TEST.SH", "needs root and unshare (util-linux)");
    false
}

fn write_exe(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// One sealed run of test.sh.
struct Run {
    dir: tempfile::TempDir,
    code: Option<i32>,
}

impl Run {
    /// Runs test.sh with every lab package missing; `apt` is `ok`, `fail` or `term` (the
    /// install stops test.sh with SIGTERM); `policy` is a policy-rc.d already there.
    fn new(apt: &str, cargo_exit: i32, policy: Option<&str>) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path();
        for sub in ["fake", "sbin", "daemons"] {
            fs::create_dir(s.join(sub)).unwrap();
        }
        write_exe(&s.join("fake/apt-get"), APT_GET);
        write_exe(&s.join("fake/cargo"), CARGO);
        write_exe(&s.join("fake/dpkg-query"), "#!/bin/sh\nexit 1\n");
        if let Some(text) = policy {
            write_exe(&s.join("sbin/policy-rc.d"), text);
        }
        for d in DAEMONS {
            // `sleep` under the daemon's name: `pkill -x dnsmasq` would match it.
            fs::copy("/usr/bin/sleep", s.join("daemons").join(d)).unwrap();
        }
        let out = Command::new("unshare")
            .args(["--mount", "--pid", "--fork", "--mount-proc", "sh", "-c"])
            .arg(INSIDE)
            .arg("sh")
            .arg(s)
            .arg(env!("CARGO_MANIFEST_DIR"))
            .env("SCRATCH", s)
            .env("FAKE_APT", apt)
            .env("FAKE_CARGO_EXIT", cargo_exit.to_string())
            .env("APIM_PROBE_PACKAGING", "0")
            .env("APIM_PROBE_NO_VENV", "1")
            .output()
            .unwrap();
        let code = out.status.code();
        assert_ne!(
            code,
            Some(90),
            "cannot mount: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Run { dir, code }
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn sbin(&self) -> PathBuf {
        self.dir.path().join("sbin/policy-rc.d")
    }

    /// Every stand-in daemon is still running after test.sh.
    fn assert_daemons_alive(&self) {
        let log = self.file("daemons.log");
        assert_eq!(log.lines().count(), DAEMONS.len(), "{log}");
        assert!(
            log.lines().all(|l| l.starts_with("alive ")),
            "test.sh stopped processes it did not start:\n{log}"
        );
    }
}

#[test]
fn test_sh_stops_no_process_it_did_not_start() {
    if !can_run() {
        return;
    }
    let run = Run::new("ok", 0, None);
    assert_eq!(run.code, Some(0));
    run.assert_daemons_alive();
    assert_eq!(
        run.file("cargo.log").trim(),
        "test --all-targets --from-the-test"
    );
}

#[test]
fn services_cannot_start_while_installing_and_the_policy_goes_afterwards() {
    if !can_run() {
        return;
    }
    let run = Run::new("ok", 0, None);
    let apt = run.file("apt.log");
    assert!(apt.contains("install -y -qq dnsmasq policy=101"), "{apt}");
    assert!(
        apt.lines().all(|l| l.ends_with(" policy=101")),
        "every apt-get ran with services held back:\n{apt}"
    );
    assert!(!run.sbin().exists(), "policy-rc.d left behind");
}

#[test]
fn the_policy_goes_when_an_install_fails_or_the_script_is_stopped() {
    if !can_run() {
        return;
    }
    let failed = Run::new("fail", 0, None);
    assert_ne!(failed.code, Some(0));
    assert!(!failed.sbin().exists(), "policy-rc.d left after a failure");
    assert_eq!(
        failed.file("cargo.log"),
        "",
        "no tests after a failed install"
    );
    failed.assert_daemons_alive();

    let stopped = Run::new("term", 0, None);
    assert_eq!(stopped.code, Some(143));
    assert!(!stopped.sbin().exists(), "policy-rc.d left after SIGTERM");
}

#[test]
fn a_policy_the_machine_had_is_left_alone() {
    if !can_run() {
        return;
    }
    let theirs = "#!/bin/sh\n# the machine's own\nexit 101\n";
    for apt in ["ok", "fail"] {
        let run = Run::new(apt, 0, Some(theirs));
        assert_eq!(fs::read_to_string(run.sbin()).unwrap(), theirs, "{apt}");
    }
}

#[test]
fn the_tests_exit_code_is_the_scripts() {
    if !can_run() {
        return;
    }
    let run = Run::new("ok", 101, None);
    assert_eq!(run.code, Some(101));
    assert!(!run.sbin().exists());
}
