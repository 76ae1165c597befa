//! A Terraform plan as `terraform show -json PLANFILE` prints it (the "JSON Output Format",
//! developer.hashicorp.com/terraform/internals/json-format): the resources of `planned_values`
//! across child modules, with `resource_changes` telling what is unknown until apply
//! (`after_unknown`) and what is being destroyed, and `configuration` giving the references
//! (`expressions.*.references`) that link resources whose ids do not exist yet.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::azurerm::{self, TfResource};
use super::doc::IacDoc;
use super::lines::{Lines, child};
use crate::azure::InputError;
use crate::azure::network::json::found;
use crate::azure::network::model::Origin;

/// Whether a document is a plan (`format_version` with `planned_values` or `resource_changes`).
pub fn is_plan(v: &Value) -> bool {
    v.get("format_version").is_some()
        && (v.get("planned_values").is_some() || v.get("resource_changes").is_some())
}

/// Reads a plan's network resources.
pub fn read(file: &Path, text: &str, v: &Value) -> Result<IacDoc, InputError> {
    let lines = Lines::of(text);
    let changes = changes(v);
    let refs = references(v);
    let mut found: Vec<TfResource> = Vec::new();
    let root = v
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
        .filter(|r| r.is_object())
        .ok_or_else(|| {
            InputError::new(
                file,
                "planned_values.root_module",
                "missing or not an object: a plan from `terraform show -json PLANFILE` has it",
            )
        })?;
    let mut stack: Vec<(&Value, String)> = vec![(root, "/planned_values/root_module".into())];
    while let Some((module, pointer)) = stack.pop() {
        for (i, r) in list(file, module, "resources", &pointer)?
            .iter()
            .enumerate()
        {
            let at = format!("{pointer}/resources/{i}");
            if let Some(res) = resource(file, r, &at, &lines, &changes, &refs)? {
                found.push(res);
            }
        }
        for (i, m) in list(file, module, "child_modules", &pointer)?
            .iter()
            .enumerate()
        {
            stack.push((m, format!("{pointer}/child_modules/{i}")));
        }
    }
    found.sort_by_key(|r| r.origin.line);
    let mut doc = azurerm::build(&file.display().to_string(), &found);
    for (address, actions) in &changes.deleted {
        doc.warnings.push(format!(
            "{address} is planned for {actions}: left out (it will not exist after apply)"
        ));
    }
    Ok(doc)
}

/// A JSON pointer (`/planned_values/root_module/resources/0`) as the dotted path errors give.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The list `key` of `v` at `pointer` (absent or `null`: none); anything else is an error.
fn list<'a>(
    file: &Path,
    v: &'a Value,
    key: &str,
    pointer: &str,
) -> Result<&'a [Value], InputError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(InputError::new(
            file,
            dotted(&child(pointer, key)),
            format!("expected a list, found {}", found(other)),
        )),
    }
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// What `resource_changes` says: the values after apply, what is unknown, what goes away.
#[derive(Default)]
struct Changes<'a> {
    /// The values after apply, and where they are (`/resource_changes/3/change/after`).
    after: BTreeMap<&'a str, (&'a Value, String)>,
    unknown: BTreeMap<&'a str, &'a Value>,
    deleted: BTreeMap<String, String>,
}

fn changes(v: &Value) -> Changes<'_> {
    let mut c = Changes::default();
    for (i, rc) in array(v, "resource_changes").iter().enumerate() {
        let (Some(address), Some(change)) = (rc["address"].as_str(), rc.get("change")) else {
            continue;
        };
        let actions: Vec<&str> = array(change, "actions")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if actions == ["delete"] {
            c.deleted.insert(address.to_owned(), actions.join("/"));
            continue;
        }
        if let Some(after) = change.get("after").filter(|a| a.is_object()) {
            c.after.insert(
                address,
                (after, format!("/resource_changes/{i}/change/after")),
            );
        }
        if let Some(u) = change.get("after_unknown") {
            c.unknown.insert(address, u);
        }
    }
    c
}

/// One planned resource, when it is a managed resource that is not being destroyed.
fn resource(
    file: &Path,
    r: &Value,
    at: &str,
    lines: &Lines,
    changes: &Changes,
    refs: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
) -> Result<Option<TfResource>, InputError> {
    let err = |m: &str| InputError::new(file, dotted(at), m);
    let address = r["address"]
        .as_str()
        .ok_or_else(|| err("a resource without `address`"))?;
    if r["mode"].as_str() == Some("data") || changes.deleted.contains_key(address) {
        return Ok(None);
    }
    let kind = r["type"]
        .as_str()
        .ok_or_else(|| err("a resource without `type`"))?;
    let (values, values_from) = changes.after.get(address).map_or_else(
        || {
            (
                r.get("values").cloned().unwrap_or(Value::Null),
                child(at, "values"),
            )
        },
        |(a, from)| ((*a).clone(), from.clone()),
    );
    // Blocks are lists of objects (one object also counts): anything else would silently lose
    // the rules or routes.
    let block = match kind {
        "azurerm_network_security_group" => Some("security_rule"),
        "azurerm_route_table" => Some("route"),
        _ => None,
    };
    if let Some(block) = block
        && !values.get(block).is_some_and(Value::is_object)
    {
        for (i, b) in list(file, &values, block, &values_from)?.iter().enumerate() {
            if !b.is_object() {
                return Err(InputError::new(
                    file,
                    dotted(&format!("{values_from}/{block}/{i}")),
                    format!("expected an object (a {block} block), found {}", found(b)),
                ));
            }
        }
    }
    let mut unknown = BTreeMap::new();
    if let Some(u) = changes.unknown.get(address) {
        flatten_unknown(u, String::new(), &mut unknown);
    }
    let plain = strip_index(address);
    let mut block_lines = BTreeMap::new();
    let values_at = child(at, "values");
    for block in ["security_rule", "route"] {
        for i in 0..array(&values, block).len() {
            if let Some(l) = lines.line(&format!("{values_at}/{block}/{i}")) {
                block_lines.insert(format!("{block}.{i}"), l);
            }
        }
    }
    Ok(Some(TfResource {
        refs: refs.get(&plain).cloned().unwrap_or_default(),
        address: plain,
        kind: kind.to_owned(),
        values,
        unknown,
        origin: Origin {
            file: file.display().to_string(),
            address: address.to_owned(),
            line: lines.line(at),
        },
        block_lines,
    }))
}

/// `true` leaves of `after_unknown`, as dotted paths, each "known after apply".
fn flatten_unknown(v: &Value, path: String, out: &mut BTreeMap<String, String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Bool(true) => {
            out.insert(path, "known after apply".into());
        }
        Value::Object(m) => {
            for (k, x) in m {
                flatten_unknown(x, join(k), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten_unknown(x, join(&i.to_string()), out);
            }
        }
        _ => {}
    }
}

/// `azurerm_subnet.apim[0]` → `azurerm_subnet.apim`: the configuration knows no instances.
fn strip_index(address: &str) -> String {
    let mut out = String::new();
    for part in address.split('.') {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(part.split('[').next().unwrap_or(part));
    }
    out
}

/// The references of every configured resource, by full address: attribute path → the
/// resources referenced (with the module prefix; `azurerm_subnet.apim.id` kept as written).
/// A module's output stands for what it references: a root resource can name a child module's
/// subnet only through one (`module.network.apim_subnet_id` →
/// `module.network.azurerm_subnet.apim.id`).
fn references(v: &Value) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    let Some(root) = v.get("configuration").and_then(|c| c.get("root_module")) else {
        return out;
    };
    let mut outputs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stack: Vec<(&Value, String)> = vec![(root, String::new())];
    while let Some((module, prefix)) = stack.pop() {
        for r in array(module, "resources") {
            let Some(addr) = r["address"].as_str() else {
                continue;
            };
            let mut attrs = BTreeMap::new();
            if let Some(e) = r.get("expressions") {
                collect_refs(e, String::new(), &prefix, &mut attrs);
            }
            out.insert(format!("{prefix}{addr}"), attrs);
        }
        if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
            for (name, call) in calls {
                if let Some(m) = call.get("module") {
                    let inner = format!("{prefix}module.{name}.");
                    for (o, def) in m
                        .get("outputs")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        let mut refs = BTreeMap::new();
                        if let Some(e) = def.get("expression") {
                            collect_refs(e, String::new(), &inner, &mut refs);
                        }
                        outputs.insert(
                            format!("{inner}{o}"),
                            refs.into_values().flatten().collect(),
                        );
                    }
                    stack.push((m, inner));
                }
            }
        }
    }
    for attrs in out.values_mut() {
        for list in attrs.values_mut() {
            *list = through_outputs(std::mem::take(list), &outputs);
        }
    }
    out
}

/// Replaces each module output in `list` by what the output references, through outputs of
/// outputs as deep as modules nest (each name once, so a cycle ends).
fn through_outputs(mut list: Vec<String>, outputs: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    if outputs.is_empty() {
        return list;
    }
    for _ in 0..16 {
        let mut changed = false;
        let mut seen = std::collections::BTreeSet::new();
        let mut next: Vec<String> = Vec::new();
        for r in list {
            let referenced = outputs.get(&strip_index(&r));
            changed |= referenced.is_some();
            for x in referenced.map_or_else(|| vec![r], Clone::clone) {
                if seen.insert(x.clone()) {
                    next.push(x);
                }
            }
        }
        list = next;
        if !changed {
            break;
        }
    }
    list
}

fn collect_refs(e: &Value, path: String, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match e {
        Value::Object(m) if m.contains_key("references") => {
            let list: Vec<String> = array(e, "references")
                .iter()
                .filter_map(Value::as_str)
                .filter(|r| !r.starts_with("var.") && !r.starts_with("local."))
                .map(|r| format!("{prefix}{r}"))
                .collect();
            if !list.is_empty() {
                out.insert(path, list);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                collect_refs(x, join(k), prefix, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_refs(x, join(&i.to_string()), prefix, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_instance_keys() {
        assert_eq!(
            strip_index("module.net[\"a\"].azurerm_subnet.apim[0]"),
            "module.net.azurerm_subnet.apim"
        );
    }

    #[test]
    fn module_outputs_are_followed_and_a_cycle_ends() {
        let s = |x: &str| x.to_owned();
        let outputs = BTreeMap::from([
            (s("module.a.x"), vec![s("module.a.module.b.y")]),
            (
                s("module.a.module.b.y"),
                vec![s("module.a.module.b.azurerm_subnet.s.id"), s("module.a.x")],
            ),
        ]);
        let list = through_outputs(vec![s("module.a.x"), s("module.a")], &outputs);
        assert_eq!(list[0], "module.a.module.b.azurerm_subnet.s.id");
        assert!(list.contains(&s("module.a")));
    }

    #[test]
    fn unknown_leaves_become_paths() {
        let mut out = BTreeMap::new();
        flatten_unknown(
            &serde_json::json!({"id": true, "security_rule": [{"destination_port_range": true}, {}]}),
            String::new(),
            &mut out,
        );
        assert_eq!(
            out.keys().collect::<Vec<_>>(),
            ["id", "security_rule.0.destination_port_range"]
        );
    }
}
