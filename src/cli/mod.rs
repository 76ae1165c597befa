//! The command line as clap sees it: raw flags only. `crate::settings` turns them into validated
//! settings and is the only reader of these structs; nothing here imports it.

mod formats;
mod more;
mod network;
mod pair;
mod probe;
mod reference;

use clap::{Parser, Subcommand};

pub use formats::{EvaluateFormat, ListFormat, MergeFormat, OutputFormat, PlanFormat};
pub use more::{CompletionsArgs, DiffArgs, EvaluateArgs, MergeArgs, WatchArgs};
use more::{EVALUATE_AFTER_HELP, WATCH_AFTER_HELP};
pub use network::NetworkArgs;
use pair::LISTEN_AFTER_HELP;
pub use pair::{ListenArgs, TokenArgs};
pub use probe::{CheckArgs, ListArgs, ScopeArgs, ScriptArgs};
pub use reference::ReferenceArg;

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
    /// Run the check on a schedule: Prometheus metrics, the last report over HTTP, a log of
    /// every status change.
    #[command(
        after_help = WATCH_AFTER_HELP,
        mut_arg("output", |a| a.hide(true)),
        mut_arg("quiet", |a| a.help("Print nothing on stdout; --log and --report-file carry the results"))
    )]
    Watch(WatchArgs),
    /// Merge the reports of many VMs into one matrix: dependencies down, VMs across.
    Merge(MergeArgs),
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
