//! APIM's `networkstatus` as input (stub: being written).

use std::path::Path;

use super::InputError;
use crate::report::model::Report;

/// One endpoint's status as APIM reports it (stub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApimStatusEntry {}

/// Reads the JSON file (stub).
pub fn load(_path: &Path) -> Result<Vec<ApimStatusEntry>, InputError> {
    Ok(Vec::new())
}

/// Puts APIM's view beside ours in the report (stub).
pub fn attach(_report: &mut Report, _entries: &[ApimStatusEntry]) {}
