//! A VM's local DNS stub, as Azure's Ubuntu images have one: a real dnsmasq on 127.0.0.53 inside
//! `subnet`, forwarding to the lab's DNS; and the binary run with the *system's* configuration
//! (no `--dns-server`), its `/etc/resolv.conf` and `/run/systemd/resolve/resolv.conf` given by the
//! test in a private mount namespace (`unshare --mount`), so nothing of the machine changes.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::netns::Lab;
use super::run::Run;

/// Where the stub listens, as systemd-resolved does.
pub const STUB: &str = "127.0.0.53";

/// Longest a run may take.
const BOUND: Duration = Duration::from_secs(60);

impl Lab {
    /// Starts dnsmasq inside `subnet` on 127.0.0.53:53, forwarding every question to `upstream`.
    pub fn start_stub(&mut self, upstream: SocketAddr) {
        let n = self.daemons.len();
        let pid = self.dir().join(format!("stub-{n}.pid"));
        let args: Vec<String> = [
            "-k".to_owned(),
            format!("--pid-file={}", pid.display()),
            format!("--listen-address={STUB}"),
            "--bind-interfaces".to_owned(),
            "--no-resolv".to_owned(),
            "--no-hosts".to_owned(),
            format!("--server={}#{}", upstream.ip(), upstream.port()),
            "--cache-size=0".to_owned(),
        ]
        .to_vec();
        let program = self.tools.dnsmasq.clone();
        let ns = self.subnet.clone();
        self.spawn_in(&ns, &format!("stub-{n}"), &program, &args, &[]);
        let start = Instant::now();
        loop {
            let out = Command::new(&self.tools.ip)
                .args(["netns", "exec", &self.subnet])
                .arg(&self.tools.ss)
                .arg("-Hlnu")
                .output()
                .expect("ss in subnet");
            if String::from_utf8_lossy(&out.stdout).contains(&format!("{STUB}:53")) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the stub never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `apim-probe check -o json <args…>` inside `subnet` with the system's DNS configuration:
    /// each `(path, text)` of `files` replaces that file for this run only (`/run` is a fresh
    /// tmpfs, other paths are bind-mounted over).
    pub fn check_json_system_dns(&self, files: &[(&str, &str)], args: &[&str]) -> Run {
        let mut script = String::from("set -e; mount -t tmpfs tmpfs /run; ");
        for (i, (path, text)) in files.iter().enumerate() {
            let scratch = self.dir().join(format!("sysdns-{i}"));
            std::fs::write(&scratch, text).expect("write a system file");
            let (dir, scratch) = (
                std::path::Path::new(path)
                    .parent()
                    .expect("a folder")
                    .display(),
                scratch.display(),
            );
            if path.starts_with("/run/") {
                let _ = write!(script, "mkdir -p {dir}; cp {scratch} {path}; ");
            } else {
                let _ = write!(script, "mount --bind {scratch} {path}; ");
            }
        }
        script.push_str("exec \"$0\" \"$@\"");
        let mut cmd = self.in_ns(&self.subnet, "unshare");
        let out_path = self.dir().join("sysdns-run.out");
        let err_path = self.dir().join("sysdns-run.err");
        cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .arg(env!("CARGO_BIN_EXE_apim-probe"))
            .args(["check", "-o", "json"])
            .args(args)
            .env("APIM_PROBE_NO_IMDS", "true")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).expect("run stdout"))
            .stderr(std::fs::File::create(&err_path).expect("run stderr"));
        let start = Instant::now();
        let mut child = cmd.spawn().expect("start apim-probe with system DNS");
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for apim-probe") {
                break status;
            }
            if start.elapsed() > BOUND {
                let _ = child.kill();
                let _ = child.wait();
                panic!("apim-probe {args:?} still running after {BOUND:?}: killed");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let report: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        assert!(report.is_object(), "no JSON report:\n{stdout}\n{stderr}");
        Run {
            code: status.code().unwrap_or(-1),
            report,
            stdout,
            stderr,
            elapsed: start.elapsed(),
        }
    }
}
