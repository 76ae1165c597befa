//! The listener's log, one JSON object per line: what `listen -o json` writes and what
//! `check --peer-log` reads back to tell, per port, whether a request arrived. Pure: lines in,
//! lines out, and the search of a log for one request.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalog::vocabulary::Transport;

/// One line of the log: when, and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// The same instant in milliseconds since the epoch, for programs.
    pub unix_ms: i64,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// What a line of the log says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A socket the listener opened.
    Listening {
        /// `tcp` or `udp`.
        transport: Transport,
        /// The address bound, `ip:port`.
        address: String,
        /// The port.
        port: u16,
        /// The catalog rows that use this port (empty for ports given by hand).
        #[serde(default)]
        ids: Vec<String>,
    },
    /// A socket the listener could not open; the others still listen.
    BindFailed {
        /// `tcp` or `udp`.
        transport: Transport,
        /// The address it tried.
        address: String,
        /// The port.
        port: u16,
        /// The system's error.
        error: String,
    },
    /// A probe received.
    Probe(Received),
    /// The last line: what the listener saw in all.
    Summary(Summary),
    /// A line of a later version's kind, skipped.
    #[serde(other)]
    Other,
}

/// One probe the listener received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The source, `ip:port`, as the listener saw it.
    pub from: String,
    /// The listener's port it arrived on.
    pub port: u16,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// Whether the request's MAC verified under the listener's token.
    pub authenticated: bool,
    /// What the listener made of it.
    pub verdict: Handling,
    /// The request's nonce in hex, when it was a well-formed challenge: what `check` matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Why it was not a challenge, when it was not one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The first bytes of a request that was not a challenge, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bytes_hex: Option<String>,
}

/// What the listener did with a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// Authenticated: the proof was sent.
    Answered,
    /// Authenticated, but a nonce already answered: not answered again.
    Replay,
    /// Authenticated UDP over the answer rate: not answered.
    RateLimited,
    /// Our format, another token: TCP got the bad-MAC reply, UDP nothing.
    BadMac,
    /// Not a challenge of this format: nothing sent.
    Malformed,
    /// TCP: the connection closed, or stayed silent, before a byte came.
    Empty,
    /// TCP: too many connections at once; closed without reading.
    Busy,
}

names!(Handling {
    Answered => "answered",
    Replay => "replay",
    RateLimited => "rate_limited",
    BadMac => "bad_mac",
    Malformed => "malformed",
    Empty => "empty",
    Busy => "busy",
});

/// What the listener saw in all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Why it stopped: `time` (`--for` passed) or `signal` (Ctrl-C, SIGTERM).
    pub ended: String,
    /// Probes received.
    pub probes: u64,
    /// Of which authenticated.
    pub authenticated: u64,
    /// Probes received but not logged (unauthenticated ones over the log's rate).
    pub not_logged: u64,
    /// Counts per port.
    pub ports: Vec<PortCount>,
}

/// What one port received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortCount {
    /// The port.
    pub port: u16,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// Authenticated probes.
    pub authenticated: u64,
    /// Other probes.
    pub unauthenticated: u64,
}

/// `t` as the log writes it: RFC 3339 with three digits of milliseconds (every line the same
/// width), and milliseconds since the epoch.
pub fn stamp(t: OffsetDateTime) -> (String, i64) {
    let ms = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let whole = t.replace_nanosecond(0).unwrap_or(t);
    let text = match whole.format(&Rfc3339) {
        Ok(s) => format!(
            "{}.{:03}Z",
            s.trim_end_matches('Z'),
            t.nanosecond() / 1_000_000
        ),
        Err(_) => format!("@{ms}ms"),
    };
    (text, ms)
}

/// Whether the listener listened on a port, by its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listened {
    /// It opened the port.
    Yes,
    /// It tried and failed: the system's error.
    Failed(String),
    /// The log names other ports only.
    No,
}

/// What a log says about one request of ours (nonce) on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The log's line for this very request, when there is one, with its time.
    pub request: Option<(String, Received)>,
    /// How many other probes the log has on this port and transport.
    pub others: usize,
    /// The last of those, with its time.
    pub last_other: Option<(String, Received)>,
    /// Whether the listener listened on the port.
    pub listened: Listened,
    /// When the listener stopped, when the log has its summary line: (time, unix ms).
    pub stopped: Option<(String, i64)>,
}

/// Searches `lines` for the request with `nonce` (hex) sent to `port`/`transport`.
pub fn find(lines: &[Line], nonce: &str, port: u16, transport: Transport) -> Sighting {
    let mut s = Sighting {
        request: None,
        others: 0,
        last_other: None,
        listened: Listened::No,
        stopped: None,
    };
    for line in lines {
        match &line.event {
            Event::Listening {
                port: p,
                transport: t,
                ..
            } if (*p, *t) == (port, transport) => s.listened = Listened::Yes,
            Event::BindFailed {
                port: p,
                transport: t,
                error,
                ..
            } if (*p, *t) == (port, transport) && s.listened != Listened::Yes => {
                s.listened = Listened::Failed(error.clone());
            }
            Event::Probe(r) if (r.port, r.transport) == (port, transport) => {
                if r.nonce.as_deref() == Some(nonce) {
                    s.request = Some((line.time.clone(), r.clone()));
                } else {
                    s.others += 1;
                    s.last_other = Some((line.time.clone(), r.clone()));
                }
            }
            Event::Summary(_) => s.stopped = Some((line.time.clone(), line.unix_ms)),
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::assert_serde_agrees;

    fn probe(port: u16, nonce: Option<&str>) -> Line {
        Line {
            time: "2026-11-28T10:00:00.250Z".into(),
            unix_ms: 1_795_860_000_250,
            event: Event::Probe(Received {
                from: "198.18.0.2:40000".into(),
                port,
                transport: Transport::Tcp,
                authenticated: nonce.is_some(),
                verdict: if nonce.is_some() {
                    Handling::Answered
                } else {
                    Handling::Malformed
                },
                nonce: nonce.map(str::to_owned),
                why: None,
                first_bytes_hex: None,
            }),
        }
    }

    #[test]
    fn names_agree_with_serde() {
        assert_serde_agrees(Handling::ALL, |v| v.as_str());
    }

    #[test]
    fn a_line_is_one_flat_json_object_and_reads_back() {
        let line = probe(6381, Some("0a0b"));
        let json = serde_json::to_string(&line).unwrap();
        assert!(json.starts_with(r#"{"time":"2026-11-28T10:00:00.250Z","unix_ms":1795860000250,"event":"probe","from":"198.18.0.2:40000","port":6381"#), "{json}");
        assert_eq!(serde_json::from_str::<Line>(&json).unwrap(), line);
        let later: Line =
            serde_json::from_str(r#"{"time":"t","unix_ms":1,"event":"heartbeat","n":3}"#).unwrap();
        assert_eq!(later.event, Event::Other);
    }

    #[test]
    fn stamps_have_milliseconds() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_795_860_000_250_999_999).unwrap();
        assert_eq!(
            stamp(t),
            ("2026-11-28T10:00:00.250Z".to_owned(), 1_795_860_000_250)
        );
    }

    #[test]
    fn finds_our_request_by_nonce_and_counts_the_others() {
        let listening = Line {
            time: "t0".into(),
            unix_ms: 0,
            event: Event::Listening {
                transport: Transport::Tcp,
                address: "0.0.0.0:6381".into(),
                port: 6381,
                ids: vec![],
            },
        };
        let lines = vec![
            listening,
            probe(6381, None),
            probe(6381, Some("00ff")),
            probe(6382, Some("abcd")),
        ];
        let s = find(&lines, "00ff", 6381, Transport::Tcp);
        assert_eq!(s.listened, Listened::Yes);
        assert_eq!(s.request.as_ref().unwrap().1.verdict, Handling::Answered);
        assert_eq!(s.others, 1);
        let none = find(&lines, "abcd", 6383, Transport::Tcp);
        assert_eq!((none.request, none.others), (None, 0));
        assert_eq!(none.listened, Listened::No);
    }
}
