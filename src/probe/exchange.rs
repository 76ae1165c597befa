//! Send one request, read until the reply is understood: the shared core of the banner-style
//! checks (`tds`, `smb`, `amqp`), like blackbox_exporter's `query_response`.
//!
//! A check is data: a request and a decoder. This module owns everything that can go wrong after
//! the TCP handshake, and says which it was: closed without a word (a firewall or NVA that
//! terminates TCP and then gives up), reset after accept, garbage, silence, or a reply that
//! trickles in too slowly to finish by the deadline. It is generic over the stream so a
//! TLS-wrapped stream (`amqps`) runs the same exchange.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use super::bytes::{hex_prefix, sniff};
use super::connect::{classify, with_connection};
use super::context::{Context, Target};
use super::outcome::{Outcome, Phase, Status};
use super::tls;
use super::words::within;

/// The most a reply may grow to before it is judged: every handshake here answers in far less.
pub const READ_CAP: usize = 4096;

/// What a decoder makes of the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decode {
    /// A valid beginning: keep reading.
    NeedMore,
    /// A complete, understood reply; the text says what it was (version, dialect …).
    Done(String),
    /// Not the expected protocol; the text says why.
    Invalid(String),
}

/// One request/reply exchange: what to send and how to read the answer.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The protocol's short name for evidence (`tds`, `smb`, `amqp`).
    pub protocol: &'static str,
    /// What is sent, for details ("TDS PRELOGIN").
    pub request_name: &'static str,
    /// The request's bytes.
    pub request: &'a [u8],
    /// Judges the bytes received so far; called after every read.
    pub decode: fn(&[u8]) -> Decode,
}

/// Resolves, connects, then runs `ex` over plain TCP: a whole check in one call.
pub async fn probe_tcp(
    target: &Target,
    ctx: &Context,
    deadline: Instant,
    ex: &Exchange<'_>,
) -> Outcome {
    probe_over(target, ctx, deadline, ex, false).await
}

/// Resolves, connects, completes a judged TLS handshake (`tls::wrap`), then runs `ex` inside
/// TLS. A handshake that is not `ok` (untrusted, intercepted, closed) is the outcome.
pub async fn probe_tls(
    target: &Target,
    ctx: &Context,
    deadline: Instant,
    ex: &Exchange<'_>,
) -> Outcome {
    probe_over(target, ctx, deadline, ex, true).await
}

async fn probe_over(
    target: &Target,
    ctx: &Context,
    deadline: Instant,
    ex: &Exchange<'_>,
    tls: bool,
) -> Outcome {
    with_connection(target, ctx, deadline, async |conn| {
        let peer = conn.peer;
        if !tls {
            let mut stream = conn.stream;
            return run(&mut stream, peer, ctx.timeout, deadline, ex).await;
        }
        match tls::wrap(conn.stream, &target.host, ctx, deadline).await {
            Ok(mut secured) => {
                let mut o = run(&mut secured.stream, peer, ctx.timeout, deadline, ex).await;
                let version = secured.evidence.version.as_deref().unwrap_or("TLS");
                o.detail = format!("over {version}: {}", o.detail);
                o.warnings.extend(tls::warnings(&secured.evidence));
                o.facts.tls = Some(secured.facts);
                o
            }
            Err(o) => o,
        }
    })
    .await
}

/// Sends `ex.request` on a connected stream and reads until the decoder decides, the peer stops,
/// [`READ_CAP`] bytes arrived, or `deadline` passes. The outcome is in the handshake phase;
/// `limit` is the probe's timeout, for details ("within 5s").
pub async fn run<S>(
    stream: &mut S,
    peer: SocketAddr,
    limit: Duration,
    deadline: Instant,
    ex: &Exchange<'_>,
) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let budget = deadline.saturating_duration_since(Instant::now());
    let limit = Limits { limit, budget };
    let mut got = Vec::new();
    let write = async {
        stream.write_all(ex.request).await?;
        stream.flush().await
    };
    match timeout_at(deadline, write).await {
        Err(_) => return silence(peer, limit, ex, &got, "could not even send the request"),
        Ok(Err(e)) => return broken(peer, ex, &got, &e, "while the request was sent"),
        Ok(Ok(())) => {}
    }
    let mut chunk = [0u8; 1024];
    loop {
        let n = match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return silence(peer, limit, ex, &got, "no reply"),
            Ok(Err(e)) => return broken(peer, ex, &got, &e, "before a full reply"),
            Ok(Ok(0)) => return closed(peer, ex, &got),
            Ok(Ok(n)) => n,
        };
        got.extend_from_slice(&chunk[..n.min(READ_CAP - got.len())]);
        match (ex.decode)(&got) {
            Decode::Done(understood) => {
                let detail = format!("{peer} answered the {}: {understood}", ex.request_name);
                return reply(Status::Ok, detail, ex, &got, Some(understood));
            }
            Decode::Invalid(_) if is_echo(ex, &got) => return echo(peer, ex, &got),
            Decode::Invalid(why) => {
                let detail = format!(
                    "{peer} answered the {} with something else: {why}{}; first bytes: {}",
                    ex.request_name,
                    sniff(&got).map_or(String::new(), |s| format!(" ({s})")),
                    hex_prefix(&got)
                );
                return reply(Status::ProtocolError, detail, ex, &got, None);
            }
            Decode::NeedMore if got.len() >= READ_CAP => {
                let detail = format!(
                    "{peer} sent {READ_CAP} bytes without completing a reply to the {}; first bytes: {}",
                    ex.request_name,
                    hex_prefix(&got)
                );
                return reply(Status::ProtocolError, detail, ex, &got, None);
            }
            Decode::NeedMore => {}
        }
    }
}

/// An outcome with the bytes received as evidence.
fn reply(
    status: Status,
    detail: String,
    ex: &Exchange<'_>,
    got: &[u8],
    understood: Option<String>,
) -> Outcome {
    Outcome::new(status, Phase::Handshake, detail).with_reply(ex.protocol, got, understood)
}

/// Whether all that came back is our own request, byte for byte.
fn is_echo(ex: &Exchange<'_>, got: &[u8]) -> bool {
    !got.is_empty() && got == ex.request
}

/// Our own bytes came back and nothing more: an echo service or a reflector (some NVAs and
/// test rigs do this), not the service — whatever the protocol's first reply looks like.
fn echo(peer: SocketAddr, ex: &Exchange<'_>, got: &[u8]) -> Outcome {
    let detail = format!(
        "{peer} sent our own {} back ({} byte(s)) and nothing more: an echo or reflector, not the service",
        ex.request_name,
        got.len()
    );
    reply(Status::ProtocolError, detail, ex, got, None)
}

/// The probe's limit and what the exchange had of it, for an honest timeout.
#[derive(Debug, Clone, Copy)]
struct Limits {
    limit: Duration,
    budget: Duration,
}

/// The deadline came: nothing at all, or a reply that never completed (a trickle).
fn silence(peer: SocketAddr, limits: Limits, ex: &Exchange<'_>, got: &[u8], what: &str) -> Outcome {
    if is_echo(ex, got) {
        return echo(peer, ex, got);
    }
    let limit = within(limits.limit, limits.budget);
    let detail = if got.is_empty() {
        format!(
            "connected to {peer}, but {what} to the {} within {limit} (a firewall/NVA that accepts TCP but does not pass the traffic, or not the expected service?)",
            ex.request_name
        )
    } else {
        format!(
            "connected to {peer}, but only {} byte(s) of a reply to the {} came within {limit}; first bytes: {}",
            got.len(),
            ex.request_name,
            hex_prefix(got)
        )
    };
    let mut o = reply(Status::Timeout, detail, ex, got, None);
    o.facts.timed_out_in = Some(Phase::Handshake);
    o.facts.phase_budget_ms = Some(super::outcome::millis(limits.budget));
    o
}

/// The peer closed cleanly (FIN) before a complete reply.
fn closed(peer: SocketAddr, ex: &Exchange<'_>, got: &[u8]) -> Outcome {
    if is_echo(ex, got) {
        return echo(peer, ex, got);
    }
    let detail = if got.is_empty() {
        format!(
            "{peer} accepted, then closed without a word after the {} (a firewall/NVA terminating TCP?)",
            ex.request_name
        )
    } else {
        format!(
            "{peer} closed the connection after {} byte(s), in the middle of a reply to the {}; first bytes: {}",
            got.len(),
            ex.request_name,
            hex_prefix(got)
        )
    };
    reply(Status::ProtocolError, detail, ex, got, None)
}

/// An I/O error after the handshake: a reset is the peer's (or a middlebox's) doing; anything else
/// is explained as the TCP check would.
fn broken(peer: SocketAddr, ex: &Exchange<'_>, got: &[u8], e: &io::Error, when: &str) -> Outcome {
    use io::ErrorKind as K;
    let after = if got.is_empty() {
        String::new()
    } else {
        format!(
            " after {} byte(s) (first bytes: {})",
            got.len(),
            hex_prefix(got)
        )
    };
    let (status, why) = match e.kind() {
        K::ConnectionReset | K::ConnectionAborted => (
            Status::ProtocolError,
            format!(
                "reset after accept{after}, {when} (a firewall/NVA that accepts TCP, then rejects the traffic?) [{e}]"
            ),
        ),
        K::BrokenPipe => (
            Status::ProtocolError,
            format!("accepted, then closed {when}{after} [{e}]"),
        ),
        _ => {
            let (status, why) = classify(e);
            (status, format!("{why}{after}, {when}"))
        }
    };
    reply(status, format!("{peer}: {why}"), ex, got, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    /// A toy protocol: the reply is `OK` followed by one version byte.
    fn toy(b: &[u8]) -> Decode {
        match b {
            [b'O', b'K', v, ..] => Decode::Done(format!("version {v}")),
            [b'O'] | [b'O', b'K'] => Decode::NeedMore,
            _ => Decode::Invalid("does not start with OK".into()),
        }
    }

    const TOY: Exchange<'static> = Exchange {
        protocol: "toy",
        request_name: "TOY HELLO",
        request: b"HELLO",
        decode: toy,
    };

    fn peer() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    /// Runs the exchange against a peer scripted by `script`, with a 300 ms deadline.
    async fn against<F, Fut>(script: F) -> Outcome
    where
        F: FnOnce(tokio::io::DuplexStream) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (mut ours, theirs) = duplex(64);
        let server = tokio::spawn(script(theirs));
        let limit = Duration::from_millis(300);
        let o = run(&mut ours, peer(), limit, Instant::now() + limit, &TOY).await;
        server.abort();
        o
    }

    async fn read_request(s: &mut tokio::io::DuplexStream) {
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HELLO");
    }

    #[tokio::test]
    async fn understood_reply_is_ok_with_evidence() {
        let o = against(|mut s| async move {
            read_request(&mut s).await;
            s.write_all(b"OK\x07").await.unwrap();
            std::future::pending::<()>().await;
        })
        .await;
        assert_eq!(o.status, Status::Ok, "{}", o.detail);
        assert!(o.detail.contains("version 7"), "{}", o.detail);
        assert_eq!(o.facts.first_bytes_hex.as_deref(), Some("4f 4b 07"));
        let Some(crate::probe::evidence::Evidence::Reply {
            understood,
            first_bytes_hex,
            ..
        }) = o.evidence
        else {
            panic!("no evidence");
        };
        assert_eq!(understood.as_deref(), Some("version 7"));
        assert_eq!(first_bytes_hex, "4f 4b 07");
    }

    #[tokio::test]
    async fn reply_split_across_reads_is_reassembled() {
        let o = against(|mut s| async move {
            read_request(&mut s).await;
            for b in b"OK\x01" {
                s.write_all(&[*b]).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            std::future::pending::<()>().await;
        })
        .await;
        assert_eq!(o.status, Status::Ok, "{}", o.detail);
    }

    #[tokio::test]
    async fn close_without_a_word_is_a_protocol_error() {
        let o = against(|mut s| async move { read_request(&mut s).await }).await;
        assert_eq!(o.status, Status::ProtocolError);
        assert!(o.detail.contains("closed without a word"), "{}", o.detail);
    }

    #[tokio::test]
    async fn close_mid_reply_says_how_far_it_got() {
        let o = against(|mut s| async move {
            read_request(&mut s).await;
            s.write_all(b"OK").await.unwrap();
        })
        .await;
        assert_eq!(o.status, Status::ProtocolError);
        assert!(o.detail.contains("after 2 byte(s)"), "{}", o.detail);
    }

    #[tokio::test]
    async fn garbage_is_a_protocol_error_with_hex() {
        let o = against(|mut s| async move {
            read_request(&mut s).await;
            s.write_all(b"HTTP/1.1 470 Deny\r\n").await.unwrap();
            std::future::pending::<()>().await;
        })
        .await;
        assert_eq!(o.status, Status::ProtocolError);
        assert!(o.detail.contains("48 54 54 50"), "{}", o.detail);
        assert!(o.detail.contains("HTTP response"), "{}", o.detail);
    }

    #[tokio::test]
    async fn our_own_bytes_back_are_an_echo_whether_it_then_waits_or_closes() {
        for close in [false, true] {
            let o = against(move |mut s| async move {
                read_request(&mut s).await;
                s.write_all(b"HELLO").await.unwrap();
                if !close {
                    std::future::pending::<()>().await;
                }
            })
            .await;
            assert_eq!(o.status, Status::ProtocolError, "{}", o.detail);
            assert!(o.detail.contains("echo or reflector"), "{}", o.detail);
        }
    }

    #[tokio::test]
    async fn silence_is_a_timeout() {
        let o = against(|mut s| async move {
            read_request(&mut s).await;
            std::future::pending::<()>().await;
        })
        .await;
        assert_eq!(o.status, Status::Timeout);
        assert!(
            o.detail.contains("no reply to the TOY HELLO within 300ms"),
            "{}",
            o.detail
        );
    }

    #[tokio::test]
    async fn trickle_ends_at_the_deadline_with_what_came() {
        let o = against(|mut s| async move {
            read_request(&mut s).await;
            s.write_all(b"O").await.unwrap();
            std::future::pending::<()>().await;
        })
        .await;
        assert_eq!(o.status, Status::Timeout);
        assert!(o.detail.contains("only 1 byte(s)"), "{}", o.detail);
        assert!(o.detail.contains("4f"), "{}", o.detail);
    }

    #[tokio::test]
    async fn endless_valid_prefix_stops_at_the_cap() {
        fn never(_: &[u8]) -> Decode {
            Decode::NeedMore
        }
        let (mut ours, mut theirs) = duplex(8192);
        let server = tokio::spawn(async move {
            let mut buf = [0u8; 5];
            theirs.read_exact(&mut buf).await.unwrap();
            theirs.write_all(&[0u8; 8192]).await.unwrap();
            std::future::pending::<()>().await;
        });
        let ex = Exchange {
            decode: never,
            ..TOY
        };
        let limit = Duration::from_secs(2);
        let o = run(&mut ours, peer(), limit, Instant::now() + limit, &ex).await;
        server.abort();
        assert_eq!(o.status, Status::ProtocolError);
        assert!(o.detail.contains("4096 bytes"), "{}", o.detail);
    }
}
