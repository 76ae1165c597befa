//! `apim-probe watch` on loopback: the HTTP surface (`/metrics` accepted by `promtool check
//! metrics`, `/report`, `/healthz`, only GET), the transitions log (exactly the rows whose status
//! changed), overruns said in the log, a clean stop on SIGTERM, usage errors, hostile HTTP clients
//! that cannot stall the probing loop, and the systemd unit through `systemd-analyze verify`.
//! Prometheus scraping it in the network lab is `lab_watch.rs`.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apim_probe::report::metrics::{Round, render};
use apim_probe::report::model::{Cause, Report};
use common::agent::{Agent, http, http_get};
use common::support::{catalog, closed_port, row, row_of};

const BOUND: Duration = Duration::from_secs(30);

/// `promtool check metrics` on `text`; false after a loud skip when promtool is missing.
fn promtool_accepts(text: &str) -> bool {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        common::prereq::missing(
            "PROMETHEUS",
            "promtool not found (apt-get install -y prometheus)",
        );
        return false;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}\n{}{}\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

#[test]
fn serves_metrics_that_promtool_accepts_the_report_and_health_then_stops_on_sigterm() {
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let open_port = open.local_addr().unwrap().port();
    let (_dir, cat) = catalog(&[
        row("open", true, "127.0.0.1", open_port),
        row("closed", false, "127.0.0.1", closed_port()),
    ]);
    let agent = Agent::start(
        Agent::binary(),
        &[
            "--catalog",
            cat.to_str().unwrap(),
            "--every",
            "1s",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let addr = agent.listening();
    agent.wait_for("a healthy agent", BOUND, || {
        http_get(addr, "/healthz").ok().filter(|(c, _)| *c == 200)
    });
    let (code, metrics) = http_get(addr, "/metrics").unwrap();
    assert_eq!(code, 200);
    let up = |id: &str, v: u8| {
        format!(
            "apim_probe_up{{id=\"{id}\",host=\"127.0.0.1\",port=\"{}\",transport=\"tcp\",check=\"tcp\",required=\"{}\",service_tag=\"TestTag\"}} {v}\n",
            if id == "open" {
                open_port.to_string()
            } else {
                String::new()
            },
            id == "open"
        )
    };
    assert!(metrics.contains(&up("open", 1)), "{metrics}");
    assert!(
        metrics.contains("apim_probe_up{id=\"closed\","),
        "{metrics}"
    );
    assert!(metrics.contains("status=\"refused\"} 1\n"), "{metrics}");
    assert!(
        metrics.contains("apim_probe_failed_required 0\n"),
        "{metrics}"
    );
    promtool_accepts(&metrics);

    let (code, report) = http_get(addr, "/report").unwrap();
    assert_eq!(code, 200);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["results"].as_array().unwrap().len(), 2);
    let (code, _) = http(
        addr,
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(code, 405);
    assert_eq!(http_get(addr, "/nothing").unwrap().0, 404);

    let status = agent.stop("TERM");
    assert_eq!(status.code(), Some(0), "a stop by signal is the normal end");
}

#[test]
fn the_exposition_with_causes_passes_promtool() {
    let mut report: Report =
        serde_json::from_str(include_str!("fixtures/report-sample.json")).unwrap();
    report.diagnosis = vec![Cause {
        cause: "dns_unreachable".into(),
        summary: "DNS server 10.0.0.4 \"corp\\dns\" did not answer\nover UDP".into(),
        explains: vec![1, 2],
        evidence: String::new(),
        fix: String::new(),
        fixes: Vec::new(),
    }];
    let text = render(Some(Round {
        report: &report,
        finished_unix: 1_800_000_000.25,
    }));
    assert!(text.contains(
        "apim_probe_cause{cause=\"dns_unreachable\",summary=\"DNS server 10.0.0.4 \\\"corp\\\\dns\\\" did not answer\\nover UDP\"} 1\n"
    ));
    promtool_accepts(&text);
}

#[test]
fn the_log_records_exactly_the_rows_whose_status_changed() {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpListener::bind("127.0.0.1:0").unwrap();
    let b_port = closed_port();
    let port = |l: &TcpListener| l.local_addr().unwrap().port();
    let (_dir, cat) = catalog(&[
        row("a", true, "127.0.0.1", port(&a)),
        row("b", true, "127.0.0.1", b_port),
        row("c", true, "127.0.0.1", port(&c)),
        row("d", false, "127.0.0.1", closed_port()),
    ]);
    let agent = Agent::start(
        Agent::binary(),
        &["--catalog", cat.to_str().unwrap(), "--every", "1s"],
    );
    agent.wait_for("the first run's rows", BOUND, || {
        (agent.row_changes().len() == 4).then_some(())
    });
    let first = agent.row_changes();
    assert!(first.iter().all(|(_, from, _)| from == "-"), "{first:?}");
    // a closes, b opens; c stays open and d closed.
    drop(a);
    let _b = TcpListener::bind(("127.0.0.1", b_port)).expect("b's port is still free");
    agent.wait_for("both changes", BOUND, || {
        (agent.row_changes().len() >= 6).then_some(())
    });
    agent.wait_runs(2, BOUND);
    let mut later = agent.row_changes().split_off(4);
    later.sort();
    let own = |x: &str| x.to_owned();
    assert_eq!(
        later,
        [
            (own("a"), own("ok"), own("refused")),
            (own("b"), own("refused"), own("ok"))
        ]
    );
    let line = agent
        .events()
        .into_iter()
        .find(|e| e["event"] == "row" && e["from"] == "ok")
        .unwrap();
    assert_eq!(line["row"]["host"], "127.0.0.1");
    assert_eq!(line["row"]["transport"], "tcp");
    assert!(line["time"].as_str().unwrap().ends_with('Z'));
    assert!(
        line["detail"].as_str().unwrap().contains("refused"),
        "{line}"
    );
}

#[test]
fn a_run_longer_than_every_delays_the_next_and_says_so() {
    // Accepts and never answers: the TLS probe waits out its 1.5 s timeout, every 1 s.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (_dir, cat) = catalog(&[row_of("slow", true, "127.0.0.1", port, "tcp", "tls")]);
    let agent = Agent::start(
        Agent::binary(),
        &[
            "--catalog",
            cat.to_str().unwrap(),
            "--every",
            "1s",
            "--timeout",
            "1.5s",
        ],
    );
    let overrun = agent.wait_for("an overrun line", BOUND, || {
        agent.events().into_iter().find(|e| e["event"] == "overrun")
    });
    let detail = overrun["detail"].as_str().unwrap();
    assert!(detail.contains("longer than --every 1s"), "{detail}");
}

#[test]
fn usage_errors_exit_2_naming_the_option() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["--every", "0s"], "--every 0s"),
        (vec!["--every", "2d"], "--every 2d"),
        (vec!["--listen", "localhost"], "--listen localhost"),
        (vec!["--listen", &addr], "--listen"),
        (vec!["--log", dir.path().to_str().unwrap()], "--log"),
    ] {
        let out = common::support::bin()
            .arg("watch")
            .args(["--only", "nothing-matters-here"])
            .args(&args)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// Opens `n` connections that send a request head one byte every 300 ms; each thread says
/// whether the server closed its connection before `hold` was over.
fn slowloris(addr: SocketAddr, n: usize, hold: Duration) -> Vec<std::thread::JoinHandle<bool>> {
    (0..n)
        .map(|_| {
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(addr) else {
                    return true;
                };
                let start = Instant::now();
                let head = b"GET /metrics HTTP/1.1\r\nX-Slow: ";
                if s.write_all(head).is_err() {
                    return true;
                }
                s.set_read_timeout(Some(Duration::from_millis(300)))
                    .unwrap();
                while start.elapsed() < hold {
                    let mut buf = [0u8; 256];
                    match s.read(&mut buf) {
                        Ok(0) => return true, // closed by the server
                        Ok(_) => {}           // an error answer (408); the close follows
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return true, // reset by the server
                    }
                    if s.write_all(b"a").is_err() {
                        return true;
                    }
                }
                false
            })
        })
        .collect()
}

#[test]
fn hostile_http_clients_cannot_stall_the_probing_loop() {
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let (_dir, cat) = catalog(&[row(
        "open",
        true,
        "127.0.0.1",
        open.local_addr().unwrap().port(),
    )]);
    let agent = Agent::start(
        Agent::binary(),
        &[
            "--catalog",
            cat.to_str().unwrap(),
            "--every",
            "1s",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let addr = agent.listening();
    agent.wait_runs(1, BOUND);
    let hold = Duration::from_secs(15);
    // More slow clients than the server has connection slots (32).
    let slow = slowloris(addr, 40, hold);
    // A head far over 8 KiB, garbage, a client that asks and never reads, one that sends nothing.
    let huge = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head = b"GET /metrics HTTP/1.1\r\nX-Big: ".to_vec();
        head.resize(1 << 20, b'a');
        let _ = s.write_all(&head);
        let mut answer = String::new();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.read_to_string(&mut answer);
        answer
    });
    let garbage = http(addr, "\u{1}\u{2}\u{3} not http at all\r\n\r\n");
    let idle: Vec<TcpStream> = (0..4)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    let mut never_reads = TcpStream::connect(addr).unwrap();
    never_reads
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();

    // The probing loop keeps its pace meanwhile: three more runs at --every 1s, long before the
    // slow clients give up.
    let start = Instant::now();
    agent.wait_runs(3, hold);
    let overlapped = start.elapsed() < hold;
    assert!(
        overlapped,
        "the runs did not happen while the clients were there"
    );

    let closed: Vec<bool> = slow.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        closed.iter().all(|c| *c),
        "the server kept {} slow clients past {hold:?}",
        closed.iter().filter(|c| !**c).count()
    );
    let huge = huge.join().unwrap();
    assert!(!huge.contains(" 200 "), "a 1 MiB head was answered: {huge}");
    assert!(!matches!(garbage, Ok((200, _))), "garbage answered 200");
    drop((idle, never_reads));
    // Scrapes are served again once the slow clients are gone.
    agent.wait_for("a scrape answered", BOUND, || {
        http_get(addr, "/metrics").ok().filter(|(c, _)| *c == 200)
    });
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    common::watch_unit::verify(
        &repo.join("packaging/systemd/apim-probe-watch.service"),
        std::path::Path::new(env!("CARGO_BIN_EXE_apim-probe")),
    );
}
