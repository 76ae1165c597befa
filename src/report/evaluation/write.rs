//! The JSON form of `evaluate`'s report (the other formats are one file each beside this one;
//! `app::evaluate` picks the format, as `app::check` does for `check`).

use std::io::{self, Write};

use crate::evaluate::report::EvaluationReport;

/// The JSON report, pretty-printed, with a final newline.
pub fn write_json(r: &EvaluationReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::other)?;
    writeln!(out)
}
