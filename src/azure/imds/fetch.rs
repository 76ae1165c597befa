//! Asking IMDS within a budget of about a second, and saying honestly what came back.
//!
//! The request is HTTP/1.0 over a plain TCP stream, so the answer comes unchunked (a chunked
//! body is decoded anyway). IMDS allows five requests a second and restarts now and then; Azure
//! documents 410, 429 and 5xx as worth retrying
//! (<https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service#errors-and-debugging>).
//! So a busy answer, or no answer, gets **one** retry inside the same budget: the first try has
//! half of it, the second what is left (after a short pause when IMDS said it was busy).
//!
//! "Not on an Azure VM" is said only when nothing answered at all (no connection, or silence
//! both times). When something did answer — busy twice, an HTTP error, not HTTP, not JSON — the
//! message says that IMDS answered, and how.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::{AzureContext, IMDS_ADDR};

/// The request path.
const PATH: &str = "/metadata/instance?api-version=2021-02-01";

/// Largest answer read; IMDS's instance document is a few kilobytes.
const MAX_BODY: u64 = 1 << 20;

/// The pause before retrying a busy answer (at most half of the time left).
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Why IMDS gave no instance document; `Display` is the whole notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImdsError {
    /// Nothing answered: no connection could be made, or no reply came to either try — what a
    /// machine off Azure sees.
    NoAnswer(String),
    /// Something answered at IMDS's address, but not with the instance document: busy twice, an
    /// HTTP error, not HTTP, not JSON.
    Answered(String),
}

impl fmt::Display for ImdsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImdsError::NoAnswer(why) => {
                write!(f, "not on an Azure VM, or IMDS unreachable ({why})")
            }
            ImdsError::Answered(why) => write!(f, "IMDS answered but {why}"),
        }
    }
}

/// How one try ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Try {
    /// HTTP 200: its body.
    Document(Vec<u8>),
    /// No connection (refused, no route): not retried, the same would come back at once.
    NoConnection(String),
    /// Nothing within the try's time, or closed without a byte: retried.
    Silent(String),
    /// 410, 429, 5xx, or an answer cut short by the try's time: retried.
    Busy(String),
    /// Any other status, or not HTTP: not retried.
    Garbled(String),
}

impl Try {
    fn answered(&self) -> bool {
        matches!(self, Try::Document(_) | Try::Busy(_) | Try::Garbled(_))
    }

    fn why(&self) -> &str {
        match self {
            Try::Document(_) => "",
            Try::NoConnection(w) | Try::Silent(w) | Try::Busy(w) | Try::Garbled(w) => w,
        }
    }
}

/// Asks IMDS at 169.254.169.254, within `budget` in all.
pub async fn fetch(budget: Duration) -> Result<AzureContext, ImdsError> {
    fetch_from(IMDS_ADDR, budget).await
}

/// Asks an IMDS at `addr` (tests use a loopback one), within `budget` in all.
pub async fn fetch_from(addr: SocketAddr, budget: Duration) -> Result<AzureContext, ImdsError> {
    let start = Instant::now();
    let end = start + budget;
    let first = attempt(addr, start + budget / 2).await;
    let second = match first {
        Try::Silent(_) => Some(attempt(addr, end).await),
        Try::Busy(_) => {
            let pause = RETRY_PAUSE.min(end.saturating_duration_since(Instant::now()) / 2);
            tokio::time::sleep(pause).await;
            Some(attempt(addr, end).await)
        }
        _ => None,
    };
    judge(first, second)
}

/// The verdict on one or two tries.
fn judge(first: Try, second: Option<Try>) -> Result<AzureContext, ImdsError> {
    let answered = first.answered() || second.as_ref().is_some_and(Try::answered);
    let why = match (first, second) {
        (Try::Document(body), None) | (_, Some(Try::Document(body))) => {
            return AzureContext::from_json(&body).map_err(ImdsError::Answered);
        }
        (only, None) => only.why().to_owned(),
        (first, Some(again)) if again.why() == first.why() => format!("{}, twice", first.why()),
        (first, Some(again)) => format!("{}, then {}", first.why(), again.why()),
    };
    Err(if answered {
        ImdsError::Answered(why)
    } else {
        ImdsError::NoAnswer(why)
    })
}

/// One request, given up at `deadline`.
async fn attempt(addr: SocketAddr, deadline: Instant) -> Try {
    let within = deadline
        .saturating_duration_since(Instant::now())
        .as_millis();
    let mut stream = match timeout_at(deadline, TcpStream::connect(addr)).await {
        Err(_) => return Try::Silent(format!("no answer from {addr} within {within} ms")),
        Ok(Err(e)) => return Try::NoConnection(format!("cannot connect to {addr}: {e}")),
        Ok(Ok(s)) => s,
    };
    let request = format!(
        "GET {PATH} HTTP/1.0\r\nHost: {}\r\nMetadata: true\r\nUser-Agent: apim-probe\r\nConnection: close\r\n\r\n",
        addr.ip()
    );
    let mut raw = Vec::new();
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        (&mut stream).take(MAX_BODY).read_to_end(&mut raw).await
    };
    let read = timeout_at(deadline, exchange).await;
    match read {
        _ if raw.is_empty() => Try::Silent(match read {
            Err(_) => format!("connected to {addr}, but no answer within {within} ms"),
            Ok(Err(e)) => format!("connected to {addr}, then {e}"),
            Ok(Ok(_)) => format!("connected to {addr}, but it closed without answering"),
        }),
        Err(_) => Try::Busy(format!(
            "sent {} bytes, then nothing more within {within} ms",
            raw.len()
        )),
        Ok(_) => classify(&raw),
    }
}

/// What an HTTP response says: the document (200, de-chunked), busy, or something else.
fn classify(raw: &[u8]) -> Try {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Try::Garbled("not an HTTP response (no end of headers)".into());
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (proto, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !proto.starts_with("HTTP/") {
        return Try::Garbled(format!("not an HTTP response: {status_line:.60}"));
    }
    if code != "200" {
        let status = format!("HTTP {}", status_line.split_once(' ').map_or("", |x| x.1));
        let busy = code == "410" || code == "429" || code.starts_with('5');
        return if busy {
            Try::Busy(status)
        } else {
            Try::Garbled(status)
        };
    }
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    });
    let body = &raw[end + 4..];
    if !chunked {
        return Try::Document(body.to_vec());
    }
    dechunk(body).map_or_else(
        || Try::Garbled("HTTP 200 with a bad chunked body".into()),
        Try::Document,
    )
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&body[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        body = &body[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}";
        assert_eq!(classify(ok), Try::Document(b"{}".to_vec()));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(classify(chunked), Try::Document(b"{\"a\":1}".to_vec()));
        let bad_chunks = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(matches!(classify(bad_chunks), Try::Garbled(_)));
        assert_eq!(
            classify(b"HTTP/1.1 400 Bad Request\r\n\r\n{}"),
            Try::Garbled("HTTP 400 Bad Request".into())
        );
        for busy in [
            "410 Gone",
            "429 Too Many Requests",
            "500 Internal Server Error",
        ] {
            let raw = format!("HTTP/1.1 {busy}\r\n\r\n");
            assert_eq!(classify(raw.as_bytes()), Try::Busy(format!("HTTP {busy}")));
        }
        assert!(matches!(classify(b"garbage"), Try::Garbled(_)));
        assert!(matches!(classify(b"SSH-2.0-x\r\n\r\n"), Try::Garbled(_)));
    }

    #[test]
    fn verdicts() {
        let busy = || Try::Busy("HTTP 503 Service Unavailable".into());
        let silent = || Try::Silent("no answer within 500 ms".into());
        let refused = || Try::NoConnection("cannot connect: refused".into());
        let doc = Try::Document(br#"{"compute":{"location":"westeurope"}}"#.to_vec());
        assert_eq!(judge(busy(), Some(doc)).unwrap().location, "westeurope");
        assert_eq!(
            judge(busy(), Some(busy())).unwrap_err().to_string(),
            "IMDS answered but HTTP 503 Service Unavailable, twice"
        );
        assert_eq!(
            judge(busy(), Some(silent())).unwrap_err().to_string(),
            "IMDS answered but HTTP 503 Service Unavailable, then no answer within 500 ms"
        );
        assert_eq!(
            judge(silent(), Some(silent())).unwrap_err(),
            ImdsError::NoAnswer("no answer within 500 ms, twice".into())
        );
        assert_eq!(
            judge(refused(), None).unwrap_err().to_string(),
            "not on an Azure VM, or IMDS unreachable (cannot connect: refused)"
        );
        let not_json = Try::Document(b"<html>".to_vec());
        assert!(
            matches!(judge(not_json, None), Err(ImdsError::Answered(w)) if w.starts_with("bad JSON"))
        );
    }
}
