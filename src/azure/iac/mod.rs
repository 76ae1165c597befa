//! Infrastructure as code, before anything is deployed: a Terraform plan (`terraform show -json`),
//! Terraform sources (`.tf`), an ARM template (Bicep compiled to one) with its parameters file.
//!
//! Each reader turns what the code declares into an [`IacDoc`]: the NSGs, rules, subnets and
//! route tables normalised to the shape Azure's REST API returns them in (so that the `network`
//! readers read them like any export), each carrying where it is declared
//! ([`ORIGIN_KEY`](super::network::json::ORIGIN_KEY)), linked by the code's own references
//! (the `id` of each is a key the reader chose, since real ids exist only after deployment), and
//! the API Management instances it declares. A value the reader cannot evaluate becomes an
//! unknown, named ([`UNKNOWN_KEY`](super::network::rule::UNKNOWN_KEY)), never a guess.
//!
//! One file per kind of input produces docs ([`plan`], [`hcl`], [`arm`], over [`azurerm`] for
//! Terraform's resources); [`add_path`] tells a code file from an export (which goes to
//! `network`), and [`finish`] reads the docs into the network inputs (`assemble`), choosing the
//! APIM subnet.

pub mod arm;
pub mod assemble;
pub mod azurerm;
pub mod azurerm_link;
pub mod doc;
pub mod hcl;
pub mod lines;
pub mod plan;
pub mod tf_resource;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::azure::InputError;
use crate::azure::network::{Expect, InputInfo, InputKind, NetworkInputs};

pub use crate::azure::network::apim::ApimResource;
pub use assemble::assemble;
pub use doc::IacDoc;

/// Code read so far: the docs of plans and `.tf` files, and the templates and parameters files
/// that are read together once every file is known (`finish`).
#[derive(Debug, Default)]
pub struct Pending {
    docs: Vec<IacDoc>,
    templates: Vec<(PathBuf, String, Value)>,
    parameters: Vec<(PathBuf, Value)>,
}

/// Reads a path: a `.tf` file or a folder holding `.tf` files (a module), a plan, a template or
/// its parameters go to `pending`; anything else is an export, read by `network`. A `.bicep`
/// file is refused with the command that compiles it.
pub fn add_path(
    inputs: &mut NetworkInputs,
    pending: &mut Pending,
    path: &Path,
    expect: Expect,
) -> Result<(), InputError> {
    let ext = |p: &Path, e: &str| p.extension().is_some_and(|x| x.eq_ignore_ascii_case(e));
    if ext(path, "bicep") {
        return Err(InputError::new(
            path,
            "$",
            format!(
                "a Bicep file: compile it to its ARM template first (`az bicep build --file {0}` or `bicep build {0}`) and give the .json",
                path.display()
            ),
        ));
    }
    let tf_folder = path.is_dir() && has_tf(path);
    if ext(path, "tf") || tf_folder {
        let doc = hcl::read(path)?;
        note(inputs, path, InputKind::TerraformCode, &doc);
        pending.docs.push(doc);
        return Ok(());
    }
    if path.is_dir() {
        return inputs.add_path(path, expect);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, "$", format!("cannot read: {e}")))?;
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        // Not JSON: the export reader says where it breaks.
        return inputs.add_path(path, expect);
    };
    let code_ok = expect.is_none_or(|(_, kinds)| kinds.contains(&InputKind::ArmTemplate));
    if plan::is_plan(&value) && code_ok {
        let doc = plan::read(path, &text, &value)?;
        note(inputs, path, InputKind::TerraformPlan, &doc);
        pending.docs.push(doc);
    } else if arm::is_parameters(&value) && code_ok {
        inputs.inputs.push(InputInfo {
            path: path.display().to_string(),
            kind: InputKind::ArmParameters,
            name: "parameters".into(),
        });
        pending.parameters.push((path.to_owned(), value));
    } else if arm::is_template(&value) && code_ok {
        pending.templates.push((path.to_owned(), text, value));
    } else {
        inputs.add_path(path, expect)?;
    }
    Ok(())
}

fn has_tf(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
    })
}

fn note(inputs: &mut NetworkInputs, path: &Path, kind: InputKind, doc: &IacDoc) {
    let mut names: Vec<String> = doc
        .nsgs
        .iter()
        .chain(&doc.subnets)
        .chain(&doc.route_tables)
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect();
    names.extend(doc.apims.iter().map(|a| a.name.clone()));
    inputs.inputs.push(InputInfo {
        path: path.display().to_string(),
        kind,
        name: names.join(", "),
    });
}

/// Reads the templates with their parameters, then every doc into `inputs`, choosing the APIM
/// subnet (`subnet_name`: `--subnet NAME`).
pub fn finish(
    inputs: &mut NetworkInputs,
    mut pending: Pending,
    subnet_name: Option<&str>,
) -> Result<(), InputError> {
    let params = match pending.parameters.as_slice() {
        [] => None,
        [one] => Some((one.0.as_path(), &one.1)),
        [first, second, ..] => {
            return Err(InputError::new(
                &second.0,
                "$",
                format!(
                    "a second parameters file (the first: {}): give one per template",
                    first.0.display()
                ),
            ));
        }
    };
    for (path, text, value) in &pending.templates {
        let doc = arm::read(path, text, value, params)?;
        note(inputs, path, InputKind::ArmTemplate, &doc);
        pending.docs.push(doc);
    }
    if pending.docs.is_empty() {
        return match subnet_name {
            Some(name) => Err(InputError::new(
                Path::new(name),
                "$",
                "no such file; as a name, --subnet chooses among the subnets of a plan, template or .tf files, and none was given",
            )),
            None => Ok(()),
        };
    }
    assemble(inputs, &pending.docs, subnet_name)
}
