//! `apim-probe diff` (stub: being written).

use super::UsageError;
use crate::cli::DiffArgs;

/// `apim-probe diff OLD NEW` (stub).
pub fn diff(_args: &DiffArgs) -> Result<u8, UsageError> {
    eprintln!("apim-probe: diff is not implemented yet");
    Ok(crate::exit::USAGE)
}
