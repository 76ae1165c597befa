//! The command line as clap sees it: raw flags only. `crate::settings` turns them into validated
//! settings and is the only reader of these structs; nothing here imports it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::catalog::model::{Cloud, Platform, VnetMode};

const ABOUT: &str = "Probe Azure API Management's network dependencies from inside its subnet, and say why each one fails.";

const LONG_ABOUT: &str = "\
Probe Azure API Management's network dependencies from inside its subnet, and say why each one fails.

Run it on a VM in the subnet where APIM is (or will be) injected. It probes every outbound
dependency of the VNet reference (Storage, SQL, Key Vault, Entra ID, Azure Monitor, DNS, NTP, …)
concurrently, each within one timeout, and reports the reason of every failure: NXDOMAIN from which
server, reset, silently dropped, ICMP unreachable.";

const AFTER_HELP: &str = "\
Examples:
  apim-probe check --region westeurope
  apim-probe check --region westeurope --set sql_server=apimsql123 --set storage_account=apimst123
  apim-probe check -o json --report-file /var/tmp/apim-probe.json
  apim-probe list --platform stv1 --vnet internal

Exit codes: 0 every required dependency reachable; 1 a required dependency failed (--strict: any);
2 usage, catalog or configuration error; 130 interrupted.";

const SCRIPT_AFTER_HELP: &str = "\
TCP ONLY: the script opens a TCP connection to each TCP entry of the plan and closes it; it speaks
no TLS, HTTP or other protocol and sends no UDP (DNS and NTP rows are listed as not checked).

Examples:
  apim-probe script --shell bash --region westeurope --set sql_server=apimsql123 > probe.sh
  apim-probe script --shell powershell --region westeurope > probe.ps1

The script prints one line per failure, the counts, then the verdict as its last line, and exits
0 (every required TCP dependency reachable) or 1.";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "apim-probe", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe the dependencies, print a report, exit with a verdict.
    #[command(after_help = AFTER_HELP)]
    Check(CheckArgs),
    /// Show what `check` would probe with the same options, without probing.
    List(ListArgs),
    /// Compare two JSON reports: what newly fails, what was fixed, what changed reason.
    Diff(DiffArgs),
    /// Merge the reports of many VMs into one matrix: dependencies down, VMs across.
    Merge(MergeArgs),
    /// Print a standalone script (bash or PowerShell) that checks the same plan over TCP only,
    /// for VMs where no binary may be copied.
    #[command(after_help = SCRIPT_AFTER_HELP)]
    Script(ScriptArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    Man,
}

/// Options that choose what to probe; shared by `check` and `list`.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// APIM compute platform (each has its own table in the reference).
    #[arg(long, value_enum, default_value = "stv2", env = "APIM_PROBE_PLATFORM")]
    pub platform: Platform,
    /// VNet mode; `internal` drops the rows marked "External only".
    #[arg(long, value_enum, default_value = "external", env = "APIM_PROBE_VNET")]
    pub vnet: VnetMode,
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
    /// Print nothing; the exit code (and --report-file) carry the result.
    #[arg(short, long)]
    pub quiet: bool,
    /// Replace VM names, resource ids, subscription, this machine's host name and private
    /// addresses with stable placeholders, so the report can be shared.
    #[arg(long)]
    pub redact: bool,
    /// A PEM file of CA certificates this network legitimately chains to (private PKI, or a TLS
    /// inspection you accept): trusted, and not reported as interception (repeatable).
    #[arg(long, value_name = "PEM")]
    pub expect_ca: Vec<PathBuf>,
}

/// Options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to probe.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListFormat,
    /// APIM's own `outboundNetworkDependenciesEndpoints` JSON: list the real hosts that
    /// `check --dependencies` would probe, before probing them.
    #[arg(long, value_name = "FILE")]
    pub dependencies: Option<PathBuf>,
}

/// Options of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report (`check -o json` or `--report-file`).
    pub old: PathBuf,
    /// The later JSON report.
    pub new: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListFormat,
}

/// Options of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports (`check --report-file`), evaluations (`evaluate -o json`), the fleet script's
    /// per-VM files, or folders of them (every `*.json` inside).
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: MergeFormat,
    /// Also write the merged JSON (`apim-probe/merge/v1`) to this file (replaced atomically).
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<PathBuf>,
}

/// Formats of `merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// Aligned columns; the verdict is the last line.
    Table,
    /// A Markdown document for a ticket or a wiki.
    Markdown,
    /// The merged JSON.
    Json,
    /// One self-contained HTML page with filters.
    Html,
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

/// Options of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Formats of `list` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for a terminal; the verdict is the last line.
    Table,
    /// The JSON report of the contract.
    Json,
    /// A ticket-ready document: environment, failures with reasons and hints, every result.
    Markdown,
    /// At most 4,096 bytes for `az vm run-command`: counts, one line per failure, verdict last.
    Compact,
    /// JUnit XML: one testcase per probe, for pipelines.
    Junit,
    /// One self-contained HTML page: the matrix of `merge` with this VM's column.
    Html,
}
