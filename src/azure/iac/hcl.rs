//! Terraform sources (`.tf`): the `azurerm` resources of a file or of a module's folder, with
//! literal values and variable defaults; anything else is unknown, naming the variable or
//! expression.

use std::path::Path;

use super::doc::IacDoc;
use crate::azure::InputError;

/// Reads a `.tf` file, or every `.tf` file of a folder (one module).
pub fn read(path: &Path) -> Result<IacDoc, InputError> {
    Err(InputError::new(
        path,
        "$",
        "Terraform sources (.tf) are not read yet: give the plan (`terraform show -json PLANFILE`)",
    ))
}
