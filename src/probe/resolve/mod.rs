//! Name resolution with hickory-resolver, shared by every probe kind.
//!
//! Each host is resolved once per run (concurrent probes of the same host wait for the same
//! answer), so that two ports of one host never disagree about DNS. Failures are explained: which
//! response code, from which servers, or that no server answered.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod config;
mod dual;
mod explain;

use hickory_resolver::config::ResolverConfig;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::{Resolver, TokioResolver};
use tokio::sync::OnceCell;
use tokio::time::timeout_at;

use super::facts::{DnsFacts, DnsFailureKind};
use super::outcome::{Outcome, Phase, Status, Warning, WarningKind, millis};
use super::words::human;
pub use config::{
    Stub, SystemDns, dnsmasq_servers, probe_options, resolv_conf_servers, servers_config,
    servers_of, system_dns, upstream,
};
pub use dual::AAAA_GRACE;
pub use explain::rcode_name;
use explain::{explain, kind_of};

/// A successful resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// IPv4 addresses first, then IPv6, each in the server's order.
    pub addrs: Vec<IpAddr>,
    /// How long the lookup took.
    pub elapsed: Duration,
    /// Whether the AAAA question went unanswered (the A answer was used).
    pub aaaa_silent: bool,
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
                aaaa_silent: false,
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
        let both = dual::lookup(resolver, &fqdn).await;
        let addrs = both.addrs();
        if !addrs.is_empty() {
            return Ok(Resolved {
                addrs,
                elapsed: start.elapsed(),
                aaaa_silent: both.aaaa_silent(),
            });
        }
        if let Some(e) = both.error() {
            let (rcode, kind) = kind_of(e);
            let detail = explain(host, e, &self.asked());
            Err(self.failure(detail, rcode, kind, start.elapsed()))
        } else {
            let detail = format!("no A/AAAA records for {host} ({})", self.asked());
            let kind = DnsFailureKind::NoRecords;
            Err(self.failure(detail, None, kind, start.elapsed()))
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
}

/// The warning for an AAAA question that got no answer while A did.
fn aaaa_warning(host: &str, silent: bool, servers: &[SocketAddr]) -> Option<Warning> {
    silent.then(|| {
        let list: Vec<String> = servers.iter().map(ToString::to_string).collect();
        Warning::new(
            WarningKind::AaaaNoAnswer {
                host: host.to_owned(),
            },
            format!(
                "the AAAA question for {host} got no answer within {}ms of the A answer (asked {}): a DNS server or firewall that drops AAAA questions; IPv4 was used",
                AAAA_GRACE.as_millis(),
                list.join(", ")
            ),
        )
    })
}

/// What a probe takes from a resolution: the addresses, how long the lookup took (none for an
/// address literal), and warnings (an AAAA question that went unanswered).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// IPv4 first, then IPv6.
    pub addrs: Vec<IpAddr>,
    /// The lookup's duration in milliseconds, when a name was looked up.
    pub dns_ms: Option<f64>,
    /// Findings about the lookup that do not fail it.
    pub warnings: Vec<Warning>,
}

/// Resolves `host` within `deadline` for a probe whose limit is `limit`: its resolution, or the
/// finished `dns_failed` outcome.
pub async fn host(
    dns: &Dns,
    host: &str,
    limit: Duration,
    deadline: tokio::time::Instant,
) -> Result<Resolution, Outcome> {
    match timeout_at(deadline, dns.resolve(host)).await {
        Ok(Ok(r)) => Ok(Resolution {
            addrs: r.addrs,
            dns_ms: (r.elapsed > Duration::ZERO).then(|| millis(r.elapsed)),
            warnings: aaaa_warning(host, r.aaaa_silent, dns.servers())
                .into_iter()
                .collect(),
        }),
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
