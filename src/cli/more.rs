//! The arguments of the commands beyond one check: `watch`, `evaluate`, `merge`, `diff`,
//! `completions`.

use std::path::PathBuf;

use clap::Args;

use super::formats::{EvaluateFormat, ListFormat, MergeFormat};
use super::network::NetworkArgs;
use super::probe::{CheckArgs, ScopeArgs};

pub const WATCH_AFTER_HELP: &str = "\
Examples:
  apim-probe watch --region westeurope --listen --report-file /var/tmp/apim-probe.json
  apim-probe watch --region westeurope --every 1m --listen 0.0.0.0:9469 --log watch.jsonl

Each status change of a row, and each cause of the diagnosis that appears or is resolved, is one
JSON line in --log, and on stdout when stdout is not a terminal (a readable line when it is).
Ctrl-C or SIGTERM stops it (exit 0).";

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

pub const EVALUATE_AFTER_HELP: &str = "\
Export what to evaluate with the Azure CLI (each file's kind is recognised from its shape):
  az network vnet subnet show -g RG --vnet-name VNET -n SUBNET -o json > subnet.json
  az network nsg show --ids \"$(jq -r .networkSecurityGroup.id subnet.json)\" -o json > nsg.json
  az network route-table show --ids \"$(jq -r .routeTable.id subnet.json)\" -o json > routes.json
  az network list-service-tags --location REGION -o json > service-tags.json

Or evaluate the code before anything is deployed (pre-flight):
  terraform show -json plan.tfplan > plan.json      a Terraform plan
  main.tf, or a module's folder                     Terraform sources
  azuredeploy.json [azuredeploy.parameters.json]    an ARM template
  az bicep build --file main.bicep                  Bicep: give the .json it writes
The API Management instance in the code chooses the subnet, --vnet and the tier (--subnet NAME
when it names none); verdicts name the file and line that decide, a denied flow one field away
from an allow is a near miss (\"did you mean 3443?\") with the corrected rule in the code's own
language, and -o sarif writes SARIF 2.1.0 for code scanning.

Examples:
  apim-probe evaluate --region westeurope subnet.json nsg.json routes.json
  apim-probe evaluate --region westeurope --service-tags service-tags.json exports/
  apim-probe evaluate plan.json -o sarif > apim-probe.sarif

Exit codes: 0 every required flow allowed; 1 a required flow denied or partly denied, or a
required subnet setting missing (--strict: anything not allowed); 2 an input is malformed.";

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Which flows (the catalog rows in scope); `--dns-server` names the DNS servers to evaluate.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// The exported network configuration to evaluate.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Output format.
    #[arg(
        short,
        long,
        value_enum,
        default_value = "table",
        env = "APIM_PROBE_OUTPUT"
    )]
    pub output: EvaluateFormat,
    /// Also write the JSON report to this file (replaced atomically).
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<PathBuf>,
    /// Anything not allowed (optional flows, unknown verdicts) counts toward the exit code.
    #[arg(long)]
    pub strict: bool,
    /// Input files or folders, each recognised from its shape: exports, Terraform plans and
    /// `.tf` sources, ARM templates and parameters files.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
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

/// Options of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
