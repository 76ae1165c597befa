//! Name resolution with hickory-resolver, shared by every probe kind.
//!
//! Each host is resolved once per run (concurrent probes of the same host wait for the same
//! answer), so that two ports of one host never disagree about DNS. Failures are explained: which
//! response code, from which servers, or that no server answered.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::{Resolver, TokioResolver};
use tokio::sync::OnceCell;
use tokio::time::timeout_at;

use super::facts::{DnsFacts, DnsFailureKind};
use super::outcome::{Outcome, Phase, Status, millis};
use super::words::human;

/// A successful resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// IPv4 addresses first, then IPv6, each in the server's order.
    pub addrs: Vec<IpAddr>,
    /// How long the lookup took.
    pub elapsed: Duration,
}

/// A failed resolution, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsFailure {
    /// What went wrong, naming the servers asked.
    pub detail: String,
    /// The same, typed: servers asked, response code, kind of failure.
    pub facts: DnsFacts,
    /// How long until it failed.
    pub elapsed: Duration,
}

type Answer = Result<Resolved, DnsFailure>;

/// The run's resolver: the configured servers and a per-host memo of answers.
pub struct Dns {
    resolver: Option<TokioResolver>,
    servers: Vec<SocketAddr>,
    /// Why there is no resolver (system configuration unreadable), when there is none.
    unavailable: Option<String>,
    memo: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
}

/// Reads the system's DNS configuration (`/etc/resolv.conf`, or the registry on Windows).
pub fn system_config() -> Result<ResolverConfig, String> {
    hickory_resolver::system_conf::read_system_conf()
        .map(|(config, _)| config)
        .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))
}

/// A configuration that asks exactly these servers, over UDP with TCP for truncated answers.
pub fn servers_config(servers: &[SocketAddr]) -> ResolverConfig {
    let mut config = ResolverConfig::from_parts(None, vec![], vec![]);
    for s in servers {
        let mut ns = NameServerConfig::udp_and_tcp(s.ip());
        for c in &mut ns.connections {
            c.port = s.port();
        }
        config.add_name_server(ns);
    }
    config
}

/// The servers of a configuration, one address per server (its first connection's port).
pub fn servers_of(config: &ResolverConfig) -> Vec<SocketAddr> {
    config
        .name_servers()
        .iter()
        .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map_or(53, |c| c.port)))
        .collect()
}

/// Options for probing: one attempt within the probe's timeout, no hosts file (APIM does not
/// read this VM's), both address families.
pub fn probe_options(timeout: Duration) -> ResolverOpts {
    let mut o = ResolverOpts::default();
    o.timeout = timeout;
    o.attempts = 1;
    o.use_hosts_file = ResolveHosts::Never;
    o.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    o
}

impl Dns {
    /// A resolver over `config`, or one that fails every lookup with `unavailable`'s reason.
    pub fn new(config: Result<ResolverConfig, String>, timeout: Duration) -> Self {
        let (resolver, servers, unavailable) = match config {
            Ok(config) => {
                let servers = servers_of(&config);
                let built = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
                    .with_options(probe_options(timeout))
                    .build();
                match built {
                    Ok(r) if !servers.is_empty() => (Some(r), servers, None),
                    Ok(_) => (
                        None,
                        servers,
                        Some("no DNS server is configured".to_owned()),
                    ),
                    Err(e) => (None, servers, Some(format!("cannot build a resolver: {e}"))),
                }
            }
            Err(why) => (None, Vec::new(), Some(why)),
        };
        Self {
            resolver,
            servers,
            unavailable,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// The servers asked.
    pub fn servers(&self) -> &[SocketAddr] {
        &self.servers
    }

    /// Resolves `host` (a name, or an address literal returned as is), once per run.
    pub async fn resolve(&self, host: &str) -> Answer {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Resolved {
                addrs: vec![ip],
                elapsed: Duration::ZERO,
            });
        }
        let cell = {
            let mut memo = self.memo.lock().expect("dns memo poisoned");
            Arc::clone(memo.entry(host.to_owned()).or_default())
        };
        cell.get_or_init(|| self.lookup(host)).await.clone()
    }

    async fn lookup(&self, host: &str) -> Answer {
        let start = Instant::now();
        let Some(resolver) = &self.resolver else {
            let why = self.unavailable.clone().unwrap_or_default();
            return Err(self.failure(why, None, DnsFailureKind::NoServer, Duration::ZERO));
        };
        // A trailing dot makes the name absolute, so the VM's search domains never turn an
        // NXDOMAIN for the real name into one for `name.internal.cloudapp.net`.
        let fqdn = if host.ends_with('.') {
            host.to_owned()
        } else {
            format!("{host}.")
        };
        match resolver.lookup_ip(fqdn.as_str()).await {
            Ok(lookup) => {
                let mut addrs: Vec<IpAddr> = lookup.iter().collect();
                addrs.sort_by_key(IpAddr::is_ipv6);
                addrs.dedup();
                if addrs.is_empty() {
                    let detail = format!("no A/AAAA records for {host} ({})", self.asked());
                    let kind = DnsFailureKind::NoRecords;
                    return Err(self.failure(detail, None, kind, start.elapsed()));
                }
                Ok(Resolved {
                    addrs,
                    elapsed: start.elapsed(),
                })
            }
            Err(e) => {
                let (rcode, kind) = kind_of(&e);
                let detail = self.explain(host, &e);
                Err(self.failure(detail, rcode, kind, start.elapsed()))
            }
        }
    }

    /// A failure with its facts: the servers asked, the response code and the kind.
    fn failure(
        &self,
        detail: String,
        rcode: Option<ResponseCode>,
        kind: DnsFailureKind,
        elapsed: Duration,
    ) -> DnsFailure {
        DnsFailure {
            detail,
            facts: DnsFacts {
                servers: self.servers.iter().map(ToString::to_string).collect(),
                rcode: rcode.map(rcode_name),
                failure: Some(kind),
                ..DnsFacts::default()
            },
            elapsed,
        }
    }

    fn asked(&self) -> String {
        let list: Vec<String> = self.servers.iter().map(ToString::to_string).collect();
        format!("asked {}", list.join(", "))
    }

    fn explain(&self, host: &str, e: &NetError) -> String {
        let asked = self.asked();
        match e {
            NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
                if *response_code == ResponseCode::NXDomain {
                    format!("NXDOMAIN: {host} does not exist ({asked})")
                } else {
                    format!(
                        "no A/AAAA records for {host} ({}, {asked})",
                        rcode_name(*response_code)
                    )
                }
            }
            NetError::Dns(DnsError::ResponseCode(code)) => explain_rcode(host, *code, &asked),
            NetError::Timeout => format!(
                "no answer from the DNS server within the timeout ({asked}; UDP/TCP 53 dropped?)"
            ),
            NetError::Io(io) => format!("DNS server unreachable: {io} ({asked})"),
            NetError::NoConnections => format!("no DNS server could be reached ({asked})"),
            other => format!("lookup of {host} failed: {other} ({asked})"),
        }
    }
}

/// The response code and kind of a resolver error, as facts.
fn kind_of(e: &NetError) -> (Option<ResponseCode>, DnsFailureKind) {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(NoRecords { response_code, .. })) => {
            let kind = if *response_code == ResponseCode::NXDomain {
                DnsFailureKind::Nxdomain
            } else {
                DnsFailureKind::NoRecords
            };
            (Some(*response_code), kind)
        }
        NetError::Dns(DnsError::ResponseCode(code)) => (Some(*code), DnsFailureKind::Rcode),
        NetError::Timeout => (None, DnsFailureKind::NoAnswer),
        NetError::Io(_) | NetError::NoConnections => (None, DnsFailureKind::Unreachable),
        _ => (None, DnsFailureKind::NotDns),
    }
}

/// Resolves `host` within `deadline` for a probe whose limit is `limit`: the addresses and the
/// lookup's duration (none for an address literal), or the finished `dns_failed` outcome.
pub async fn host(
    dns: &Dns,
    host: &str,
    limit: Duration,
    deadline: tokio::time::Instant,
) -> Result<(Vec<IpAddr>, Option<f64>), Outcome> {
    match timeout_at(deadline, dns.resolve(host)).await {
        Ok(Ok(r)) => Ok((
            r.addrs,
            (r.elapsed > Duration::ZERO).then(|| millis(r.elapsed)),
        )),
        Ok(Err(f)) => {
            let mut o = Outcome::new(Status::DnsFailed, Phase::Resolve, f.detail);
            o.timings.dns = Some(millis(f.elapsed));
            o.facts.dns = Some(f.facts);
            Err(o)
        }
        Err(_) => {
            let servers: Vec<String> = dns.servers().iter().map(ToString::to_string).collect();
            let detail = format!(
                "no DNS answer for {host} within {} (asked {}; UDP 53 dropped? the report's dns section shows each server over UDP and TCP)",
                human(limit),
                servers.join(", ")
            );
            let mut o = Outcome::new(Status::DnsFailed, Phase::Resolve, detail);
            o.facts.timed_out_in = Some(Phase::Resolve);
            o.facts.phase_budget_ms = Some(millis(limit));
            o.facts.dns = Some(DnsFacts {
                servers,
                failure: Some(DnsFailureKind::NoAnswer),
                ..DnsFacts::default()
            });
            Err(o)
        }
    }
}

/// The mnemonic of a response code, as dig prints it (`NOERROR`, `NXDOMAIN`, `SERVFAIL` …).
pub fn rcode_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::NoError => "NOERROR".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        ResponseCode::Refused => "REFUSED".into(),
        other => format!("RCODE {}", u16::from(other)),
    }
}

fn explain_rcode(host: &str, code: ResponseCode, asked: &str) -> String {
    match code {
        ResponseCode::ServFail => {
            format!(
                "SERVFAIL for {host}: the server could not resolve it (failing forwarder or upstream?) ({asked})"
            )
        }
        ResponseCode::Refused => {
            format!("REFUSED: the server will not resolve {host} for this client ({asked})")
        }
        other => format!(
            "the server answered {} for {host} ({asked})",
            rcode_name(other)
        ),
    }
}
