//! ARM templates (`deploymentTemplate` schema; Bicep compiled with `az bicep build`) with an
//! optional parameters file: the network resources and API Management instances they declare,
//! with the expressions that carry values in practice evaluated.

use std::path::Path;

use serde_json::Value;

use super::doc::IacDoc;
use crate::azure::InputError;

/// Reads a template (its text, for lines, and its JSON) with its parameters file, if any.
pub fn read(
    file: &Path,
    _text: &str,
    _template: &Value,
    _parameters: Option<(&Path, &Value)>,
) -> Result<IacDoc, InputError> {
    Err(InputError::new(file, "$", "ARM templates are not read yet"))
}

/// Whether a document is a parameters file (`deploymentParameters` schema).
pub fn is_parameters(v: &Value) -> bool {
    v.get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.to_ascii_lowercase().contains("deploymentparameters"))
}

/// Whether a document is a template (`deploymentTemplate` schema, or `resources` beside
/// `parameters`/`variables`/`contentVersion`).
pub fn is_template(v: &Value) -> bool {
    let schema = v
        .get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.to_ascii_lowercase().contains("deploymenttemplate"));
    schema || (v.get("resources").is_some() && v.get("contentVersion").is_some())
}
