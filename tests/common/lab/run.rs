//! Running the real binary inside `subnet`, always against the lab's DNS server, and reading
//! its reports.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::netns::{Lab, SERVICES_V4, SERVICES_V6};

/// Longest one run of the binary may take before the lab kills it.
const RUN_BOUND: Duration = Duration::from_secs(60);

static RUNS: AtomicU32 = AtomicU32::new(0);

/// One finished run of the binary.
#[derive(Debug)]
pub struct Run {
    /// Its exit code.
    pub code: i32,
    /// The parsed JSON on stdout (`Value::Null` when the output was not JSON, e.g. a table).
    pub report: Value,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
    /// Wall time, process start to exit.
    pub elapsed: Duration,
}

/// True for an address of the lab's service ranges (where the lab's DNS servers live).
fn is_lab_service(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.octets()[..2] == [198, 19],
        IpAddr::V6(a) => a.segments()[..4] == [0x2001, 2, 0, 1],
    }
}

impl Lab {
    /// Runs `apim-probe <args…> --dns-server <dns>` inside `subnet`, bounded in time.
    ///
    /// `dns` must be a lab address: the binary never gets to ask the machine's resolver.
    pub fn apim_probe(&self, dns: SocketAddr, args: &[&str]) -> Run {
        self.apim_probe_env(dns, args, &[])
    }

    /// [`Lab::apim_probe`] with environment variables set (e.g. `SSL_CERT_FILE`).
    pub fn apim_probe_env(&self, dns: SocketAddr, args: &[&str], env: &[(&str, &str)]) -> Run {
        assert!(
            is_lab_service(dns.ip()),
            "--dns-server {dns} is not a lab address ({SERVICES_V4}, {SERVICES_V6})"
        );
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let out_path = self.dir().join(format!("run-{n}.out"));
        let err_path = out_path.with_extension("err");
        let mut cmd = self.in_ns(&self.subnet, env!("CARGO_BIN_EXE_apim-probe"));
        cmd.args(args)
            .args(["--dns-server", &dns.to_string()])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).expect("run stdout"))
            .stderr(std::fs::File::create(&err_path).expect("run stderr"))
            .env_remove("SSL_CERT_DIR");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("APIM_PROBE_") {
                cmd.env_remove(key);
            }
        }
        // IMDS stays off unless a scenario turns it on (with its own fake IMDS in `subnet`).
        cmd.env("APIM_PROBE_NO_IMDS", "true")
            .envs(env.iter().copied());
        let start = Instant::now();
        let mut child = cmd.spawn().expect("start apim-probe in the lab");
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for apim-probe") {
                break status;
            }
            if start.elapsed() > RUN_BOUND {
                let _ = child.kill();
                let _ = child.wait();
                panic!("apim-probe {args:?} still running after {RUN_BOUND:?}: killed");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = start.elapsed();
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        Run {
            code: status.code().unwrap_or(-1),
            report,
            stdout,
            stderr,
            elapsed,
        }
    }

    /// `apim-probe check -o json <args…>`; panics when stdout is not a JSON report.
    pub fn check_json(&self, dns: SocketAddr, args: &[&str]) -> Run {
        self.check_json_env(dns, args, &[])
    }

    /// [`Lab::check_json`] with environment variables set (e.g. `SSL_CERT_FILE`).
    pub fn check_json_env(&self, dns: SocketAddr, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = vec!["check", "-o", "json"];
        all.extend_from_slice(args);
        let run = self.apim_probe_env(dns, &all, env);
        assert!(
            run.report.is_object(),
            "check {args:?} printed no JSON report (exit {}):\n{}\nstderr: {}",
            run.code,
            run.stdout,
            run.stderr
        );
        run
    }

    /// `apim-probe list -o json <args…>` inside `subnet`; the parsed plan.
    pub fn list_json(&self, dns: SocketAddr, args: &[&str]) -> Value {
        let mut all = vec!["list", "-o", "json"];
        all.extend_from_slice(args);
        let run = self.apim_probe(dns, &all);
        assert_eq!(run.code, 0, "list failed: {}", run.stderr);
        run.report
    }

    /// Writes a catalog file made of `rows` into the lab's scratch folder.
    pub fn catalog(&self, rows: &[String]) -> PathBuf {
        let n = RUNS.fetch_add(1, Ordering::Relaxed);
        let path = self.dir().join(format!("catalog-{n}.toml"));
        std::fs::write(&path, rows.concat()).expect("write catalog");
        path
    }
}

/// One catalog row: an outbound TCP dependency on `host:port`.
pub fn tcp_row(id: &str, required: bool, host: &str, port: u16) -> String {
    row(id, "tcp", required, host, port)
}

/// One catalog row of any check kind on `host:port` (UDP for `ntp`, TCP otherwise).
pub fn row(id: &str, check: &str, required: bool, host: &str, port: u16) -> String {
    let transport = if check == "ntp" { "udp" } else { "tcp" };
    format!(
        r#"
[[dependency]]
id = "{id}"
purpose = "lab row {id}"
direction = "outbound"
source = "VirtualNetwork"
destination = "LabTag"
required = {required}
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = "{transport}"
ports = [{port}]
check = "{check}"
hosts = ["{host}"]
reference = "lab"
"#
    )
}

/// Every result of a dependency id.
pub fn results<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .expect("report has results")
        .iter()
        .filter(|r| r["id"] == id)
        .collect()
}

/// The only (or first) result of a dependency id.
pub fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    results(report, id)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no result with id {id} in {report:#}"))
}

/// Results that are neither `ok` nor `skipped`.
pub fn failed(report: &Value) -> Vec<&Value> {
    report["results"]
        .as_array()
        .expect("report has results")
        .iter()
        .filter(|r| r["status"] != "ok" && r["status"] != "skipped")
        .collect()
}

/// The first `(os error N)` in a detail: the errno the kernel gave.
pub fn errno_of(detail: &str) -> Option<i32> {
    let at = detail.find("(os error ")? + "(os error ".len();
    let digits: String = detail[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A result's `detail`, or "".
pub fn detail(r: &Value) -> &str {
    r["detail"].as_str().unwrap_or_default()
}

/// A catalog row of `dns` checks for the server given with `--dns-server`.
pub fn dns_row() -> String {
    r#"
[[dependency]]
id = "dns"
purpose = "lab DNS"
direction = "outbound"
source = "VirtualNetwork"
destination = "LabDns"
required = true
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = ["udp", "tcp"]
ports = [53]
check = "dns"
hosts = ["{dns_server}"]
reference = "lab"
"#
    .to_owned()
}

/// The report's `dns.checks` as `(transport, status)`.
pub fn dns_checks(report: &Value) -> Vec<(String, String)> {
    report["dns"]["checks"]
        .as_array()
        .expect("dns.checks")
        .iter()
        .map(|c| {
            (
                c["transport"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
