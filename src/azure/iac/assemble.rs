//! From the docs of every code file to the network inputs `evaluate` reads: each normalised
//! resource read by the `network` readers, the APIM subnet chosen (the one an APIM instance
//! names, else `--subnet NAME`, else the only one), and only the NSG and route table of that
//! subnet kept (the code's others apply to other subnets).

use std::path::Path;

use serde_json::Value;

use super::doc::IacDoc;
use crate::azure::InputError;
use crate::azure::network::json::{Node, ORIGIN_KEY, id_name};
use crate::azure::network::{NetworkInputs, Nsg, RouteSet, Subnet, nsg, routes, subnet};

/// Reads `docs` into `inputs`; `subnet_name` is `--subnet NAME` when given.
pub fn assemble(
    inputs: &mut NetworkInputs,
    docs: &[IacDoc],
    subnet_name: Option<&str>,
) -> Result<(), InputError> {
    let mut nsgs: Vec<Nsg> = Vec::new();
    let mut tables: Vec<RouteSet> = Vec::new();
    let mut subnets: Vec<Subnet> = Vec::new();
    for d in docs {
        let file = Path::new(&d.file);
        for v in &d.nsgs {
            nsgs.push(nsg::read_nsg(&Node::root(file, v)).map_err(|e| in_code(e, v))?);
        }
        for v in &d.route_tables {
            tables.push(routes::read_route_table(&Node::root(file, v)).map_err(|e| in_code(e, v))?);
        }
        for v in &d.subnets {
            subnets.push(subnet::read_subnet(&Node::root(file, v)).map_err(|e| in_code(e, v))?);
        }
        inputs.warnings.extend(d.warnings.iter().cloned());
        inputs.apims.extend(d.apims.iter().cloned());
    }
    let Some(chosen) = choose(inputs, &subnets, subnet_name, docs)? else {
        // No subnet in the code: every NSG and route table stays, as with exports.
        inputs.nsgs.extend(nsgs);
        inputs.routes.extend(tables);
        return Ok(());
    };
    let same = |id: &Option<String>, key: &Option<String>| matches!((id, key), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    let (mine, others): (Vec<Nsg>, Vec<Nsg>) =
        nsgs.into_iter().partition(|n| same(&n.id, &chosen.nsg_id));
    let (rt, _): (Vec<RouteSet>, Vec<RouteSet>) = tables
        .into_iter()
        .partition(|t| same(&t.id, &chosen.route_table_id));
    if !others.is_empty() {
        let names: Vec<&str> = others.iter().map(|n| n.name.as_str()).collect();
        inputs.warnings.push(format!(
            "{} other NSG(s) of the code apply to other subnets, not evaluated: {}",
            others.len(),
            names.join(", ")
        ));
    }
    if let Some(id) = &chosen.nsg_id
        && mine.is_empty()
    {
        inputs.warnings.push(format!(
            "subnet {} names NSG {}, which the code given does not declare",
            chosen.name,
            id_name(id)
        ));
    }
    inputs.nsgs.extend(mine);
    inputs.routes.extend(rt);
    if let Some(first) = &inputs.subnet {
        return Err(InputError::new(
            Path::new(&chosen.file),
            "$",
            format!(
                "a second subnet (the first: {} in {}): give the APIM subnet only",
                first.name, first.file
            ),
        ));
    }
    inputs.subnet = Some(chosen);
    Ok(())
}

/// An error the network readers found in a normalised resource, told where the code declares
/// it: the JSON path of the REST shape (`properties.securityRules[1].properties.priority`)
/// exists in no file, so it becomes the address of the nearest resource or rule with an origin
/// and the attribute under it (`azurerm_network_security_rule.b.priority`), and its line.
fn in_code(mut err: InputError, doc: &Value) -> InputError {
    // `properties.securityRules[1].priority` → `properties`, `securityRules`, `1`, `priority`.
    let dotted = err
        .path
        .trim_start_matches('$')
        .replace('[', ".")
        .replace(']', "");
    let steps: Vec<&str> = dotted.split('.').filter(|s| !s.is_empty()).collect();
    let mut at = Some(doc);
    let mut found: Option<(&Value, usize)> = None;
    for depth in 0..=steps.len() {
        let Some(v) = at else { break };
        if let Some(o) = v.get(ORIGIN_KEY).filter(|o| o["address"].is_string()) {
            found = Some((o, depth));
        }
        at = steps.get(depth).and_then(|s| match s.parse::<usize>() {
            Ok(i) if v.is_array() => v.get(i),
            _ => v.get(*s),
        });
    }
    let Some((origin, depth)) = found else {
        return err;
    };
    let address = origin["address"].as_str().unwrap_or_default();
    // Terraform addresses have no `/` (an ARM resource's name has): attributes in snake_case.
    let terraform = !address.contains('/');
    let mut path = address.to_owned();
    for step in steps[depth..].iter().filter(|s| **s != "properties") {
        path.push('.');
        match (terraform, *step) {
            (true, "securityRules") => path.push_str("security_rule"),
            (true, "routes") => path.push_str("route"),
            (true, _) => {
                for c in step.chars() {
                    if c.is_ascii_uppercase() {
                        path.push('_');
                    }
                    path.push(c.to_ascii_lowercase());
                }
            }
            (false, _) => path.push_str(step),
        }
    }
    err.path = path;
    if let Some(line) = origin["line"].as_u64() {
        err.message = format!("{} (line {line})", err.message);
    }
    err
}

/// The APIM subnet among the code's: the one an APIM instance in a VNet names, else the one
/// named `--subnet`, else the only one. Several and nothing to choose: an error naming them.
fn choose(
    inputs: &NetworkInputs,
    subnets: &[Subnet],
    subnet_name: Option<&str>,
    docs: &[IacDoc],
) -> Result<Option<Subnet>, InputError> {
    // By id (a Terraform address, a template's key), by name, or by a Terraform resource's own
    // label (`apim` for `module.net.azurerm_subnet.apim`), which code whose names come from
    // variables still has.
    let by = |key: &str| {
        subnets.iter().find(|s| {
            s.id.as_deref().is_some_and(|i| {
                i.eq_ignore_ascii_case(key)
                    || (i.contains("azurerm_subnet.") && i.rsplit('.').next() == Some(key))
            }) || s.name.eq_ignore_ascii_case(key)
        })
    };
    if let Some(name) = subnet_name {
        return match by(name) {
            Some(s) => Ok(Some(s.clone())),
            None => Err(no_such(docs, subnets, name)),
        };
    }
    let named: Vec<&str> = inputs
        .apims
        .iter()
        .filter(|a| a.in_vnet())
        .filter_map(|a| a.subnet.as_deref())
        .collect();
    if let Some(s) = named.iter().find_map(|k| by(k)) {
        return Ok(Some(s.clone()));
    }
    match subnets {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => {
            let declared: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
            Err(InputError::new(
                Path::new(docs.first().map_or("", |d| d.file.as_str())),
                "$",
                format!(
                    "{} subnets are declared ({}) and no API Management instance in a VNet names one: give --subnet NAME",
                    many.len(),
                    declared.join(", ")
                ),
            ))
        }
    }
}

fn no_such(docs: &[IacDoc], subnets: &[Subnet], name: &str) -> InputError {
    let names: Vec<&str> = subnets.iter().map(|s| s.name.as_str()).collect();
    InputError::new(
        Path::new(docs.first().map_or("", |d| d.file.as_str())),
        "$",
        format!(
            "--subnet {name}: the code declares no such subnet (it declares: {})",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ),
    )
}
