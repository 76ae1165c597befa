//! The commands, from validated settings to an exit code: one file per command. Each step of
//! the data flow (settings → catalog → plan → runner → report → formatter) is one call there;
//! what several commands share is here.

mod check;
mod diff;
mod evaluate;
mod list;
mod listen;
mod merge;
mod meta;
mod network;
mod peer_log;
mod script;
mod signals;
mod watch;

pub use check::check;
pub use diff::{diff, read_report};
pub use evaluate::evaluate;
pub use list::list;
pub use listen::listen;
pub use merge::merge;
pub use meta::{completions, man};
pub use script::script;
pub use watch::watch;

use std::io;

use crate::catalog::apim::{self, ApimEndpoint};
use crate::catalog::plan::{self, Plan, PlanError};
use crate::catalog::{Catalog, CatalogError, edition_view, editions, load};
use crate::probe::resolve;
use crate::report::model::{DnsInfo, DnsStub, ReportSettings};
use crate::settings::ScopeSettings;

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
    /// `--reference` names no edition of the catalog, or one without the platform's table.
    #[error(transparent)]
    Edition(#[from] editions::EditionError),
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
    /// An input file (`--dependencies`, `--apim-status`, a report given to `diff`) is malformed.
    #[error(transparent)]
    Input(#[from] crate::azure::InputError),
    /// The peer's listener log (`--peer-log`) cannot be used (the message names the line).
    #[error("{0}")]
    PeerLog(String),
    /// `watch` cannot use its `--log` file or `--listen` address (the message names it).
    #[error("{0}")]
    Watch(String),
    /// The async runtime could not start.
    #[error("cannot start: {0}")]
    Runtime(io::Error),
}

/// The catalog (`--catalog`, or the embedded one) as the `--reference` edition reads it.
pub(crate) fn load_catalog(s: &ScopeSettings) -> Result<Catalog, UsageError> {
    catalog_for(s.catalog.as_deref(), &s.reference, s.platform, s.profile)
}

/// The catalog at `path` (or the embedded one) as edition `reference` reads it for `platform`.
pub(crate) fn catalog_for(
    path: Option<&std::path::Path>,
    reference: &str,
    platform: crate::catalog::model::Platform,
    profile: crate::catalog::profile::Profile,
) -> Result<Catalog, UsageError> {
    let catalog = match path {
        Some(path) => load::from_path(path)?,
        None => load::embedded()?,
    };
    Ok(edition_view::select(
        &catalog, reference, platform, profile,
    )?)
}

/// The resolver configuration (`--dns-server`, or the system's) and how the report describes it.
pub(crate) fn dns_config(
    s: &ScopeSettings,
) -> (
    Result<hickory_resolver::config::ResolverConfig, String>,
    DnsInfo,
) {
    let (config, source, stub) = if let Some(servers) = &s.dns_servers {
        (Ok(resolve::servers_config(servers)), "option", None)
    } else {
        let system = resolve::system_dns();
        (system.config, "system", system.stub)
    };
    let servers = config.as_ref().map(resolve::servers_of).unwrap_or_default();
    let info = DnsInfo {
        servers: servers.iter().map(ToString::to_string).collect(),
        source: source.into(),
        error: config.as_ref().err().cloned(),
        stub: stub.map(|st| DnsStub {
            servers: st.servers.iter().map(ToString::to_string).collect(),
            upstream_from: st.upstream_from.as_ref().map(|(f, _)| f.clone()),
            kind: st.upstream_from.map(|(_, by)| by),
        }),
        checks: Vec::new(),
    };
    (config, info)
}

/// The plan `check` runs and `list` shows: the catalog's rows for the scope, with APIM's own
/// endpoints (`--dependencies`) in place of the placeholders they fill.
pub(crate) fn build_plan(
    catalog: &Catalog,
    s: &ScopeSettings,
    dns: &DnsInfo,
    endpoints: Option<&[ApimEndpoint]>,
) -> Result<Plan, PlanError> {
    let scope = s.plan_scope(dns.servers.iter().filter_map(|a| a.parse().ok()).collect());
    apim::check_selection(&scope, endpoints)?;
    let mut plan = plan::build(catalog, &scope)?;
    if let Some(endpoints) = endpoints {
        apim::extend(&mut plan, catalog, &scope, endpoints);
    }
    Ok(plan)
}

pub(crate) fn report_settings(
    s: &ScopeSettings,
    timeout_ms: Option<u64>,
    strict: bool,
) -> ReportSettings {
    ReportSettings {
        tier: s.tier,
        profile: s.profile,
        platform: s.platform,
        vnet: s.vnet,
        cloud: s.cloud,
        region: s.region.clone(),
        timeout_ms,
        strict,
        command_line: None,
    }
}

/// The one handler of a failed write to stdout: a reader that went away (`| head`) is not an
/// error; anything else is said on stderr (the exit code stays the command's verdict).
pub(crate) fn ignore_broken_pipe(r: io::Result<()>) {
    if let Err(e) = r
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("apim-probe: cannot write the output: {e}");
    }
}
