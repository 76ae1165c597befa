//! The `compact` report (stub: being written).

use std::io::{self, Write};

use super::model::Report;

/// Writes the report (stub: JSON until written).
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    super::json::write(report, out)
}
