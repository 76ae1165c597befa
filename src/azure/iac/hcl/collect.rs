//! The managed resources of a module instance and of its child modules, as the `azurerm`
//! normaliser takes them ([`TfResource`]): full address, values, unknowns and references by
//! attribute path, the file and line of the `resource` block and of its nested blocks.

use hcl::edit::Span;
use serde_json::Value;

use super::body::{Flat, flatten};
use super::module::Ctx;
use super::repeat::key_suffix;
use crate::azure::iac::azurerm::TfResource;
use crate::azure::network::model::Origin;

/// Adds the resources of `ctx` and of its child modules to `out`, and what could not be
/// evaluated to `warnings`.
pub fn collect(ctx: &Ctx<'_>, out: &mut Vec<TfResource>, warnings: &mut Vec<String>) {
    for (i, d) in ctx.decls.resources.iter().enumerate() {
        if d.data {
            continue;
        }
        let Ok(instances) = ctx.instances(i) else {
            continue;
        };
        for inst in &instances.list {
            let mut flat = Flat::default();
            let values = flatten(&inst.out, "", &mut flat);
            for note in &inst.out.notes {
                ctx.warn(format!("{}{}: {note}", ctx.prefix, d.address));
            }
            out.push(TfResource {
                address: format!("{}{}", ctx.prefix, d.address),
                kind: d.kind.to_owned(),
                values: Value::Object(values),
                unknown: flat.unknown,
                refs: flat.refs,
                origin: Origin {
                    file: d.file.display(),
                    address: format!(
                        "{}{}{}",
                        ctx.key_prefix,
                        d.address,
                        key_suffix(inst.key.as_ref())
                    ),
                    line: d.file.line(d.block.span()),
                },
                block_lines: flat.lines,
            });
        }
    }
    for (name, _) in &ctx.decls.calls {
        if let Ok(calls) = ctx.calls(name) {
            for (_, child) in &calls.list {
                collect(child, out, warnings);
            }
        }
    }
    warnings.append(&mut ctx.warnings.borrow_mut());
}
