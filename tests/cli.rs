//! The command line end to end on loopback: exit codes, placeholders, statuses that need no lab
//! (open, refused, DNS failures from a local responder), report file, table verdict, usage errors
//! and help. How a run ends (SIGINT, `--deadline`, a tiny open-file limit) and the per-server DNS
//! checks are in `cli_run.rs`.

mod common;

use common::support;

use std::net::TcpListener;

use support::{Answer, DnsResponder, bin, catalog, check_json, closed_port, result, row};
use test_case::test_case;

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
