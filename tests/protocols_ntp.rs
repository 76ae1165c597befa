//! The `ntp` check end to end on loopback: the real binary against a small UDP responder that
//! answers as an NTP server would (clock skewed, kiss-o'-death, garbage, silence), a closed port,
//! and a real chronyd when installed. Everything listens on 127.0.0.1 only. Responders are plain
//! threads: the tests drive a blocking binary.

mod common;

use common::responders;

use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use responders::{GARBAGE, Responder, result, row, run};
use test_case::test_case;

/// What a fake NTP server does with a request.
#[derive(Clone, Copy)]
enum Ntp {
    /// Answers validly, its clock this many seconds ahead.
    Skewed(i64),
    /// Answers with a kiss-o'-death (stratum 0, DENY).
    Kiss,
    /// Answers 20 bytes of no protocol.
    Garbage,
    /// Never answers.
    Silent,
}

/// A UDP NTP server answering every request as `mode` says.
fn ntp_server(mode: Ntp) -> Responder {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    Responder::spawn(port, move |stop| {
        let mut buf = [0u8; 512];
        while !stop.load(Ordering::Relaxed) {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            if let Some(r) = ntp_reply(&buf[..n], mode) {
                let _ = sock.send_to(&r, from);
            }
        }
    })
}

/// An SNTP server reply (RFC 4330 §4) to a 48-byte request.
fn ntp_reply(req: &[u8], mode: Ntp) -> Option<Vec<u8>> {
    let (skew, stratum, id) = match mode {
        Ntp::Skewed(s) => (s, 2, [192, 0, 2, 1]),
        Ntp::Kiss => (0, 0, *b"DENY"),
        Ntp::Garbage => return Some(GARBAGE[..20].to_vec()),
        Ntp::Silent => return None,
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let secs = u64::try_from(i64::try_from(now.as_secs()).unwrap() + skew + 2_208_988_800).unwrap();
    let ts = ((secs << 32) | ((u64::from(now.subsec_nanos()) << 32) / 1_000_000_000)).to_be_bytes();
    let reference = ((secs - 16) << 32).to_be_bytes();
    Some(
        [
            &[0x24, stratum, 0x06, 0xe9][..], // LI 0, version 4, mode 4; stratum; poll; precision
            &[0, 0, 0, 0x20],                 // root delay
            &[0, 0, 0, 0x40],                 // root dispersion
            &id,                              // reference id (upstream address, or kiss code)
            &reference,                       // reference timestamp
            req.get(40..48)?,                 // origin: the client's transmit timestamp
            &ts,                              // receive timestamp
            &ts,                              // transmit timestamp
        ]
        .concat(),
    )
}

#[test]
fn ntp_answer_with_a_clock_ten_minutes_off_is_ok_with_a_warning() {
    let server = ntp_server(Ntp::Skewed(600));
    let (report, _) = run(&[row("ntp", "ntp", "udp", server.port)], &[]);
    let r = result(&report, "ntp");
    assert_eq!(r["status"], "ok", "{r:#}");
    assert_eq!(r["check"], "ntp");
    assert_eq!(r["evidence"]["kind"], "ntp", "{r:#}");
    assert_eq!(r["evidence"]["stratum"], 2);
    assert_eq!(r["evidence"]["reference"], "192.0.2.1");
    let offset = r["evidence"]["offset_ms"].as_f64().unwrap();
    assert!((offset - 600_000.0).abs() < 2_000.0, "{offset}");
    assert_eq!(r["warnings"][0]["kind"], "clock_skew", "{r:#}");
    assert_eq!(r["facts"]["ntp"]["stratum"], 2, "{r:#}");
    let warning = r["warnings"][0]["message"].as_str().unwrap();
    assert!(
        warning.starts_with("clock differs from 127.0.0.1 by 10m 0s (this machine is behind)"),
        "{warning}"
    );
    // 30 s off is within the default limit (60s), and within a given one: no warning.
    let near = ntp_server(Ntp::Skewed(30));
    let (report, _) = run(&[row("ntp", "ntp", "udp", near.port)], &[]);
    assert_eq!(result(&report, "ntp")["warnings"], serde_json::json!([]));
    let (report, _) = run(
        &[row("ntp", "ntp", "udp", near.port)],
        &["--max-clock-skew", "10s"],
    );
    let r = result(&report, "ntp");
    assert!(
        r["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("by 30.0s"),
        "{r:#}"
    );
}

#[test_case(None, "refused", "port unreachable"; "closed port")]
#[test_case(Some(Ntp::Silent), "timeout", "no NTP answer"; "silent")]
#[test_case(Some(Ntp::Garbage), "protocol_error", "de ad be ef"; "garbage")]
#[test_case(Some(Ntp::Kiss), "protocol_error", "kiss-o'-death"; "kiss of death")]
fn ntp_failures_are_told_apart(mode: Option<Ntp>, status: &str, words: &str) {
    let server = mode.map(ntp_server);
    let port = server.as_ref().map_or_else(
        || {
            UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        },
        |s| s.port,
    );
    let (report, took) = run(&[row("ntp", "ntp", "udp", port)], &[]);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let r = result(&report, "ntp");
    assert_eq!(r["status"], status, "{r:#}");
    assert!(r["detail"].as_str().unwrap().contains(words), "{r:#}");
}

/// A real chronyd serving its local clock on 127.0.0.1 (never touching the system clock, `-x`);
/// killed on drop.
struct Chrony {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Chrony {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn real_chrony_server_on_loopback_is_ok_with_a_small_offset() {
    let found = ["/usr/sbin/chronyd", "/usr/bin/chronyd", "/sbin/chronyd"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file());
    let Some(chronyd) = found else {
        common::prereq::missing(
            "NTP",
            "chronyd is not installed (apt-get install -y chrony)",
        );
        return;
    };
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("chrony.conf");
    let pid = dir.path().join("chronyd.pid");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 8\ncmdport 0\npidfile {}\n",
            pid.display()
        ),
    )
    .unwrap();
    let child = std::process::Command::new(chronyd)
        .args(["-d", "-x", "-f"])
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _chrony = Chrony { child, _dir: dir };
    let rows = [row("ntp", "ntp", "udp", port)];
    // chronyd needs a moment to bind; ask again until it answers (at most ~5 s).
    let mut last = serde_json::Value::Null;
    for _ in 0..5 {
        let (report, _) = run(&rows, &[]);
        last = result(&report, "ntp").clone();
        if last["status"] == "ok" {
            break;
        }
        sleep(Duration::from_millis(500));
    }
    assert_eq!(last["status"], "ok", "{last:#}");
    assert_eq!(last["evidence"]["stratum"], 8, "{last:#}");
    let offset = last["evidence"]["offset_ms"].as_f64().unwrap();
    assert!(
        offset.abs() < 100.0,
        "same machine, same clock: {offset} ms"
    );
    assert_eq!(last["warnings"], serde_json::json!([]));
}
