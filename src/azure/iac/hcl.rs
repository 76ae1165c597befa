//! Terraform sources (`.tf`): the `azurerm` resources of a file or of a module's folder, with
//! literal values, variable defaults (and the `terraform.tfvars`/`*.auto.tfvars` Terraform loads
//! by itself), locals, string templates, references between resources, `count`/`for_each`,
//! nested and `dynamic` blocks, and the local child modules called, evaluated; anything else is
//! unknown, naming the variable or expression (`var.port has no default`).
//!
//! [`source`] reads and parses the files; [`module`] holds a module instance and [`lookup`] its
//! names, evaluated by [`eval`] (with [`ops`] and [`funcs`], within a [`budget`]) into
//! [`value`]s; [`body`] evaluates a resource's
//! body, [`repeat`] its instances; [`collect`] hands the resources to
//! [`azurerm::build`](super::azurerm::build).

pub mod body;
pub mod budget;
pub mod collect;
pub mod eval;
pub mod funcs;
pub mod lookup;
pub mod module;
pub mod ops;
pub mod repeat;
pub mod source;
pub mod value;

use std::path::Path;

use super::azurerm::build;
use super::doc::IacDoc;
use crate::azure::InputError;
use budget::Budget;
use module::Ctx;
use source::Module;

/// Reads a `.tf` file, or every `.tf` file of a folder (one module), with the local modules
/// they call.
pub fn read(path: &Path) -> Result<IacDoc, InputError> {
    let m = source::load(path)?;
    Ok(doc(path, &m))
}

/// Reads one `.tf` file's text (the modules it calls are not read).
pub fn read_text(path: &Path, text: &str) -> Result<IacDoc, InputError> {
    let m = source::from_text(path, text)?;
    Ok(doc(path, &m))
}

fn doc(path: &Path, m: &Module) -> IacDoc {
    let budget = Budget::default();
    let ctx = Ctx::root(m, &budget);
    let mut resources = Vec::new();
    let mut warnings = Vec::new();
    collect::collect(&ctx, &mut resources, &mut warnings);
    notes(m, &mut warnings);
    let mut doc = build(&path.display().to_string(), &resources);
    let mut all = Vec::new();
    for w in warnings.into_iter().chain(doc.warnings.drain(..)) {
        if !all.contains(&w) {
            all.push(w);
        }
    }
    doc.warnings = all;
    doc
}

/// What reading left out, in every module read.
fn notes(m: &Module, out: &mut Vec<String>) {
    out.extend(m.notes.iter().cloned());
    for child in m.children.values().flatten() {
        notes(child, out);
    }
}
