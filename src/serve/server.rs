//! The HTTP/1 server (hyper) on its own thread: a bounded number of connections, each with a
//! deadline to send its request head and one to be done, one request per connection, requests of
//! at most 8 KiB.
//!
//! Why its own thread and runtime: the probing loop must keep its schedule whatever clients do,
//! and a run of thousands of probes must not make a scrape wait either. Why the bounds: a client
//! that sends its head one byte a minute (slowloris), never reads its answer, or opens connections
//! without end would otherwise hold sockets, memory and file descriptors — which the probes need.

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};

use super::routes::respond;
use super::snapshot::Snapshot;

/// The largest request hyper buffers: its minimum, far more than `GET /metrics` needs.
const MAX_REQUEST_BYTES: usize = 8192;

/// Headers a request may carry.
const MAX_HEADERS: usize = 32;

/// What one client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; one more is closed as soon as it is accepted.
    pub connections: usize,
    /// Time a client has to send its request head.
    pub header_read: Duration,
    /// Time a connection may last, request and answer together.
    pub connection: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        // A scrape is one small GET answered from memory: milliseconds. Prometheus's default
        // scrape timeout is 10 s, so a slow network still fits.
        Self {
            connections: 32,
            header_read: Duration::from_secs(5),
            connection: Duration::from_secs(10),
        }
    }
}

/// Binds the listening socket now, so that an address in use or not ours fails the command
/// before the first run.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The running server; it stops when the snapshots' sender is dropped.
#[derive(Debug)]
pub struct Server {
    thread: JoinHandle<()>,
    addr: SocketAddr,
}

impl Server {
    /// Starts serving `listener` on a thread of its own, answering from the latest snapshot.
    pub fn spawn(
        listener: TcpListener,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        limits: Limits,
    ) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("apim-probe-http".into())
            .spawn(move || runtime.block_on(serve(listener, snapshots, limits)))?;
        Ok(Self { thread, addr })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the thread to end; call after dropping the sender. Connections still open are
    /// closed with its runtime.
    pub fn join(self) {
        let _ = self.thread.join();
    }
}

async fn serve(
    listener: TcpListener,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    limits: Limits,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        eprintln!("apim-probe: cannot serve HTTP: the listening socket cannot be used");
        return;
    };
    let slots = Arc::new(Semaphore::new(limits.connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(MAX_REQUEST_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(false);
    loop {
        let accepted = tokio::select! {
            changed = snapshots.changed() => {
                if changed.is_err() {
                    return; // The probing loop has ended.
                }
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or the like: wait rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            continue; // Too many at once: this one is closed unanswered.
        };
        let latest = snapshots.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let snap = Arc::clone(&latest.borrow());
            async move { Ok::<_, Infallible>(answer(&req, &snap)) }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(limits.connection, conn).await;
            drop(slot);
        });
    }
}

fn answer(req: &Request<Incoming>, snap: &Snapshot) -> Response<Full<bytes::Bytes>> {
    let reply = respond(req.method(), req.uri().path(), snap);
    let mut res = Response::new(Full::new(reply.body));
    *res.status_mut() = reply.status;
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if reply.status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(ALLOW, HeaderValue::from_static("GET"));
    }
    res
}
