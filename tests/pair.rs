//! Pair mode on loopback: the real `listen` and `check --peer` binaries on 127.0.0.1 — proven
//! ports, a wrong token, a server that is not ours, the peer log, the options' errors — and a
//! hostile client (garbage, floods of unauthenticated UDP, idle connections, replays) that must
//! neither get answers nor make the listener grow. The network paths with an NSG in between are
//! in `lab_pair.rs`.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use apim_probe::catalog::vocabulary::Transport;
use apim_probe::pair::Token;
use apim_probe::pair::auth;
use common::listener::{Listener, TOKEN, free_port, peer_catalog, read_log, rss_and_threads};
use common::support::{bin, check_json};
use serde_json::Value;

/// `check -o json --catalog <peer rows> --peer 127.0.0.1 --token TOKEN <extra…>`.
fn check_peer(catalog: &std::path::Path, token: &str, extra: &[&str]) -> (i32, Value) {
    let catalog = catalog.to_str().unwrap();
    let mut args = vec![
        "--catalog",
        catalog,
        "--peer",
        "127.0.0.1",
        "--token",
        token,
        "--timeout",
        "2s",
    ];
    args.extend_from_slice(extra);
    check_json(&args)
}

fn rows(report: &Value) -> Vec<&Value> {
    report["results"].as_array().unwrap().iter().collect()
}

fn show(report: &Value) {
    for r in rows(report) {
        eprintln!(
            "{} {} {}: {}",
            r["port"], r["transport"], r["status"], r["detail"]
        );
    }
}

#[test]
fn every_port_of_our_listener_is_proven_and_the_log_names_each_challenge() {
    let (tcp, udp) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let catalog = peer_catalog(dir.path(), &[tcp], &[udp]);
    let ports = format!("{tcp}/tcp,{udp}/udp");
    let l = Listener::start(TOKEN, 2, &["--ports", &ports]);
    let log = l.log.to_str().unwrap().to_owned();
    let (code, report) = check_peer(&catalog, TOKEN, &["--peer-log", &log]);
    show(&report);
    assert_eq!(code, 0);
    for r in rows(&report) {
        assert_eq!(r["status"], "ok", "{r:#}");
        assert_eq!(r["check"], "peer");
        assert_eq!(r["facts"]["pair"]["answer"], "proof");
        let logged = &r["facts"]["pair"]["listener_log"];
        assert_eq!(logged["arrived"], true, "{r:#}");
        assert_eq!(logged["handling"], "answered");
    }
    // The listener logged each challenge with the nonce the report carries.
    let nonces: Vec<&Value> = rows(&report)
        .iter()
        .map(|r| &r["facts"]["pair"]["nonce"])
        .collect();
    let probes = l.probes();
    assert_eq!(probes.len(), 2, "{probes:?}");
    for p in &probes {
        assert_eq!(p["authenticated"], true);
        assert!(nonces.contains(&&p["nonce"]), "{p} not in {nonces:?}");
        assert!(p["from"].as_str().unwrap().starts_with("127.0.0.1:"));
    }
    // The token never reaches the report.
    let line = report["settings"]["command_line"].as_str().unwrap();
    assert!(!line.contains(TOKEN), "{line}");
}

#[test]
fn a_wrong_token_is_named_on_tcp_and_never_answered_on_udp() {
    let (tcp, udp) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let catalog = peer_catalog(dir.path(), &[tcp], &[udp]);
    let ports = format!("{tcp}/tcp,{udp}/udp");
    let l = Listener::start(TOKEN, 2, &["--ports", &ports]);
    let (code, report) = check_peer(&catalog, "another-token-of-another-pair", &[]);
    show(&report);
    assert_eq!(code, 0, "peer rows are optional");
    let r = &rows(&report)[0];
    assert_eq!(r["status"], "error");
    assert!(
        r["detail"].as_str().unwrap().starts_with("wrong token"),
        "{r:#}"
    );
    assert_eq!(r["facts"]["pair"]["answer"], "bad_mac");
    let u = &rows(&report)[1];
    assert_eq!(
        u["status"], "timeout",
        "UDP gets no answer without the token"
    );
    let probes = l.probes();
    assert!(
        probes
            .iter()
            .all(|p| p["verdict"] == "bad_mac" && p["authenticated"] == false),
        "{probes:?}"
    );
}

#[test]
fn a_server_that_is_not_ours_is_a_protocol_error_and_a_closed_port_refused() {
    let (other, closed, udp) = (free_port(), free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let catalog = peer_catalog(dir.path(), &[other, closed], &[udp]);
    // A plain server that answers anything with a line (as Redis answers a stranger).
    let server = TcpListener::bind(("127.0.0.1", other)).unwrap();
    let thread = std::thread::spawn(move || {
        if let Ok((mut c, _)) = server.accept() {
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 64];
            let _ = c.read(&mut buf);
            let _ = c.write_all(b"-ERR unknown command\r\n");
            let _ = c.shutdown(Shutdown::Write);
        }
    });
    let (_, report) = check_peer(&catalog, TOKEN, &[]);
    show(&report);
    thread.join().unwrap();
    let r = rows(&report);
    assert_eq!(r[0]["status"], "protocol_error", "{:#}", r[0]);
    assert!(
        r[0]["detail"]
            .as_str()
            .unwrap()
            .contains("not our listener")
    );
    assert_eq!(
        r[0]["facts"]["first_bytes_hex"],
        "2d 45 52 52 20 75 6e 6b 6e 6f 77 6e 20 63 6f 6d …"
    );
    assert_eq!(r[1]["status"], "refused", "{:#}", r[1]);
    assert!(
        r[1]["detail"]
            .as_str()
            .unwrap()
            .contains("apim-probe listen")
    );
    assert_eq!(
        r[2]["status"], "refused",
        "ICMP port unreachable on loopback: {:#}",
        r[2]
    );
}

#[test]
fn a_hostile_client_gets_no_answer_and_the_listener_stays_bounded() {
    let (tcp, udp) = (free_port(), free_port());
    let ports = format!("{tcp}/tcp,{udp}/udp");
    let mut l = Listener::start(TOKEN, 2, &["--ports", &ports]);
    let (rss0, threads0) = rss_and_threads(l.pid());

    // UDP: garbage of every size, well-formed challenges under another token, and one valid
    // challenge replayed: only its first copy is answered.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(("127.0.0.1", udp)).unwrap();
    let token = Token::new(TOKEN.as_bytes()).unwrap();
    let wrong = Token::new(b"not the pair's token at all").unwrap();
    let valid = auth::challenge(&token, udp, Transport::Udp, [9; 16]);
    sock.send(&valid).unwrap();
    for i in 0..20_000u32 {
        let garbage = vec![u8::try_from(i % 251).unwrap(); usize::try_from(i % 1400).unwrap()];
        let _ = sock.send(&garbage);
        if i % 10 == 0 {
            let nonce = [u8::try_from(i % 256).unwrap(); 16];
            let _ = sock.send(&auth::challenge(&wrong, udp, Transport::Udp, nonce));
            let _ = sock.send(&valid);
        }
    }
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut answers = 0;
    let mut buf = [0u8; 2048];
    for _ in 0..10_000 {
        match sock.recv(&mut buf) {
            Ok(n) => {
                answers += 1;
                assert!(n <= valid.len(), "an answer larger than the request");
            }
            Err(_) => break,
        }
    }
    assert_eq!(answers, 1, "only the first valid challenge is answered");

    // TCP: garbage gets nothing back; 100 idle connections (more than it serves at once).
    for i in 0..200u32 {
        let mut c = TcpStream::connect(("127.0.0.1", tcp)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = c.write_all(&vec![b'x'; usize::try_from(1 + i * 7).unwrap()]);
        let mut got = Vec::new();
        let _ = c.read_to_end(&mut got);
        assert!(got.is_empty(), "garbage was answered: {got:?}");
    }
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", tcp)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (rss1, threads1) = rss_and_threads(l.pid());
    drop(idle);

    eprintln!("listener: VmRSS {rss0} kB → {rss1} kB, threads {threads0} → {threads1}");
    assert_eq!(threads1, threads0, "the listener started threads");
    assert!(
        rss1 < rss0 + 8 * 1024,
        "the listener grew from {rss0} kB to {rss1} kB"
    );
    // It still proves its ports to the holder of the token.
    let dir = tempfile::tempdir().unwrap();
    let catalog = peer_catalog(dir.path(), &[tcp], &[udp]);
    let (code, report) = check_peer(&catalog, TOKEN, &[]);
    show(&report);
    assert_eq!(code, 0);
    assert!(rows(&report).iter().all(|r| r["status"] == "ok"));

    assert_eq!(l.stop(), 0, "SIGTERM is a normal end");
    let lines = read_log(&l.log);
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary", "{summary}");
    assert_eq!(summary["ended"], "signal");
    // The kernel drops what the socket's buffer cannot hold; thousands still reach the listener.
    assert!(summary["probes"].as_u64().unwrap() > 1_000, "{summary}");
    assert!(summary["not_logged"].as_u64().unwrap() > 0, "{summary}");
    assert!(
        lines.len() < 2_000,
        "the log must not grow with a flood: {} lines",
        lines.len()
    );
}

#[test]
fn listen_needs_a_token_and_bounded_ports() {
    let no_token = bin().args(["listen", "--for", "1s"]).output().unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("listen needs the pair's token"));
    let short = bin().args(["listen", "--token", "short"]).output().unwrap();
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 16"));
    let many = bin()
        .args(["listen", "--token", TOKEN, "--ports", "1000-2000"])
        .output()
        .unwrap();
    assert_eq!(many.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&many.stderr).contains("more than 64 sockets"));
}

#[test]
fn listen_reports_a_port_it_cannot_bind_and_keeps_the_others() {
    let (taken, free) = (free_port(), free_port());
    let _holder = TcpListener::bind(("127.0.0.1", taken)).unwrap();
    let ports = format!("{taken}/tcp,{free}/tcp");
    let mut l = Listener::start(TOKEN, 2, &["--ports", &ports, "--for", "30s"]);
    let lines = l.lines();
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "bind_failed" && v["port"] == taken),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "listening" && v["port"] == free)
    );
    assert_eq!(l.stop(), 0);
}

#[test]
fn pair_options_go_together() {
    let out = bin()
        .args(["check", "--peer", "10.0.0.5", "--no-imds"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--peer needs the pair's token"));
    let out = bin().args(["check", "--token", TOKEN]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --peer HOST too"));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("listen.txt");
    std::fs::write(&log, "listening on TCP 0.0.0.0:6380\n").unwrap();
    let out = bin()
        .args([
            "check",
            "--peer",
            "127.0.0.1",
            "--token",
            TOKEN,
            "--peer-log",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 1: not a line of the listener's JSON log"),
        "{err}"
    );
}

#[test]
fn without_peer_the_peer_rows_say_how_to_run_pair_mode() {
    let out = bin().args(["list", "-o", "json"]).output().unwrap();
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = plan.to_string();
    assert!(text.contains("check --peer HOST"), "{text}");
}

// The fuzz seeds were made by an independent implementation of the README's wire format (Python's
// hmac over label, header and nonce): the listener must answer that challenge, and the prober
// must accept that proof.
#[test]
fn the_wire_format_is_the_documented_one() {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/pair/");
    let read = |name: &str| std::fs::read(format!("{seeds}{name}")).unwrap();
    let token = Token::new(b"fuzz-pair-token-0123456789").unwrap();
    let nonce = [7u8; 16];
    let challenge = read("challenge");
    assert_eq!(
        challenge,
        auth::challenge(&token, 6381, Transport::Tcp, nonce)
    );
    let auth::Answer::Proof { reply, .. } = auth::answer(&token, &challenge, 6381, Transport::Tcp)
    else {
        panic!("the documented challenge is not answered");
    };
    assert_eq!(reply, read("proof"));
    assert_eq!(
        auth::judge(&token, &read("proof"), &nonce, 6381, Transport::Tcp),
        auth::Verdict::Proven
    );
    assert_eq!(
        auth::judge(&token, &read("bad-mac"), &nonce, 6381, Transport::Udp),
        auth::Verdict::WrongToken
    );
}

#[test]
fn listen_stops_by_itself_after_its_time_with_a_summary() {
    let port = free_port();
    let ports = format!("{port}/tcp");
    let out = bin()
        .args([
            "listen",
            "--bind",
            "127.0.0.1",
            "--token",
            TOKEN,
            "--for",
            "1s",
        ])
        .args(["--ports", &ports])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("listening on TCP 127.0.0.1:{port}")),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("stopped (--for passed): 0 probe(s)"),
        "{text}"
    );
}
