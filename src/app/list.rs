//! `apim-probe list`: the plan, without probing.

use std::io::{self, Write};

use super::{UsageError, dns_config, ignore_broken_pipe, load_catalog, report_settings, scope};
use crate::azure::dependencies;
use crate::catalog::plan;
use crate::cli::{ListArgs, ListFormat};
use crate::exit;
use crate::report::list::{self as list_fmt, PlanReport};
use crate::settings::ListSettings;

/// `apim-probe list`.
pub fn list(args: &ListArgs) -> Result<u8, UsageError> {
    let s = ListSettings::try_from(args)?;
    let catalog = load_catalog(&s.scope)?;
    let endpoints = s
        .dependencies
        .as_deref()
        .map(dependencies::load)
        .transpose()?;
    dependencies::check_selection(&s.scope, endpoints.as_deref())?;
    let (config, dns) = dns_config(&s.scope);
    let mut plan = plan::build(&catalog, &scope(&s.scope, &dns))?;
    // The same plan `check --dependencies` would run: APIM's real hosts in place of placeholders.
    if let Some(endpoints) = &endpoints {
        dependencies::extend_plan(&mut plan, &catalog, &s.scope, endpoints);
    }
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
