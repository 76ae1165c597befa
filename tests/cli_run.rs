//! The command line end to end on loopback, around the probes themselves: each DNS server asked
//! over UDP and TCP on its own, SIGINT printing the partial report (exit 130), the whole-run
//! `--deadline`, and a tiny open-file limit that slows the run but loses nothing.

mod common;

use common::support;

use std::net::TcpListener;

use support::{Answer, DnsResponder, catalog, check_json, closed_port, result, row};

const DNS_ROW: &str = r#"
[[dependency]]
id = "dns"
purpose = "DNS"
direction = "outbound"
source = "VirtualNetwork"
destination = "DNS servers"
required = true
platforms = ["stv2"]
vnet = ["external", "internal"]
transport = ["udp", "tcp"]
ports = [53]
check = "dns"
hosts = ["{dns_server}"]
reference = "test"
"#;

#[test]
fn each_dns_server_is_asked_over_udp_and_tcp_on_its_own() {
    let dns = DnsResponder::start(&[(
        "login.microsoftonline.com",
        Answer::A("127.0.0.1".parse().unwrap()),
    )]);
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, cat) = catalog(&[DNS_ROW.to_owned()]);
    let silent = format!("127.0.0.1:{closed}");
    let (code, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        &dns.addr.to_string(),
        "--dns-server",
        &silent,
        "--timeout",
        "1s",
    ]);
    assert_eq!(
        code, 1,
        "the responder has no TCP and the second server is closed"
    );
    let checks = report["dns"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4, "{checks:?}");
    let find = |server: &str, t: &str| {
        checks
            .iter()
            .find(|c| c["server"] == server && c["transport"] == t)
            .unwrap()
    };
    let udp = find(&dns.addr.to_string(), "udp");
    assert_eq!(udp["status"], "ok");
    assert!(
        udp["rcode"].as_str().unwrap().starts_with("NOERROR"),
        "{udp}"
    );
    assert_eq!(find(&dns.addr.to_string(), "tcp")["status"], "refused");
    let closed_udp = find(&silent, "udp");
    assert_eq!(
        closed_udp["status"], "refused",
        "ICMP port unreachable on a connected socket: {closed_udp}"
    );
    assert!(
        closed_udp["detail"]
            .as_str()
            .unwrap()
            .contains("port unreachable")
    );
}

#[test]
fn sigint_prints_the_partial_report_and_exits_130() {
    // A listener that accepts and never speaks: the TLS probe waits for its whole timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let waiting =
        row("waiting", true, "127.0.0.1", port).replace("check = \"tcp\"", "check = \"tls\"");
    let (_dir, cat) = catalog(&[waiting, row("fast", true, "127.0.0.1", closed_port())]);
    let bin_path = assert_cmd::cargo::cargo_bin("apim-probe");
    let child = std::process::Command::new(bin_path)
        .env("APIM_PROBE_NO_IMDS", "true")
        .args([
            "check",
            "-o",
            "json",
            "--timeout",
            "30s",
            "--dns-server",
            "127.0.0.1:9",
            "--catalog",
            cat.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when the TLS probe's ClientHello arrives: the run (and its signal handler) is up, and
    // the closed port, probed alongside, was refused at once.
    let (tx, rx) = std::sync::mpsc::channel();
    let listener = silent.try_clone().unwrap();
    std::thread::spawn(move || tx.send(listener.accept().map(|(s, _)| s)));
    let mut accepted = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the probe connects within 10 s")
        .unwrap();
    accepted
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut hello = [0u8; 5];
    std::io::Read::read_exact(&mut accepted, &mut hello).expect("a ClientHello within 10 s");
    assert_eq!(hello[0], 0x16, "a TLS handshake record");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(
        result(&report, "fast")["status"],
        "refused",
        "finished probes are kept"
    );
    let waiting = result(&report, "waiting");
    assert_eq!(waiting["status"], "skipped");
    assert!(waiting["detail"].as_str().unwrap().contains("interrupted"));
    drop((accepted, silent));
}

#[test]
fn the_whole_run_deadline_turns_unfinished_probes_into_timeouts() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let waiting =
        row("waiting", true, "127.0.0.1", port).replace("check = \"tcp\"", "check = \"tls\"");
    let (_dir, cat) = catalog(&[waiting, row("fast", false, "127.0.0.1", closed_port())]);
    let args = [
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        "127.0.0.1:9",
        "--timeout",
        "30s",
        "--deadline",
        "500ms",
    ];
    let (code, report) = check_json(&args);
    assert_eq!(code, 1, "a required probe did not finish");
    assert_eq!(report["interrupted"], false);
    let w = result(&report, "waiting");
    assert_eq!(w["status"], "timeout");
    assert!(
        w["detail"]
            .as_str()
            .unwrap()
            .contains("--deadline of 500ms"),
        "{w}"
    );
    assert_eq!(result(&report, "fast")["status"], "refused");
}

#[test]
fn a_tiny_open_file_limit_slows_the_run_but_loses_and_misreports_nothing() {
    // 1,000 probes of 127.0.0.1:21000-21999 under `ulimit -n 64`: two ports listen, the rest are closed.
    let open: Vec<TcpListener> = [21_100u16, 21_900]
        .iter()
        .filter_map(|p| TcpListener::bind(("127.0.0.1", *p)).ok())
        .collect();
    let open_ports: Vec<u16> = open
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let rows =
        row("range", true, "127.0.0.1", 1).replace("ports = [1]", "ports = [\"21000-21999\"]");
    let (_dir, cat) = catalog(&[rows]);
    let bin = assert_cmd::cargo::cargo_bin("apim-probe");
    let script = format!(
        "ulimit -n 64 && exec '{}' check -o json --catalog '{}' --dns-server 127.0.0.1:9 --timeout 5s",
        bin.display(),
        cat.display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .env("APIM_PROBE_NO_IMDS", "true")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    for r in results {
        let port = u16::try_from(r["port"].as_u64().unwrap()).unwrap();
        let want = if open_ports.contains(&port) {
            "ok"
        } else {
            "refused"
        };
        assert_eq!(r["status"], want, "{r}");
    }
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "concurrency"
                && w["message"].as_str().unwrap().contains("open-file limit")),
        "{}",
        report["warnings"]
    );
}

#[test]
fn a_report_file_that_fails_after_the_probes_ran_loses_nothing() {
    // A silent listener holds a TLS probe for up to 2 s; its folder is deleted meanwhile, so the
    // report file (checked writable before probing) cannot be written at the end.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let waiting =
        row("waiting", true, "127.0.0.1", port).replace("check = \"tcp\"", "check = \"tls\"");
    let (_dir, cat) = catalog(&[waiting, row("fast", true, "127.0.0.1", closed_port())]);
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("later").join("report.json");
    std::fs::create_dir(target.parent().unwrap()).unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("apim-probe"))
        .env("APIM_PROBE_NO_IMDS", "true")
        .args(["check", "-o", "compact", "--timeout", "2s"])
        .args([
            "--dns-server",
            "127.0.0.1:9",
            "--catalog",
            cat.to_str().unwrap(),
        ])
        .arg("--report-file")
        .arg(&target)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Ready when the TLS probe connects: the writability check has passed.
    let (tx, rx) = std::sync::mpsc::channel();
    let listener = silent.try_clone().unwrap();
    std::thread::spawn(move || tx.send(listener.accept().map(|(s, _)| s)));
    let accepted = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the probe connects within 10 s")
        .unwrap();
    std::fs::remove_dir_all(target.parent().unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The verdict's code (a required failure), not 2 ("nothing probed").
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.lines().last().unwrap().starts_with("VERDICT: FAIL"),
        "{stdout}"
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(&target.display().to_string()),
        "{stderr}"
    );
    drop((accepted, silent));
}

#[test]
fn a_dns_server_that_sends_our_query_back_is_not_a_dns_server() {
    let echo = DnsResponder::start(&[("login.microsoftonline.com", Answer::Echo)]);
    let (_dir, cat) = catalog(&[DNS_ROW.to_owned()]);
    let (_, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        &echo.addr.to_string(),
        "--timeout",
        "1s",
        "--only",
        "dns",
    ]);
    let udp = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["transport"] == "udp")
        .unwrap();
    assert_eq!(udp["status"], "protocol_error", "{udp:#}");
    assert!(
        udp["detail"]
            .as_str()
            .unwrap()
            .contains("echo or reflector"),
        "{udp:#}"
    );
    assert_eq!(udp["facts"]["dns"]["failure"], "not_dns", "{udp:#}");
}
