//! IMDS in the network lab: a fake instance metadata service bound to 169.254.169.254:80 inside
//! the lab's `subnet` namespace (the only place that address may be used: docs/testing.md), and
//! the real binary run there with IMDS turned on. Without IMDS the run goes on with one notice.
//!
//! The fake IMDS is a separate process — this test binary again, started inside `subnet` with
//! `--exact fake_imds_entry` and told what to serve through [`SPEC_VAR`]; it lives at most
//! [`LIFETIME`], serves at most [`MAX_CONNECTIONS`], and the test's guard kills it on drop.

mod common;

use common::lab;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lab::{Family, Lab, Zone};
use serde_json::Value;

/// The variable that turns [`fake_imds_entry`] into a fake IMDS: `<ready file>;<body file>;<log>`.
const SPEC_VAR: &str = "APIM_LAB_FAKE_IMDS";
/// Longest the fake IMDS lives.
const LIFETIME: Duration = Duration::from_secs(120);
/// Most requests it answers.
const MAX_CONNECTIONS: usize = 50;
/// The only place IMDS answers; bound inside the lab's `subnet` namespace only.
const IMDS: &str = "169.254.169.254:80";
/// Separates the replies of successive connections in what the fake IMDS serves.
const NEXT: &str = "\n<next connection>\n";
/// IMDS busy, as Azure documents it may be (retry).
const BUSY: &str =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// The entry point: a fake IMDS when [`SPEC_VAR`] is set, an empty test otherwise.
#[test]
fn fake_imds_entry() {
    let Ok(spec) = std::env::var(SPEC_VAR) else {
        return;
    };
    let parts: Vec<&str> = spec.split(';').collect();
    let [ready, body, log] = parts[..] else {
        panic!("bad spec {spec:?}");
    };
    std::thread::spawn(|| {
        std::thread::sleep(LIFETIME);
        std::process::exit(0);
    });
    let listener = TcpListener::bind(IMDS).expect("bind the fake IMDS");
    std::fs::write(ready, "ready").expect("ready file");
    // What is served, and how many connections have been served since it last changed.
    let (mut served, mut turn) = (String::new(), 0usize);
    for conn in listener.incoming().take(MAX_CONNECTIONS) {
        let Ok(mut conn) = conn else { continue };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
        let request = read_head(&mut conn);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("request log");
        let _ = writeln!(f, "{request}\n----");
        let asked = request.starts_with("GET /metadata/instance?api-version=2021-02-01 ")
            && request
                .to_ascii_lowercase()
                .contains("\r\nmetadata: true\r\n");
        let reply = if asked {
            let text = std::fs::read_to_string(body).expect("IMDS body");
            if text != served {
                (served, turn) = (text, 0);
            }
            // One part per connection, the last one repeating: a whole reply when it starts
            // with `HTTP/`, else a document served with 200.
            let parts: Vec<&str> = served.split(NEXT).collect();
            let part = parts[turn.min(parts.len() - 1)];
            turn += 1;
            if part.starts_with("HTTP/") {
                part.to_owned()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{part}",
                    part.len()
                )
            }
        } else {
            let body = r#"{"error":"Bad request. Required metadata header not specified"}"#;
            format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let _ = conn.write_all(reply.as_bytes());
    }
}

/// The request head, up to the empty line (or what came within the read timeout).
fn read_head(conn: &mut impl Read) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < 16 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The fake IMDS process; killed on drop (before the lab, which is declared earlier).
struct FakeImds {
    child: Child,
    body: PathBuf,
    log: PathBuf,
}

impl Drop for FakeImds {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FakeImds {
    /// Puts 169.254.169.254 on `subnet`'s loopback and starts the fake IMDS there.
    fn start(lab: &Lab, body: &str) -> FakeImds {
        lab.ip(&lab.subnet, "addr add 169.254.169.254/32 dev lo");
        let dir = lab.dir();
        let (ready, body_file, log) = (
            dir.join("imds.ready"),
            dir.join("imds.json"),
            dir.join("imds.log"),
        );
        std::fs::write(&body_file, body).unwrap();
        let spec = format!(
            "{};{};{}",
            ready.display(),
            body_file.display(),
            log.display()
        );
        let exe = std::env::current_exe().expect("the test binary");
        let child = lab
            .in_ns(&lab.subnet, exe)
            .args([
                "--exact",
                "fake_imds_entry",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(SPEC_VAR, spec)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("imds.err")).unwrap())
            .spawn()
            .expect("start the fake IMDS");
        let mut imds = FakeImds {
            child,
            body: body_file,
            log,
        };
        let start = Instant::now();
        while !ready.exists() {
            if let Ok(Some(status)) = imds.child.try_wait() {
                let err = std::fs::read_to_string(dir.join("imds.err")).unwrap_or_default();
                panic!("the fake IMDS exited ({status}): {err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "fake IMDS not ready"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        imds
    }

    fn serve(&self, body: &str) {
        std::fs::write(&self.body, body).unwrap();
    }

    fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn instance(location: &str, environment: &str) -> String {
    format!(
        r#"{{"compute":{{"name":"apim-probe-vm","location":"{location}","azEnvironment":"{environment}",
        "vmId":"00000000-0000-0000-0000-000000000001","subscriptionId":"sub-1","resourceGroupName":"rg-lab",
        "resourceId":"/subscriptions/sub-1/resourceGroups/rg-lab/providers/Microsoft.Compute/virtualMachines/apim-probe-vm"}},
        "network":{{"interface":[{{"ipv4":{{"ipAddress":[{{"privateIpAddress":"198.18.0.2","publicIpAddress":""}}],
        "subnet":[{{"address":"198.18.0.0","prefix":"24"}}]}}}}]}}}}"#
    )
}

fn hosts(report: &Value) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["host"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn imds_notices(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.contains("IMDS")).count()
}

const IMDS_ON: &[(&str, &str)] = &[("APIM_PROBE_NO_IMDS", "false")];

#[test]
fn imds_fills_cloud_and_region_and_its_absence_is_one_notice() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let (dns_svc, target) = (lab.service(Family::V4), lab.service(Family::V4));
    let mut zone = Zone::new();
    zone.host("westeurope.login.microsoft.com", &target)
        .host("login.microsoftonline.com", &target)
        .host("login.chinacloudapi.cn", &target);
    let dns = lab.start_dns(&dns_svc, &zone);
    let args = ["--only", "entra", "--timeout", "2s"];

    // No IMDS in `subnet` (no route to 169.254.169.254): one notice, the run goes on.
    let run = lab.check_json_env(dns, &args, IMDS_ON);
    assert_eq!(imds_notices(&run.stderr), 1, "{}", run.stderr);
    assert!(run.stderr.contains("not on an Azure VM"), "{}", run.stderr);
    assert!(
        run.report["host"].get("azure").is_none(),
        "{:#}",
        run.report["host"]
    );
    assert_eq!(run.report["settings"]["region"], Value::Null);
    assert!(
        hosts(&run.report).contains(&("{region}.login.microsoft.com".into(), "skipped".into())),
        "{:?}",
        hosts(&run.report)
    );
    assert!(run.elapsed < Duration::from_secs(20));

    // A fake IMDS on 169.254.169.254 inside `subnet`: region and cloud come from it.
    let imds = FakeImds::start(&lab, &instance("WestEurope", "AzurePublicCloud"));
    let run = lab.check_json_env(dns, &args, IMDS_ON);
    assert_eq!(imds_notices(&run.stderr), 0, "{}", run.stderr);
    assert_eq!(run.report["settings"]["region"], "westeurope");
    assert_eq!(run.report["settings"]["cloud"], "public");
    let found = hosts(&run.report);
    let regional = found
        .iter()
        .find(|(h, _)| h == "westeurope.login.microsoft.com")
        .unwrap_or_else(|| panic!("the regional host is filled from IMDS: {found:?}"));
    assert_ne!(regional.1, "skipped", "{found:?}");
    let azure = &run.report["host"]["azure"];
    assert_eq!(azure["name"], "apim-probe-vm");
    assert_eq!(azure["location"], "WestEurope");
    assert_eq!(azure["az_environment"], "AzurePublicCloud");
    assert_eq!(azure["resource_group_name"], "rg-lab");
    assert_eq!(azure["private_ips"], serde_json::json!(["198.18.0.2"]));
    assert_eq!(azure["subnets"], serde_json::json!(["198.18.0.0/24"]));
    let requests = imds.requests();
    assert!(
        requests.starts_with("GET /metadata/instance?api-version=2021-02-01 HTTP/1."),
        "{requests}"
    );
    assert!(requests.contains("\r\nMetadata: true\r\n"), "{requests}");

    // The cloud too; and what the user says wins over IMDS.
    imds.serve(&instance("ChinaEast2", "AzureChinaCloud"));
    let run = lab.check_json_env(dns, &args, IMDS_ON);
    assert_eq!(run.report["settings"]["cloud"], "china");
    assert_eq!(run.report["settings"]["region"], "chinaeast2");
    assert!(
        hosts(&run.report)
            .iter()
            .any(|(h, _)| h == "login.chinacloudapi.cn")
    );
    let mut given = args.to_vec();
    given.extend(["--cloud", "public", "--region", "northeurope"]);
    let run = lab.check_json_env(dns, &given, IMDS_ON);
    assert_eq!(run.report["settings"]["cloud"], "public");
    assert_eq!(run.report["settings"]["region"], "northeurope");
    assert_eq!(run.report["host"]["azure"]["location"], "ChinaEast2");

    // IMDS answering garbage: one notice saying it answered, the run goes on.
    imds.serve("<html>not IMDS</html>");
    let run = lab.check_json_env(dns, &args, IMDS_ON);
    assert_eq!(imds_notices(&run.stderr), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("IMDS answered but bad JSON")
            && !run.stderr.contains("not on an Azure VM"),
        "{}",
        run.stderr
    );
    assert!(run.report["host"].get("azure").is_none());
    drop(imds);
}

#[test]
fn a_busy_imds_is_asked_once_more_and_never_taken_for_the_absence_of_azure() {
    let Some(mut lab) = Lab::start() else {
        return;
    };
    let (dns_svc, target) = (lab.service(Family::V4), lab.service(Family::V4));
    let mut zone = Zone::new();
    zone.host("westeurope.login.microsoft.com", &target)
        .host("login.microsoftonline.com", &target);
    let dns = lab.start_dns(&dns_svc, &zone);
    let args = ["--only", "entra", "--timeout", "2s"];

    // Busy once: the retry gets the document; no notice.
    let doc = instance("WestEurope", "AzurePublicCloud");
    let imds = FakeImds::start(&lab, &format!("{BUSY}{NEXT}{doc}"));
    let run = lab.check_json_env(dns, &args, IMDS_ON);
    assert_eq!(imds_notices(&run.stderr), 0, "{}", run.stderr);
    assert_eq!(run.report["settings"]["region"], "westeurope");
    assert_eq!(run.report["host"]["azure"]["name"], "apim-probe-vm");
    assert_eq!(imds.requests().matches("\n----").count(), 2);

    // Busy twice: IMDS answered, and the notice says so (not "not on an Azure VM").
    imds.serve(BUSY);
    let run = lab.check_json_env(dns, &args, IMDS_ON);
    assert_eq!(imds_notices(&run.stderr), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("apim-probe: IMDS answered but HTTP 503 Service Unavailable, twice;"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not on an Azure VM"), "{}", run.stderr);
    assert_eq!(
        imds.requests().matches("\n----").count(),
        4,
        "one retry, no more"
    );
    assert_eq!(run.report["settings"]["region"], Value::Null);
    drop(imds);
}
