//! Reading an HTTP/1.1 answer: its status line, its headers, and when enough has come to judge it.
//!
//! # References
//! - RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF.

/// Azure Firewall's status code for an application-rule deny.
pub const FIREWALL_DENY: u16 = 470;

/// Proxy Authentication Required.
pub const PROXY_AUTH: u16 = 407;

/// Whether the body of an answer with this status is read to judge it (a deny or block page).
pub fn reads_body(code: u16) -> bool {
    matches!(code, FIREWALL_DENY | PROXY_AUTH | 403) || (500..600).contains(&code)
}

/// A status line longer than this is not one.
pub const MAX_STATUS_LINE: usize = 1024;

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
    if !reads_body(code) {
        return true;
    }
    let head = String::from_utf8_lossy(&reply[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    length.is_some_and(|len| reply.len() - (head_end + 4) >= len)
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
    fn headers_are_found_by_name_in_the_head_only() {
        let reply = b"HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nVIA: 1.1 proxy (squid)\r\n\r\nServer: body";
        assert_eq!(header(reply, "server").as_deref(), Some("squid/5.7"));
        assert_eq!(header(reply, "via").as_deref(), Some("1.1 proxy (squid)"));
        assert_eq!(header(reply, "x-squid-error"), None);
        assert_eq!(header(b"HTTP/1.1 200 OK\r\n", "server"), None);
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
