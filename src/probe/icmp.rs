//! Who refused or dropped a connection: the ICMP error the kernel received for a socket.
//!
//! With `IP_RECVERR`/`IPV6_RECVERR` set before `connect`, Linux queues the ICMP error that failed
//! a TCP handshake (type, code, and the address of the router or firewall that sent it) on the
//! socket's error queue, read with `recvmsg(MSG_ERRQUEUE)`. That turns "host unreachable" into
//! "ICMP admin-prohibited from 198.18.0.1". Elsewhere these functions do nothing.
//!
//! # References
//! - ip(7) `IP_RECVERR`, ipv6(7) `IPV6_RECVERR`; `struct sock_extended_err` in linux/errqueue.h
//! - RFC 792 / RFC 1812 §5.2.7.1 (ICMP destination unreachable codes), RFC 4443 §3.1 (ICMPv6)

use std::fmt;
use std::net::IpAddr;

/// An ICMP error received for a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpReport {
    /// Whether it was ICMPv6.
    pub v6: bool,
    /// ICMP type.
    pub kind: u8,
    /// ICMP code.
    pub code: u8,
    /// Who sent it (the router or firewall), when the kernel knows.
    pub from: Option<IpAddr>,
}

impl IcmpReport {
    /// The name of the type/code pair, e.g. "admin-prohibited".
    #[expect(
        clippy::match_same_arms,
        reason = "one arm per family, type and code, as the RFC tables list them"
    )]
    pub fn name(&self) -> &'static str {
        match (self.v6, self.kind, self.code) {
            (false, 3, 0) => "net-unreachable",
            (false, 3, 1) => "host-unreachable",
            (false, 3, 2) => "protocol-unreachable",
            (false, 3, 3) => "port-unreachable",
            (false, 3, 9 | 10 | 13) => "admin-prohibited",
            (false, 3, _) => "destination-unreachable",
            (false, 11, _) => "time-exceeded",
            (true, 1, 0) => "no-route",
            (true, 1, 1) => "admin-prohibited",
            (true, 1, 3) => "address-unreachable",
            (true, 1, 4) => "port-unreachable",
            (true, 1, 5 | 6) => "policy-reject",
            (true, 1, _) => "destination-unreachable",
            (true, 3, _) => "time-exceeded",
            _ => "error",
        }
    }
}

impl IcmpReport {
    /// What the error means for the probe, in a few words.
    pub fn meaning(&self) -> &'static str {
        match self.name() {
            "admin-prohibited" | "policy-reject" => {
                "a firewall or filter on the route rejected the connection"
            }
            "port-unreachable" => "nothing listens on this port",
            "net-unreachable" | "host-unreachable" | "no-route" | "address-unreachable" => {
                "the sender has no route or neighbour for the destination"
            }
            "time-exceeded" => "a routing loop or too many hops",
            _ => "the destination could not be reached",
        }
    }
}

impl fmt::Display for IcmpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = if self.v6 { "ICMPv6" } else { "ICMP" };
        write!(
            f,
            "{family} {} (type {} code {})",
            self.name(),
            self.kind,
            self.code
        )?;
        if let Some(from) = self.from {
            write!(f, " from {from}")?;
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io::IoSliceMut;
    use std::net::IpAddr;
    use std::os::fd::{AsFd, AsRawFd};

    use nix::sys::socket::{
        ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
    };

    use super::IcmpReport;

    /// `SO_EE_ORIGIN_ICMP` and `SO_EE_ORIGIN_ICMP6` of linux/errqueue.h.
    const ORIGIN_ICMP: u8 = 2;
    const ORIGIN_ICMP6: u8 = 3;

    /// Asks the kernel to queue ICMP errors on this socket; failure only loses the extra detail.
    pub fn enable(sock: &impl AsFd, v6: bool) {
        let _ = if v6 {
            setsockopt(sock, sockopt::Ipv6RecvErr, &true)
        } else {
            setsockopt(sock, sockopt::Ipv4RecvErr, &true)
        };
    }

    /// Reads the first queued ICMP error, if any (non-blocking).
    pub fn take(sock: &impl AsRawFd) -> Option<IcmpReport> {
        let mut data = [0u8; 256];
        let mut iov = [IoSliceMut::new(&mut data)];
        let mut cmsg = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
        let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
        let msg =
            recvmsg::<SockaddrStorage>(sock.as_raw_fd(), &mut iov, Some(&mut cmsg), flags).ok()?;
        for c in msg.cmsgs().ok()? {
            match c {
                ControlMessageOwned::Ipv4RecvErr(e, from) if e.ee_origin == ORIGIN_ICMP => {
                    let from =
                        from.map(|a| IpAddr::from(u32::from_be(a.sin_addr.s_addr).to_be_bytes()));
                    return Some(IcmpReport {
                        v6: false,
                        kind: e.ee_type,
                        code: e.ee_code,
                        from,
                    });
                }
                ControlMessageOwned::Ipv6RecvErr(e, from) if e.ee_origin == ORIGIN_ICMP6 => {
                    let from = from.map(|a| IpAddr::from(a.sin6_addr.s6_addr));
                    return Some(IcmpReport {
                        v6: true,
                        kind: e.ee_type,
                        code: e.ee_code,
                        from,
                    });
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::IcmpReport;

    /// No error queue here: nothing to enable.
    pub fn enable<T>(_sock: &T, _v6: bool) {}

    /// No error queue here: nothing to read.
    pub fn take<T>(_sock: &T) -> Option<IcmpReport> {
        None
    }
}

pub use imp::{enable, take};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_display() {
        let r = IcmpReport {
            v6: false,
            kind: 3,
            code: 13,
            from: Some("198.18.0.1".parse().unwrap()),
        };
        assert_eq!(
            r.to_string(),
            "ICMP admin-prohibited (type 3 code 13) from 198.18.0.1"
        );
        assert_eq!(
            IcmpReport {
                v6: true,
                kind: 1,
                code: 1,
                from: None
            }
            .name(),
            "admin-prohibited"
        );
        assert_eq!(
            IcmpReport {
                v6: false,
                kind: 3,
                code: 1,
                from: None
            }
            .name(),
            "host-unreachable"
        );
    }
}
