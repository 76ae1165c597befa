//! The listener's bounded state: a rate limit, the nonces it answered (so a replayed challenge
//! gets no second answer), and its counts. Every structure here has a fixed ceiling whatever a
//! peer sends, and none is keyed by an unauthenticated peer. Time is passed in, so the limits are
//! tested without waiting.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::log::{Handling, PortCount};
use super::wire::NONCE_LEN;
use crate::catalog::vocabulary::Transport;

/// A token bucket: `burst` at once, then `per_second`.
#[derive(Debug)]
pub struct Bucket {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(burst: u32, per_second: u32, now: Instant) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: f64::from(per_second),
            tokens: f64::from(burst),
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The nonces answered lately, at most `cap` of them (the oldest forgotten first).
#[derive(Debug)]
pub struct Answered {
    cap: usize,
    order: VecDeque<[u8; NONCE_LEN]>,
    seen: HashSet<[u8; NONCE_LEN]>,
}

impl Answered {
    /// Remembers at most `cap` nonces.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            order: VecDeque::with_capacity(cap),
            seen: HashSet::with_capacity(cap),
        }
    }

    /// Records `nonce`; false when it was answered already (a replay).
    pub fn first_time(&mut self, nonce: [u8; NONCE_LEN]) -> bool {
        if self.seen.contains(&nonce) {
            return false;
        }
        if self.order.len() == self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.order.push_back(nonce);
        self.seen.insert(nonce);
        true
    }

    /// How many nonces are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What the listener saw, per port it opened (the keys are fixed when it starts).
#[derive(Debug, Default)]
pub struct Counts {
    ports: BTreeMap<(u16, bool), (u64, u64)>,
    /// Probes received but not logged.
    pub not_logged: u64,
}

impl Counts {
    /// Counts for these ports, all zero.
    pub fn new(ports: impl IntoIterator<Item = (u16, Transport)>) -> Self {
        Self {
            ports: ports
                .into_iter()
                .map(|(p, t)| ((p, t == Transport::Udp), (0, 0)))
                .collect(),
            not_logged: 0,
        }
    }

    /// Counts one probe on a port that was opened.
    pub fn add(&mut self, port: u16, transport: Transport, handling: Handling) {
        if let Some(c) = self.ports.get_mut(&(port, transport == Transport::Udp)) {
            if authenticated(handling) {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
    }

    /// Per port, in port order (TCP before UDP).
    pub fn per_port(&self) -> Vec<PortCount> {
        self.ports
            .iter()
            .map(|(&(port, udp), &(a, u))| PortCount {
                port,
                transport: if udp { Transport::Udp } else { Transport::Tcp },
                authenticated: a,
                unauthenticated: u,
            })
            .collect()
    }
}

/// Whether a handling means the request's MAC verified.
pub fn authenticated(h: Handling) -> bool {
    matches!(
        h,
        Handling::Answered | Handling::Replay | Handling::RateLimited
    )
}

/// Waits a little after a failing `accept` or `recv`, so an error that repeats (out of file
/// descriptors) cannot turn a loop into a busy spin.
pub const ERROR_PAUSE: Duration = Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(3, 10, t0);
        assert_eq!((0..5).filter(|_| b.take(t0)).count(), 3);
        assert!(!b.take(t0 + Duration::from_millis(50)), "half a token");
        assert!(b.take(t0 + Duration::from_millis(150)));
        assert_eq!(
            (0..100)
                .filter(|_| b.take(t0 + Duration::from_secs(60)))
                .count(),
            3,
            "never more than the burst, however long it waited"
        );
    }

    #[test]
    fn answered_nonces_are_bounded_and_replays_seen() {
        let mut a = Answered::new(2);
        assert!(a.first_time([1; 16]));
        assert!(!a.first_time([1; 16]), "a replay");
        assert!(a.first_time([2; 16]));
        assert!(a.first_time([3; 16]));
        assert_eq!(a.len(), 2, "the oldest is forgotten");
        assert!(a.first_time([1; 16]));
    }

    #[test]
    fn counts_only_ports_that_were_opened() {
        let mut c = Counts::new([(6381, Transport::Tcp), (4290, Transport::Udp)]);
        c.add(6381, Transport::Tcp, Handling::Answered);
        c.add(6381, Transport::Tcp, Handling::Malformed);
        c.add(9999, Transport::Tcp, Handling::Answered);
        let per = c.per_port();
        assert_eq!(per.len(), 2);
        assert_eq!((per[0].port, per[0].authenticated), (4290, 0));
        assert_eq!(
            (per[1].port, per[1].authenticated, per[1].unauthenticated),
            (6381, 1, 1)
        );
    }
}
