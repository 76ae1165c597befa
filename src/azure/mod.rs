//! What Azure and APIM themselves tell us: the VM's metadata (IMDS), APIM's list of its real
//! dependencies, and APIM's own view of their status. Inputs to the plan and the report.

pub mod dependencies;
pub mod iac;
pub mod imds;
pub mod network;
pub mod status;

use std::path::Path;

use serde::de::DeserializeOwned;

pub use imds::AzureContext;

/// A malformed input file: which file, where in it (a JSON path), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: at {path}: {message}")]
pub struct InputError {
    /// The file, as given.
    pub file: String,
    /// Where in the document, as a JSON path (`value[2].endpoints[0].domainName`; `$` for the
    /// document as a whole).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// An error in `file` at the JSON `path`.
    pub fn new(file: &Path, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The JSON path of serde_path_to_error, `$` for the root.
fn json_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text.is_empty() || text == "." {
        "$".into()
    } else {
        text
    }
}

/// Reads a JSON file into `T`; every error names the file and where in it.
pub(crate) fn read_json<T: DeserializeOwned>(file: &Path) -> Result<T, InputError> {
    let value = read_value(file)?;
    from_value(file, value)
}

/// Reads a JSON file as a document (syntax errors name the line and column).
pub(crate) fn read_value(file: &Path) -> Result<serde_json::Value, InputError> {
    let bytes =
        std::fs::read(file).map_err(|e| InputError::new(file, "$", format!("cannot read: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(
            file,
            "$",
            "the file is empty, expected JSON",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| InputError::new(file, "$", format!("not JSON: {e}")))
}

/// Reads a JSON document into `T`; errors carry the JSON path.
pub(crate) fn from_value<T: DeserializeOwned>(
    file: &Path,
    value: serde_json::Value,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = json_path(e.path());
        InputError::new(file, path, e.into_inner().to_string())
    })
}
