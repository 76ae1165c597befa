//! A stream that keeps a copy of the first bytes read from it, so that a peer that does not speak
//! TLS can be shown in hex. Recording what rustls reads (instead of peeking beside it) cannot race
//! with the handshake: every byte the handshake saw is the byte recorded.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How many of the first bytes are kept.
pub const KEEP: usize = 64;

/// `inner`, with the first [`KEEP`] bytes read from it copied to a shared buffer.
#[derive(Debug)]
pub struct Recorded<S> {
    inner: S,
    first: Arc<Mutex<Vec<u8>>>,
}

impl<S> Recorded<S> {
    /// Wraps `inner`; returns the stream and the buffer the first bytes go to.
    pub fn new(inner: S) -> (Self, Arc<Mutex<Vec<u8>>>) {
        let first = Arc::new(Mutex::new(Vec::new()));
        (
            Self {
                inner,
                first: Arc::clone(&first),
            },
            first,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let mut first = self.first.lock().expect("first-bytes buffer poisoned");
            let room = KEEP.saturating_sub(first.len());
            let new = &buf.filled()[before..];
            first.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
