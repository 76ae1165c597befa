//! The arguments of the commands that plan or probe: what to probe (`ScopeArgs`, shared), and
//! `check`, `list`, `script`.

use std::path::PathBuf;

use clap::Args;

use super::formats::{OutputFormat, PlanFormat};
use super::network::NetworkArgs;
use super::pair::TokenArgs;
use super::reference::ReferenceArg;
use crate::catalog::model::{Cloud, Platform, VnetMode};
use crate::catalog::profile::{Mode, Tier};

/// Options that choose what to probe; shared by `check` and `list`.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Which edition of the reference.
    #[command(flatten)]
    pub reference: ReferenceArg,
    /// The tier the subnet is for: `classic` (Developer, Premium: the VNet reference),
    /// `standardv2`, `premiumv2`, or `workspace` (a workspace gateway) [default: classic, or what
    /// an exported subnet or APIM resource says].
    #[arg(long, value_enum, env = "APIM_PROBE_TIER")]
    pub tier: Option<Tier>,
    /// How the instance joins the VNet: `integration` (outbound only) or `injection`; needed for
    /// premiumv2 and workspace (standardv2 has integration only, classic injection only).
    #[arg(long, value_enum, env = "APIM_PROBE_MODE")]
    pub mode: Option<Mode>,
    /// APIM compute platform (each has its own table in the reference).
    #[arg(long, value_enum, default_value = "stv2", env = "APIM_PROBE_PLATFORM")]
    pub platform: Platform,
    /// VNet mode; `internal` drops the rows marked "External only" [default: external, or what
    /// an API Management instance in the code given says].
    #[arg(long, value_enum, env = "APIM_PROBE_VNET")]
    pub vnet: Option<VnetMode>,
    /// Azure cloud, which decides DNS suffixes and monitoring endpoints [default: public].
    #[arg(long, value_enum, env = "APIM_PROBE_CLOUD")]
    pub cloud: Option<Cloud>,
    /// Azure region of the instance, e.g. `westeurope` (fills `{region}` hosts).
    #[arg(long, env = "APIM_PROBE_REGION")]
    pub region: Option<String>,
    /// Fill a catalog placeholder, e.g. `sql_server=apimsql123` (repeatable; `list` shows the keys).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A catalog file or folder of `*.toml` files to use instead of the embedded one.
    #[arg(long, value_name = "PATH", env = "APIM_PROBE_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Probe only these dependency ids (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub only: Vec<String>,
    /// Leave these dependency ids out (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub skip: Vec<String>,
    /// Resolve through this DNS server instead of the system's (repeatable), e.g. `10.0.0.4` or `[fd00::53]:53`.
    #[arg(long = "dns-server", value_name = "IP[:PORT]")]
    pub dns_server: Vec<String>,
}

/// Options of `check`.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one field per on/off flag, as clap reads them"
)]
pub struct CheckArgs {
    /// What to probe.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Limit for each probe, e.g. `3s`, `500ms`.
    #[arg(
        long,
        default_value = "5s",
        value_name = "DURATION",
        env = "APIM_PROBE_TIMEOUT"
    )]
    pub timeout: String,
    /// Bound the whole run: probes not finished by then are reported as `timeout`, e.g. `30s`.
    #[arg(long, value_name = "DURATION", env = "APIM_PROBE_DEADLINE")]
    pub deadline: Option<String>,
    /// Probes in flight at once [default: 16384, fewer when the open-file limit is low].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Output format.
    #[arg(
        short,
        long,
        value_enum,
        default_value = "table",
        env = "APIM_PROBE_OUTPUT"
    )]
    pub output: OutputFormat,
    /// Also write the full JSON report to this file (replaced atomically).
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<PathBuf>,
    /// Count optional dependencies toward the exit code too.
    #[arg(long)]
    pub strict: bool,
    /// Warn when a time server's clock differs from this machine's by more than this.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub max_clock_skew: String,
    /// Do not ask Azure's instance metadata service (IMDS) for the VM's cloud, region and addresses.
    #[arg(long, env = "APIM_PROBE_NO_IMDS")]
    pub no_imds: bool,
    /// APIM's own `outboundNetworkDependenciesEndpoints` JSON (as `az rest` prints it): probe the
    /// instance's real storage, SQL, Key Vault and Event Hubs hosts it names.
    #[arg(long, value_name = "FILE")]
    pub dependencies: Option<PathBuf>,
    /// APIM's own `networkstatus` JSON: show APIM's view beside ours and flag disagreements.
    #[arg(long, value_name = "FILE")]
    pub apim_status: Option<PathBuf>,
    /// The exported subnet, NSGs and routes (as for `evaluate`): a failed row gets the rule that
    /// explains it, a row no probe can test gets its evaluated verdict; with `--service-tags`,
    /// every resolved address is classed against its row's service tag.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Print nothing; the exit code (and --report-file) carry the result.
    #[arg(short, long)]
    pub quiet: bool,
    /// Replace VM names, resource ids, subscription, this machine's host name and private
    /// addresses with stable placeholders, so the report can be shared.
    #[arg(long)]
    pub redact: bool,
    /// A PEM file of CA certificates this network legitimately chains to (private PKI, or a TLS
    /// inspection you accept): expected, so a chain that leads to it is not reported as
    /// interception (repeatable). This machine's own store is judged as it is.
    #[arg(long, value_name = "PEM")]
    pub expect_ca: Vec<PathBuf>,
    /// The VNet's address space when it is not private (RFC 1918, 100.64.0.0/10, fc00::/7 and this
    /// machine's own networks always count): where a gateway's hostname must resolve
    /// (repeatable), e.g. `--vnet-range 20.50.0.0/16`.
    #[arg(long, value_name = "CIDR")]
    pub vnet_range: Vec<String>,
    /// Pair mode: also probe the VNet-internal (`peer`) rows on these machines, where
    /// `apim-probe listen` runs with the same token (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "HOST")]
    pub peer: Vec<String>,
    /// The pair's token, for `--peer`.
    #[command(flatten)]
    pub token: TokenArgs,
    /// The peer's listener log (`listen -o json` lines, read after the probes): show per port
    /// whether our challenge arrived, even when the answer was lost on its way back.
    #[arg(long, value_name = "FILE")]
    pub peer_log: Option<PathBuf>,
}

/// Options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to probe.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: PlanFormat,
    /// Instead of the plan, what changed between this edition of the reference and the one
    /// given (rows added, removed and changed), e.g. `--compare 2023-11`.
    #[arg(long, value_name = "EDITION")]
    pub compare: Option<String>,
    /// APIM's own `outboundNetworkDependenciesEndpoints` JSON: list the real hosts that
    /// `check --dependencies` would probe, before probing them.
    #[arg(long, value_name = "FILE")]
    pub dependencies: Option<PathBuf>,
    /// List the CA certificates apim-probe ships instead of the plan: the anchors a TLS chain
    /// must lead to, the cross-certificates offered for path building and the issuing CAs it
    /// recognises, each with its SHA-256 and the public source it comes from.
    #[arg(long)]
    pub roots: bool,
}

/// Options of `script`.
#[derive(Debug, Args)]
pub struct ScriptArgs {
    /// What to check (`--dns-server` here names the VM's DNS servers, checked over TCP 53).
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The shell of the generated script.
    #[arg(long, value_enum)]
    pub shell: crate::script::Shell,
    /// Limit for each check in the script (resolve and connect each), e.g. `3s`, `500ms`.
    #[arg(
        long,
        default_value = "5s",
        value_name = "DURATION",
        env = "APIM_PROBE_TIMEOUT"
    )]
    pub timeout: String,
}
