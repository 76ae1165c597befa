//! Waiting for a file descriptor instead of failing a probe when the process runs out of them.
//!
//! Concurrency is sized to the open-file limit (`crate::limits`), but other descriptors (the
//! resolver's, a slow close) can still make `socket()` fail with `EMFILE`/`ENFILE`. Such a failure
//! says nothing about the network, so it is retried briefly; only if it lasts is it reported, as
//! the local `error` it is.

use std::io;
use std::time::Duration;

use tokio::time::{Instant, sleep};

/// How long to keep retrying a descriptor shortage before reporting it.
pub const PATIENCE: Duration = Duration::from_secs(2);

/// Whether an error is a descriptor shortage (`EMFILE`, `ENFILE`, `ENOBUFS`).
pub fn is_shortage(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS)
    )
}

/// Calls `open` until it succeeds, fails for another reason, or [`PATIENCE`] runs out.
pub async fn retry<T>(mut open: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let give_up = Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(5);
    loop {
        match open() {
            Err(e) if is_shortage(&e) && Instant::now() < give_up => {
                sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}
