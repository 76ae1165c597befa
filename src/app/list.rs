//! `apim-probe list`: the plan, without probing; with `--compare`, what changed between two
//! editions of the reference.

use std::io::{self, Write};

use super::{
    UsageError, build_plan, dns_config, ignore_broken_pipe, load_catalog, report_settings,
};
use crate::azure::dependencies;
use crate::catalog::{compare, edition_view, load};
use crate::cli::{ListArgs, PlanFormat};
use crate::exit;
use crate::report::compare as compare_fmt;
use crate::report::list::{self as list_fmt, PlanReport};
use crate::report::roots as roots_fmt;
use crate::settings::{ListSettings, SettingsError};

/// `apim-probe list`.
pub fn list(args: &ListArgs) -> Result<u8, UsageError> {
    let s = ListSettings::try_from(args)?;
    if s.roots {
        return roots(s.output);
    }
    if let Some(other) = &s.compare {
        return compare_editions(&s, other);
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
        PlanFormat::Json => list_fmt::write_json(&report, &mut out),
        PlanFormat::Table => list_fmt::write_table(&report, &mut out),
        PlanFormat::Markdown => list_fmt::write_markdown(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(exit::OK)
}

/// `list --compare OTHER`: the rows added, removed and changed from edition OTHER to the
/// `--reference` edition.
fn compare_editions(s: &ListSettings, other: &str) -> Result<u8, UsageError> {
    let catalog = match &s.scope.catalog {
        Some(path) => load::from_path(path)?,
        None => load::embedded()?,
    };
    let to = edition_view::find(&catalog.editions, &s.scope.reference, s.scope.profile)?;
    let from = edition_view::find(&catalog.editions, other, s.scope.profile)
        .map_err(|e| SettingsError(e.to_string().replace("--reference", "--compare")))?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(SettingsError(
            "--compare: this catalog declares no editions ([[edition]]) to compare".into(),
        )
        .into());
    };
    let cmp = compare::compare(&catalog, from, to);
    let mut out = io::stdout().lock();
    let written = match s.output {
        PlanFormat::Json => compare_fmt::write_json(&cmp, &mut out),
        PlanFormat::Table => compare_fmt::write_table(&cmp, &mut out),
        PlanFormat::Markdown => compare_fmt::write_markdown(&cmp, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(exit::OK)
}

/// `apim-probe list --roots`: the embedded CA certificates.
fn roots(output: PlanFormat) -> Result<u8, UsageError> {
    let all = crate::probe::trust::embedded::all().map_err(UsageError::Trust)?;
    let report = roots_fmt::RootsReport::new(&all);
    let mut out = io::stdout().lock();
    let written = match output {
        PlanFormat::Json => roots_fmt::write_json(&report, &mut out),
        PlanFormat::Table => roots_fmt::write_table(&report, &mut out),
        PlanFormat::Markdown => roots_fmt::write_markdown(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(exit::OK)
}
