//! The merged JSON document (`-o json`, `--report-file`; schema `apim-probe/merge/v1`): the
//! matrix as is, pretty-printed.

use std::io::{self, Write};

use super::model::Matrix;

/// Writes the matrix as pretty JSON followed by a newline.
pub fn write(m: &Matrix, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, m)?;
    writeln!(out)
}
