//! What every long-running command shares: stopping on Ctrl-C, SIGTERM or a deadline, and a
//! progress line on a terminal.

use std::time::Duration;

use crate::runner::Stop;

/// A one-line progress counter on stderr, only when stderr is a terminal.
pub struct Progress {
    on: bool,
    total: usize,
}

impl Progress {
    /// A counter of `total` probes, shown only when `on` (stderr is a terminal).
    pub fn new(on: bool, total: usize) -> Self {
        Self { on, total }
    }

    /// Shows `done` of the total.
    pub fn show(&self, done: usize) {
        if self.on {
            eprint!("\r\x1b[2Kprobing: {done}/{} done", self.total);
        }
    }

    /// Erases the line.
    pub fn clear(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Completes when the run must stop early: a signal, or the whole-run deadline.
pub async fn stop(deadline: Option<Duration>) -> Stop {
    let Some(d) = deadline else {
        stop_signal().await;
        return Stop::Interrupted;
    };
    tokio::select! {
        () = stop_signal() => Stop::Interrupted,
        () = tokio::time::sleep(d) => Stop::Deadline(d),
    }
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM; never when neither can be listened for.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                r = tokio::signal::ctrl_c() => if r.is_err() { std::future::pending::<()>().await },
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
