//! The command line end to end on loopback: exit codes, placeholders, statuses that need no lab
//! (open, refused, DNS failures from a local responder), report file, table verdict.

mod support;

use std::net::TcpListener;

use support::{Answer, DnsResponder, bin, catalog, check_json, closed_port, row};
use test_case::test_case;

fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result {id}"))
}

#[test]
fn open_port_is_ok_and_exit_0() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dns = DnsResponder::start(&[("open.test", Answer::A("127.0.0.1".parse().unwrap()))]);
    let (_dir, cat) = catalog(&[row("open", true, "open.test", port)]);
    let (code, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        &dns.addr.to_string(),
    ]);
    assert_eq!(code, 0);
    let r = result(&report, "open");
    assert_eq!(r["status"], "ok");
    assert_eq!(r["peer"], format!("127.0.0.1:{port}"));
    assert_eq!(r["addresses"][0], "127.0.0.1");
    assert!(r["timings_ms"]["connect"].is_number());
    assert!(r["timings_ms"]["dns"].is_number());
    assert_eq!(report["schema"], "apim-probe/report/v1");
    assert_eq!(report["summary"]["ok"], 1);
    assert_eq!(report["dns"]["servers"][0], dns.addr.to_string());
}

#[test]
fn closed_port_is_refused_and_exit_1() {
    let (_dir, cat) = catalog(&[row("closed", true, "127.0.0.1", closed_port())]);
    let (code, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        "127.0.0.1:9",
    ]);
    assert_eq!(code, 1);
    let r = result(&report, "closed");
    assert_eq!(r["status"], "refused");
    assert!(r["detail"].as_str().unwrap().contains("reset"), "{r}");
    assert!(r["hint"].as_str().unwrap().contains("TestTag"), "{r}");
    assert_eq!(report["summary"]["failed_required"], 1);
}

#[test_case("missing.test", Answer::NxDomain, "NXDOMAIN"; "nxdomain")]
#[test_case("broken.test", Answer::ServFail, "SERVFAIL"; "servfail")]
#[test_case("silent.test", Answer::Silent, "no DNS answer"; "no answer")]
fn dns_failures_are_told_apart(name: &str, answer: Answer, words: &str) {
    let dns = DnsResponder::start(&[(name, answer)]);
    let (_dir, cat) = catalog(&[row("named", true, name, 443)]);
    let server = dns.addr.to_string();
    let (code, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        &server,
        "--timeout",
        "1s",
    ]);
    assert_eq!(code, 1);
    let r = result(&report, "named");
    assert_eq!(r["status"], "dns_failed");
    let detail = r["detail"].as_str().unwrap();
    assert!(detail.contains(words), "{detail}");
    assert!(
        detail.contains(&server),
        "the detail names the server asked: {detail}"
    );
}

#[test]
fn strict_counts_optional_failures() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let rows = [
        row("needed", true, "127.0.0.1", open),
        row("nice", false, "127.0.0.1", closed_port()),
    ];
    let (_dir, cat) = catalog(&rows);
    let args = [
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        "127.0.0.1:9",
    ];
    let (code, report) = check_json(&args);
    assert_eq!(
        (
            code,
            report["summary"]["failed"].as_u64(),
            report["summary"]["failed_required"].as_u64()
        ),
        (0, Some(1), Some(0))
    );
    let (code, _) = check_json(&[&args[..], &["--strict"]].concat());
    assert_eq!(code, 1);
}

#[test]
fn results_keep_catalog_order() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let rows: Vec<String> = (0..20)
        .map(|i| {
            row(
                &format!("r{i:02}"),
                i % 2 == 0,
                "127.0.0.1",
                if i % 3 == 0 { closed_port() } else { open },
            )
        })
        .collect();
    let (_dir, cat) = catalog(&rows);
    let (_, report) = check_json(&[
        "--catalog",
        cat.to_str().unwrap(),
        "--dns-server",
        "127.0.0.1:9",
        "--concurrency",
        "3",
    ]);
    let ids: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..20).map(|i| format!("r{i:02}")).collect();
    assert_eq!(ids, want);
}

#[test]
fn table_ends_with_the_verdict_and_report_file_has_the_json() {
    let (_dir, cat) = catalog(&[row("closed", true, "127.0.0.1", closed_port())]);
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("report.json");
    let out = bin()
        .args([
            "check",
            "--catalog",
            cat.to_str().unwrap(),
            "--dns-server",
            "127.0.0.1:9",
            "--report-file",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("VERDICT: FAIL"), "{last}");
    assert!(last.contains("closed"), "{last}");
    assert!(text.contains("hint:"), "{text}");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["results"][0]["status"], "refused");
}

#[test]
fn set_fills_a_placeholder_and_unfilled_is_skipped_with_the_key() {
    let out = bin()
        .args([
            "list",
            "-o",
            "json",
            "--dns-server",
            "127.0.0.1",
            "--set",
            "sql_server=mysql1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let probes = plan["probes"].as_array().unwrap();
    let sql = probes.iter().find(|p| p["id"] == "sql").unwrap();
    assert_eq!(sql["host"], "mysql1.database.windows.net");
    assert!(sql["skip"].is_null());
    let kv = probes.iter().find(|p| p["id"] == "key-vault").unwrap();
    assert!(
        kv["skip"].as_str().unwrap().contains("--set key_vault="),
        "{kv}"
    );
    assert_eq!(
        kv["host"], "{key_vault}.vault.azure.net",
        "the template is shown, never a made-up host"
    );

    // `check` reports the same skip without probing anything (only unfilled rows selected).
    let (code, report) = check_json(&["--only", "key-vault", "--dns-server", "127.0.0.1:9"]);
    assert_eq!(code, 0);
    let r = result(&report, "key-vault");
    assert_eq!(r["status"], "skipped");
    assert!(r["detail"].as_str().unwrap().contains("--set key_vault="));
}

#[test_case(&["check", "--timeout", "5x"], "--timeout"; "bad timeout")]
#[test_case(&["check", "--dns-server", "nope"], "--dns-server"; "bad dns server")]
#[test_case(&["check", "--set", "sql_server"], "KEY=VALUE"; "set without value")]
#[test_case(&["check", "--set", "nothing_uses_me=x"], "nothing_uses_me"; "unknown set key")]
#[test_case(&["check", "--only", "no-such-id"], "no-such-id"; "unknown only id")]
#[test_case(&["list", "--skip", "no-such-id"], "no-such-id"; "unknown skip id")]
#[test_case(&["check", "--region", "West Europe"], "westeurope"; "bad region")]
#[test_case(&["check", "--platform", "stv3"], "stv3"; "bad platform")]
#[test_case(&["check", "--catalog", "/nonexistent/catalog.toml"], "/nonexistent/catalog.toml"; "missing catalog")]
#[test_case(&["check", "--concurrency", "0"], "--concurrency"; "zero concurrency")]
#[test_case(&["check", "--report-file", "/nonexistent/dir/r.json"], "--report-file"; "unwritable report file")]
#[test_case(&["frobnicate"], "frobnicate"; "unknown command")]
fn usage_errors_exit_2_and_name_the_option(args: &[&str], names: &str) {
    let out = bin().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(names), "{args:?}: {err}");
    assert!(
        out.stdout.is_empty(),
        "nothing probed, nothing printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn help_teaches_and_exits_0() {
    let out = bin().args(["check", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--set",
        "--dns-server",
        "--strict",
        "Exit codes",
        "apim-probe check --region westeurope",
    ] {
        assert!(text.contains(needle), "help lacks {needle}");
    }
    assert_eq!(
        bin().arg("--version").output().unwrap().status.code(),
        Some(0)
    );
}

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
    std::thread::sleep(std::time::Duration::from_millis(700));
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
    drop(silent);
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
            .any(|w| w.as_str().unwrap().contains("open-file limit")),
        "{}",
        report["warnings"]
    );
}
