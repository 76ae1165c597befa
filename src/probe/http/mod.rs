//! The `http` check: resolve, TCP, then `GET /` over plain HTTP/1.1; a status line means something
//! speaking HTTP answered, and [`who`] decides whether it was the service or a firewall or proxy
//! in its place.
//!
//! A TCP connect to port 80 proves little: Azure Firewall completes the handshake itself and then
//! denies with HTTP 470 and a body like "Action: Deny. Reason: No rule matched to proceed."; a
//! proxy asks for credentials (407) or names itself in its headers. Those are `firewall_denied`,
//! with what was seen in the detail and in `facts.http`.

mod parse;
mod who;

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::bytes::hex_prefix;
use super::connect::with_connection;
use super::context::{Context, Target};
use super::facts::HttpFacts;
use super::outcome::{Outcome, Phase, Status};
use super::words::within;
pub use parse::{
    FIREWALL_DENY, MAX_STATUS_LINE, PROXY_AUTH, StatusLine, enough, header, parse_status_line,
};
pub use who::{answered, deny_reason, proxy_marker};

/// The most of a reply read: the status line, headers and the start of a deny page.
pub const MAX_REPLY: usize = 4096;

/// The `http` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    with_connection(target, ctx, deadline, async |mut conn| {
        let request = request(&target.host, target.port, target.path.as_deref());
        let budget = deadline.saturating_duration_since(Instant::now());
        let (reply, ended) = exchange(&mut conn.stream, &request, deadline).await;
        let mut o = judge(&reply, &ended, conn.peer, ctx);
        if o.status == Status::Timeout {
            let limit = within(ctx.timeout, budget);
            o.detail = o.detail.replace(&super::words::human(ctx.timeout), &limit);
            o.facts.timed_out_in = Some(Phase::Handshake);
            o.facts.phase_budget_ms = Some(super::outcome::millis(budget));
        }
        o
    })
    .await
}

/// `GET PATH HTTP/1.1` (`/` by default) with Host, a small User-Agent, and `Connection: close`.
pub fn request(host: &str, port: u16, path: Option<&str>) -> Vec<u8> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let authority = if port == 80 {
        host
    } else {
        format!("{host}:{port}")
    };
    format!(
        "GET {} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: apim-probe/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        path.unwrap_or("/"),
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// How reading the reply ended.
#[derive(Debug)]
enum Ended {
    /// Enough was read to judge.
    Enough,
    /// The peer closed.
    Eof,
    /// Reset or another error while sending or reading.
    Failed(io::Error),
    /// The deadline came.
    Deadline,
}

/// Sends the request and reads until the reply can be judged, the peer closes, [`MAX_REPLY`]
/// bytes, or the deadline.
async fn exchange(stream: &mut TcpStream, request: &[u8], deadline: Instant) -> (Vec<u8>, Ended) {
    let mut reply = Vec::new();
    let work = async {
        stream.write_all(request).await?;
        let mut buf = [0u8; 1024];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(Ended::Eof);
            }
            let room = MAX_REPLY - reply.len();
            reply.extend_from_slice(&buf[..n.min(room)]);
            if reply.len() >= MAX_REPLY || enough(&reply) {
                return Ok(Ended::Enough);
            }
        }
    };
    let ended = match timeout_at(deadline, work).await {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => Ended::Failed(e),
        Err(_) => Ended::Deadline,
    };
    (reply, ended)
}

/// The outcome for what was read, and how reading ended.
fn judge(reply: &[u8], ended: &Ended, peer: SocketAddr, ctx: &Context) -> Outcome {
    let o = match parse_status_line(reply) {
        StatusLine::Complete {
            version,
            code,
            reason,
        } => {
            let mut facts = HttpFacts {
                status: code,
                reason: reason.clone(),
                server: header(reply, "server"),
                via: header(reply, "via"),
                deny_reason: deny_reason(reply),
                proxy: None,
            };
            let auth = header(reply, "proxy-authenticate");
            facts.proxy = proxy_marker(reply, &facts, auth.as_deref());
            let shown = format!("{version} {code} {reason}").trim_end().to_owned();
            let mut o = answered(&facts, &shown, peer).with_reply("http", reply, Some(shown));
            o.facts.http = Some(facts);
            return o;
        }
        line => unanswered(&line, reply, ended, peer, ctx),
    };
    o.with_reply("http", reply, None)
}

/// No whole status line: silence, a close, a reset, a cut-short answer or not HTTP at all.
fn unanswered(
    line: &StatusLine,
    reply: &[u8],
    ended: &Ended,
    peer: SocketAddr,
    ctx: &Context,
) -> Outcome {
    let limit = super::words::human(ctx.timeout);
    let (status, detail) = match (line, ended) {
        (_, Ended::Deadline) if reply.is_empty() => (
            Status::Timeout,
            format!(
                "TCP to {peer} is open, but no HTTP answer within {limit} (a firewall holding the request?)"
            ),
        ),
        (StatusLine::Incomplete, Ended::Deadline) => (
            Status::Timeout,
            format!(
                "{peer} began an HTTP answer but did not finish its status line within {limit}"
            ),
        ),
        (_, Ended::Eof) if reply.is_empty() => (
            Status::ProtocolError,
            format!(
                "{peer} accepted the connection, then closed it without answering the HTTP request"
            ),
        ),
        (_, Ended::Failed(e)) if reply.is_empty() => (
            Status::ProtocolError,
            format!(
                "{peer} accepted the connection, then reset it instead of answering HTTP [{e}]"
            ),
        ),
        (StatusLine::Incomplete, _) => (
            Status::ProtocolError,
            format!("{peer} cut its HTTP answer short: {}", hex_prefix(reply)),
        ),
        (_, _) => (
            Status::ProtocolError,
            format!(
                "{peer} does not speak HTTP: it answered {}",
                hex_prefix(reply)
            ),
        ),
    };
    Outcome::new(status, Phase::Handshake, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_host_and_closes() {
        let r = String::from_utf8(request("crl.example.test", 80, None)).unwrap();
        assert!(
            r.starts_with("GET / HTTP/1.1\r\nHost: crl.example.test\r\n"),
            "{r}"
        );
        assert!(
            r.contains("\r\nConnection: close\r\n") && r.ends_with("\r\n\r\n"),
            "{r}"
        );
        assert!(r.contains(&format!(
            "User-Agent: apim-probe/{}\r\n",
            env!("CARGO_PKG_VERSION")
        )));
        let r = String::from_utf8(request("::1", 8080, None)).unwrap();
        assert!(r.contains("Host: [::1]:8080\r\n"), "{r}");
        let r = String::from_utf8(request("crl3.digicert.com", 80, Some("/G2.crl"))).unwrap();
        assert!(
            r.starts_with("GET /G2.crl HTTP/1.1\r\nHost: crl3.digicert.com\r\n"),
            "{r}"
        );
    }
}
