//! How the `azurerm` normaliser links resources whose ids exist only after deployment: by the
//! references the code makes (`azurerm_subnet.apim.id`), else by a literal id's or name's last
//! segment; standalone rules and routes join their NSG or route table, association resources
//! their subnet.

use serde_json::{Value, json};

use super::doc::IacDoc;
use super::tf_resource::TfResource;

/// The key (the address with instance keys) of the resource `wanted` names: an address it
/// references, or a literal id or name. A reference naming no instance (a plan's configuration
/// knows none; code may index by a key not known) leads to the one instance there is, and
/// among several to none rather than to a guess.
pub fn find<'a>(list: &'a [(String, Value)], wanted: &str) -> Option<&'a str> {
    let name = wanted.rsplit('/').next().unwrap_or(wanted);
    let exact = list.iter().find(|(key, v)| {
        key == wanted
            || key.strip_suffix(".id").is_some_and(|k| k == wanted)
            || v["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    let mut instances = list.iter().filter(|(key, _)| without_keys(key) == wanted);
    let only = match (instances.next(), instances.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    };
    exact.or(only).map(|(k, _)| k.as_str())
}

/// `module.net[0].azurerm_subnet.s["a.b"]` → `module.net.azurerm_subnet.s`.
fn without_keys(address: &str) -> String {
    let (mut out, mut depth, mut quoted) = (String::new(), 0, false);
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// What attribute `attr` of `r` points at: the resource it references, else its literal value.
fn target(r: &TfResource, attr: &str) -> Option<String> {
    if let Some(first) = r.refs.get(attr).and_then(|l| l.first()) {
        return Some(
            first
                .trim_end_matches(".id")
                .trim_end_matches(".name")
                .to_owned(),
        );
    }
    r.values
        .get(attr)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Adds a standalone rule or route to the NSG or route table it names.
pub fn attach(
    list: &mut [(String, Value)],
    r: &TfResource,
    attr: &str,
    member: &str,
    item: Value,
    doc: &mut IacDoc,
) {
    let Some(wanted) = target(r, attr) else {
        doc.warnings
            .push(format!("{}: {attr} is not known: not attached", r.address));
        return;
    };
    let Some(key) = find(list, &wanted).map(str::to_owned) else {
        doc.warnings.push(format!(
            "{}: {attr} {wanted} is not declared in the code given: not evaluated",
            r.address
        ));
        return;
    };
    if let Some((_, v)) = list.iter_mut().find(|(k, _)| *k == key)
        && let Some(items) = v["properties"][member].as_array_mut()
    {
        items.push(item);
    }
}

/// A subnet–NSG or subnet–route-table association, written into the subnet.
pub fn join(
    j: &TfResource,
    subnets: &mut [(String, Value)],
    nsgs: &[(String, Value)],
    tables: &[(String, Value)],
    doc: &mut IacDoc,
) {
    let (attr, member, list) = if j.kind.ends_with("security_group_association") {
        ("network_security_group_id", "networkSecurityGroup", nsgs)
    } else {
        ("route_table_id", "routeTable", tables)
    };
    let (Some(sub), Some(other)) = (target(j, "subnet_id"), target(j, attr)) else {
        doc.warnings
            .push(format!("{}: not linked (its ids are not known)", j.address));
        return;
    };
    let key = find(list, &other).map_or(other.clone(), str::to_owned);
    let Some(s) = find(subnets, &sub).map(str::to_owned) else {
        doc.warnings.push(format!(
            "{}: subnet {sub} is not declared in the code given",
            j.address
        ));
        return;
    };
    if let Some((_, v)) = subnets.iter_mut().find(|(k, _)| *k == s) {
        v["properties"][member] = json!({ "id": key });
    }
}
