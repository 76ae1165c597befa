//! `apim-probe diff OLD NEW`: reads two JSON reports, compares them (`report::diff`), prints the
//! changes and exits 1 when a required probe regressed.

use std::io::{self, Write};
use std::path::Path;

use super::{UsageError, ignore_broken_pipe};
use crate::azure::InputError;
use crate::cli::{DiffArgs, ListFormat};
use crate::exit;
use crate::report::diff::{self, Diff};
use crate::report::diff_editions;
use crate::report::model::{ProbeSpec, Report, SCHEMA};

/// `apim-probe diff OLD NEW`: 0 when no required probe regressed, 1 when one did.
pub fn diff(args: &DiffArgs) -> Result<u8, UsageError> {
    let old = read_report(&args.old)?;
    let new = read_report(&args.new)?;
    let mut d = Diff::of(
        &old,
        &args.old.display().to_string(),
        &new,
        &args.new.display().to_string(),
    );
    diff_editions::mark(&mut d, &old, &new);
    let mut out = io::stdout().lock();
    let written = match args.output {
        ListFormat::Table => diff::write_table(&d, &mut out),
        ListFormat::Json => diff::write_json(&d, &mut out),
    }
    .and_then(|()| out.flush());
    ignore_broken_pipe(written);
    Ok(if d.failed() { exit::FAILED } else { exit::OK })
}

/// Reads a JSON report; the error names the file and, for a document that does not fit the
/// report model, the JSON path of the first field that does not.
pub fn read_report(path: &Path) -> Result<Report, InputError> {
    let file = path.display().to_string();
    let fail = |at: &str, message: String| InputError {
        file: file.clone(),
        path: at.to_owned(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| fail("$", format!("cannot read: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| fail("$", format!("not JSON: {e}")))?;
    check_schema(&value).map_err(|m| fail("$.schema", m))?;
    let facts_error = flattened_error(&value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            "$".to_owned()
        } else {
            format!("$.{at}")
        };
        // A result's facts are flattened into it, which hides the field's name from the path.
        let (at, inner) = match facts_error {
            Some((i, field, msg)) if at == format!("$.results[{i}]") => {
                let at = if field == "." {
                    at
                } else {
                    format!("{at}.{field}")
                };
                (at, msg)
            }
            _ => (at, e.into_inner().to_string()),
        };
        fail(&at, format!("not an apim-probe report: {inner}"))
    })
}

/// The first result whose flattened facts do not fit: its index, the field and the message.
fn flattened_error(value: &serde_json::Value) -> Option<(usize, String, String)> {
    let results = value.get("results")?.as_array()?;
    results.iter().enumerate().find_map(|(i, r)| {
        serde_path_to_error::deserialize::<_, ProbeSpec>(r)
            .err()
            .map(|e| (i, e.path().to_string(), e.into_inner().to_string()))
    })
}

/// The report's `schema` must be an apim-probe report of the major version this build writes.
fn check_schema(value: &serde_json::Value) -> Result<(), String> {
    let ours = SCHEMA.rsplit_once("/v").map_or(SCHEMA, |(name, _)| name);
    let Some(schema) = value.get("schema").and_then(serde_json::Value::as_str) else {
        return Err(format!(
            "not an apim-probe report: no \"schema\" (expected {SCHEMA:?})"
        ));
    };
    match schema.rsplit_once("/v") {
        Some((name, major)) if name == ours => {
            let expected = SCHEMA.rsplit_once("/v").map_or("", |(_, v)| v);
            let major = major.split('.').next().unwrap_or(major);
            if major == expected {
                Ok(())
            } else {
                Err(format!(
                    "report schema {schema:?} is not supported (this apim-probe reads {SCHEMA:?})"
                ))
            }
        }
        _ => Err(format!(
            "not an apim-probe report: schema {schema:?} (expected {SCHEMA:?})"
        )),
    }
}
