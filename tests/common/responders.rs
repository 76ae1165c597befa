//! Shared by the protocol tests (`protocols.rs`, `protocols_ntp.rs`): catalog rows for one check
//! kind against 127.0.0.1, running `check` over them, and responder threads stopped on drop.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{JoinHandle, spawn};
use std::time::{Duration, Instant};

use super::support::{catalog, check_json, row_of};

/// A catalog row for one check kind against 127.0.0.1 (no DNS needed).
pub fn row(id: &str, check: &str, transport: &str, port: u16) -> String {
    row_of(id, true, "127.0.0.1", port, transport, check)
}

/// Runs `check` over these rows with a 1 s timeout; returns the report and how long it took.
pub fn run(rows: &[String], extra: &[&str]) -> (serde_json::Value, Duration) {
    let (_dir, cat) = catalog(rows);
    let mut args = vec!["--catalog", cat.to_str().unwrap(), "--timeout", "1s"];
    // Rows use literal addresses; a resolver that is never asked keeps the run off real DNS.
    args.extend(["--dns-server", "127.0.0.1:9"]);
    args.extend(extra);
    let start = Instant::now();
    let (_code, report) = check_json(&args);
    (report, start.elapsed())
}

/// The result with this id in a report; panics (showing the report) when there is none.
pub fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result {id}: {report:#}"))
}

/// Bytes that are no protocol at all, for peers that answer garbage.
pub const GARBAGE: &[u8] = b"\xde\xad\xbe\xef this is no protocol at all\r\n";

/// A responder thread on 127.0.0.1; stopped and joined on drop.
pub struct Responder {
    /// Where it listens.
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    /// Runs `body` (given the stop flag) on its own thread; `port` is where it listens.
    pub fn spawn(port: u16, body: impl FnOnce(Arc<AtomicBool>) + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = Some(spawn(move || body(flag)));
        Self { port, stop, thread }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
