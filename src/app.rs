//! The two commands, from validated settings to an exit code. Each step of the data flow
//! (settings → catalog → plan → runner → report → formatter) is one call here.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Instant;

use crate::catalog::plan::{self, Plan, Scope};
use crate::catalog::{Catalog, CatalogError, load};
use crate::cli::{CheckArgs, ListArgs, OutputFormat};
use crate::exit;
use crate::probe::tls::Trust;
use crate::probe::{Context, resolve};
use crate::report::list::{self as list_fmt, PlanReport};
use crate::report::model::{
    DnsCheck, DnsInfo, HostInfo, Report, ReportSettings, ResultEntry, SCHEMA, Summary, Tool,
};
use crate::report::{check_writable, hints, json, table, write_file_atomically};
use crate::runner;
use crate::settings::{CheckSettings, ListSettings, ScopeSettings};

/// An error that stops a command before anything is probed (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// An option is invalid.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// The catalog is invalid.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The selection does not fit the catalog.
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// The report file cannot be written.
    #[error("--report-file {path}: {err}")]
    ReportFile {
        /// The path given.
        path: String,
        /// Why it cannot be written.
        err: io::Error,
    },
    /// A `--expect-ca` file cannot be used (the message names it).
    #[error("{0}")]
    Trust(String),
    /// The async runtime could not start.
    #[error("cannot start: {0}")]
    Runtime(io::Error),
}

/// `apim-probe list`.
pub fn list(args: &ListArgs) -> Result<u8, UsageError> {
    let s = ListSettings::try_from(args)?;
    let catalog = load_catalog(&s.scope)?;
    let (config, dns) = dns_config(&s.scope);
    let plan = plan::build(&catalog, &scope(&s.scope, &dns))?;
    let report = PlanReport::new(
        &plan,
        report_settings(&s.scope, None, false),
        dns.servers.clone(),
    );
    drop(config);
    let mut out = io::stdout().lock();
    let written = match s.output {
        OutputFormat::Json => list_fmt::write_json(&report, &mut out),
        OutputFormat::Table => list_fmt::write_table(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(exit::OK)
}

/// `apim-probe check`.
pub fn check(args: &CheckArgs) -> Result<u8, UsageError> {
    let s = CheckSettings::try_from(args)?;
    let catalog = load_catalog(&s.scope)?;
    if let Some(path) = &s.report_file {
        // Fail before probing, not after minutes of work, when the report cannot be written.
        check_writable(path).map_err(|err| UsageError::ReportFile {
            path: path.display().to_string(),
            err,
        })?;
    }
    let trust = Arc::new(Trust::load(&s.expect_ca).map_err(UsageError::Trust)?);
    let (config, dns) = dns_config(&s.scope);
    let plan = plan::build(&catalog, &scope(&s.scope, &dns))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(UsageError::Runtime)?;
    let started_at = now_rfc3339();
    let start = Instant::now();
    let run = runtime.block_on(async {
        let ctx = Context {
            dns: Arc::new(resolve::Dns::new(config, s.timeout)),
            timeout: s.timeout,
            trust,
            max_clock_skew: s.max_clock_skew,
        };
        runner::run(&plan, &ctx, s.concurrency, stop_signal()).await
    });
    let mut report = build_report(&s, &plan, run.outcomes, dns, started_at, start.elapsed());
    report.interrupted = run.interrupted;
    if let Some(path) = &s.report_file {
        let mut bytes = Vec::new();
        json::write(&report, &mut bytes).expect("writing to memory");
        write_file_atomically(path, &bytes).map_err(|err| UsageError::ReportFile {
            path: path.display().to_string(),
            err,
        })?;
    }
    let mut out = io::stdout().lock();
    let written = match s.output {
        OutputFormat::Json => json::write(&report, &mut out),
        OutputFormat::Table => table::write(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(if report.interrupted {
        exit::INTERRUPTED
    } else if report.passed() {
        exit::OK
    } else {
        exit::FAILED
    })
}

fn load_catalog(s: &ScopeSettings) -> Result<Catalog, CatalogError> {
    match &s.catalog {
        Some(path) => load::from_path(path),
        None => load::embedded(),
    }
}

/// The resolver configuration (`--dns-server`, or the system's) and how the report describes it.
fn dns_config(
    s: &ScopeSettings,
) -> (
    Result<hickory_resolver::config::ResolverConfig, String>,
    DnsInfo,
) {
    let (config, source) = match &s.dns_servers {
        Some(servers) => (Ok(resolve::servers_config(servers)), "option"),
        None => (resolve::system_config(), "system"),
    };
    let servers = config.as_ref().map(resolve::servers_of).unwrap_or_default();
    let info = DnsInfo {
        servers: servers.iter().map(ToString::to_string).collect(),
        source,
        error: config.as_ref().err().cloned(),
        checks: Vec::new(),
    };
    (config, info)
}

fn scope(s: &ScopeSettings, dns: &DnsInfo) -> Scope {
    Scope {
        platform: s.platform,
        vnet: s.vnet,
        cloud: s.cloud,
        values: s.values.clone(),
        dns_servers: dns.servers.iter().filter_map(|a| a.parse().ok()).collect(),
        only: s.only.clone(),
        skip: s.skip.clone(),
    }
}

fn report_settings(s: &ScopeSettings, timeout_ms: Option<u64>, strict: bool) -> ReportSettings {
    ReportSettings {
        platform: s.platform,
        vnet: s.vnet,
        cloud: s.cloud,
        region: s.region.clone(),
        timeout_ms,
        strict,
    }
}

fn build_report(
    s: &CheckSettings,
    plan: &Plan,
    outcomes: Vec<crate::probe::Outcome>,
    dns: DnsInfo,
    started_at: String,
    elapsed: std::time::Duration,
) -> Report {
    let results: Vec<ResultEntry> = plan
        .probes
        .iter()
        .zip(outcomes)
        .map(|(p, o)| {
            let mut e = ResultEntry::new(p, o);
            e.hint = hints::hint(&e, s.scope.region.as_deref());
            e
        })
        .collect();
    let mut dns = dns;
    dns.checks = results.iter().filter_map(DnsCheck::of).collect();
    Report {
        schema: SCHEMA,
        tool: Tool::default(),
        started_at,
        duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        settings: report_settings(
            &s.scope,
            u64::try_from(s.timeout.as_millis()).ok(),
            s.strict,
        ),
        host: host_info(),
        dns,
        summary: Summary::of(&results),
        results,
        warnings: Vec::new(),
        interrupted: false,
    }
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
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM; never when neither can be listened for.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                r = tokio::signal::ctrl_c() => if r.is_err() { std::future::pending::<()>().await },
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A reader that went away (`| head`) is not an error.
fn ignore_broken_pipe(r: io::Result<()>) {
    if let Err(e) = r
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("apim-probe: cannot write the report: {e}");
    }
}
