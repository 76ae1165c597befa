//! `--redact` (stub: being written).

use super::model::Report;

/// Replaces identifying values with stable placeholders (stub).
pub fn redact(_report: &mut Report) {}
