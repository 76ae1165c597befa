//! An NTP reply, whatever its bytes: sntpc parses it as in the probe, then the probe judges the
//! time (`ok`, maybe with a skew warning) or explains the rejection; never a panic.
//!
//! Input: 8 bytes of local clock (seconds since 1970, microseconds), 1 flag byte (bit 0: copy
//! the request's transmit timestamp into the reply's origin timestamp, as a real server does, so
//! the fuzzer gets past that check), then the reply datagram.
#![no_main]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use apim_probe::probe::ntp::{self, NtpFailure};
use libfuzzer_sys::fuzz_target;
use sntpc::{NtpContext, NtpTimestampGenerator, NtpUdpSocket};

/// A fixed local clock.
#[derive(Clone, Copy)]
struct Clock {
    secs: u64,
    micros: u32,
}

impl NtpTimestampGenerator for Clock {
    fn init(&mut self) {}
    fn timestamp_sec(&self) -> u64 {
        self.secs
    }
    fn timestamp_subsec_micros(&self) -> u32 {
        self.micros
    }
}

/// A socket whose one datagram received is the fuzzer's.
struct Fake<'a> {
    reply: &'a [u8],
    echo_origin: bool,
    request: Mutex<Vec<u8>>,
}

impl NtpUdpSocket for Fake<'_> {
    async fn send_to(&self, buf: &[u8], _addr: SocketAddr) -> sntpc::Result<usize> {
        buf.clone_into(&mut *self.request.lock().expect("not poisoned"));
        Ok(buf.len())
    }

    async fn recv_from(&self, buf: &mut [u8]) -> sntpc::Result<(usize, SocketAddr)> {
        let mut reply = self.reply.to_vec();
        let request = self.request.lock().expect("not poisoned");
        if self.echo_origin && reply.len() >= 32 && request.len() >= 48 {
            reply[24..32].copy_from_slice(&request[40..48]);
        }
        // As the probe's socket: a long datagram is cut to what sntpc reads.
        let kept = reply.len().min(buf.len());
        buf[..kept].copy_from_slice(&reply[..kept]);
        Ok((kept, "192.0.2.123:123".parse().expect("literal")))
    }
}

/// Polls a future that never waits (the fake socket is always ready).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((head, reply)) = data.split_at_checked(9) else {
        return;
    };
    let clock = Clock {
        secs: u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]])),
        micros: u32::from_be_bytes([head[4], head[5], head[6], head[7]]) % 1_000_000,
    };
    let sock = Fake {
        reply,
        echo_origin: head[8] & 1 == 1,
        request: Mutex::new(Vec::new()),
    };
    let server: SocketAddr = "192.0.2.123:123".parse().expect("literal");
    let o = match block_on(sntpc::get_time(server, &sock, NtpContext::new(clock))) {
        Ok(r) => ntp::judge(server, "time.windows.com", &r, Duration::from_secs(60)),
        Err(e) => ntp::failure(
            server,
            Duration::from_secs(5),
            Duration::from_secs(5),
            NtpFailure::Ntp(e, reply.to_vec()),
        ),
    };
    let _ = format!("{o:?}");
});
