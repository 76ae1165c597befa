//! The table: (status, phase, facts) → the hint and the fix. Read top to bottom, first match.

use super::context::Line;
use super::read::{
    FORWARD, app_protocol, dns, dns_failure, host, icmp_from, icmp_name, issuer, local_dns, nsg,
    proxy, rcode, servers, skewed, store_distrusts, tls_problem, tls_refusal, what,
};
use crate::catalog::model::Direction;
use crate::probe::facts::{DnsFailureKind, PairAnswer, TlsProblem, TlsRefusal};
use crate::probe::outcome::{Phase, Status};
use crate::report::fix::Fix;

/// The table.
pub const TABLE: &[Line] = &[
    Line {
        name: "clock skew on an ok result",
        applies: |r| r.status == Status::Ok && skewed(r),
        says: |_, _| {
            (
                "fix this machine's clock: enable time sync (chrony with the Azure host's clock, or NTP over UDP 123); TLS and token validation fail with a wrong clock".into(),
                Some(Fix::Clock),
            )
        },
    },
    Line {
        name: "this machine's store distrusts a verified chain",
        applies: |r| r.status == Status::Ok && store_distrusts(r).is_some(),
        says: |r, _| {
            let anchor = store_distrusts(r).unwrap_or_default();
            (
                format!(
                    "{} is fine (its chain verifies to {anchor}), but this machine's CA store does not trust {anchor}: update it (Debian/Ubuntu: `apt-get install --only-upgrade ca-certificates`) or add that root, or apps on this VM that use the system store fail",
                    host(r)
                ),
                None,
            )
        },
    },
    Line {
        name: "nothing to change",
        applies: |r| !r.status.is_failure() || r.spec.direction == Direction::Inbound,
        // An empty hint is none (`hint` drops it).
        says: |_, _| (String::new(), None),
    },
    Line {
        name: "local resolver not running",
        applies: |r| local_dns(r).is_some(),
        says: |r, _| {
            (
                format!(
                    "the local DNS resolver ({}) is not running — nothing answers there on this machine: start it (systemd-resolved, dnsmasq, unbound …) or point /etc/resolv.conf at the VNet's DNS servers; the NSG is not involved",
                    local_dns(r).unwrap_or_default()
                ),
                None,
            )
        },
    },
    Line {
        name: "name resolves outside the VNet",
        applies: |r| dns_failure(r) == Some(DnsFailureKind::PublicAnswer),
        says: |r, _| {
            (
                format!(
                    "{} must resolve to the gateway's private IP for clients in the VNet: create a private DNS zone for it (az network private-dns zone create, an A record to the private VIP) and link it to this VNet, or add that record on your DNS server; the NSG is not involved",
                    host(r)
                ),
                None,
            )
        },
    },
    Line {
        name: "name does not exist",
        applies: |r| dns_failure(r) == Some(DnsFailureKind::Nxdomain),
        says: |r, _| {
            dns(
                r,
                format!(
                    "{} does not exist for this subnet's resolver: {FORWARD}, and a private DNS zone that overrides the name must hold the record",
                    host(r)
                ),
            )
        },
    },
    Line {
        name: "resolver said no",
        applies: |r| {
            matches!(
                dns_failure(r),
                Some(DnsFailureKind::Rcode | DnsFailureKind::NoRecords)
            )
        },
        says: |r, _| {
            dns(
                r,
                format!(
                    "the DNS server ({}) answered {} for {}: its forwarder or upstream fails it; {FORWARD}",
                    servers(r),
                    rcode(r),
                    host(r)
                ),
            )
        },
    },
    Line {
        name: "resolver silent",
        applies: |r| r.status == Status::DnsFailed,
        says: |r, _| {
            dns(
                r,
                format!(
                    "no DNS answer for {} from {}: allow outbound UDP and TCP 53 to those servers in the NSG and on any firewall on the route; {FORWARD}",
                    host(r),
                    servers(r)
                ),
            )
        },
    },
    Line {
        name: "wrong pair token",
        applies: |r| {
            r.facts
                .pair
                .as_ref()
                .is_some_and(|p| p.answer == PairAnswer::BadMac)
        },
        says: |_, _| {
            (
                "the listener runs with another token: give both machines the same --token-file"
                    .into(),
                None,
            )
        },
    },
    Line {
        name: "rejected with ICMP by a device",
        applies: |r| {
            r.phase == Phase::Connect && icmp_from(r).is_some() && r.facts.local_error.is_none()
        },
        says: |r, ctx| {
            let from = icmp_from(r).unwrap_or_default();
            let (rule, fix) = nsg(r, ctx);
            (
                format!(
                    "rejected by {from} (ICMP {}) — that is a router or firewall/NVA, not an NSG (NSGs drop silently): allow {} there, and check the route table that sends the traffic to it; {rule}",
                    icmp_name(r),
                    what(r)
                ),
                fix,
            )
        },
    },
    Line {
        name: "no route on this machine",
        applies: |r| {
            r.phase == Phase::Connect
                && (r.status == Status::Unreachable || r.facts.local_error.is_some())
        },
        // No ICMP sender: the kernel refused before a packet left (no route, a local firewall's
        // reject). Neither the NSG nor the subnet's route table is involved, so no NSG rule.
        says: |r, _| {
            (
                format!(
                    "the packet never left this machine: it has no usable route to {} or its own firewall rejects it (`ip route get ADDRESS`, `nft list ruleset`, `iptables -S` show which) — fix the VM's routes or firewall; the NSG and the subnet's route table are not involved",
                    host(r)
                ),
                None,
            )
        },
    },
    Line {
        name: "dropped or reset on the way",
        applies: |r| {
            r.phase == Phase::Connect && matches!(r.status, Status::Timeout | Status::Refused)
        },
        says: |r, ctx| {
            let (rule, fix) = nsg(r, ctx);
            let how = if r.status == Status::Refused {
                "a reset came back (a firewall rejecting, or nothing listening there)"
            } else {
                "silently dropped"
            };
            (
                format!(
                    "{how}: {rule}; and allow it on any firewall/NVA the route table sends it to"
                ),
                fix,
            )
        },
    },
    Line {
        name: "firewall deny page",
        applies: |r| {
            r.status == Status::FirewallDenied
                && r.facts
                    .http
                    .as_ref()
                    .is_none_or(|h| h.status == 470 || h.deny_reason.is_some())
        },
        says: |r, _| {
            (
                format!(
                    "the firewall on the route denies {} (an application rule is missing): allow {} for it from the APIM subnet — the NSG is not the problem, the connection got through",
                    host(r),
                    app_protocol(r)
                ),
                Some(Fix::FirewallAppRule {
                    fqdn: host(r),
                    protocol: app_protocol(r),
                }),
            )
        },
    },
    Line {
        name: "proxy answers",
        applies: |r| r.status == Status::FirewallDenied,
        says: |r, _| {
            (
                format!(
                    "a proxy on the route answers for {} ({}): APIM cannot authenticate to a proxy — let {} through without it",
                    host(r),
                    proxy(r),
                    host(r)
                ),
                Some(Fix::ProxyBypass { fqdn: host(r) }),
            )
        },
    },
    Line {
        name: "re-signed certificate",
        applies: |r| r.status == Status::TlsIntercepted,
        says: |r, _| {
            (
                format!(
                    "exempt {} from TLS inspection on the firewall/proxy{}: APIM expects the service's own certificate chain",
                    host(r),
                    issuer(r)
                ),
                Some(Fix::TlsBypass { fqdn: host(r) }),
            )
        },
    },
    Line {
        name: "certificate not valid yet",
        applies: |r| {
            r.status == Status::TlsUntrusted
                && (tls_problem(r) == Some(TlsProblem::NotValidYet)
                    || tls_refusal(r) == Some(TlsRefusal::NotValidYet))
        },
        says: |_, _| {
            ("the certificate is not valid yet by this machine's clock: check the clock (NTP) before anything else".into(), Some(Fix::Clock))
        },
    },
    Line {
        name: "incomplete chain",
        applies: |r| {
            r.status == Status::TlsUntrusted && tls_problem(r) == Some(TlsProblem::IncompleteChain)
        },
        says: |r, _| {
            (
                format!(
                    "the chain {} presents cannot be followed to any CA{}: if a firewall/proxy re-signs TLS with a CA of its own, exempt {} from TLS inspection; if the server leaves out its intermediate, it must send it (or give that CA with --expect-ca)",
                    host(r),
                    issuer(r),
                    host(r)
                ),
                Some(Fix::TlsBypass { fqdn: host(r) }),
            )
        },
    },
    Line {
        name: "certificate refused",
        applies: |r| r.status == Status::TlsUntrusted,
        says: |r, _| {
            (
                format!(
                    "the certificate {} presents is refused (expired, another name, unknown issuer{}): if a firewall/proxy re-signs it, exempt {} from TLS inspection",
                    host(r),
                    issuer(r),
                    host(r)
                ),
                Some(Fix::TlsBypass { fqdn: host(r) }),
            )
        },
    },
    Line {
        name: "connected, then nothing answered",
        applies: |r| {
            r.phase != Phase::Connect && matches!(r.status, Status::Timeout | Status::ProtocolError)
        },
        says: |r, _| {
            let fix = (r.spec.port == Some(443) || r.spec.port == Some(80)).then(|| {
                Fix::FirewallAppRule {
                    fqdn: host(r),
                    protocol: app_protocol(r),
                }
            });
            (
                format!(
                    "the TCP handshake completed, so the NSG let it through: a firewall/NVA or proxy on the route holds or ends {} after the connect — check its application and network rules (and TLS inspection) for {}",
                    what(r),
                    host(r)
                ),
                fix,
            )
        },
    },
    Line {
        name: "local problem",
        applies: |_| true,
        says: |_, _| {
            ("a local problem on this machine prevented the probe (see the detail); fix it and run again".into(), None)
        },
    },
];
