//! The `ntp` check: one SNTP v4 exchange over UDP, giving clock offset, round trip and stratum.
//!
//! sntpc encodes the request and validates the reply (mode, origin timestamp, stratum, kiss-o'-
//! death). Its tokio adapter turns every socket error into `Error::Network`, which would hide the
//! one fact this tool is for, so this file has its own adapter: a *connected* socket (an ICMP port
//! unreachable then comes back as `ECONNREFUSED` instead of looking like silence) that keeps the
//! real I/O error and the bytes received. sntpc has no timeout: the exchange runs under the
//! probe's deadline.
//!
//! # References
//! - RFC 4330 §4–5 (SNTP v4 message and client operation), RFC 5905 §7.4 (kiss-o'-death codes)

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use sntpc::{NtpContext, NtpResult, NtpUdpSocket, StdTimestampGen};
use tokio::net::UdpSocket;
use tokio::time::{Instant, timeout_at};

use super::bytes::hex_prefix;
use super::connect::{self, ConnectFailure};
use super::context::{Context, Target};
use super::evidence::{Evidence, NtpEvidence};
use super::facts::NtpFacts;
use super::outcome::{Outcome, Phase, Status, Warning, WarningKind, millis};
use super::resolve;
use super::words::{span, within};

/// The `ntp` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    let start = Instant::now();
    let resolved = match resolve::host(&ctx.dns, &target.host, ctx.timeout, deadline).await {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    let addrs = resolved.addrs;
    let Some(&ip) = addrs.first() else {
        return Outcome::new(Status::DnsFailed, Phase::Resolve, "no address to ask");
    };
    let server = SocketAddr::new(ip, target.port);
    let budget = deadline.saturating_duration_since(Instant::now());
    let mut out = match ask(server, deadline).await {
        Ok(r) => judge(server, &target.host, &r, ctx.max_clock_skew),
        Err(f) => failure(server, ctx.timeout, budget, f),
    };
    out.addresses = addrs;
    out.timings.dns = resolved.dns_ms;
    out.warnings.extend(resolved.warnings);
    out.timings.total = Some(millis(start.elapsed()));
    out
}

/// Why an exchange gave no time.
#[derive(Debug)]
pub enum NtpFailure {
    /// A socket error (refused, unreachable, or local), with the ICMP error behind it.
    Io(ConnectFailure),
    /// No valid answer by the deadline.
    Timeout,
    /// An answer sntpc rejected, and its bytes.
    Ntp(sntpc::Error, Vec<u8>),
}

/// One SNTP exchange with `server` on a connected socket, ending by `deadline`.
async fn ask(server: SocketAddr, deadline: Instant) -> Result<NtpResult, NtpFailure> {
    let sock = connect::udp(server).await.map_err(NtpFailure::Io)?;
    let sock = SntpSocket {
        sock,
        peer: server,
        error: Mutex::new(None),
        received: Mutex::new(Vec::new()),
    };
    let context = NtpContext::new(StdTimestampGen::default());
    match timeout_at(deadline, sntpc::get_time(server, &sock, context)).await {
        Err(_) => Err(NtpFailure::Timeout),
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => match sock.error.lock().expect("not poisoned").take() {
            Some(io) => Err(NtpFailure::Io(connect::udp_failure(&sock.sock, io))),
            None => Err(NtpFailure::Ntp(
                e,
                sock.received.into_inner().expect("not poisoned"),
            )),
        },
    }
}

/// A connected UDP socket for sntpc that keeps what sntpc's error type cannot carry.
struct SntpSocket {
    sock: UdpSocket,
    peer: SocketAddr,
    /// The last socket error.
    error: Mutex<Option<io::Error>>,
    /// The last datagram received, whole.
    received: Mutex<Vec<u8>>,
}

impl SntpSocket {
    fn keep(&self, e: io::Error) -> sntpc::Error {
        *self.error.lock().expect("not poisoned") = Some(e);
        sntpc::Error::Network
    }
}

impl NtpUdpSocket for SntpSocket {
    async fn send_to(&self, buf: &[u8], _addr: SocketAddr) -> sntpc::Result<usize> {
        self.sock.send(buf).await.map_err(|e| self.keep(e))
    }

    async fn recv_from(&self, buf: &mut [u8]) -> sntpc::Result<(usize, SocketAddr)> {
        // Read the whole datagram, so a reply of the wrong size is seen (and shown) as it is.
        let mut whole = [0u8; 1500];
        let n = self.sock.recv(&mut whole).await.map_err(|e| self.keep(e))?;
        whole[..n].clone_into(&mut *self.received.lock().expect("not poisoned"));
        let kept = n.min(buf.len());
        buf[..kept].copy_from_slice(&whole[..kept]);
        // A short datagram is reported short; a long one (extension fields, a MAC) is cut to the
        // 48-byte header sntpc reads.
        Ok((kept, self.peer))
    }
}

/// A valid answer: `ok`, with a warning when the clocks differ by more than `max_skew`.
pub fn judge(server: SocketAddr, host: &str, r: &NtpResult, max_skew: Duration) -> Outcome {
    let skew = Duration::from_micros(r.offset.unsigned_abs());
    let sign = if r.offset < 0 { '-' } else { '+' };
    let evidence = NtpEvidence {
        server,
        offset_ms: millis(skew).copysign(if r.offset < 0 { -1.0 } else { 1.0 }),
        round_trip_ms: millis(Duration::from_micros(r.roundtrip)),
        stratum: r.stratum,
        reference: reference(r.stratum, r.reference_id),
        leap_indicator: r.leap_indicator,
    };
    let mut o = Outcome::new(
        Status::Ok,
        Phase::Handshake,
        format!(
            "{server} answered over UDP: clock offset {sign}{}, round trip {}, stratum {} (reference {})",
            span(skew),
            span(Duration::from_micros(r.roundtrip)),
            r.stratum,
            evidence.reference
        ),
    );
    if skew > max_skew {
        let side = if r.offset > 0 { "behind" } else { "ahead" };
        o.warnings.push(Warning::new(
            WarningKind::ClockSkew {
                offset_ms: evidence.offset_ms,
                server: host.to_owned(),
            },
            format!(
                "clock differs from {host} by {} (this machine is {side}): wrong clocks break TLS and token validation",
                span(skew)
            ),
        ));
    }
    o.facts.ntp = Some(NtpFacts {
        offset_ms: evidence.offset_ms,
        round_trip_ms: evidence.round_trip_ms,
        stratum: evidence.stratum,
    });
    o.peer = Some(server);
    o.evidence = Some(Evidence::Ntp(evidence));
    o
}

/// A failed exchange, explained; `budget` is what the exchange had of the probe's `limit`.
pub fn failure(server: SocketAddr, limit: Duration, budget: Duration, f: NtpFailure) -> Outcome {
    match f {
        NtpFailure::Io(f) => {
            let (status, why) = f.explain_udp();
            let mut o = Outcome::new(status, Phase::Connect, format!("{server} over udp: {why}"));
            f.record(&mut o.facts);
            o
        }
        NtpFailure::Timeout => Outcome::timed_out(
            Phase::Connect,
            budget,
            format!(
                "no NTP answer from {server} within {} (UDP {} dropped?)",
                within(limit, budget),
                server.port()
            ),
        ),
        NtpFailure::Ntp(e, bytes) => {
            let detail = format!(
                "{server} answered over UDP, but {}; first bytes: {}",
                ntp_error(e, bytes.len()),
                hex_prefix(&bytes)
            );
            Outcome::new(Status::ProtocolError, Phase::Handshake, detail)
                .with_reply("ntp", &bytes, None)
        }
    }
}

/// What sntpc's rejection of a reply means, as the end of a sentence.
fn ntp_error(e: sntpc::Error, len: usize) -> String {
    use sntpc::Error as E;
    match e {
        E::KissOfDeath(code) => format!(
            "with a kiss-o'-death (stratum 0, code {:?}): reachable, but the server refuses to give this machine the time{}",
            code.as_str(),
            match code.as_str() {
                "RATE" => " (asked too often)",
                "DENY" | "RSTR" => " (access denied by the server's policy)",
                _ => "",
            }
        ),
        E::IncorrectPayload => format!("{len} byte(s) is not a 48-byte NTP message"),
        E::IncorrectMode => "not with an NTP server reply (wrong mode)".into(),
        E::IncorrectOriginTimestamp => {
            "the reply does not match the request (origin timestamp): not an NTP server, or a stale or forged reply".into()
        }
        E::UnsynchronizedClock => {
            "the server says its own clock is not synchronised (leap indicator 3)".into()
        }
        E::IncorrectResponseVersion => "with an unsupported NTP version".into(),
        E::IncorrectStratumHeaders => "with an invalid stratum (16 or more: unsynchronised)".into(),
        other => format!("with a reply sntpc rejects ({other:?})"),
    }
}

/// The reference id: four ASCII letters at stratum 0–1 (`GPS`, `PPS`), an IPv4 address (or the
/// hash of an IPv6 one) above.
fn reference(stratum: u8, id: [u8; 4]) -> String {
    let text: String = id
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect();
    if stratum <= 1 && !text.is_empty() && text.chars().all(|c| c.is_ascii_graphic()) {
        text
    } else {
        std::net::Ipv4Addr::from(id).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    /// Seconds from 1900 (NTP's era 0) to 1970.
    const UNIX_TO_NTP: i64 = 2_208_988_800;

    /// A server's reply to `req` (48 bytes), its clock `skew` seconds ahead of this machine's.
    fn reply(req: &[u8], skew: i64, stratum: u8) -> Vec<u8> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let secs =
            u64::try_from(i64::try_from(now.as_secs()).unwrap() + skew + UNIX_TO_NTP).unwrap();
        let ts =
            ((secs << 32) | ((u64::from(now.subsec_nanos()) << 32) / 1_000_000_000)).to_be_bytes();
        let reference = ((secs - 1) << 32).to_be_bytes();
        [
            &[0x24, stratum, 0x03, 0xe9][..], // LI 0, version 4, mode 4; stratum; poll 8s; precision 2^-23
            &[0, 0, 0, 0],                    // root delay
            &[0, 0, 0, 0x10],                 // root dispersion
            b"GPS\0",                         // reference id
            &reference,                       // reference timestamp: a second ago
            &req[40..48],                     // origin: the client's transmit timestamp
            &ts,                              // receive timestamp
            &ts,                              // transmit timestamp
        ]
        .concat()
    }

    /// Runs `ask` against a fake server that answers the request with `answer(request)`, or not
    /// at all when it returns `None`.
    async fn against(answer: fn(&[u8]) -> Option<Vec<u8>>) -> Result<NtpResult, NtpFailure> {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(n, 48, "an SNTP request is 48 bytes");
            assert_eq!(buf[0], 0x23, "LI 0, version 4, mode 3 (client)");
            if let Some(r) = answer(&buf[..n]) {
                server.send_to(&r, from).await.unwrap();
            }
            std::future::pending::<()>().await;
        });
        let r = ask(addr, Instant::now() + Duration::from_millis(500)).await;
        task.abort();
        r
    }

    #[tokio::test]
    async fn valid_reply_with_skew() {
        let r = against(|q| Some(reply(q, 600, 1))).await.unwrap();
        assert!(
            (r.offset - 600_000_000).abs() < 2_000_000,
            "offset {}",
            r.offset
        );
        let server = "127.0.0.1:123".parse().unwrap();
        let o = judge(server, "time.test", &r, Duration::from_secs(60));
        assert_eq!(o.status, Status::Ok);
        assert!(o.detail.contains("+10m 0s"), "{}", o.detail);
        assert!(o.detail.contains("reference GPS"), "{}", o.detail);
        assert_eq!(o.warnings.len(), 1);
        assert!(
            o.warnings[0]
                .message
                .starts_with("clock differs from time.test by 10m 0s (this machine is behind)")
        );
        let WarningKind::ClockSkew {
            offset_ms,
            server: host,
        } = &o.warnings[0].kind
        else {
            panic!("{:?}", o.warnings[0]);
        };
        assert!((offset_ms - 600_000.0).abs() < 2_000.0, "{offset_ms}");
        assert_eq!(host, "time.test");
        let facts = o.facts.ntp.as_ref().expect("ntp facts");
        assert_eq!(facts.stratum, 1);
        assert!(
            judge(server, "t", &r, Duration::from_secs(3600))
                .warnings
                .is_empty()
        );
    }

    #[tokio::test]
    async fn longer_reply_is_read_as_its_header() {
        let r = against(|q| Some([reply(q, 0, 2), vec![0; 20]].concat())).await;
        assert!(r.is_ok(), "a 68-byte reply (with a MAC) is valid: {r:?}");
    }

    #[tokio::test]
    async fn bad_replies_are_told_apart() {
        let short = against(|q| Some(reply(q, 0, 2)[..47].to_vec())).await;
        assert!(
            matches!(short, Err(NtpFailure::Ntp(sntpc::Error::IncorrectPayload, b)) if b.len() == 47)
        );
        let kod = against(|q| {
            let mut r = reply(q, 0, 0); // stratum 0: kiss-o'-death
            r[12..16].copy_from_slice(b"RATE");
            Some(r)
        })
        .await;
        let Err(NtpFailure::Ntp(e, b)) = kod else {
            panic!("{kod:?}")
        };
        let text = ntp_error(e, b.len());
        assert!(
            text.contains("kiss-o'-death") && text.contains("RATE"),
            "{text}"
        );
        let garbage =
            against(|_| Some(b"HTTP/1.1 400 Bad Request\r\n\r\n0123456789abcdefghij".to_vec()))
                .await;
        assert!(matches!(garbage, Err(NtpFailure::Ntp(_, _))), "{garbage:?}");
        let empty = against(|_| Some(Vec::new())).await;
        assert!(matches!(
            empty,
            Err(NtpFailure::Ntp(sntpc::Error::IncorrectPayload, _))
        ));
        let stale = against(|q| {
            let mut r = reply(q, 0, 2);
            r[24] ^= 0xff; // origin timestamp that is not ours
            Some(r)
        })
        .await;
        assert!(matches!(
            stale,
            Err(NtpFailure::Ntp(sntpc::Error::IncorrectOriginTimestamp, _))
        ));
    }

    #[tokio::test]
    async fn silence_and_refusal() {
        assert!(matches!(against(|_| None).await, Err(NtpFailure::Timeout)));
        let closed = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let r = ask(closed, Instant::now() + Duration::from_secs(2)).await;
        let Err(f) = r else { panic!("{r:?}") };
        let two = Duration::from_secs(2);
        let o = failure(closed, two, two, f);
        assert_eq!(o.status, Status::Refused, "{}", o.detail);
    }

    #[test]
    fn references() {
        assert_eq!(reference(1, *b"GPS\0"), "GPS");
        assert_eq!(reference(2, [192, 0, 2, 1]), "192.0.2.1");
        assert_eq!(reference(1, [0, 0, 0, 0]), "0.0.0.0");
    }
}
