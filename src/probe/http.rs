//! The `http` check: resolve, TCP, then `GET /` over plain HTTP/1.1; any status line means the
//! service (or something speaking HTTP for it) answered.
//!
//! A TCP connect to port 80 proves little: Azure Firewall completes the handshake itself and then
//! denies with HTTP 470 and a body like "Action: Deny. Reason: No rule matched to proceed." That
//! deny (also seen under 403) is `firewall_denied`, with the firewall's reason in the detail.
//!
//! # References
//! - RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF.

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

/// The most of a reply read: the status line, headers and the start of a deny page.
pub const MAX_REPLY: usize = 4096;

/// A status line longer than this is not one.
pub const MAX_STATUS_LINE: usize = 1024;

/// Azure Firewall's status code for an application-rule deny.
pub const FIREWALL_DENY: u16 = 470;

/// What the first bytes of a reply are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusLine {
    /// A whole status line.
    Complete {
        /// `HTTP/1.1`.
        version: String,
        /// `200`.
        code: u16,
        /// `OK` (may be empty).
        reason: String,
    },
    /// An HTTP start so far, without its line end yet.
    Incomplete,
    /// Not HTTP.
    NotHttp,
}

/// Parses the status line at the start of `buf`.
pub fn parse_status_line(buf: &[u8]) -> StatusLine {
    const PREFIX: &[u8] = b"HTTP/";
    let n = buf.len().min(PREFIX.len());
    if buf[..n] != PREFIX[..n] {
        return StatusLine::NotHttp;
    }
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        return if buf.len() > MAX_STATUS_LINE {
            StatusLine::NotHttp
        } else {
            StatusLine::Incomplete
        };
    };
    if end > MAX_STATUS_LINE {
        return StatusLine::NotHttp;
    }
    let Ok(line) = std::str::from_utf8(&buf[..end]) else {
        return StatusLine::NotHttp;
    };
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut parts = line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return StatusLine::NotHttp;
    };
    let version_ok = version.len() == 8
        && version.as_bytes()[5].is_ascii_digit()
        && version.as_bytes()[6] == b'.'
        && version.as_bytes()[7].is_ascii_digit();
    let code_ok = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
    match code.parse::<u16>() {
        Ok(c) if version_ok && code_ok && (100..=999).contains(&c) => StatusLine::Complete {
            version: version.to_owned(),
            code: c,
            reason: parts.next().unwrap_or("").trim().to_owned(),
        },
        _ => StatusLine::NotHttp,
    }
}

/// The firewall's own words after "Action: Deny", when the body carries them.
pub fn deny_reason(reply: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(reply);
    let at = text.to_ascii_lowercase().find("action: deny")?;
    let rest = &text[at..];
    let end = rest.find(['\n', '<']).unwrap_or(rest.len());
    let reason: String = rest[..end].trim().chars().take(200).collect();
    Some(reason)
}

/// The `http` check.
pub async fn probe(target: &Target, ctx: &Context, deadline: Instant) -> Outcome {
    with_connection(target, ctx, deadline, async |mut conn| {
        let request = request(&target.host, target.port);
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

/// `GET / HTTP/1.1` with Host, a small User-Agent, and `Connection: close`.
pub fn request(host: &str, port: u16) -> Vec<u8> {
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
        "GET / HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: apim-probe/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
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

/// Whether the reply can be judged: not HTTP, or headers complete and, for the codes whose body
/// matters (a firewall's deny page), the body as long as `Content-Length` says.
pub fn enough(reply: &[u8]) -> bool {
    let code = match parse_status_line(reply) {
        StatusLine::NotHttp => return true,
        StatusLine::Incomplete => return false,
        StatusLine::Complete { code, .. } => code,
    };
    let Some(head_end) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    if code != FIREWALL_DENY && code != 403 {
        return true;
    }
    let head = String::from_utf8_lossy(&reply[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    length.is_some_and(|len| reply.len() - (head_end + 4) >= len)
}

/// The outcome for what was read, and how reading ended.
fn judge(reply: &[u8], ended: &Ended, peer: SocketAddr, ctx: &Context) -> Outcome {
    let o = match parse_status_line(reply) {
        StatusLine::Complete {
            version,
            code,
            reason,
        } => {
            let facts = HttpFacts {
                status: code,
                reason: reason.clone(),
                server: header(reply, "server"),
                via: header(reply, "via"),
                deny_reason: deny_reason(reply),
            };
            let shown = format!("{version} {code} {reason}").trim_end().to_owned();
            let mut o = answered(&facts, &shown, peer).with_reply("http", reply, Some(shown));
            o.facts.http = Some(facts);
            return o;
        }
        line => unanswered(&line, reply, ended, peer, ctx),
    };
    o.with_reply("http", reply, None)
}

/// A whole status line came: the service (or something in its place) answered.
fn answered(facts: &HttpFacts, shown: &str, peer: SocketAddr) -> Outcome {
    let (status, detail) = match (facts.status, &facts.deny_reason) {
        (FIREWALL_DENY, deny) => (
            Status::FirewallDenied,
            format!(
                "{peer} answered HTTP 470, Azure Firewall's application-rule deny: {}",
                deny.as_deref().unwrap_or("no reason given")
            ),
        ),
        (403, Some(deny)) => (
            Status::FirewallDenied,
            format!("{peer} answered HTTP 403 with a firewall deny page: {deny}"),
        ),
        _ => (Status::Ok, format!("{peer} answered {shown}")),
    };
    Outcome::new(status, Phase::Handshake, detail)
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

/// The value of header `name` (lowercase) in the head of `reply`, trimmed and cut to 200
/// characters, when present.
pub fn header(reply: &[u8], name: &str) -> Option<String> {
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(reply.len());
    let head = String::from_utf8_lossy(&reply[..end]);
    head.lines().skip(1).find_map(|l| {
        let (key, value) = l.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().chars().take(200).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(version: &str, code: u16, reason: &str) -> StatusLine {
        StatusLine::Complete {
            version: version.into(),
            code,
            reason: reason.into(),
        }
    }

    #[test]
    fn valid_status_lines() {
        assert_eq!(
            parse_status_line(b"HTTP/1.1 200 OK\r\n"),
            complete("HTTP/1.1", 200, "OK")
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n"),
            complete("HTTP/1.0", 404, "Not Found")
        );
        // The reason phrase is optional (RFC 9112 §4), and a bare LF ends a line too.
        assert_eq!(
            parse_status_line(b"HTTP/1.1 470\n"),
            complete("HTTP/1.1", 470, "")
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.1 470 status code 470\r\n"),
            complete("HTTP/1.1", 470, "status code 470")
        );
    }

    #[test]
    fn truncated_status_lines_are_incomplete() {
        for cut in [
            &b""[..],
            b"H",
            b"HTTP",
            b"HTTP/1.1",
            b"HTTP/1.1 20",
            b"HTTP/1.1 200 OK\r",
        ] {
            assert_eq!(parse_status_line(cut), StatusLine::Incomplete, "{cut:?}");
        }
    }

    #[test]
    fn an_oversized_status_line_is_not_http() {
        let mut long = b"HTTP/1.1 200 ".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_STATUS_LINE + 10));
        assert_eq!(parse_status_line(&long), StatusLine::NotHttp);
        long.extend_from_slice(b"\r\n");
        assert_eq!(parse_status_line(&long), StatusLine::NotHttp);
    }

    #[test]
    fn garbage_is_not_http() {
        for junk in [
            &b"\x16\x03\x01\x00\x02"[..],
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"HTTP/1.1 OK 200\r\n",
            b"HTTP/1.1 20x OK\r\n",
            b"HTTP/1.1 2000 OK\r\n",
            b"HTTP/x.y 200 OK\r\n",
            b"HTTP/1.1 099 Low\r\n",
            b"HTTP/1.1\r\n",
            b"HTTP/1.1 200 \xff\xfe\r\n",
        ] {
            assert_eq!(parse_status_line(junk), StatusLine::NotHttp, "{junk:?}");
        }
    }

    #[test]
    fn the_firewall_reason_is_taken_from_the_body() {
        let body = b"HTTP/1.1 470 status code 470\r\n\r\nHTTP request from 10.0.1.4:5000 to x:80. Url: x. Action: Deny. Reason: No rule matched to proceed.\r\nmore";
        assert_eq!(
            deny_reason(body).as_deref(),
            Some("Action: Deny. Reason: No rule matched to proceed.")
        );
        let html =
            b"<html><body><p>action: deny. Reason: Web Category Gambling is denied.</p></body>";
        assert_eq!(
            deny_reason(html).as_deref(),
            Some("action: deny. Reason: Web Category Gambling is denied.")
        );
        assert_eq!(deny_reason(b"HTTP/1.1 403 Forbidden\r\n\r\nGo away"), None);
    }

    #[test]
    fn headers_are_found_by_name_in_the_head_only() {
        let reply = b"HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nVIA: 1.1 proxy (squid)\r\n\r\nServer: body";
        assert_eq!(header(reply, "server").as_deref(), Some("squid/5.7"));
        assert_eq!(header(reply, "via").as_deref(), Some("1.1 proxy (squid)"));
        assert_eq!(header(reply, "x-squid-error"), None);
        assert_eq!(header(b"HTTP/1.1 200 OK\r\n", "server"), None);
    }

    #[test]
    fn the_request_names_the_host_and_closes() {
        let r = String::from_utf8(request("crl.example.test", 80)).unwrap();
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
        let r = String::from_utf8(request("::1", 8080)).unwrap();
        assert!(r.contains("Host: [::1]:8080\r\n"), "{r}");
    }

    #[test]
    fn reading_stops_when_the_reply_can_be_judged() {
        assert!(enough(b"HTTP/1.1 200 OK\r\n\r\n"));
        assert!(!enough(b"HTTP/1.1 200 OK\r\nServer: x\r\n"));
        assert!(enough(b"garbage"));
        // A deny page is read to the end of its Content-Length.
        assert!(!enough(
            b"HTTP/1.1 470 x\r\nContent-Length: 10\r\n\r\nAction"
        ));
        assert!(enough(b"HTTP/1.1 470 x\r\nContent-Length: 6\r\n\r\nAction"));
        assert!(!enough(b"HTTP/1.1 403 x\r\n\r\nAction"));
    }
}
