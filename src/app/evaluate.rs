//! `apim-probe evaluate`: reads the exported files, takes the flows of the catalog rows in
//! scope, evaluates them offline (`crate::evaluate`), prints the report, exits 0, 1 or 2.

use std::io::{self, Write};

use super::{UsageError, build_plan, ignore_broken_pipe, load_catalog, network};
use crate::catalog::regions;
use crate::cli::{EvaluateArgs, EvaluateFormat};
use crate::evaluate::report::{EvalReportSettings, EvaluationReport, code_resources};
use crate::evaluate::{evaluate as run, flows};
use crate::exit;
use crate::report::evaluation;
use crate::report::model::DnsInfo;
use crate::settings::{ScopeSettings, SettingsError};

/// `apim-probe evaluate`.
pub fn evaluate(args: &EvaluateArgs) -> Result<u8, UsageError> {
    let mut s = ScopeSettings::try_from(&args.scope)?;
    let mut inputs = network::read(&args.network, &args.paths)?;
    if let Some(note) = network::infer_profile(&mut s, &inputs)? {
        inputs.warnings.push(note);
    }
    let catalog = load_catalog(&s)?;
    let servers: Vec<String> = s
        .dns_servers
        .iter()
        .flatten()
        .map(ToString::to_string)
        .collect();
    let dns = DnsInfo {
        servers: servers.clone(),
        source: "option".into(),
        error: None,
        checks: Vec::new(),
        stub: None,
    };
    let plan = build_plan(&catalog, &s, &dns, None)?;
    if inputs.inputs.is_empty() {
        return Err(SettingsError(
            "evaluate needs at least one input: --subnet, --nsg, --effective-nsg, --routes, --effective-routes, --service-tags, or files and folders as arguments".into(),
        )
        .into());
    }
    if let Some(region) = &s.region
        && regions::tag_region(s.cloud, region).is_none()
    {
        inputs.warnings.push(format!(
            "region {region} is not a region of the {:?} cloud as apim-probe knows them: regional tags are compared by name only",
            s.cloud
        ));
    }
    if let Some(path) = &args.report_file {
        crate::report::check_writable(path).map_err(|err| UsageError::ReportFile {
            path: path.display().to_string(),
            err,
        })?;
    }
    let eval = run(
        &flows::from_plan(&plan),
        &inputs,
        &network::eval_settings(&s, &catalog),
    );
    let settings = EvalReportSettings {
        tier: s.tier,
        profile: s.profile,
        platform: s.platform,
        vnet: s.vnet,
        cloud: s.cloud,
        region: s.region.clone(),
        strict: args.strict,
        dns_servers: servers,
    };
    let resources = code_resources(&inputs);
    let mut report = EvaluationReport::new(eval, settings, inputs.inputs);
    report.resources = resources;
    report.reference = plan.edition.as_ref().map(Into::into);
    write_report(&report, args)?;
    Ok(if report.passed {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// Writes the JSON report to `--report-file` (when given), then the chosen format to stdout.
fn write_report(report: &EvaluationReport, args: &EvaluateArgs) -> Result<(), UsageError> {
    if let Some(path) = &args.report_file {
        let failed = |err| UsageError::ReportFile {
            path: path.display().to_string(),
            err,
        };
        let mut bytes = Vec::new();
        evaluation::write_json(report, &mut bytes).map_err(failed)?;
        crate::report::write_file_atomically(path, &bytes).map_err(failed)?;
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = match args.output {
        EvaluateFormat::Table => evaluation::table::write(report, &mut out),
        EvaluateFormat::Json => evaluation::write_json(report, &mut out),
        EvaluateFormat::Markdown => evaluation::markdown::write(report, &mut out),
        EvaluateFormat::Compact => evaluation::compact::write(report, &mut out),
        EvaluateFormat::Junit => evaluation::junit::write(report, &mut out),
        EvaluateFormat::Html => crate::merge::html::write_evaluation(report, &mut out),
        EvaluateFormat::Sarif => evaluation::sarif::write(report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush()));
    Ok(())
}
