//! The JSON report (`-o json`, `--report-file`): the model as is, pretty-printed.

use std::io::{self, Write};

use super::model::Report;

/// Writes the report as pretty JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
