//! The TCP protocol checks (`tds`, `smb`, `amqp`, `amqps`) end to end on loopback: the real
//! binary against small responders that answer as the service would, and against hostile peers
//! (accept then close, reset after accept, garbage, one byte per second, silence) that must end
//! by the deadline with `protocol_error` or `timeout`, never `ok`. Everything listens on
//! 127.0.0.1 only. Responders are plain threads: the tests drive a blocking binary. The `ntp`
//! check is in `protocols_ntp.rs`.

mod common;

use common::responders;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{sleep, spawn};
use std::time::{Duration, Instant};

use responders::{GARBAGE, Responder, result, row, run};
use test_case::test_case;

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
    /// Reads the request and sends it back, byte for byte (an echo service or a reflector).
    Echo,
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
        Behaviour::Echo => {
            let _ = conn.write_all(&buf[..got.min(buf.len())]);
            hold(&mut conn, stop);
        }
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

/// What Event Hubs answers: the SASL header, then its mechanisms.
const AMQP_REPLY: &[u8] = common::support::AMQP_BROKER_REPLY;

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
        (
            "amqp",
            "AMQP 1.0 SASL header and sasl-mechanisms (MSSBCBS, PLAIN, ANONYMOUS, EXTERNAL)",
        ),
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
#[test_case(Behaviour::Echo, "protocol_error", "echo or reflector"; "an echo of the request")]
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
