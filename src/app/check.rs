//! `apim-probe check`: settings → inputs (IMDS, APIM's lists) → catalog → plan → runner → report
//! → formatter, and the verdict as the exit code. Each step is one function below, in that order.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::signals::{Progress, stop};
use super::{
    UsageError, build_plan, dns_config, ignore_broken_pipe, load_catalog, report_settings,
};
use crate::azure::dependencies::{self, ApimEndpoint};
use crate::azure::network::NetworkInputs;
use crate::azure::status::{self, ApimStatusEntry};
use crate::azure::{self, imds};
use crate::catalog::Catalog;
use crate::catalog::plan::Plan;
use crate::cli::{CheckArgs, OutputFormat};
use crate::diagnose;
use crate::exit;
use crate::limits;
use crate::probe::outcome::{Warning, WarningKind};
use crate::probe::trust::Trust;
use crate::probe::{Context, Outcome, resolve};
use crate::report::model::{
    DnsCheck, DnsInfo, HostInfo, Reference, Report, ReportSettings, ResultEntry, SCHEMA, Summary,
    Tool,
};
use crate::report::{
    Style, apim, check_writable, compact, hints, json, junit, markdown, redact, table,
    write_file_atomically,
};
use crate::runner::{self, Stop};
use crate::settings::{CheckSettings, DEFAULT_CONCURRENCY};

/// How long IMDS may take before the tool decides it is not on an Azure VM.
const IMDS_TIMEOUT: Duration = Duration::from_secs(1);

/// `apim-probe check`.
pub fn check(args: &CheckArgs) -> Result<u8, UsageError> {
    let mut s = CheckSettings::try_from(args)?;
    let inputs = Inputs::load(&mut s)?;
    // One thread: probes wait on the network, not the CPU. Tasks are first polled in plan order, so
    // every connect is started before any completion is handled, and no worker wakes another
    // (10,000 probes: 17,000 fewer futex calls, and 0.1 s sooner than with two workers).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(UsageError::Runtime)?;
    let azure = if s.no_imds {
        None
    } else {
        runtime.block_on(discover(&mut s))
    };
    let mut report = runtime.block_on(run(&s, &inputs))?;
    report.host.azure = azure;
    finish(&mut report, &s, &inputs);
    Ok(deliver(&report, &s))
}

/// What `check` reads before probing; every one of them fails the command before any probe runs.
pub struct Inputs {
    /// The catalog.
    pub catalog: Catalog,
    /// The trust store and the CAs chains should lead to.
    pub trust: Arc<Trust>,
    /// APIM's own endpoints (`--dependencies`).
    pub endpoints: Option<Vec<ApimEndpoint>>,
    /// APIM's own status (`--apim-status`).
    pub apim_status: Option<Vec<ApimStatusEntry>>,
    /// The exported network configuration (`--nsg`, `--routes`, `--service-tags` …).
    pub network: Option<NetworkInputs>,
}

impl Inputs {
    /// Reads the input files and the catalog (for the profile an exported subnet's delegation
    /// tells, when `--tier` is not given), and makes sure the report file can be written.
    pub fn load(s: &mut CheckSettings) -> Result<Self, UsageError> {
        let mut network = if s.network.is_empty() {
            None
        } else {
            Some(super::network::read(&s.network, &[])?)
        };
        if let Some(n) = network.as_mut()
            && let Some(note) = super::network::infer_profile(&mut s.scope, n)?
        {
            n.warnings.push(note);
        }
        let catalog = load_catalog(&s.scope)?;
        if let Some(path) = &s.report_file {
            // Fail before probing, not after minutes of work, when the report cannot be written.
            check_writable(path).map_err(|err| report_file_error(path, err))?;
        }
        if let Some(log) = s.pair.as_ref().and_then(|p| p.peer_log.as_deref()) {
            super::peer_log::check(log)?;
        }
        Ok(Self {
            catalog,
            trust: Arc::new(Trust::load(&s.expect_ca).map_err(UsageError::Trust)?),
            endpoints: s
                .dependencies
                .as_deref()
                .map(dependencies::load)
                .transpose()?,
            apim_status: s.apim_status.as_deref().map(status::load).transpose()?,
            network,
        })
    }
}

/// Plans, probes and builds the report (without the IMDS facts, APIM's view or redaction).
pub async fn run(s: &CheckSettings, inputs: &Inputs) -> Result<Report, UsageError> {
    run_until(s, inputs, stop(s.deadline)).await
}

/// [`run`], stopped early when `stop` completes (`watch` passes one that outlives each run, so
/// that a signal between two runs is not lost).
pub async fn run_until(
    s: &CheckSettings,
    inputs: &Inputs,
    stop: impl Future<Output = Stop>,
) -> Result<Report, UsageError> {
    let (config, dns) = dns_config(&s.scope);
    let plan = build_plan(&inputs.catalog, &s.scope, &dns, inputs.endpoints.as_deref())?;
    let started_at = crate::timestamp::now();
    let start = Instant::now();
    let progress = Progress::new(!s.quiet && io::stderr().is_terminal(), plan.probes.len());
    let (concurrency, capped) =
        limits::concurrency(s.concurrency, DEFAULT_CONCURRENCY, limits::raise_nofile());
    let ctx = Context {
        dns: Arc::new(resolve::Dns::new(config, s.timeout)),
        timeout: s.timeout,
        trust: Arc::clone(&inputs.trust),
        max_clock_skew: s.max_clock_skew,
        pair_token: s.pair.as_ref().map(|p| Arc::clone(&p.token)),
        vnet_ranges: Arc::new(crate::probe::private::vnet_ranges(&s.vnet_ranges)),
    };
    let run = runner::run(&plan, &ctx, concurrency, stop, &|done| {
        progress.show(done);
    })
    .await;
    progress.clear();
    let mut report = build_report(s, &plan, run.outcomes, dns, started_at, start.elapsed());
    report.interrupted = run.stopped == Some(Stop::Interrupted);
    report.warnings.extend(stub_warning(&report.dns));
    let mut ctx = diagnose::Context {
        region: report.settings.region.clone(),
        cloud: report.settings.cloud,
        dns_servers: report.dns.servers.clone(),
        profile: report.settings.profile,
        ..diagnose::Context::default()
    };
    let mut hints_ctx = hints::HintContext {
        cloud: report.settings.cloud,
        region: report.settings.region.clone(),
        ..hints::HintContext::default()
    };
    if let Some(network) = &inputs.network {
        super::network::beside_the_probes(
            &mut report,
            &plan,
            network,
            &s.scope,
            &inputs.catalog,
            &mut ctx,
            &mut hints_ctx,
        );
    }
    hints::apply(&mut report, &hints_ctx);
    ctx.local_route = local_route(&report.results).await;
    report.diagnosis = diagnose::diagnose(&report.results, &ctx);
    if capped {
        report.warnings.push(Warning::new(
            WarningKind::Concurrency { limit: concurrency },
            format!(
                "only {concurrency} probes ran at once: the open-file limit allows no more (raise `ulimit -n`)"
            ),
        ));
    }
    Ok(report)
}

/// What the kernel says of the route to the first address this machine's own stack refused,
/// when one was (`ip route get`, off the async threads).
async fn local_route(results: &[ResultEntry]) -> Option<String> {
    let addr = results
        .iter()
        .filter(|r| diagnose::view::failed_locally(r))
        .find_map(|r| r.addresses.first()?.parse().ok())?;
    tokio::task::spawn_blocking(move || crate::probe::route::route_get(addr))
        .await
        .ok()
}

/// Adds what the run's inputs say (trust store problems, APIM's view), then redacts if asked.
pub fn finish(report: &mut Report, s: &CheckSettings, inputs: &Inputs) {
    report.warnings.extend(
        inputs
            .trust
            .load_errors
            .iter()
            .map(|e| Warning::new(WarningKind::TrustStore, format!("trust store: {e}"))),
    );
    if let Some(entries) = &inputs.apim_status {
        apim::attach(report, entries);
    }
    if let Some(log) = s.pair.as_ref().and_then(|p| p.peer_log.as_deref()) {
        super::peer_log::attach_file(report, log);
    }
    if s.redact {
        redact::redact(report);
    }
}

/// Writes the report file and prints the report; returns the exit code of the verdict. A report
/// file that cannot be written now (the probes ran) is one error line, not a lost report: the
/// printed report and the verdict's code stand.
fn deliver(report: &Report, s: &CheckSettings) -> u8 {
    save(report, s);
    if !s.quiet {
        print(report, s.output);
    }
    verdict(report)
}

/// Writes the report file (`--report-file`), atomically, if one was asked for; a failure is one
/// error line on stderr.
pub fn save(report: &Report, s: &CheckSettings) {
    if let Some(path) = &s.report_file {
        let mut bytes = Vec::new();
        json::write(report, &mut bytes).expect("writing to memory");
        if let Err(err) = write_file_atomically(path, &bytes) {
            eprintln!("apim-probe: error: {}", report_file_error(path, err));
        }
    }
}

/// The exit code a report stands for.
pub fn verdict(report: &Report) -> u8 {
    if report.interrupted {
        exit::INTERRUPTED
    } else if report.passed() {
        exit::OK
    } else {
        exit::FAILED
    }
}

/// What the report says of a local DNS stub: bypassed for its upstream servers, or kept because
/// they could not be found.
fn stub_warning(dns: &DnsInfo) -> Option<Warning> {
    let stub = dns.stub.as_ref()?;
    let at = stub.servers.join(", ");
    let message = match (&stub.upstream_from, &stub.kind) {
        (Some(file), kind) => format!(
            "the system's DNS server {at} is a local stub ({}): it answers whatever its upstream does, so its upstream servers from {file} ({}) were probed and used instead",
            kind.as_deref().unwrap_or("a caching resolver"),
            dns.servers.join(", ")
        ),
        (None, _) => format!(
            "the system's DNS server {at} is a local stub and its upstream servers could not be found (no /run/systemd/resolve/resolv.conf, no dnsmasq server= lines): the VNet's DNS servers were not tested directly; give them with --dns-server"
        ),
    };
    Some(Warning::new(
        WarningKind::DnsStub {
            stub: stub.servers.clone(),
            upstream_from: stub.upstream_from.clone(),
        },
        message,
    ))
}

fn report_file_error(path: &Path, err: io::Error) -> UsageError {
    UsageError::ReportFile {
        path: path.display().to_string(),
        err,
    }
}

/// Asks IMDS where this VM is, and uses it for what the user did not say (cloud, region).
pub async fn discover(s: &mut CheckSettings) -> Option<azure::AzureContext> {
    match imds::fetch(IMDS_TIMEOUT).await {
        Ok(ctx) => {
            if !s.scope.cloud_given
                && let Some(cloud) = ctx.cloud()
            {
                s.scope.cloud = cloud;
            }
            if s.scope.region.is_none()
                && let Some(region) = ctx.region()
            {
                s.scope.values.insert("region".into(), region.clone());
                s.scope.region = Some(region);
            }
            Some(ctx)
        }
        Err(why) => {
            if !s.quiet {
                eprintln!("apim-probe: {why}; using --cloud/--region as given");
            }
            None
        }
    }
}

fn print(report: &Report, format: OutputFormat) {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let colour =
        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let written = match format {
        OutputFormat::Json => json::write(report, &mut out),
        OutputFormat::Table => table::write_styled(report, &mut out, Style { colour }),
        OutputFormat::Markdown => markdown::write(report, &mut out),
        OutputFormat::Compact => compact::write(report, &mut out),
        OutputFormat::Junit => junit::write(report, &mut out),
        OutputFormat::Html => crate::merge::html::write_report(report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
}

fn build_report(
    s: &CheckSettings,
    plan: &Plan,
    outcomes: Vec<Outcome>,
    dns: DnsInfo,
    started_at: String,
    elapsed: Duration,
) -> Report {
    let results: Vec<ResultEntry> = plan
        .probes
        .iter()
        .zip(outcomes)
        .map(|(p, o)| ResultEntry::new(p, o))
        .collect();
    let mut dns = dns;
    dns.checks = results.iter().filter_map(DnsCheck::of).collect();
    Report {
        schema: SCHEMA.into(),
        tool: Tool::default(),
        started_at,
        duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        settings: ReportSettings {
            command_line: Some(command_line()),
            ..report_settings(
                &s.scope,
                u64::try_from(s.timeout.as_millis()).ok(),
                s.strict,
            )
        },
        reference: plan.edition.as_ref().map(Reference::from),
        host: host_info(),
        dns,
        summary: Summary::of(&results),
        diagnosis: Vec::new(),
        results,
        warnings: Vec::new(),
        interrupted: false,
    }
}

/// The command line as typed, shell-quoted, for the report (Markdown shows it to reproduce).
fn command_line() -> String {
    let mut words: Vec<String> = crate::pair::auth::hide_token(std::env::args())
        .iter()
        .map(|a| markdown::shell_word(a))
        .collect();
    if let Some(first) = words.first_mut() {
        // The path of the binary says nothing useful and may name a user's folder.
        *first = "apim-probe".into();
    }
    words.join(" ")
}

fn host_info() -> HostInfo {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_default();
    let addresses = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip().to_string())
        .collect();
    HostInfo {
        hostname,
        addresses,
        azure: None,
    }
}
