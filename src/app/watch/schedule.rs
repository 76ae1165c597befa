//! When runs start: a fixed rate from the first one, each moved by its own random offset when
//! `--jitter` is on, and never two at once — a run that ends after the next one was due makes the
//! next one start at once, late, and the rate goes on from there (no burst of runs to catch up).

use std::time::{Duration, Instant};

/// The start times of the runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    every: Duration,
    /// The unjittered start of the current run.
    base: Instant,
}

impl Schedule {
    /// Runs every `every`, the first one due at `start`.
    pub fn new(start: Instant, every: Duration) -> Self {
        Self { every, base: start }
    }

    /// After a run that ended at `now`: when the next one starts (`offset` after its due time),
    /// and how late it is when this run overran.
    pub fn next(&mut self, now: Instant, offset: Duration) -> (Instant, Option<Duration>) {
        self.base += self.every;
        let due = self.base + offset;
        if now > due {
            self.base = now;
            (now, Some(now - due))
        } else {
            (due, None)
        }
    }
}

/// A random offset in `[0, every / 10)` from the system's random source (`--jitter`), or zero.
pub fn offset(every: Duration, jitter: bool) -> Duration {
    if !jitter {
        return Duration::ZERO;
    }
    let mut bytes = [0u8; 8];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        return Duration::ZERO;
    }
    let fraction = f64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
        / (f64::from(u32::MAX) + 1.0);
    every.mul_f64(fraction / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_fixed_rate_from_the_first_run() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 5 * MIN);
        // The run took 20 s: the next starts 5 min after the first did, not after it ended.
        assert_eq!(
            s.next(t0 + Duration::from_secs(20), Duration::ZERO),
            (t0 + 5 * MIN, None)
        );
        assert_eq!(
            s.next(t0 + 5 * MIN + MIN, Duration::ZERO),
            (t0 + 10 * MIN, None)
        );
    }

    #[test]
    fn an_overrun_delays_the_next_run_and_says_by_how_much() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 5 * MIN);
        let end = t0 + 7 * MIN;
        assert_eq!(s.next(end, Duration::ZERO), (end, Some(2 * MIN)));
        // The rate goes on from the late start: no second run to catch up.
        assert_eq!(s.next(end + MIN, Duration::ZERO), (end + 5 * MIN, None));
    }

    #[test]
    fn offsets_move_a_run_without_drifting_the_rate() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 5 * MIN);
        let jitter = Duration::from_secs(17);
        assert_eq!(s.next(t0, jitter), (t0 + 5 * MIN + jitter, None));
        assert_eq!(s.next(t0 + 6 * MIN, Duration::ZERO), (t0 + 10 * MIN, None));
    }

    #[test]
    fn jitter_stays_within_a_tenth() {
        assert_eq!(offset(5 * MIN, false), Duration::ZERO);
        for _ in 0..100 {
            assert!(offset(5 * MIN, true) < Duration::from_secs(30));
        }
    }
}
