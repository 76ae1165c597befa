//! Send one request, read until the reply is understood: the shared core of the banner-style
//! checks (`tds`, `smb`, `amqp`), like blackbox_exporter's `query_response`.
//!
//! A check is data: a request and a decoder. This module owns everything that can go wrong after
//! the TCP handshake, and says which it was: closed without a word (a firewall or NVA that
//! terminates TCP and then gives up), reset after accept, garbage, silence, or a reply that
//! trickles in too slowly to finish by the deadline (the words for each are in `explain`). It is
//! generic over the stream so a TLS-wrapped stream (`amqps`) runs the same exchange.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use super::bytes::{hex_prefix, sniff};
use super::connect::with_connection;
use super::context::{Context, Target};
use super::outcome::{Outcome, Status};
use super::tls;

mod explain;
mod spec;

pub use spec::{Decode, Exchange, READ_CAP};

use explain::{Limits, broken, closed, echo, is_echo, reply, silence};

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
                o.warnings.extend(secured.warnings);
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

#[cfg(test)]
mod tests;
