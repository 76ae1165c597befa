//! ARM templates (`deploymentTemplate` schema; Bicep compiled with `az bicep build`) with an
//! optional parameters file: the network resources and API Management instances they declare,
//! with the expressions that carry values in practice evaluated.
//!
//! [`params`] reads the parameters given, [`scope`] evaluates the template's values (with
//! [`expr`] parsing expressions, [`funcs`] the functions, into [`val`]s), [`walk`] lists the
//! resources it declares, [`normal`] normalises them into the doc.

pub mod access;
pub mod args;
pub mod expr;
pub mod funcs;
pub mod names;
pub mod normal;
pub mod params;
pub mod scope;
pub mod val;
pub mod walk;

use std::path::Path;

use serde_json::Value;

use super::doc::IacDoc;
use super::lines::Lines;
use crate::azure::InputError;

/// Reads a template (its text, for lines, and its JSON) with its parameters file, if any.
pub fn read(
    file: &Path,
    text: &str,
    template: &Value,
    parameters: Option<(&Path, &Value)>,
) -> Result<IacDoc, InputError> {
    let given = match parameters {
        Some((p, v)) => params::from_file(p, v)?,
        None => params::GivenValues::new(),
    };
    let mut scope = scope::Scope::new(file, template, "", given)?;
    let mut warnings = Vec::new();
    let resources = walk::resources(&mut scope, template, &mut warnings)?;
    let mut doc = normal::build(&file.display().to_string(), &resources, &Lines::of(text));
    doc.warnings.splice(0..0, warnings);
    Ok(doc)
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
