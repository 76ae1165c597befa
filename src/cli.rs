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

const WATCH_AFTER_HELP: &str = "\
Examples:
  apim-probe watch --region westeurope --listen --report-file /var/tmp/apim-probe.json
  apim-probe watch --region westeurope --every 1m --listen 0.0.0.0:9469 --log watch.jsonl

Each status change of a row, and each cause of the diagnosis that appears or is resolved, is one
JSON line in --log, and on stdout when stdout is not a terminal (a readable line when it is).
Ctrl-C or SIGTERM stops it (exit 0).";

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
    /// Run the check on a schedule: Prometheus metrics, the last report over HTTP, a log of
    /// every status change.
    #[command(
        after_help = WATCH_AFTER_HELP,
        mut_arg("output", |a| a.hide(true)),
        mut_arg("quiet", |a| a.help("Print nothing on stdout; --log and --report-file carry the results"))
    )]
    Watch(WatchArgs),
    /// Print a standalone script (bash or PowerShell) that checks the same plan over TCP only,
    /// for VMs where no binary may be copied.
    #[command(after_help = SCRIPT_AFTER_HELP)]
    Script(ScriptArgs),
    /// Evaluate exported NSGs, routes and the subnet offline: for every flow APIM needs, allowed
    /// or denied, by which rule, and the rule to add. Sends no traffic.
    #[command(after_help = EVALUATE_AFTER_HELP)]
    Evaluate(EvaluateArgs),
    /// Pair mode: listen on the VNet-internal ports so that `check --peer` on another machine
    /// can prove them; answers only challenges keyed by the shared token.
    #[command(after_help = LISTEN_AFTER_HELP)]
    Listen(ListenArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    Man,
}

const LISTEN_AFTER_HELP: &str = "\
Examples (the same token file on both machines):
  head -c 32 /dev/urandom | base64 > pair.token
  apim-probe listen --token-file pair.token -o json | tee listen.jsonl      # on vm2
  apim-probe check --peer 10.0.1.5 --token-file pair.token                  # on vm1

It stops by itself after --for (default 15m), or on Ctrl-C, with a summary of what it saw.";

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

/// The pair's shared token (`listen`, `check --peer`): the same on both machines.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// A file holding the pair's token (at least 16 bytes; surrounding whitespace is ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// The pair's token itself; other users of this machine can see it in the process list,
    /// prefer --token-file.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// Options of `listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The pair's token (required).
    #[command(flatten)]
    pub token: TokenArgs,
    /// The address to listen on (`::` for IPv6 too).
    #[arg(long, default_value = "0.0.0.0", value_name = "ADDR")]
    pub bind: String,
    /// Stop by itself after this long, e.g. `15m`, `1h` (at most 24h).
    #[arg(long = "for", default_value = "15m", value_name = "DURATION")]
    pub duration: String,
    /// Ports to open, e.g. `6380,6381-6383/tcp,4290/udp` (a port without /tcp or /udp is both)
    /// [default: the ports of the catalog's `peer` rows].
    #[arg(long, value_name = "LIST")]
    pub ports: Option<String>,
    /// APIM compute platform (which `peer` rows give the default ports).
    #[arg(long, value_enum, default_value = "stv2", env = "APIM_PROBE_PLATFORM")]
    pub platform: Platform,
    /// VNet mode (which `peer` rows give the default ports).
    #[arg(long, value_enum, default_value = "external", env = "APIM_PROBE_VNET")]
    pub vnet: VnetMode,
    /// A catalog file or folder of `*.toml` files to use instead of the embedded one.
    #[arg(long, value_name = "PATH", env = "APIM_PROBE_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Output: `table`, one line per event for people, or `json`, one JSON object per line
    /// (what `check --peer-log` reads).
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListFormat,
}

/// Options of `watch`: `check`'s, and the schedule and where to say what changed.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// What to probe and how: `check`'s options (`-o` is hidden and unused: the log is JSON lines).
    #[command(flatten)]
    pub check: CheckArgs,
    /// Time from the start of one run to the start of the next, e.g. `30s`, `5m`, `1h`.
    #[arg(
        long,
        default_value = "5m",
        value_name = "DURATION",
        env = "APIM_PROBE_EVERY"
    )]
    pub every: String,
    /// Serve `/metrics` (Prometheus), `/report` and `/healthz` on this address [bare: 127.0.0.1:9469].
    #[arg(
        long,
        value_name = "ADDR:PORT",
        num_args = 0..=1,
        default_missing_value = "127.0.0.1:9469",
        env = "APIM_PROBE_LISTEN"
    )]
    pub listen: Option<String>,
    /// Append one JSON line per status change (and start, stop, overrun) to this file.
    #[arg(long, value_name = "FILE", env = "APIM_PROBE_LOG")]
    pub log: Option<PathBuf>,
    /// Start each run up to a tenth of --every later, at random, so that many agents started
    /// together do not probe at the same moment.
    #[arg(long)]
    pub jitter: bool,
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

const EVALUATE_AFTER_HELP: &str = "\
Export what to evaluate with the Azure CLI (each file's kind is recognised from its shape):
  az network vnet subnet show -g RG --vnet-name VNET -n SUBNET -o json > subnet.json
  az network nsg show --ids \"$(jq -r .networkSecurityGroup.id subnet.json)\" -o json > nsg.json
  az network route-table show --ids \"$(jq -r .routeTable.id subnet.json)\" -o json > routes.json
  az network list-service-tags --location REGION -o json > service-tags.json

Examples:
  apim-probe evaluate --region westeurope subnet.json nsg.json routes.json
  apim-probe evaluate --region westeurope --service-tags service-tags.json exports/

Exit codes: 0 every required flow allowed; 1 a required flow denied or partly denied, or a
required subnet setting missing (--strict: anything not allowed); 2 an input is malformed.";

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Which flows (the catalog rows in scope); `--dns-server` names the DNS servers to evaluate.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The APIM subnet (`az network vnet subnet show`).
    #[arg(long, value_name = "FILE")]
    pub subnet: Option<PathBuf>,
    /// An NSG (`az network nsg show`, REST, the portal's JSON view, an ARM template); repeatable.
    #[arg(long, value_name = "FILE")]
    pub nsg: Vec<PathBuf>,
    /// Effective rules (`az network nic list-effective-nsg`, PowerShell, or Network Watcher's
    /// `show-security-group-view`); repeatable.
    #[arg(long, value_name = "FILE")]
    pub effective_nsg: Vec<PathBuf>,
    /// The subnet's route table (`az network route-table show`).
    #[arg(long, value_name = "FILE")]
    pub routes: Vec<PathBuf>,
    /// Effective routes (`az network nic show-effective-route-table`).
    #[arg(long, value_name = "FILE")]
    pub effective_routes: Option<PathBuf>,
    /// The service-tag file (the download, or `az network list-service-tags`): CIDR rules and
    /// routes are compared with the tags' real prefixes.
    #[arg(long, value_name = "FILE")]
    pub service_tags: Option<PathBuf>,
    /// Output format.
    #[arg(
        short,
        long,
        value_enum,
        default_value = "table",
        env = "APIM_PROBE_OUTPUT"
    )]
    pub output: OutputFormat,
    /// Also write the JSON report to this file (replaced atomically).
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<PathBuf>,
    /// Anything not allowed (optional flows, unknown verdicts) counts toward the exit code.
    #[arg(long)]
    pub strict: bool,
    /// Input files or folders of `*.json` files, each recognised from its shape.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
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
}
