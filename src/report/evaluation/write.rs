//! One entry point for every format of `evaluate`, and the JSON one.

use std::io::{self, Write};

use super::{compact, junit, markdown, table};
use crate::cli::OutputFormat;
use crate::evaluate::report::EvaluationReport;

/// Writes the report in `format`.
pub fn write(r: &EvaluationReport, format: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        OutputFormat::Table => table::write(r, out),
        OutputFormat::Json => write_json(r, out),
        OutputFormat::Markdown => markdown::write(r, out),
        OutputFormat::Compact => compact::write(r, out),
        OutputFormat::Junit => junit::write(r, out),
        OutputFormat::Html => write_html(r, out),
    }
}

/// The evaluation as `merge`'s self-contained page, with the evaluation as its one column.
fn write_html(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    let value = serde_json::to_value(r).map_err(io::Error::other)?;
    let doc: crate::merge::evaluation::EvaluationDoc =
        serde_json::from_value(value).map_err(io::Error::other)?;
    let source = crate::merge::evaluation::to_source(&doc, "evaluation");
    crate::merge::html::write(&crate::merge::build::build(vec![source]), out)
}

/// The JSON report, pretty-printed, with a final newline.
pub fn write_json(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::other)?;
    writeln!(out)
}
