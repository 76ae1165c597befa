//! The `dns` check: one DNS server, asked over one transport, must answer a query.
//!
//! Any well-formed response proves the server is reachable; a response code other than NOERROR
//! becomes a warning. UDP uses a *connected* socket so that an ICMP port-unreachable arrives as
//! `refused` instead of looking like silence. TCP uses the two-byte length prefix of RFC 1035
//! §4.2.2.

use std::io;
use std::net::SocketAddr;

use hickory_resolver::proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use super::bytes::hex_prefix;
use super::connect::{self, ConnectFailure, connect_one};
use super::context::{Context, Target};
use super::facts::{DnsFacts, DnsFailureKind};
use super::outcome::{Outcome, Phase, Status, Warning, WarningKind, millis};
use super::words::within;
use crate::catalog::model::Transport;

/// The name asked: the one every APIM instance needs, so an answer is also a useful one.
pub const QUERY_NAME: &str = "login.microsoftonline.com.";

/// The `dns` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    let start = Instant::now();
    let server = match target.host.parse() {
        Ok(ip) => SocketAddr::new(ip, target.port),
        Err(_) => {
            return Outcome::new(
                Status::Error,
                Phase::Plan,
                format!("`{}` is not a DNS server address", target.host),
            );
        }
    };
    let query = match build_query() {
        Ok(q) => q,
        Err(e) => {
            return Outcome::new(
                Status::Error,
                Phase::Handshake,
                format!("cannot encode the query: {e}"),
            );
        }
    };
    let exchange = async {
        match target.transport {
            Transport::Udp => ask_udp(server, &query.1).await,
            Transport::Tcp => ask_tcp(server, &query.1).await,
        }
    };
    let budget = deadline.saturating_duration_since(start);
    let mut out = match timeout_at(deadline, exchange).await {
        Err(_) => Outcome::timed_out(
            Phase::Connect,
            budget,
            format!(
                "no answer from {server} over {} within {} (port 53 dropped?)",
                target.transport,
                within(ctx.timeout, budget)
            ),
        ),
        Ok(Err(e)) => failure(server, target.transport, &e),
        Ok(Ok(reply)) => judge(server, target.transport, query.0, &reply),
    };
    if out.facts.dns.is_none() {
        let failure = (out.status == Status::Timeout).then_some(DnsFailureKind::NoAnswer);
        out.facts.dns = Some(server_facts(server, target.transport, failure));
    }
    out.addresses = vec![server.ip()];
    out.timings.total = Some(millis(start.elapsed()));
    if out.status == Status::Ok {
        out.peer = Some(server);
    }
    out
}

/// A recursive A query for [`QUERY_NAME`]: its id and wire bytes.
pub fn build_query() -> Result<(u16, Vec<u8>), String> {
    let name = Name::from_ascii(QUERY_NAME).map_err(|e| e.to_string())?;
    let mut m = Message::query();
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(name, RecordType::A));
    Ok((m.metadata.id, m.to_vec().map_err(|e| e.to_string())?))
}

async fn ask_udp(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, ConnectFailure> {
    let sock = connect::udp(server).await?;
    let mut buf = vec![0u8; 4096];
    let exchange = async {
        sock.send(query).await?;
        sock.recv(&mut buf).await
    };
    match exchange.await {
        Ok(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        Err(err) => Err(connect::udp_failure(&sock, err)),
    }
}

async fn ask_tcp(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, ConnectFailure> {
    let mut s = connect_one(server).await?;
    let plain = |err| ConnectFailure { err, icmp: None };
    framed(&mut s, query).await.map_err(plain)
}

/// One query and its answer over a TCP stream, each with its two-byte length (RFC 1035 §4.2.2).
async fn framed(s: &mut tokio::net::TcpStream, query: &[u8]) -> io::Result<Vec<u8>> {
    let len = u16::try_from(query.len()).map_err(|_| io::Error::other("query too long"))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    s.write_all(&framed).await?;
    let reply_len = usize::from(s.read_u16().await?);
    let mut buf = vec![0u8; reply_len];
    s.read_exact(&mut buf).await?;
    Ok(buf)
}

fn failure(server: SocketAddr, transport: Transport, f: &ConnectFailure) -> Outcome {
    let e = &f.err;
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return Outcome::new(
            Status::ProtocolError,
            Phase::Handshake,
            format!("{server} closed the connection before a full DNS answer"),
        );
    }
    let (status, why) = match transport {
        Transport::Udp => f.explain_udp(),
        Transport::Tcp => f.explain(),
    };
    let mut o = Outcome::new(
        status,
        Phase::Connect,
        format!("{server} over {transport}: {why}"),
    );
    o.facts.dns = Some(server_facts(
        server,
        transport,
        Some(DnsFailureKind::Unreachable),
    ));
    f.record(&mut o.facts);
    o
}

/// The DNS facts of a `dns` row: the one server and transport asked.
fn server_facts(
    server: SocketAddr,
    transport: Transport,
    failure: Option<DnsFailureKind>,
) -> DnsFacts {
    DnsFacts {
        servers: vec![server.to_string()],
        transport: Some(transport),
        failure,
        ..DnsFacts::default()
    }
}

/// Turns a reply into `ok` (with a warning for a failing response code) or `protocol_error`.
pub fn judge(server: SocketAddr, transport: Transport, id: u16, reply: &[u8]) -> Outcome {
    let t = transport.as_str();
    let msg = match Message::from_vec(reply) {
        Ok(m) => match not_our_answer(&m, id, reply) {
            None => m,
            Some(why) => {
                return not_dns(server, transport, format!("{server} over {t} {why}"), reply);
            }
        },
        Err(e) => {
            let d = format!(
                "{server} over {t} sent something that is not DNS ({e}); first bytes: {}",
                hex_prefix(reply)
            );
            return not_dns(server, transport, d, reply);
        }
    };
    let code = super::resolve::rcode_name(msg.metadata.response_code);
    let o = Outcome::new(
        Status::Ok,
        Phase::Handshake,
        format!(
            "{server} answered over {t}: {code}, {} answer record(s) for {QUERY_NAME}",
            msg.answers.len()
        ),
    );
    let understood = format!("{code}, {} answer(s)", msg.answers.len());
    let mut o = o.with_reply("dns", reply, Some(understood));
    o.facts.dns = Some(DnsFacts {
        rcode: Some(code.clone()),
        answers: Some(msg.answers.len()),
        ..server_facts(server, transport, None)
    });
    if msg.metadata.response_code != ResponseCode::NoError {
        o.warnings.push(Warning::new(
            WarningKind::DnsRcode {
                server: server.to_string(),
                rcode: code.clone(),
            },
            format!("DNS server {server} answers {code} for {QUERY_NAME}: reachable, but it does not resolve what APIM needs"),
        ));
    }
    o
}

/// Why a well-formed DNS message is not the answer to our query, if it is not: a response (QR set)
/// with our id and our question. Our own query sent back (an echo or a reflector) is named as such.
fn not_our_answer(m: &Message, id: u16, reply: &[u8]) -> Option<String> {
    if m.metadata.message_type != MessageType::Response {
        let echo = build_query().is_ok_and(|(_, q)| q[2..] == reply[2.min(reply.len())..]);
        return Some(if echo {
            "sent our own query back: an echo or reflector, not a DNS server".into()
        } else {
            "sent a DNS query, not a response (QR bit clear)".into()
        });
    }
    if m.metadata.id != id {
        return Some(format!(
            "answered with id {} instead of {id}",
            m.metadata.id
        ));
    }
    let asked = Name::from_ascii(QUERY_NAME).ok();
    let ours = m
        .queries
        .first()
        .is_some_and(|q| Some(q.name()) == asked.as_ref() && q.query_type() == RecordType::A);
    (!ours || m.queries.len() != 1).then(|| {
        "answered another question than ours (a stale or forged answer, or not a DNS server)".into()
    })
}

/// A reply that is not a DNS answer to our question: `protocol_error`, with its bytes.
fn not_dns(server: SocketAddr, transport: Transport, detail: String, reply: &[u8]) -> Outcome {
    let mut o = Outcome::new(Status::ProtocolError, Phase::Handshake, detail)
        .with_reply("dns", reply, None);
    o.facts.dns = Some(server_facts(
        server,
        transport,
        Some(DnsFailureKind::NotDns),
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_a_recursive_a_question() {
        let (id, bytes) = build_query().unwrap();
        assert_eq!(u16::from_be_bytes([bytes[0], bytes[1]]), id);
        assert_eq!(bytes[2] & 0x01, 0x01, "RD bit");
        assert_eq!(u16::from_be_bytes([bytes[4], bytes[5]]), 1, "QDCOUNT");
    }

    #[test]
    fn judge_replies() {
        let server: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let (id, q) = build_query().unwrap();
        let mut reply = Message::from_vec(&q).unwrap();
        reply.metadata.message_type = hickory_resolver::proto::op::MessageType::Response;
        reply.metadata.response_code = ResponseCode::ServFail;
        let bytes = reply.to_vec().unwrap();
        let o = judge(server, Transport::Udp, id, &bytes);
        assert_eq!(o.status, Status::Ok);
        assert_eq!(o.warnings.len(), 1);
        assert_eq!(
            judge(server, Transport::Udp, id.wrapping_add(1), &bytes).status,
            Status::ProtocolError
        );
        assert_eq!(
            judge(server, Transport::Udp, id, b"garbage").status,
            Status::ProtocolError
        );
        // Our own query back: QR clear, same id and question.
        let echo = judge(server, Transport::Udp, id, &q);
        assert_eq!(echo.status, Status::ProtocolError);
        assert!(echo.detail.contains("echo or reflector"), "{}", echo.detail);
        // A response to another question.
        let mut other = reply.clone();
        other.queries[0].set_name(Name::from_ascii("example.com.").unwrap());
        let o = judge(server, Transport::Udp, id, &other.to_vec().unwrap());
        assert_eq!(o.status, Status::ProtocolError);
        assert!(o.detail.contains("another question"), "{}", o.detail);
        assert_eq!(
            judge(server, Transport::Udp, id, &[]).status,
            Status::ProtocolError
        );
    }
}
