//! Helpers for the loopback tests: a tiny DNS responder, catalogs written to a temp folder, and
//! running the binary. Everything listens on 127.0.0.1 only.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use assert_cmd::Command;
use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::{RData, Record, RecordType, rdata::A};

/// What the responder does for a name.
#[derive(Clone, Debug)]
pub enum Answer {
    /// An A record.
    A(IpAddr),
    /// NXDOMAIN.
    NxDomain,
    /// SERVFAIL.
    ServFail,
    /// No reply at all.
    Silent,
    /// The query sent back as it came (an echo service or a reflector).
    Echo,
    /// An A record; AAAA questions get no reply at all (a forwarder or firewall that drops them).
    AOnly(IpAddr),
}

/// A UDP DNS responder on 127.0.0.1 that answers from a fixed table; stops on drop.
pub struct DnsResponder {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DnsResponder {
    /// Starts a responder; names are absolute without the trailing dot (`open.test`).
    pub fn start(table: &[(&str, Answer)]) -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind dns responder");
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let table: HashMap<String, Answer> = table
            .iter()
            .map(|(n, a)| (format!("{n}."), a.clone()))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stop2.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                if let Some(reply) = reply_to(&query, &buf[..n], &table) {
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

fn reply_to(query: &Message, raw: &[u8], table: &HashMap<String, Answer>) -> Option<Vec<u8>> {
    let q = query.queries.first()?;
    let name = q.name().to_ascii().to_lowercase();
    let mut m = Message::response(query.metadata.id, query.metadata.op_code);
    m.metadata.message_type = MessageType::Response;
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.add_query(q.clone());
    match table.get(&name) {
        None | Some(Answer::NxDomain) => m.metadata.response_code = ResponseCode::NXDomain,
        Some(Answer::ServFail) => m.metadata.response_code = ResponseCode::ServFail,
        Some(Answer::Silent) => return None,
        Some(Answer::Echo) => return Some(raw.to_vec()),
        Some(Answer::AOnly(_)) if q.query_type() == RecordType::AAAA => return None,
        Some(Answer::A(IpAddr::V4(ip)) | Answer::AOnly(IpAddr::V4(ip)))
            if q.query_type() == RecordType::A =>
        {
            m.add_answer(Record::from_rdata(q.name().clone(), 60, RData::A(A(*ip))));
        }
        Some(Answer::A(_) | Answer::AOnly(_)) => {}
    }
    m.to_vec().ok()
}

impl Drop for DnsResponder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One catalog row for tests: an outbound TCP dependency.
pub fn row(id: &str, required: bool, host: &str, port: u16) -> String {
    row_of(id, required, host, port, "tcp", "tcp")
}

/// One catalog row for tests: an outbound dependency with its transport and check kind.
pub fn row_of(
    id: &str,
    required: bool,
    host: &str,
    port: u16,
    transport: &str,
    check: &str,
) -> String {
    format!(
        r#"
[[dependency]]
id = "{id}"
purpose = "test row {id}"
direction = "outbound"
source = "VirtualNetwork"
destination = "TestTag"
required = {required}
platforms = ["stv2", "stv1"]
vnet = ["external", "internal"]
transport = "{transport}"
ports = [{port}]
check = "{check}"
hosts = ["{host}"]
reference = "test"
"#
    )
}

/// Writes a catalog file into a fresh temp folder; keep the folder alive while it is used.
pub fn catalog(rows: &[String]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.toml");
    std::fs::write(&path, rows.concat()).unwrap();
    (dir, path)
}

/// A scope that fills every placeholder of the embedded catalog (and asks DNS of 127.0.0.1),
/// for `list` plans that probe every row.
pub const SCOPE_SETS: &[&str] = &[
    "--set",
    "sql_server=sql1",
    "--set",
    "storage_account=st1",
    "--set",
    "key_vault=kv1",
    "--set",
    "event_hub_namespace=eh1",
    "--set",
    "gateway_host=gw1.azure-api.net",
    "--region",
    "westeurope",
    "--dns-server",
    "127.0.0.1",
];

/// The binary, ready for arguments. IMDS is off: outside a lab namespace, tests must never send
/// anything to 169.254.169.254 (docs/testing.md, "The network lab").
pub fn bin() -> Command {
    let mut c = Command::cargo_bin("apim-probe").unwrap();
    c.env("APIM_PROBE_NO_IMDS", "true");
    c
}

/// A TCP port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `check -o json` with these extra arguments; returns the exit code and the report.
pub fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = bin()
        .arg("check")
        .args(["-o", "json"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// The result with this id in a `check -o json` report; panics when there is none.
pub fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result {id}"))
}

/// What an AMQP 1.0 server such as Event Hubs answers to the SASL header: the same header, then a
/// SASL frame (size 0x33, data offset 2, type SASL) holding `sasl-mechanisms` (descriptor 0x40)
/// with the mechanisms MSSBCBS, PLAIN, ANONYMOUS and EXTERNAL.
pub const AMQP_BROKER_REPLY: &[u8] =
    b"AMQP\x03\x01\x00\x00\x00\x00\x00\x33\x02\x01\x00\x00\x00\x53\x40\xc0\x26\x01\xe0\x23\x04\xa3\x07MSSBCBS\x05PLAIN\x09ANONYMOUS\x08EXTERNAL";
