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

#[cfg(target_os = "linux")]
mod imp {
    use std::io::IoSliceMut;
    use std::net::IpAddr;
    use std::os::fd::{AsFd, AsRawFd};

    use nix::sys::socket::{
        ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
    };

    use crate::probe::facts::Icmp;

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
    pub fn take(sock: &impl AsRawFd) -> Option<Icmp> {
        let mut data = [0u8; 256];
        let mut iov = [IoSliceMut::new(&mut data)];
        let mut cmsg = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in6);
        let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
        let msg =
            recvmsg::<SockaddrStorage>(sock.as_raw_fd(), &mut iov, Some(&mut cmsg), flags).ok()?;
        for c in msg.cmsgs().ok()? {
            match c {
                ControlMessageOwned::Ipv4RecvErr(e, from) if e.ee_origin == ORIGIN_ICMP => {
                    let from = from.map(|a| {
                        IpAddr::from(u32::from_be(a.sin_addr.s_addr).to_be_bytes()).to_string()
                    });
                    return Some(Icmp::new(4, e.ee_type, e.ee_code, from));
                }
                ControlMessageOwned::Ipv6RecvErr(e, from) if e.ee_origin == ORIGIN_ICMP6 => {
                    let from = from.map(|a| IpAddr::from(a.sin6_addr.s6_addr).to_string());
                    return Some(Icmp::new(6, e.ee_type, e.ee_code, from));
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use crate::probe::facts::Icmp;

    /// No error queue here: nothing to enable.
    pub fn enable<T>(_sock: &T, _v6: bool) {}

    /// No error queue here: nothing to read.
    pub fn take<T>(_sock: &T) -> Option<Icmp> {
        None
    }
}

pub use imp::{enable, take};

/// Whether an ICMP error's sender is this machine itself (loopback, or one of its addresses):
/// its own firewall rejecting in its output path, not a device on the route.
pub fn from_this_machine(from: &str) -> bool {
    let Ok(ip) = from.parse::<std::net::IpAddr>() else {
        return false;
    };
    ip.is_loopback() || if_addrs::get_if_addrs().is_ok_and(|all| all.iter().any(|i| i.ip() == ip))
}
