//! The report model of `CONTRACT.md`: built once from the plan and the outcomes; every formatter
//! reads only this.

use serde::Serialize;

pub use super::reference::Reference;
use crate::catalog::model::{CheckKind, Cloud, Direction, Platform, Transport, VnetMode};
use crate::catalog::plan::Probe;
use crate::catalog::profile::{Profile, Tier};
use crate::probe::outcome::{Evidence, Facts, Outcome, Phase, Status, Timings, Warning};

/// The schema name of the JSON report.
pub const SCHEMA: &str = "apim-probe/report/v1";

/// The whole report.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// This tool and its version.
    pub tool: Tool,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// How long the run took.
    pub duration_ms: u64,
    /// The options that shaped the run.
    pub settings: ReportSettings,
    /// The edition of Microsoft's VNet reference the run was checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// The machine that ran the probes.
    pub host: HostInfo,
    /// The DNS servers used.
    pub dns: DnsInfo,
    /// Counts.
    pub summary: Summary,
    /// The causes that explain the failures, most failures explained first (see `diagnose`).
    #[serde(default)]
    pub diagnosis: Vec<Cause>,
    /// One entry per probe, in catalog order.
    pub results: Vec<ResultEntry>,
    /// Findings of the run as a whole.
    pub warnings: Vec<Warning>,
    /// Whether the run was cut short (Ctrl-C).
    pub interrupted: bool,
}

/// One cause the diagnosis names for several failures (or one decisive finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Cause {
    /// The kind of cause (`dns_unreachable`, `tag_blocked`, `tls_inspection` …).
    pub cause: String,
    /// One line with the concrete names: server, tag, issuer, port.
    pub summary: String,
    /// Indices into `results` of the failures this cause explains.
    pub explains: Vec<usize>,
    /// Why we believe it: the facts it rests on.
    pub evidence: String,
    /// What to change.
    pub fix: String,
    /// The same as changes with their commands (an NSG rule, a route), where there are some.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<super::fix::Fix>,
}

/// The tool's name and version.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    /// `apim-probe`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The options of the run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReportSettings {
    /// The tier the subnet is for (`classic` in reports written before tiers were known).
    #[serde(default = "classic_tier")]
    pub tier: Tier,
    /// The requirements checked: the tier and how it joins the VNet.
    #[serde(default)]
    pub profile: Profile,
    /// APIM compute platform.
    pub platform: Platform,
    /// VNet mode.
    pub vnet: VnetMode,
    /// Azure cloud.
    pub cloud: Cloud,
    /// Azure region, when known.
    pub region: Option<String>,
    /// Per-probe limit (`check` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Whether optional failures count toward the verdict.
    pub strict: bool,
    /// The command line that produced the report, shell-quoted (`check` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
}

fn classic_tier() -> Tier {
    Tier::Classic
}

/// The machine that ran the probes.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct HostInfo {
    /// Its host name.
    pub hostname: String,
    /// Its non-loopback addresses.
    pub addresses: Vec<String>,
    /// What Azure's instance metadata service says of this VM, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure: Option<crate::azure::AzureContext>,
}

/// The DNS servers used, and where they came from.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DnsInfo {
    /// `ip:port` of each server.
    pub servers: Vec<String>,
    /// `system` or `option` (`--dns-server`).
    pub source: String,
    /// Why the system configuration could not be used, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The local caching stub the system configuration names (systemd-resolved's 127.0.0.53, a
    /// dnsmasq on 127.0.0.1), when it names one: bypassed for its upstream servers when they were
    /// found, else kept (and a warning says the VNet's DNS was not tested directly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stub: Option<DnsStub>,
    /// Each server asked on its own, per transport (the `dns` rows' results), in `check` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<DnsCheck>,
}

/// A local caching stub found in the system's DNS configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DnsStub {
    /// Its addresses (`127.0.0.53:53`).
    pub servers: Vec<String>,
    /// The file its upstream servers were read from (then `servers` above are those), when
    /// found.
    pub upstream_from: Option<String>,
    /// What keeps that file (`systemd-resolved`, `NetworkManager`, `dnsmasq`).
    pub kind: Option<String>,
}

/// One DNS server asked over one transport.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DnsCheck {
    /// `ip:port`.
    pub server: String,
    /// `udp` or `tcp`.
    pub transport: Transport,
    /// The probe's status.
    pub status: Status,
    /// The response code, when it answered.
    pub rcode: Option<String>,
    /// How long it took.
    pub time_ms: Option<f64>,
    /// The probe's detail.
    pub detail: String,
}

impl DnsCheck {
    /// The DNS section's view of a `dns` result, or `None` for other checks.
    pub fn of(r: &ResultEntry) -> Option<Self> {
        if r.spec.check != CheckKind::Dns || r.status == Status::Skipped {
            return None;
        }
        let rcode = r.facts.dns.as_ref().and_then(|d| d.rcode.clone());
        Some(Self {
            server: r
                .target()
                .rsplit_once('/')
                .map_or_else(String::new, |(addr, _)| addr.to_owned()),
            transport: r.spec.transport,
            status: r.status,
            rcode,
            time_ms: r.timings_ms.total,
            detail: r.detail.clone(),
        })
    }
}

/// Counts over the results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    /// Every result.
    pub total: usize,
    /// Status `ok`.
    pub ok: usize,
    /// Neither `ok` nor `skipped`.
    pub failed: usize,
    /// Failed, and the dependency is required.
    pub failed_required: usize,
    /// Status `skipped`.
    pub skipped: usize,
}

/// What the catalog and the plan say of one probe (its spec): shared by `list` entries and
/// `check` results, flattened into both.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProbeSpec {
    /// Dependency id.
    pub id: String,
    /// What APIM needs it for.
    pub purpose: String,
    /// The service tag an NSG rule would name.
    pub service_tag: String,
    /// Whether the dependency is required.
    pub required: bool,
    /// `outbound`, `inbound` or `peer`.
    pub direction: Direction,
    /// The host probed (a template when a placeholder was missing).
    pub host: Option<String>,
    /// The port (none for "any port").
    pub port: Option<u16>,
    /// The reference's wildcard this host stands for (e.g. `*.update.microsoft.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stands_for: Option<String>,
    /// The path an `http` check asks for (a CRL or CA certificate URL), when not `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// What is done.
    pub check: CheckKind,
    /// Where in the reference the row comes from.
    pub reference: String,
}

impl From<&Probe> for ProbeSpec {
    fn from(p: &Probe) -> Self {
        let d = &p.dep;
        let service_tag = match d.direction {
            Direction::Inbound => d.source.clone(),
            Direction::Outbound | Direction::Peer => d.destination.clone(),
        };
        Self {
            id: d.id.get_ref().clone(),
            purpose: d.purpose.clone(),
            service_tag,
            required: d.required,
            direction: d.direction,
            host: p.host.clone(),
            port: p.port,
            stands_for: p.stands_for.clone(),
            path: p.path.clone(),
            transport: p.transport,
            check: p.check,
            reference: d.reference.clone(),
        }
    }
}

impl ProbeSpec {
    /// `host:port/transport`, with `*` for a missing host or port.
    pub fn target(&self) -> String {
        let host = self.host.as_deref().unwrap_or("*");
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let port = self.port.map_or("*".to_owned(), |p| p.to_string());
        format!("{host}:{port}/{}", self.transport.as_str())
    }
}

/// One probe's result: the catalog row's spec and the outcome.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ResultEntry {
    /// What was probed.
    #[serde(flatten)]
    pub spec: ProbeSpec,
    /// The verdict.
    pub status: Status,
    /// Where it was decided.
    pub phase: Phase,
    /// Addresses the host resolved to.
    pub addresses: Vec<String>,
    /// The address that answered.
    pub peer: Option<String>,
    /// Per-phase durations.
    pub timings_ms: Timings,
    /// The reason.
    pub detail: String,
    /// What to change, for failures.
    pub hint: Option<String>,
    /// The change as data (an NSG rule, a route, a bypass …), with its paste-ready command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<super::fix::Fix>,
    /// Findings that do not change the status.
    pub warnings: Vec<Warning>,
    /// The facts the probe established, typed (ICMP sender, DNS rcode, TLS verdict, timed-out
    /// phase …): what hints, the diagnosis and `diff` read.
    #[serde(default, skip_serializing_if = "Facts::is_empty")]
    pub facts: Facts,
    /// What the peer presented or sent (certificate chain, NTP offset, first bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// What APIM's own `networkstatus` says of this endpoint, when given with `--apim-status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apim_status: Option<ApimStatus>,
}

/// APIM's own view of one endpoint (`networkstatus`), beside ours.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ApimStatus {
    /// `success`, `failure` or `initializing`.
    pub status: String,
    /// APIM's error text, if any.
    pub error: String,
    /// APIM's resource type (BlobStorage, SQLDatabase …).
    pub resource_type: String,
    /// When APIM last checked.
    pub last_updated: String,
    /// Whether APIM's verdict and ours agree (success ⇔ ok).
    pub agrees: bool,
}

impl ResultEntry {
    /// Joins a plan entry and its outcome; the hint is added by the caller.
    pub fn new(p: &Probe, o: Outcome) -> Self {
        Self {
            spec: ProbeSpec::from(p),
            status: o.status,
            phase: o.phase,
            addresses: o.addresses.iter().map(ToString::to_string).collect(),
            peer: o.peer.map(|a| a.to_string()),
            timings_ms: o.timings,
            detail: o.detail,
            hint: None,
            fix: None,
            warnings: o.warnings,
            facts: *o.facts,
            evidence: o.evidence,
            apim_status: None,
        }
    }

    /// `host:port/transport`, with `*` for a missing host or port.
    pub fn target(&self) -> String {
        self.spec.target()
    }
}

impl Summary {
    /// Counts the results.
    pub fn of(results: &[ResultEntry]) -> Self {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            match r.status {
                Status::Ok => s.ok += 1,
                Status::Skipped => s.skipped += 1,
                _ => {
                    s.failed += 1;
                    s.failed_required += usize::from(r.spec.required);
                }
            }
        }
        s
    }
}

impl Report {
    /// Whether the verdict passes: no required failure (with `strict`, no failure at all).
    pub fn passed(&self) -> bool {
        if self.settings.strict {
            self.summary.failed == 0
        } else {
            self.summary.failed_required == 0
        }
    }
}
