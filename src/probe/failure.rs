//! A connection attempt that failed, explained: the socket error's status and words, the ICMP
//! error behind it and who sent it, or the refusal of this machine's own stack.

use std::io;
use std::net::SocketAddr;

use super::facts::{Facts, Icmp};
use super::outcome::{Outcome, Phase, Status};
use super::{fds, icmp};

/// A failed connection attempt: the error, and the ICMP error behind it when the kernel kept one.
#[derive(Debug)]
pub struct ConnectFailure {
    /// What `connect` returned.
    pub err: io::Error,
    /// The ICMP error that caused it, and who sent it.
    pub icmp: Option<Icmp>,
}

impl ConnectFailure {
    /// The status and the sentence for this failure, naming the ICMP sender when known.
    pub fn explain(&self) -> (Status, String) {
        let (status, why) = classify(&self.err);
        match &self.icmp {
            Some(icmp) => (status, format!("{icmp}: {} [{}]", icmp.meaning(), self.err)),
            None => (status, why),
        }
    }

    /// The status and the sentence for this failure on a connected UDP socket: a refusal there is
    /// an ICMP port unreachable (said so, with its sender when known).
    pub fn explain_udp(&self) -> (Status, String) {
        let (status, why) = self.explain();
        if status != Status::Refused {
            return (status, why);
        }
        let from = self
            .icmp
            .as_ref()
            .and_then(|i| i.from.as_deref())
            .map_or(String::new(), |f| format!(" from {f}"));
        (
            status,
            format!(
                "ICMP port unreachable{from}: nothing listens on this port [{}]",
                self.err
            ),
        )
    }

    /// The finished outcome for this failure of `addr`, with the ICMP error (or the local
    /// error) as a fact.
    pub fn outcome(&self, addr: SocketAddr) -> Outcome {
        let (status, why) = self.explain();
        let mut o = Outcome::new(status, Phase::Connect, format!("{addr}: {why}"));
        self.record(&mut o.facts);
        o
    }

    /// Puts what this failure establishes into `facts`: the ICMP error and who sent it, or the
    /// error of this machine's own stack.
    pub fn record(&self, facts: &mut Facts) {
        facts.icmp.clone_from(&self.icmp);
        facts.local_error = self.local_error().map(str::to_owned);
    }

    /// The errno, by name, of a refusal by this machine's own stack before any packet left: no
    /// route (`ENETUNREACH`), an unreachable, prohibit or blackhole route (`EHOSTUNREACH`,
    /// `EACCES`, `EINVAL`), or its own firewall (`EPERM`, or an ICMP reject it sent itself).
    /// `None` for anything else, and when an ICMP error from another address says a router or
    /// firewall refused. Linux only: elsewhere no ICMP error is read, so a remote refusal could
    /// not be told from a local one.
    pub fn local_error(&self) -> Option<&'static str> {
        let from_elsewhere = self
            .icmp
            .as_ref()
            .is_some_and(|i| !i.from.as_deref().is_some_and(icmp::from_this_machine));
        if from_elsewhere {
            return None;
        }
        #[cfg(target_os = "linux")]
        return match self.err.raw_os_error()? {
            libc::ENETUNREACH => Some("ENETUNREACH"),
            libc::EHOSTUNREACH => Some("EHOSTUNREACH"),
            libc::EACCES => Some("EACCES"),
            libc::EPERM => Some("EPERM"),
            libc::EINVAL => Some("EINVAL"),
            _ => None,
        };
        #[cfg(not(target_os = "linux"))]
        None
    }
}

/// Maps a socket error to a status and a sentence that explains it.
pub fn classify(e: &io::Error) -> (Status, String) {
    use io::ErrorKind as K;
    let (status, why) = match e.kind() {
        K::ConnectionRefused => (
            Status::Refused,
            "refused with a TCP reset (port closed, or a firewall rejecting with reset)",
        ),
        K::HostUnreachable => (
            Status::Unreachable,
            "host unreachable (ICMP host-unreachable or admin-prohibited from a router or firewall, or no neighbour answered)",
        ),
        K::NetworkUnreachable => (
            Status::Unreachable,
            "network unreachable (no route, or ICMP net-unreachable)",
        ),
        K::PermissionDenied => (
            Status::Unreachable,
            "administratively prohibited (ICMPv6 admin-prohibited, a prohibit route, or a local firewall)",
        ),
        K::TimedOut => (
            Status::Timeout,
            "the system gave up waiting (silently dropped?)",
        ),
        K::ConnectionReset | K::ConnectionAborted => {
            (Status::Refused, "reset during the handshake")
        }
        _ if e.raw_os_error() == Some(libc::EINVAL) => {
            (Status::Unreachable, "no usable route (blackhole route?)")
        }
        _ if fds::is_shortage(e) => (
            Status::Error,
            "local: this machine ran out of file descriptors (raise `ulimit -n`, or lower --concurrency)",
        ),
        _ if e.raw_os_error() == Some(libc::EPERM) => {
            (Status::Unreachable, "blocked by a local firewall (EPERM)")
        }
        _ => (Status::Error, "local error"),
    };
    (status, format!("{why} [{e}]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(classify(&refused).0, Status::Refused);
        for (errno, status) in [
            (libc::EHOSTUNREACH, Status::Unreachable),
            (libc::ENETUNREACH, Status::Unreachable),
            (libc::EACCES, Status::Unreachable),
            (libc::EPERM, Status::Unreachable),
            (libc::EMFILE, Status::Error),
        ] {
            assert_eq!(classify(&io::Error::from_raw_os_error(errno)).0, status);
        }
    }

    #[test]
    fn a_failure_with_an_icmp_error_names_it_and_keeps_it_as_a_fact() {
        let f = ConnectFailure {
            err: io::Error::from_raw_os_error(libc::EHOSTUNREACH),
            icmp: Some(Icmp::new(4, 3, 13, Some("198.18.0.1".into()))),
        };
        let o = f.outcome("198.18.1.1:443".parse().unwrap());
        assert_eq!(o.status, Status::Unreachable);
        assert!(
            o.detail.starts_with(
                "198.18.1.1:443: ICMP admin-prohibited (type 3 code 13) from 198.18.0.1"
            ),
            "{}",
            o.detail
        );
        let icmp = o.facts.icmp.expect("icmp fact");
        assert_eq!(icmp.from.as_deref(), Some("198.18.0.1"));
        assert_eq!((icmp.kind, icmp.code), (3, 13));
        assert_eq!(o.facts.local_error, None, "a router answered: not local");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn without_an_icmp_error_a_refusal_is_this_machines_own() {
        for (errno, name) in [
            (libc::ENETUNREACH, "ENETUNREACH"),
            (libc::EHOSTUNREACH, "EHOSTUNREACH"),
            (libc::EACCES, "EACCES"),
            (libc::EPERM, "EPERM"),
        ] {
            let f = ConnectFailure {
                err: io::Error::from_raw_os_error(errno),
                icmp: None,
            };
            let o = f.outcome("198.18.1.1:443".parse().unwrap());
            assert_eq!(o.status, Status::Unreachable);
            assert_eq!(o.facts.local_error.as_deref(), Some(name));
        }
        let refused = ConnectFailure {
            err: io::Error::from_raw_os_error(libc::ECONNREFUSED),
            icmp: None,
        };
        assert_eq!(refused.local_error(), None);
    }
}
