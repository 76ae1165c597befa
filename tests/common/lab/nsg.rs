//! The "NSG": nftables rules on the far side (`azure`'s `input` hook), and routes in `subnet`.
//!
//! The rules sit where a real NSG or firewall sits — beyond the wire — and never in `subnet`'s
//! own `output` chain, where a UDP drop would fail the send with EPERM at once (LAB.md).

use std::net::IpAddr;

use super::netns::{Lab, Service};

/// What a rule does to matching packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Silently discard (what an Azure NSG deny does) → `timeout`.
    Drop,
    /// `reject with tcp reset` → `refused`. TCP only.
    TcpReset,
    /// `reject with icmpx type admin-prohibited`: ICMP code 13 / ICMPv6 code 1.
    IcmpxAdminProhibited,
    /// `reject with icmp type host-unreachable` / `icmpv6 type addr-unreachable`.
    IcmpHostUnreachable,
    /// `reject with icmpx type host-unreachable` (the same codes, through `icmpx`).
    IcmpxHostUnreachable,
    /// `reject with icmpx type no-route`: ICMP net-unreachable / ICMPv6 no-route.
    IcmpxNoRoute,
}

impl Verdict {
    /// The nft statement for one address family.
    pub fn statement(self, v6: bool) -> &'static str {
        match (self, v6) {
            (Verdict::Drop, _) => "drop",
            (Verdict::TcpReset, _) => "reject with tcp reset",
            (Verdict::IcmpxAdminProhibited, _) => "reject with icmpx type admin-prohibited",
            (Verdict::IcmpHostUnreachable, false) => "reject with icmp type host-unreachable",
            (Verdict::IcmpHostUnreachable, true) => "reject with icmpv6 type addr-unreachable",
            (Verdict::IcmpxHostUnreachable, _) => "reject with icmpx type host-unreachable",
            (Verdict::IcmpxNoRoute, _) => "reject with icmpx type no-route",
        }
    }
}

/// The protocol a rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// A route type that makes `subnet` fail locally, without a packet leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// `blackhole`: discarded silently by the route itself.
    Blackhole,
    /// `unreachable`: "no route to host".
    Unreachable,
    /// `prohibit`: "administratively prohibited".
    Prohibit,
}

impl RouteKind {
    fn keyword(self) -> &'static str {
        match self {
            RouteKind::Blackhole => "blackhole",
            RouteKind::Unreachable => "unreachable",
            RouteKind::Prohibit => "prohibit",
        }
    }
}

impl Lab {
    /// Adds an NSG rule on the far side: traffic to `addr`, `proto`, `port` (any port if `None`).
    pub fn block(&self, verdict: Verdict, addr: IpAddr, proto: Proto, port: Option<u16>) {
        assert!(
            !(verdict == Verdict::TcpReset && proto == Proto::Udp),
            "a TCP reset cannot answer UDP"
        );
        let family = if addr.is_ipv6() { "ip6" } else { "ip" };
        let l4 = match (proto, port) {
            (Proto::Tcp, Some(p)) => format!("tcp dport {p}"),
            (Proto::Udp, Some(p)) => format!("udp dport {p}"),
            (Proto::Tcp, None) => "meta l4proto tcp".to_owned(),
            (Proto::Udp, None) => "meta l4proto udp".to_owned(),
        };
        let rule = format!(
            "add rule inet nsg input {family} daddr {addr} {l4} {}\n",
            verdict.statement(addr.is_ipv6())
        );
        self.nft_script(&rule);
    }

    /// The same rule for every address of a service.
    pub fn block_service(&self, verdict: Verdict, svc: &Service, proto: Proto, port: Option<u16>) {
        for addr in svc.addrs() {
            self.block(verdict, addr, proto, port);
        }
    }

    /// Removes every NSG rule: everything is allowed again.
    pub fn clear_nsg(&self) {
        self.nft_script("flush chain inet nsg input\n");
    }

    /// The NSG rules as nft lists them, for messages.
    pub fn nsg_rules(&self) -> String {
        let mut cmd = self.in_ns(&self.azure, &self.tools.nft);
        cmd.args(["list", "table", "inet", "nsg"]);
        super::netns::run(&mut cmd).unwrap_or_else(|e| e)
    }

    /// Loads an nft script inside `subnet`: this VM's *own* firewall (its output path), for the
    /// scenarios where the machine itself refuses — never to play the NSG (see the module doc).
    /// The table goes with the namespace.
    pub fn own_firewall(&self, script: &str) {
        let file = self.dir().join("own-firewall.nft");
        std::fs::write(&file, script).expect("write nft script");
        let mut cmd = self.in_ns(&self.subnet, &self.tools.nft);
        cmd.arg("-f").arg(&file);
        super::netns::run(&mut cmd).unwrap_or_else(|e| panic!("lab nft (subnet): {e}\n{script}"));
    }

    /// Adds a `blackhole`/`unreachable`/`prohibit` route for one address in `subnet`.
    pub fn route_in_subnet(&self, kind: RouteKind, addr: IpAddr) {
        let prefix = if addr.is_ipv6() { 128 } else { 32 };
        let subnet = self.subnet.clone();
        self.ip(
            &subnet,
            &format!("route add {} {addr}/{prefix}", kind.keyword()),
        );
    }
}
