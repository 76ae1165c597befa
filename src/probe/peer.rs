//! The `peer` check (pair mode): proves that a port of another machine of the VNet is reachable by
//! getting *our* listener (`apim-probe listen` there) to answer a challenge keyed by the shared
//! token — not merely a handshake, which a firewall or NVA that accepts everything also gives.
//!
//! TCP: connect, send the challenge, read the reply (at most one message). UDP: one datagram each
//! way on a connected socket (an ICMP port unreachable then comes back as `refused`). The bytes
//! and the decisions are `crate::pair`'s; this file does the I/O and explains the outcome.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::bytes::{hex, hex_prefix, sniff};
use super::connect::{self, ConnectFailure, Connection, classify, udp_failure, with_connection};
use super::context::{Context, Target};
use super::facts::{PairAnswer, PairFacts};
use super::outcome::{Outcome, Phase, Status, millis};
use super::resolve;
use super::words::within;
use crate::catalog::vocabulary::Transport;
use crate::pair::auth::{self, Token, Verdict};
use crate::pair::wire::{self, MAX_LEN, NONCE_LEN};

/// Datagrams read before giving up on a valid reply (a bounded loop).
const MAX_DATAGRAMS: usize = 4;

/// The `peer` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    let Some(token) = ctx.pair_token.clone() else {
        return Outcome::new(
            Status::Error,
            Phase::Plan,
            "pair mode needs the pair's token: give --token-file (or --token) with --peer",
        );
    };
    let mut nonce = [0u8; NONCE_LEN];
    if SystemRandom::new().fill(&mut nonce).is_err() {
        return Outcome::new(
            Status::Error,
            Phase::Plan,
            "local: the system's random generator failed; no nonce for the challenge",
        );
    }
    let ask = Ask {
        token,
        nonce,
        port: target.port,
        transport: target.transport,
    };
    let mut o = match target.transport {
        Transport::Tcp => {
            with_connection(target, ctx, deadline, async |conn| {
                over_tcp(conn, &ask, ctx, deadline).await
            })
            .await
        }
        Transport::Udp => over_udp(target, &ask, ctx, deadline).await,
    };
    o.facts
        .pair
        .get_or_insert_with(|| facts(&ask, PairAnswer::Nothing));
    if o.status == Status::Refused {
        o.detail
            .push_str(" (is `apim-probe listen` running there, with this port?)");
    }
    o
}

/// One challenge: the token, its nonce, and where it goes.
struct Ask {
    token: Arc<Token>,
    nonce: [u8; NONCE_LEN],
    port: u16,
    transport: Transport,
}

impl Ask {
    fn request(&self) -> Vec<u8> {
        auth::challenge(&self.token, self.port, self.transport, self.nonce)
    }

    fn name(&self) -> String {
        format!("{} {}", self.transport.as_str().to_uppercase(), self.port)
    }
}

fn facts(ask: &Ask, answer: PairAnswer) -> PairFacts {
    PairFacts {
        nonce: hex(&ask.nonce),
        answer,
        answered_on: None,
        listener_log: None,
    }
}

/// Sends the challenge on an open connection and judges the reply.
async fn over_tcp(conn: Connection, ask: &Ask, ctx: &Context, deadline: Instant) -> Outcome {
    let (peer, mut stream) = (conn.peer, conn.stream);
    let budget = deadline.saturating_duration_since(Instant::now());
    let sent = timeout_at(deadline, async {
        stream.write_all(&ask.request()).await?;
        stream.flush().await
    })
    .await;
    let got = match sent {
        Err(_) => Read::Silent(Vec::new()),
        Ok(Err(e)) => Read::Broken(e, Vec::new()),
        Ok(Ok(())) => read_reply(&mut stream, deadline).await,
    };
    let (answer, mut o) = match got {
        Read::Whole(bytes) => return judged(ask, peer, &bytes),
        Read::Silent(bytes) => {
            let partial = if bytes.is_empty() {
                String::new()
            } else {
                format!(" (only {} byte(s): {})", bytes.len(), hex_prefix(&bytes))
            };
            let detail = format!(
                "connected to {peer}, but no reply to our challenge within {}{partial}: a firewall/NVA that accepts TCP and does not pass it on, or the reply is lost on the way back (--peer-log with the listener's log tells which)",
                within(ctx.timeout, budget)
            );
            let o = Outcome::timed_out(Phase::Handshake, budget, detail);
            (PairAnswer::Nothing, o.with_reply("pair", &bytes, None))
        }
        Read::Closed(bytes) => {
            let detail = format!(
                "{peer} accepted, then closed without a proof{}: not our listener (a listener answers a challenge it can read; or it was busy with too many connections)",
                shown(&bytes)
            );
            let o = Outcome::new(Status::ProtocolError, Phase::Handshake, detail);
            (PairAnswer::Closed, o.with_reply("pair", &bytes, None))
        }
        Read::Broken(e, bytes) => {
            let (status, why) = match e.kind() {
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => (
                    Status::ProtocolError,
                    format!("reset after accept: not our listener [{e}]"),
                ),
                _ => classify(&e),
            };
            let detail = format!("{peer}: {why}{}", shown(&bytes));
            let o = Outcome::new(status, Phase::Handshake, detail);
            (PairAnswer::Closed, o.with_reply("pair", &bytes, None))
        }
    };
    o.facts.pair = Some(facts(ask, answer));
    o
}

/// " after N byte(s) (first bytes: …)", or nothing.
fn shown(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        String::new()
    } else {
        format!(
            " after {} byte(s) (first bytes: {})",
            bytes.len(),
            hex_prefix(bytes)
        )
    }
}

/// What reading a reply gave.
enum Read {
    /// One message's bytes, or bytes that cannot start one (judged as they are).
    Whole(Vec<u8>),
    /// The deadline came first; the bytes so far.
    Silent(Vec<u8>),
    /// The peer closed first; the bytes so far.
    Closed(Vec<u8>),
    /// An error; the bytes so far.
    Broken(io::Error, Vec<u8>),
}

/// Reads until one message is complete, the bytes cannot be one, the peer stops, or `deadline`:
/// never more than [`MAX_LEN`] bytes.
async fn read_reply(stream: &mut TcpStream, deadline: Instant) -> Read {
    let mut buf = [0u8; MAX_LEN];
    let mut got = 0;
    loop {
        match wire::needed(&buf[..got]) {
            Err(_) => return Read::Whole(buf[..got].to_vec()),
            Ok(want) if got >= want => return Read::Whole(buf[..got].to_vec()),
            Ok(_) => {}
        }
        match timeout_at(deadline, stream.read(&mut buf[got..])).await {
            Err(_) => return Read::Silent(buf[..got].to_vec()),
            Ok(Ok(0)) => return Read::Closed(buf[..got].to_vec()),
            Ok(Ok(n)) => got += n,
            Ok(Err(e)) => return Read::Broken(e, buf[..got].to_vec()),
        }
        if got == MAX_LEN {
            return Read::Whole(buf.to_vec());
        }
    }
}

/// The outcome of a reply, whatever the transport.
fn judged(ask: &Ask, peer: SocketAddr, bytes: &[u8]) -> Outcome {
    let verdict = auth::judge(&ask.token, bytes, &ask.nonce, ask.port, ask.transport);
    let on = ask.name();
    let (status, answer, detail) = match &verdict {
        Verdict::Proven => (
            Status::Ok,
            PairAnswer::Proof,
            format!(
                "our listener at {peer} answered the challenge on {on} with a valid proof (HMAC-SHA256 keyed by the token)"
            ),
        ),
        Verdict::ProvenElsewhere { port, transport } => (
            Status::ProtocolError,
            PairAnswer::OtherPort,
            format!(
                "our listener answered, but it received the challenge on {} {port}, not on {on}: something on the route forwards the port (NAT or port forwarding)",
                transport.as_str().to_uppercase()
            ),
        ),
        Verdict::WrongToken => (
            Status::Error,
            PairAnswer::BadMac,
            format!(
                "wrong token: the apim-probe listener at {peer} answered \"bad MAC\" on {on}, it runs with another token (give both machines the same --token-file); the path itself is open"
            ),
        ),
        Verdict::Unproven => (
            Status::ProtocolError,
            PairAnswer::NotOurs,
            format!(
                "{peer} answered in pair-mode format, but not with a proof for our challenge: not our listener (a stale or forged reply?)"
            ),
        ),
        Verdict::Echo => (
            Status::ProtocolError,
            PairAnswer::NotOurs,
            format!("{peer} sent our challenge back: an echo service, not our listener"),
        ),
        Verdict::NotOurs(e) => (
            Status::ProtocolError,
            PairAnswer::NotOurs,
            format!(
                "something at {peer} answered on {on}, but not our listener: {e}{}; first bytes: {}",
                sniff(bytes).map_or(String::new(), |s| format!(" ({s})")),
                hex_prefix(bytes)
            ),
        ),
    };
    let understood = (status == Status::Ok).then(|| "pair-mode proof".to_owned());
    let mut o =
        Outcome::new(status, Phase::Handshake, detail).with_reply("pair", bytes, understood);
    let mut f = facts(ask, answer);
    if let Verdict::ProvenElsewhere { port, .. } = verdict {
        f.answered_on = Some(port);
    }
    o.facts.pair = Some(f);
    o
}

/// Resolves, then one datagram each way on a connected socket.
async fn over_udp(target: &Target, ask: &Ask, ctx: &Context, deadline: Instant) -> Outcome {
    let start = Instant::now();
    let resolved = match resolve::host(&ctx.dns, &target.host, ctx.timeout, deadline).await {
        Ok(r) => r,
        Err(o) => return o,
    };
    let Some(&ip) = resolved.addrs.first() else {
        return Outcome::new(Status::DnsFailed, Phase::Resolve, "no address to ask");
    };
    let peer = SocketAddr::new(ip, target.port);
    let budget = deadline.saturating_duration_since(Instant::now());
    let mut o = match exchange(peer, ask, deadline).await {
        Ok(Some(bytes)) => judged(ask, peer, &bytes),
        Ok(None) => Outcome::timed_out(
            Phase::Connect,
            budget,
            format!(
                "no authenticated answer from {peer} on UDP {} within {}: the datagram or its answer was dropped (NSG, firewall, UDR), or the listener there has another token (it never answers a datagram it cannot authenticate)",
                target.port,
                within(ctx.timeout, budget)
            ),
        ),
        Err(f) => {
            let (status, why) = f.explain_udp();
            let mut o = Outcome::new(status, Phase::Connect, format!("{peer} over UDP: {why}"));
            f.record(&mut o.facts);
            o
        }
    };
    o.peer = Some(peer);
    o.addresses = resolved.addrs;
    o.timings.dns = resolved.dns_ms;
    o.warnings.extend(resolved.warnings);
    o.timings.total = Some(millis(start.elapsed()));
    o
}

/// Sends the challenge and waits for a proof: `Ok(Some(reply))` (a proof, or the first datagram
/// that is none), `Ok(None)` at the deadline. The socket is `connect::udp`'s: an ICMP error comes
/// back as an error, with who sent it.
async fn exchange(
    peer: SocketAddr,
    ask: &Ask,
    deadline: Instant,
) -> Result<Option<Vec<u8>>, ConnectFailure> {
    let sock = connect::udp(peer).await?;
    let sent = timeout_at(deadline, sock.send(&ask.request())).await;
    match sent {
        Err(_) => return Ok(None),
        Ok(Err(e)) => return Err(udp_failure(&sock, e)),
        Ok(Ok(_)) => {}
    }
    let mut first = None;
    for _ in 0..MAX_DATAGRAMS {
        let mut buf = [0u8; MAX_LEN + 1];
        match timeout_at(deadline, sock.recv(&mut buf)).await {
            Err(_) => break,
            Ok(Err(e)) => return Err(udp_failure(&sock, e)),
            Ok(Ok(n)) => {
                let bytes = buf[..n].to_vec();
                let proven = matches!(
                    auth::judge(&ask.token, &bytes, &ask.nonce, ask.port, ask.transport),
                    Verdict::Proven
                );
                if proven {
                    return Ok(Some(bytes));
                }
                first.get_or_insert(bytes);
            }
        }
    }
    Ok(first)
}
