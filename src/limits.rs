//! The process's open-file limit, and how many probes it allows in flight.
//!
//! Each probe in flight holds a descriptor or two (a socket per address being tried, a UDP socket
//! for DNS). The soft `RLIMIT_NOFILE` is raised to the
//! hard limit at start, and concurrency is sized to what remains, so a low `ulimit -n` slows a
//! run down instead of failing probes; `probe::fds` retries the rare `EMFILE` that still happens.

/// Descriptors a probe in flight usually holds: its socket. A second racing address or a DNS
/// query briefly needs one more; `probe::fds` absorbs that.
pub const FDS_PER_PROBE: u64 = 1;

/// Descriptors kept for the process itself (stdio, the runtime, the resolver, the report file).
pub const RESERVED_FDS: u64 = 32;

/// Raises the soft open-file limit to the hard one; returns the soft limit now in force, when known.
#[cfg(target_os = "linux")]
pub fn raise_nofile() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

/// Elsewhere the limit is left as it is, and unknown.
#[cfg(not(target_os = "linux"))]
pub fn raise_nofile() -> Option<u64> {
    None
}

/// Probes in flight by default where the open-file limit is unknown (not Linux).
pub const UNKNOWN_LIMIT_DEFAULT: usize = 256;

/// The concurrency to use: what was asked (or `default`), capped by the descriptor budget.
/// Returns the value and whether the cap applied.
pub fn concurrency(asked: Option<usize>, default: usize, nofile: Option<u64>) -> (usize, bool) {
    let Some(limit) = nofile else {
        return (
            asked.unwrap_or(default.min(UNKNOWN_LIMIT_DEFAULT)).max(1),
            false,
        );
    };
    let wanted = asked.unwrap_or(default).max(1);
    let budget = usize::try_from(limit.saturating_sub(RESERVED_FDS) / FDS_PER_PROBE)
        .unwrap_or(usize::MAX)
        .max(1);
    if wanted > budget {
        (budget, true)
    } else {
        (wanted, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizing() {
        assert_eq!(concurrency(None, 4096, None), (256, false));
        assert_eq!(concurrency(Some(9), 4096, None), (9, false));
        assert_eq!(concurrency(None, 256, Some(1_048_576)), (256, false));
        assert_eq!(concurrency(None, 256, Some(64)), (32, true));
        assert_eq!(concurrency(Some(1000), 256, Some(1024)), (992, true));
        assert_eq!(concurrency(Some(5), 256, Some(10)), (1, true));
    }
}
