//! `apim-probe list`: the plan, without probing.

use std::io::{self, Write};

use super::{
    UsageError, build_plan, dns_config, ignore_broken_pipe, load_catalog, report_settings,
};
use crate::azure::dependencies;
use crate::cli::{ListArgs, ListFormat};
use crate::exit;
use crate::report::list::{self as list_fmt, PlanReport};
use crate::report::roots as roots_fmt;
use crate::settings::ListSettings;

/// `apim-probe list`.
pub fn list(args: &ListArgs) -> Result<u8, UsageError> {
    let s = ListSettings::try_from(args)?;
    if s.roots {
        return roots(s.output);
    }
    let catalog = load_catalog(&s.scope)?;
    let endpoints = s
        .dependencies
        .as_deref()
        .map(dependencies::load)
        .transpose()?;
    let (config, dns) = dns_config(&s.scope);
    let plan = build_plan(&catalog, &s.scope, &dns, endpoints.as_deref())?;
    let report = PlanReport::new(
        &plan,
        report_settings(&s.scope, None, false),
        dns.servers.clone(),
    );
    drop(config);
    let mut out = io::stdout().lock();
    let written = match s.output {
        ListFormat::Json => list_fmt::write_json(&report, &mut out),
        ListFormat::Table => list_fmt::write_table(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(exit::OK)
}

/// `apim-probe list --roots`: the embedded CA certificates.
fn roots(output: ListFormat) -> Result<u8, UsageError> {
    let all = crate::probe::trust::embedded::all().map_err(UsageError::Trust)?;
    let report = roots_fmt::RootsReport::new(&all);
    let mut out = io::stdout().lock();
    let written = match output {
        ListFormat::Json => roots_fmt::write_json(&report, &mut out),
        ListFormat::Table => roots_fmt::write_table(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(exit::OK)
}
