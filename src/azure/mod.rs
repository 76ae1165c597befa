//! What Azure and APIM themselves tell us: the VM's metadata (IMDS), APIM's list of its real
//! dependencies, and APIM's own view of their status. Inputs to the plan and the report.

pub mod dependencies;
pub mod imds;
pub mod status;

pub use imds::AzureContext;

/// A malformed input file: which file, where in it (a JSON path), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: at {path}: {message}")]
pub struct InputError {
    /// The file, as given.
    pub file: String,
    /// Where in the document, as a JSON path (`$.value[2].endpoints[0].domainName`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}
