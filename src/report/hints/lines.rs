//! The table: (status, phase, facts) → the hint and the fix. Read top to bottom, first match.

use super::context::{HintContext, Line};
use crate::catalog::model::{CheckKind, Direction};
use crate::catalog::regions;
use crate::probe::facts::{DnsFailureKind, PairAnswer, TlsRefusal};
use crate::probe::outcome::{Phase, Status, WarningKind};
use crate::report::fix::Fix;
use crate::report::model::ResultEntry;

/// Where APIM's custom DNS servers must send Azure's names.
const FORWARD: &str = "custom DNS servers must forward Azure names to Azure DNS (168.63.129.16)";

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
        name: "nothing to change",
        applies: |r| !r.status.is_failure() || r.spec.direction == Direction::Inbound,
        // An empty hint is none (`hint` drops it).
        says: |_, _| (String::new(), None),
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
        applies: |r| r.phase == Phase::Connect && icmp_from(r).is_some(),
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
        applies: |r| r.status == Status::Unreachable && r.phase == Phase::Connect,
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
            r.status == Status::TlsUntrusted && tls_refusal(r) == Some(TlsRefusal::NotValidYet)
        },
        says: |_, _| {
            ("the certificate is not valid yet by this machine's clock: check the clock (NTP) before anything else".into(), Some(Fix::Clock))
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

fn skewed(r: &ResultEntry) -> bool {
    r.warnings
        .iter()
        .any(|w| matches!(w.kind, WarningKind::ClockSkew { .. }))
}

fn dns_failure(r: &ResultEntry) -> Option<DnsFailureKind> {
    (r.status == Status::DnsFailed).then_some(())?;
    r.facts.dns.as_ref().and_then(|d| d.failure)
}

fn dns(r: &ResultEntry, text: String) -> (String, Option<Fix>) {
    let servers = r
        .facts
        .dns
        .as_ref()
        .map(|d| d.servers.clone())
        .unwrap_or_default();
    (text, Some(Fix::Dns { servers }))
}

fn servers(r: &ResultEntry) -> String {
    r.facts
        .dns
        .as_ref()
        .map(|d| d.servers.join(", "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "the configured servers".into())
}

fn rcode(r: &ResultEntry) -> String {
    r.facts
        .dns
        .as_ref()
        .and_then(|d| d.rcode.clone())
        .unwrap_or_else(|| "no records".into())
}

fn host(r: &ResultEntry) -> String {
    r.spec.host.clone().unwrap_or_else(|| "the host".into())
}

fn icmp_from(r: &ResultEntry) -> Option<String> {
    r.facts.icmp.as_ref()?.from.clone()
}

fn icmp_name(r: &ResultEntry) -> String {
    r.facts
        .icmp
        .as_ref()
        .map_or_else(String::new, |i| i.name.clone())
}

fn tls_refusal(r: &ResultEntry) -> Option<TlsRefusal> {
    r.facts.tls.as_ref()?.refusal
}

fn issuer(r: &ResultEntry) -> String {
    r.facts
        .tls
        .as_ref()
        .map_or_else(String::new, |t| format!(", signed by {}", t.issuer))
}

fn proxy(r: &ResultEntry) -> String {
    r.facts.http.as_ref().map_or_else(
        || "it denies".into(),
        |h| {
            h.proxy
                .clone()
                .unwrap_or_else(|| format!("HTTP {}", h.status))
        },
    )
}

/// `TCP 443`, `UDP 123`.
fn what(r: &ResultEntry) -> String {
    format!(
        "{} {}",
        r.spec.transport.as_str().to_uppercase(),
        r.spec.port.map_or("*".to_owned(), |p| p.to_string())
    )
}

fn app_protocol(r: &ResultEntry) -> String {
    match (r.spec.check, r.spec.port) {
        (CheckKind::Http, Some(p)) => format!("Http:{p}"),
        (_, Some(p)) => format!("Https:{p}"),
        _ => "Https:443".into(),
    }
}

/// The NSG rule that lets a row through: its words and its fix (the export's own, when `--nsg`
/// computed one with the NSG, resource group and a free priority).
fn nsg(r: &ResultEntry, ctx: &HintContext) -> (String, Option<Fix>) {
    let tag = r.spec.service_tag.as_str();
    let peer = r.spec.direction == Direction::Peer;
    let ports = r.spec.port.map_or("*".to_owned(), |p| p.to_string());
    let protocol = match r.spec.transport.as_str() {
        "udp" => "Udp",
        _ => "Tcp",
    };
    let fix = ctx
        .nsg_fixes
        .get(&HintContext::key(r))
        .cloned()
        .unwrap_or_else(|| {
            let tag = if peer { "VirtualNetwork" } else { tag };
            Fix::allow_out(tag, r.spec.port, protocol, ctx.cloud, ctx.region.as_deref())
        });
    let named = match regional(tag, ctx) {
        Some(regional) if !peer => format!("service tag {regional} (or the global {tag})"),
        _ if peer => "VirtualNetwork (both directions)".to_owned(),
        _ => format!("service tag {tag}"),
    };
    let command = fix.az().map_or_else(String::new, |c| format!(": {c}"));
    (
        format!(
            "allow outbound {} {ports} to {named} in the subnet's NSG{command}",
            protocol.to_uppercase()
        ),
        Some(fix),
    )
}

/// The regional tag of `tag` for the context's region, as Azure spells it, for the tags the
/// reference names as regional.
fn regional(tag: &str, ctx: &HintContext) -> Option<String> {
    let region = ctx.region.as_deref()?;
    regions::REGIONAL_TAGS
        .contains(&tag)
        .then(|| regions::regional_tag(ctx.cloud, tag, region))
        .flatten()
}
