//! Small servers for what Debian has no daemon for — a TDS PRELOGIN answer, an AMQP header echo
//! (plain and inside TLS), an SNTP server with a wrong clock, and a silent sink (a transparent
//! firewall that accepts every connection and never speaks).
//!
//! A thread of the test process is not inside the lab's namespace, so a responder is a separate
//! process: this very test binary, started with `ip netns exec <azure>` and
//! `--exact common::lab::responder::lab_responder_entry`, and told what to be through the
//! `APIM_LAB_RESPONDER` environment variable. Without that variable the entry is an empty test.
//! A responder lives at most [`LIFETIME`] and serves at most [`MAX_CONNECTIONS`]; the lab guard
//! kills it on drop anyway.

use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::daemons::Listen;
use super::netns::{Lab, Service};

/// The variable that turns the entry test into a responder.
const SPEC_VAR: &str = "APIM_LAB_RESPONDER";
/// Longest a responder process lives.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// Most connections (or datagrams) one responder serves.
const MAX_CONNECTIONS: u32 = 10_000;
/// Longest a responder holds one connection open.
const HOLD: Duration = Duration::from_secs(30);

/// A TDS PRELOGIN reply as SQL Server sends it: version 12.0.2000.0, encryption required.
pub const TDS_REPLY: &[u8] = &[
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

/// What Event Hubs answers: the SASL header, then its mechanisms.
pub const AMQP_REPLY: &[u8] = crate::common::support::AMQP_BROKER_REPLY;

/// What a responder is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Answers a TDS PRELOGIN (TCP).
    Tds,
    /// Answers the AMQP 1.0 SASL header as Event Hubs does: the header, then its mechanisms (TCP).
    Amqp,
    /// TLS with this leaf (DER certificate, DER key), then the AMQP answer.
    Amqps { cert: PathBuf, key: PathBuf },
    /// Accepts, reads, never writes (TCP).
    Silent,
    /// An SNTP server whose clock is this many seconds ahead (UDP).
    Ntp { skew_secs: i64 },
    /// A DNS server that answers every A question with `answer` after `delay_ms`, and AAAA with
    /// no records after the same delay (UDP).
    SlowDns { delay_ms: u64, answer: Ipv4Addr },
}

impl Kind {
    fn encode(&self) -> String {
        match self {
            Kind::Tds => "tds".into(),
            Kind::Amqp => "amqp".into(),
            Kind::Amqps { cert, key } => format!("amqps:{}:{}", cert.display(), key.display()),
            Kind::Silent => "silent".into(),
            Kind::Ntp { skew_secs } => format!("ntp:{skew_secs}"),
            Kind::SlowDns { delay_ms, answer } => format!("slowdns:{delay_ms}:{answer}"),
        }
    }

    fn decode(s: &str) -> Kind {
        let mut parts = s.split(':');
        match parts.next() {
            Some("tds") => Kind::Tds,
            Some("amqp") => Kind::Amqp,
            Some("amqps") => Kind::Amqps {
                cert: parts.next().expect("amqps cert").into(),
                key: parts.next().expect("amqps key").into(),
            },
            Some("silent") => Kind::Silent,
            Some("ntp") => Kind::Ntp {
                skew_secs: parts.next().expect("ntp skew").parse().expect("skew"),
            },
            Some("slowdns") => Kind::SlowDns {
                delay_ms: parts.next().expect("delay").parse().expect("delay"),
                answer: parts.next().expect("answer").parse().expect("answer"),
            },
            other => panic!("unknown responder kind {other:?}"),
        }
    }

    fn udp(&self) -> bool {
        matches!(self, Kind::Ntp { .. } | Kind::SlowDns { .. })
    }
}

/// The entry point: a responder when [`SPEC_VAR`] is set, an empty test otherwise.
#[test]
fn lab_responder_entry() {
    let Ok(spec) = std::env::var(SPEC_VAR) else {
        return;
    };
    // `kind;addr:port,addr:port…`
    let (kind, addrs) = spec.split_once(';').expect("responder spec");
    let kind = Kind::decode(kind);
    let addrs: Vec<SocketAddr> = addrs
        .split(',')
        .map(|a| a.parse().expect("responder address"))
        .collect();
    serve(&kind, &addrs);
}

fn serve(kind: &Kind, addrs: &[SocketAddr]) {
    let served = Arc::new(AtomicU32::new(0));
    let tls = match kind {
        Kind::Amqps { cert, key } => Some(tls_config(cert, key)),
        _ => None,
    };
    for &addr in addrs {
        let (kind, served, tls) = (kind.clone(), Arc::clone(&served), tls.clone());
        if kind.udp() {
            let sock = bind_udp(addr);
            std::thread::spawn(move || match kind {
                Kind::SlowDns { delay_ms, answer } => {
                    super::slow_dns::serve(&sock, Duration::from_millis(delay_ms), answer, &served);
                }
                _ => ntp_loop(&sock, &kind, &served),
            });
        } else {
            let listener = bind_tcp(addr);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if served.fetch_add(1, Ordering::Relaxed) >= MAX_CONNECTIONS {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let (kind, tls) = (kind.clone(), tls.clone());
                    std::thread::spawn(move || answer(conn, &kind, tls));
                }
            });
        }
    }
    std::thread::sleep(LIFETIME);
    std::process::exit(0);
}

/// A socket bound to `addr`; an IPv6 wildcard is IPv6 only, so `0.0.0.0` can be bound too.
fn socket(addr: SocketAddr, ty: socket2::Type) -> socket2::Socket {
    let domain = socket2::Domain::for_address(addr);
    let s = socket2::Socket::new(domain, ty, None).expect("responder socket");
    if addr.is_ipv6() {
        s.set_only_v6(true).expect("IPV6_V6ONLY");
    }
    s.set_reuse_address(true).expect("SO_REUSEADDR");
    s.bind(&addr.into())
        .unwrap_or_else(|e| panic!("responder cannot bind {addr}: {e}"));
    s
}

fn bind_tcp(addr: SocketAddr) -> TcpListener {
    let s = socket(addr, socket2::Type::STREAM);
    s.listen(128).expect("listen");
    s.into()
}

fn bind_udp(addr: SocketAddr) -> UdpSocket {
    socket(addr, socket2::Type::DGRAM).into()
}

fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(std::fs::read(cert).expect("read cert"));
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        std::fs::read(key).expect("read key"),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("TLS server config");
    Arc::new(config)
}

/// One connection: read the request, answer as `kind` says, hold the connection.
fn answer(conn: TcpStream, kind: &Kind, tls: Option<Arc<rustls::ServerConfig>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
    match (kind, tls) {
        (Kind::Amqps { .. }, Some(config)) => {
            let Ok(server) = rustls::ServerConnection::new(config) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(server, conn);
            let _ = tls.sock.set_read_timeout(Some(Duration::from_secs(5)));
            let mut header = [0u8; 8];
            if tls.read_exact(&mut header).is_ok() && tls.write_all(AMQP_REPLY).is_ok() {
                let _ = tls.flush();
                hold(&mut tls);
            }
        }
        (Kind::Tds | Kind::Amqp, _) => {
            let mut conn = conn;
            if read_request(&mut conn) {
                let reply = if *kind == Kind::Tds {
                    TDS_REPLY
                } else {
                    AMQP_REPLY
                };
                if conn.write_all(reply).is_ok() {
                    hold(&mut conn);
                }
            }
        }
        _ => hold(&mut { conn }),
    }
}

/// Reads what the client sends first (until a pause after some bytes); false if it went away.
fn read_request(conn: &mut TcpStream) -> bool {
    let mut buf = [0u8; 2048];
    let mut got = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        match conn.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => got += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if got > 0 {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
    got > 0
}

/// Reads and discards until the client closes, an error, or [`HOLD`] passes.
fn hold(conn: &mut impl Read) {
    let mut buf = [0u8; 1024];
    let start = Instant::now();
    while start.elapsed() < HOLD {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Err(e) if !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return,
            _ => {}
        }
    }
}

fn ntp_loop(sock: &UdpSocket, kind: &Kind, served: &AtomicU32) {
    let Kind::Ntp { skew_secs } = *kind else {
        return;
    };
    let mut buf = [0u8; 512];
    while served.fetch_add(1, Ordering::Relaxed) < MAX_CONNECTIONS {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        if let Some(reply) = ntp_reply(&buf[..n], skew_secs) {
            let _ = sock.send_to(&reply, from);
        }
    }
}

/// An SNTP server reply (RFC 4330 §4) to a 48-byte request, the clock `skew` seconds ahead.
fn ntp_reply(req: &[u8], skew: i64) -> Option<Vec<u8>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    let secs = u64::try_from(i64::try_from(now.as_secs()).ok()? + skew + 2_208_988_800).ok()?;
    let ts = ((secs << 32) | ((u64::from(now.subsec_nanos()) << 32) / 1_000_000_000)).to_be_bytes();
    let reference = ((secs - 16) << 32).to_be_bytes();
    Some(
        [
            &[0x24, 2, 0x06, 0xe9][..], // LI 0, version 4, mode 4; stratum 2; poll; precision
            &[0, 0, 0, 0x20],           // root delay
            &[0, 0, 0, 0x40],           // root dispersion
            &[198, 18, 0, 1],           // reference id: the lab's upstream
            &reference,                 // reference timestamp
            req.get(40..48)?,           // origin: the client's transmit timestamp
            &ts,                        // receive timestamp
            &ts,                        // transmit timestamp
        ]
        .concat(),
    )
}

/// Where a responder listens: `Some(addresses)` of one service, or every address (`None`).
pub fn wildcard(port: u16) -> Vec<SocketAddr> {
    vec![
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
    ]
}

impl Lab {
    /// Starts a responder inside `azure` listening on `addrs`; returns once they all listen.
    pub fn start_responder(&mut self, kind: &Kind, addrs: &[SocketAddr]) {
        let n = self.daemons.len();
        let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        let spec = format!("{};{}", kind.encode(), list.join(","));
        let exe = std::env::current_exe().expect("the test binary");
        let args: Vec<String> = [
            "--exact",
            "common::lab::responder::lab_responder_entry",
            "--nocapture",
            "--test-threads",
            "1",
        ]
        .map(str::to_owned)
        .to_vec();
        self.spawn_in_azure_env(
            &format!("responder-{n}-{}", kind.encode().split(':').next().unwrap()),
            &exe,
            &args,
            &[(SPEC_VAR, &spec)],
        );
        let ready: Vec<Listen> = addrs
            .iter()
            .map(|a| {
                if kind.udp() {
                    Listen::Udp(*a)
                } else {
                    Listen::Tcp(*a)
                }
            })
            .collect();
        self.wait_ready(&ready);
    }
}

/// The port the silent sink of [`Lab::start_sink`] listens on.
const SINK_PORT: u16 = 9;

impl Lab {
    /// A "transparent firewall" in front of `svc`: every TCP port of its addresses is accepted
    /// by one silent listener (nft `dnat` to port 9 in `azure`'s prerouting), which never says a
    /// word. Where the kernel has no NAT, one silent listener per port of `ports` stands in.
    pub fn start_sink(&mut self, svc: &Service, ports: &[u16]) {
        let mut rules = String::new();
        for ip in svc.addrs() {
            let (family, to) = match ip {
                IpAddr::V4(a) => ("ip", format!("{a}:{SINK_PORT}")),
                IpAddr::V6(a) => ("ip6", format!("[{a}]:{SINK_PORT}")),
            };
            let _ = writeln!(
                rules,
                "    {family} daddr {ip} tcp dport != {SINK_PORT} dnat {family} to {to}"
            );
        }
        let script = format!(
            "table inet sink {{\n  chain prerouting {{\n    \
             type nat hook prerouting priority dstnat; policy accept;\n{rules}  }}\n}}\n"
        );
        let listen: Vec<SocketAddr> = match self.try_nft_script(&script) {
            Ok(()) => svc
                .addrs()
                .into_iter()
                .map(|ip| SocketAddr::new(ip, SINK_PORT))
                .collect(),
            Err(why) => {
                eprintln!("LAB NOTE: no NAT for the sink ({why}); one listener per port instead");
                svc.addrs()
                    .into_iter()
                    .flat_map(|ip| ports.iter().map(move |p| SocketAddr::new(ip, *p)))
                    .collect()
            }
        };
        self.start_responder(&Kind::Silent, &listen);
    }
}
