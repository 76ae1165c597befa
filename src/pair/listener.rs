//! The listener of `apim-probe listen`: the sockets, and what it does with each probe.
//!
//! What keeps it safe to leave running on a subnet (README, "Pair mode"):
//! - it answers only a challenge whose MAC verifies under the token; the one exception is the
//!   fixed "bad MAC" reply on TCP (see [`super::auth`]), never on UDP, whose source can be forged;
//! - a TCP connection is read for at most [`MAX_LEN`] bytes and [`READ_TIMEOUT`], and at most
//!   [`MAX_CONNECTIONS`] are served at once (more are closed at once, unread);
//! - UDP answers are rate-limited ([`ANSWERS_BURST`], [`ANSWERS_PER_SECOND`]) and never larger
//!   than the request; a replayed challenge is not answered twice;
//! - its state is bounded and keyed by nothing an unauthenticated peer chooses (see
//!   [`super::guard`]); lines about unauthenticated probes are rate-limited too, and counted.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::timeout;

use super::auth::{self, Answer, Token};
use super::guard::{Answered, Bucket, Counts, ERROR_PAUSE, authenticated};
use super::log::{Event, Handling, Line, Received, Summary, stamp};
use super::wire::{self, MAX_LEN, WireError};
use crate::catalog::vocabulary::Transport;

/// Longest a TCP peer may take to send its challenge.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest the listener tries to send a reply.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// TCP connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// UDP proofs sent at once before the rate applies.
pub const ANSWERS_BURST: u32 = 64;
/// UDP proofs sent per second, at most.
pub const ANSWERS_PER_SECOND: u32 = 32;
/// Lines about unauthenticated probes written at once before the rate applies.
pub const LOG_BURST: u32 = 100;
/// Lines about unauthenticated probes written per second, at most.
pub const LOG_PER_SECOND: u32 = 20;
/// Challenges remembered, so a replay gets no second answer.
pub const REMEMBERED: usize = 4096;
/// The largest datagram read whole; anything longer is judged too long all the same.
const DATAGRAM: usize = 512;

/// One socket to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// The port.
    pub port: u16,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// The catalog rows that use it.
    pub ids: Vec<String>,
}

/// Where every line goes (stdout, as text or JSON).
pub type Emit = Arc<dyn Fn(&Line) + Send + Sync>;

/// The listener's shared state: all of it bounded.
struct State {
    token: Token,
    emit: Emit,
    answered: Mutex<Answered>,
    answers: Mutex<Bucket>,
    lines: Mutex<Bucket>,
    counts: Mutex<Counts>,
}

impl State {
    /// Counts a probe and logs it (unauthenticated ones within the log's rate).
    fn record(&self, r: Received) {
        let now = Instant::now();
        self.counts
            .lock()
            .expect("not poisoned")
            .add(r.port, r.transport, r.verdict);
        let log =
            r.verdict == Handling::Answered || self.lines.lock().expect("not poisoned").take(now);
        if log {
            let (time, unix_ms) = stamp(OffsetDateTime::now_utc());
            (self.emit)(&Line {
                time,
                unix_ms,
                event: Event::Probe(r),
            });
        } else {
            self.counts.lock().expect("not poisoned").not_logged += 1;
        }
    }

    fn emit(&self, event: Event) {
        let (time, unix_ms) = stamp(OffsetDateTime::now_utc());
        (self.emit)(&Line {
            time,
            unix_ms,
            event,
        });
    }
}

/// Opens `sockets` on `bind` (each failure is a line; the others still listen), serves them until
/// `stop` completes, then returns the summary (with `ended` from `stop`). `None` when no socket
/// could be opened.
pub async fn serve(
    token: Token,
    bind: IpAddr,
    sockets: &[Socket],
    emit: Emit,
    stop: impl Future<Output = &'static str>,
) -> Option<Summary> {
    let now = Instant::now();
    let state = Arc::new(State {
        token,
        emit,
        answered: Mutex::new(Answered::new(REMEMBERED)),
        answers: Mutex::new(Bucket::new(ANSWERS_BURST, ANSWERS_PER_SECOND, now)),
        lines: Mutex::new(Bucket::new(LOG_BURST, LOG_PER_SECOND, now)),
        counts: Mutex::new(Counts::default()),
    });
    let mut tasks = JoinSet::new();
    let mut opened = Vec::new();
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    for s in sockets {
        let addr = SocketAddr::new(bind, s.port);
        let address = addr.to_string();
        let (port, transport) = (s.port, s.transport);
        let bound = match transport {
            Transport::Tcp => TcpListener::bind(addr).await.map(|l| {
                let (state, conns) = (Arc::clone(&state), Arc::clone(&connections));
                tasks.spawn(accept_loop(l, port, state, conns));
            }),
            Transport::Udp => UdpSocket::bind(addr).await.map(|u| {
                tasks.spawn(datagram_loop(u, port, Arc::clone(&state)));
            }),
        };
        match bound {
            Ok(()) => {
                opened.push((port, transport));
                state.emit(Event::Listening {
                    transport,
                    address,
                    port,
                    ids: s.ids.clone(),
                });
            }
            Err(e) => state.emit(Event::BindFailed {
                transport,
                address,
                port,
                error: e.to_string(),
            }),
        }
    }
    if opened.is_empty() {
        return None;
    }
    *state.counts.lock().expect("not poisoned") = Counts::new(opened);
    let ended = stop.await;
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let counts = state.counts.lock().expect("not poisoned");
    let ports = counts.per_port();
    let summary = Summary {
        ended: ended.to_owned(),
        probes: ports
            .iter()
            .map(|p| p.authenticated + p.unauthenticated)
            .sum(),
        authenticated: ports.iter().map(|p| p.authenticated).sum(),
        not_logged: counts.not_logged,
        ports,
    };
    drop(counts);
    state.emit(Event::Summary(summary.clone()));
    Some(summary)
}

/// Accepts connections; past [`MAX_CONNECTIONS`] at once, closes them unread.
async fn accept_loop(l: TcpListener, port: u16, state: Arc<State>, conns: Arc<Semaphore>) {
    loop {
        let Ok((stream, from)) = l.accept().await else {
            tokio::time::sleep(ERROR_PAUSE).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&conns).try_acquire_owned() else {
            drop(stream);
            state.record(received(from, port, Transport::Tcp, Handling::Busy));
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            connection(stream, from, port, &state).await;
            drop(permit);
        });
    }
}

/// Reads one challenge (at most [`MAX_LEN`] bytes, within [`READ_TIMEOUT`]), logs it, then
/// answers it: logged first, so a prober that gets the answer finds its line in the log.
async fn connection(mut stream: TcpStream, from: SocketAddr, port: u16, state: &State) {
    let (r, reply) = read_challenge(&mut stream, from, port, state).await;
    state.record(r);
    if let Some(reply) = reply {
        let _ = timeout(WRITE_TIMEOUT, async {
            stream.write_all(&reply).await?;
            stream.shutdown().await
        })
        .await;
    }
}

/// What one connection sent, judged: the line to log and the reply to send.
async fn read_challenge(
    stream: &mut TcpStream,
    from: SocketAddr,
    port: u16,
    state: &State,
) -> (Received, Option<Vec<u8>>) {
    let mut buf = [0u8; MAX_LEN];
    let mut got = 0;
    let read = timeout(READ_TIMEOUT, async {
        loop {
            let want = wire::needed(&buf[..got])?;
            if got >= want {
                return Ok(());
            }
            match stream.read(&mut buf[got..want]).await {
                Ok(0) | Err(_) => return Err(WireError::Truncated { got, want }),
                Ok(n) => got += n,
            }
        }
    })
    .await;
    let bytes = &buf[..got];
    let why = match read {
        Ok(Ok(())) => return decide(state, bytes, from, port, Transport::Tcp),
        _ if got == 0 => return (received(from, port, Transport::Tcp, Handling::Empty), None),
        Ok(Err(e)) => e,
        Err(_) => WireError::Truncated {
            got,
            want: wire::needed(bytes).unwrap_or(MAX_LEN),
        },
    };
    (malformed(from, port, Transport::Tcp, bytes, why), None)
}

/// Reads datagrams one at a time; answers authenticated ones within the rate.
async fn datagram_loop(sock: UdpSocket, port: u16, state: Arc<State>) {
    let mut buf = [0u8; DATAGRAM];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf).await else {
            // An ICMP error of an earlier send, say: nothing to read this time.
            tokio::time::sleep(ERROR_PAUSE).await;
            continue;
        };
        let (mut r, mut reply) = decide(&state, &buf[..n], from, port, Transport::Udp);
        let within_rate = || {
            state
                .answers
                .lock()
                .expect("not poisoned")
                .take(Instant::now())
        };
        if reply.is_some() && !within_rate() {
            r.verdict = Handling::RateLimited;
            reply = None;
        }
        // Logged before the answer leaves, as on TCP.
        state.record(r);
        if let Some(reply) = reply {
            let _ = sock.send_to(&reply, from).await;
        }
    }
}

/// What to do with one whole request: the line to log, and the reply to send (if any). UDP
/// never gets the bad-MAC reply; a replayed challenge gets nothing.
fn decide(
    state: &State,
    bytes: &[u8],
    from: SocketAddr,
    port: u16,
    transport: Transport,
) -> (Received, Option<Vec<u8>>) {
    match auth::answer(&state.token, bytes, port, transport) {
        Answer::Proof { nonce, reply, .. } => {
            let fresh = state
                .answered
                .lock()
                .expect("not poisoned")
                .first_time(nonce);
            let handling = if fresh {
                Handling::Answered
            } else {
                Handling::Replay
            };
            let mut r = received(from, port, transport, handling);
            r.nonce = Some(crate::probe::bytes::hex(&nonce));
            (r, fresh.then_some(reply))
        }
        Answer::BadMac { nonce, reply } => {
            let mut r = received(from, port, transport, Handling::BadMac);
            r.nonce = Some(crate::probe::bytes::hex(&nonce));
            (r, (transport == Transport::Tcp).then_some(reply))
        }
        Answer::Malformed(e) => (malformed(from, port, transport, bytes, e), None),
        Answer::NotChallenge => {
            let mut r = malformed(from, port, transport, bytes, WireError::WrongMagic);
            r.why = Some("a pair-mode reply, not a challenge".into());
            (r, None)
        }
    }
}

fn received(from: SocketAddr, port: u16, transport: Transport, verdict: Handling) -> Received {
    Received {
        from: from.to_string(),
        port,
        transport,
        authenticated: authenticated(verdict),
        verdict,
        nonce: None,
        why: None,
        first_bytes_hex: None,
    }
}

fn malformed(
    from: SocketAddr,
    port: u16,
    transport: Transport,
    bytes: &[u8],
    why: WireError,
) -> Received {
    let mut r = received(from, port, transport, Handling::Malformed);
    r.why = Some(why.to_string());
    r.first_bytes_hex = Some(crate::probe::bytes::hex_prefix(bytes));
    r
}
