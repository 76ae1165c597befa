//! The protocol checks (`tds`, `smb`, `amqp`, `amqps`, `ntp`) end to end on loopback: the real
//! binary against small responders that answer as the service would, and against hostile peers
//! (accept then close, reset after accept, garbage, one byte per second, silence) that must end
//! by the deadline with `protocol_error` or `timeout`, never `ok`. Everything listens on
//! 127.0.0.1 only. Responders are plain threads: the tests drive a blocking binary.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{JoinHandle, sleep, spawn};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{catalog, check_json};
use test_case::test_case;

/// A catalog row for one check kind against 127.0.0.1 (no DNS needed).
fn row(id: &str, check: &str, transport: &str, port: u16) -> String {
    format!(
        r#"
[[dependency]]
id = "{id}"
purpose = "test row {id}"
direction = "outbound"
source = "VirtualNetwork"
destination = "TestTag"
required = true
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = "{transport}"
ports = [{port}]
check = "{check}"
hosts = ["127.0.0.1"]
reference = "test"
"#
    )
}

/// Runs `check` over these rows with a 1 s timeout; returns the report and how long it took.
fn run(rows: &[String], extra: &[&str]) -> (serde_json::Value, Duration) {
    let (_dir, cat) = catalog(rows);
    let mut args = vec!["--catalog", cat.to_str().unwrap(), "--timeout", "1s"];
    // Rows use literal addresses; a resolver that is never asked keeps the run off real DNS.
    args.extend(["--dns-server", "127.0.0.1:9"]);
    args.extend(extra);
    let start = Instant::now();
    let (_code, report) = check_json(&args);
    (report, start.elapsed())
}

fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result {id}: {report:#}"))
}

/// What a TCP peer does once a client connects.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Reads the request, answers these bytes, keeps the connection open.
    Reply(&'static [u8]),
    /// Reads the request, then closes cleanly (FIN).
    Close,
    /// Reads the request, then resets (SO_LINGER 0).
    Reset,
    /// Reads the request, then sends these bytes one per second.
    Trickle(&'static [u8]),
    /// Reads the request and never answers.
    Silent,
}

const GARBAGE: &[u8] = b"\xde\xad\xbe\xef this is no protocol at all\r\n";

/// A responder thread on 127.0.0.1; stopped and joined on drop.
struct Responder {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// Runs `body` (given the stop flag) on its own thread; `port` is where it listens.
    fn spawn(port: u16, body: impl FnOnce(Arc<AtomicBool>) + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = Some(spawn(move || body(flag)));
        Self { port, stop, thread }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A TCP peer acting out one behaviour for every connection.
fn peer(behaviour: Behaviour) -> Responder {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    Responder::spawn(port, move |stop| {
        let mut conns = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((conn, _)) => {
                    let stop = Arc::clone(&stop);
                    conns.push(spawn(move || serve(conn, behaviour, &stop)));
                }
                Err(_) => sleep(Duration::from_millis(10)),
            }
        }
        for c in conns {
            let _ = c.join();
        }
    })
}

fn serve(mut conn: TcpStream, behaviour: Behaviour, stop: &AtomicBool) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // Read the whole request, so closing sends a clean FIN rather than a reset for unread data.
    let mut buf = [0u8; 1024];
    let mut got = 0;
    let waited = Instant::now();
    while waited.elapsed() < Duration::from_secs(2) && !stop.load(Ordering::Relaxed) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => got += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if got > 0 {
                    break;
                }
            }
            Err(_) => return,
        }
    }
    match behaviour {
        Behaviour::Reply(bytes) => {
            let _ = conn.write_all(bytes);
            hold(&mut conn, stop);
        }
        Behaviour::Close => drop(conn),
        Behaviour::Reset => {
            socket2::SockRef::from(&conn)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(conn);
        }
        Behaviour::Trickle(bytes) => {
            for b in bytes {
                // Ends when the client has gone (the write fails) or the test ends.
                if stop.load(Ordering::Relaxed) || conn.write_all(&[*b]).is_err() {
                    return;
                }
                sleep(Duration::from_secs(1));
            }
        }
        Behaviour::Silent => hold(&mut conn, stop),
    }
}

/// Keeps a connection open until the client closes it or the test ends.
fn hold(conn: &mut TcpStream, stop: &AtomicBool) {
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Err(e) if !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return,
            _ => {}
        }
    }
}

/// A TDS PRELOGIN reply as SQL Server sends it: version 12.0.2000.0, encryption required.
const TDS_REPLY: &[u8] = &[
    0x04, 0x01, 0x00, 0x25, 0x00, 0x00, 0x01, 0x00, // header: reply, EOM, length 37
    0x00, 0x00, 0x15, 0x00, 0x06, // VERSION at 21, 6 bytes
    0x01, 0x00, 0x1b, 0x00, 0x01, // ENCRYPTION at 27, 1 byte
    0x02, 0x00, 0x1c, 0x00, 0x01, // INSTOPT at 28, 1 byte
    0x03, 0x00, 0x1d, 0x00, 0x00, // THREADID at 29, 0 bytes
    0xff, // terminator
    0x0c, 0x00, 0x07, 0xd0, 0x00, 0x00, // 12.0, build 2000, sub-build 0
    0x03, // encryption required
    0x00, // INSTOPT
];

/// An SMB2 NEGOTIATE response choosing SMB 3.1.1 (fixed part only).
const SMB_REPLY: &[u8] = &[
    0x00, 0x00, 0x00, 0x80, // transport: session message, 128 bytes
    0xfe, b'S', b'M', b'B', 64, 0, 0, 0, // protocol id, StructureSize 64, CreditCharge
    0, 0, 0, 0, 0, 0, 1, 0, // Status 0; Command NEGOTIATE; CreditResponse 1
    1, 0, 0, 0, 0, 0, 0, 0, // Flags SERVER_TO_REDIR; NextCommand
    0, 0, 0, 0, 0, 0, 0, 0, // MessageId
    0, 0, 0, 0, 0, 0, 0, 0, // Reserved, TreeId
    0, 0, 0, 0, 0, 0, 0, 0, // SessionId
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // Signature
    65, 0, 0x01, 0x00, 0x11, 0x03, 0x00, 0x00, // StructureSize 65, signing enabled, 0x0311
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, // ServerGuid
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, //
    0x2f, 0, 0, 0, 0, 0, 0x80, 0, // Capabilities; MaxTransactSize 8 MiB
    0, 0, 0x80, 0, 0, 0, 0x80, 0, // MaxReadSize, MaxWriteSize
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // SystemTime, ServerStartTime
    0x80, 0, 0, 0, 0, 0, 0, 0, // SecurityBuffer offset 128, length 0; contexts offset
];

/// The AMQP 1.0 SASL header, echoed as Event Hubs does.
const AMQP_REPLY: &[u8] = b"AMQP\x03\x01\x00\x00";

#[test]
fn services_that_answer_are_ok_and_say_what_they_are() {
    let tds = peer(Behaviour::Reply(TDS_REPLY));
    let smb = peer(Behaviour::Reply(SMB_REPLY));
    let amqp = peer(Behaviour::Reply(AMQP_REPLY));
    let rabbit = peer(Behaviour::Reply(b"AMQP\x00\x00\x09\x01"));
    let (report, _) = run(
        &[
            row("tds", "tds", "tcp", tds.port),
            row("smb", "smb", "tcp", smb.port),
            row("amqp", "amqp", "tcp", amqp.port),
            row("rabbit", "amqp", "tcp", rabbit.port),
        ],
        &[],
    );
    for (id, words) in [
        ("tds", "server version 12.0.2000.0, encryption required"),
        ("smb", "dialect SMB 3.1.1 (0x0311)"),
        ("amqp", "AMQP 1.0 SASL header, echoed"),
        ("rabbit", "0-9-1"),
    ] {
        let r = result(&report, id);
        assert_eq!(r["status"], "ok", "{r:#}");
        assert_eq!(r["evidence"]["kind"], "reply", "{r:#}");
        let understood = r["evidence"]["understood"].as_str().unwrap();
        assert!(understood.contains(words), "{id}: {understood}");
        assert!(r["detail"].as_str().unwrap().contains(words), "{r:#}");
        assert!(r["timings_ms"]["connect"].is_number(), "{r:#}");
    }
}

#[test_case(Behaviour::Close, "protocol_error", "closed without a word"; "accept then close")]
#[test_case(Behaviour::Reset, "protocol_error", "reset after accept"; "accept then reset")]
#[test_case(Behaviour::Reply(GARBAGE), "protocol_error", "de ad be ef"; "garbage")]
#[test_case(Behaviour::Silent, "timeout", "no reply"; "silence")]
fn hostile_peers_fail_every_kind_by_the_deadline(b: Behaviour, status: &str, words: &str) {
    hostile(|_| b, status, words);
}

#[test]
fn a_trickle_ends_at_the_deadline_with_the_bytes_so_far() {
    hostile(
        |kind| {
            Behaviour::Trickle(match kind {
                "tds" => TDS_REPLY,
                "smb" => SMB_REPLY,
                _ => AMQP_REPLY,
            })
        },
        "timeout",
        "byte(s) of a reply",
    );
}

/// Runs every TCP protocol kind against its own peer; each must fail with `status` and a detail
/// containing `words`, and the run must end soon after the 1 s timeout.
fn hostile(peer_for: impl Fn(&str) -> Behaviour, status: &str, words: &str) {
    let kinds = ["tds", "smb", "amqp", "amqps"];
    let peers: Vec<Responder> = kinds.iter().map(|k| peer(peer_for(k))).collect();
    let rows: Vec<String> = kinds
        .iter()
        .zip(&peers)
        .map(|(k, p)| row(k, k, "tcp", p.port))
        .collect();
    let (report, took) = run(&rows, &[]);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    for kind in kinds {
        let r = result(&report, kind);
        eprintln!("{kind}: {} | {}", r["status"], r["detail"]);
        assert_ne!(r["status"], "ok", "{r:#}");
        assert_ne!(r["status"], "error", "{r:#}");
        if kind == "amqps" {
            // TLS comes first there (src/probe/tls.rs): only "never ok" is this test's business.
            continue;
        }
        assert_eq!(r["status"], status, "{r:#}");
        let detail = r["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{kind}: {detail}");
        assert!(r["timings_ms"]["total"].as_f64().unwrap() < 1500.0, "{r:#}");
    }
}

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
    let warning = r["warnings"][0].as_str().unwrap();
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
        r["warnings"][0].as_str().unwrap().contains("by 30.0s"),
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
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chronyd is required in CI"
        );
        eprintln!("SKIPPED: chronyd is not installed; the real-server NTP test did not run");
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
