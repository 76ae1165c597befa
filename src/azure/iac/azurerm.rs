//! The `azurerm` Terraform provider's network resources, as a plan or `.tf` file declares them,
//! normalised to the REST shape (`IacDoc`): NSGs with inline `security_rule` blocks, standalone
//! `azurerm_network_security_rule`, subnets with their delegation, the association resources
//! that join a subnet to its NSG and route table, route tables with inline `route` blocks and
//! standalone `azurerm_route`, and `azurerm_api_management`.
//!
//! Attributes follow the provider's schema (registry.terraform.io/providers/hashicorp/azurerm):
//! blocks are lists of objects. References (`azurerm_subnet.apim.id`) link resources whose ids
//! exist only after apply; a literal id links by its last segment, the name.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::doc::IacDoc;
use crate::azure::network::apim::ApimResource;
use crate::azure::network::json::ORIGIN_KEY;
use crate::azure::network::model::Origin;
use crate::azure::network::rule::UNKNOWN_KEY;

/// One resource as a reader found it.
#[derive(Debug, Clone)]
pub struct TfResource {
    /// Its full address without instance key (`module.net.azurerm_subnet.apim`).
    pub address: String,
    /// Its type (`azurerm_subnet`).
    pub kind: String,
    /// Its attributes as Terraform's JSON shows them (blocks: lists of objects).
    pub values: Value,
    /// Attributes whose values are not known, by path (`security_rule.1.destination_port_range`),
    /// with why (`known after apply`, `var.port has no default`).
    pub unknown: BTreeMap<String, String>,
    /// The resources each attribute references (`subnet_id` → `module.net.azurerm_subnet.apim`).
    pub refs: BTreeMap<String, Vec<String>>,
    /// Where it is declared.
    pub origin: Origin,
    /// Where each block of it starts (`security_rule.1` → line), when the reader knows.
    pub block_lines: BTreeMap<String, usize>,
}

/// The REST names of a rule's attributes.
const RULE_FIELDS: &[(&str, &str)] = &[
    ("priority", "priority"),
    ("direction", "direction"),
    ("access", "access"),
    ("protocol", "protocol"),
    ("source_port_range", "sourcePortRange"),
    ("source_port_ranges", "sourcePortRanges"),
    ("destination_port_range", "destinationPortRange"),
    ("destination_port_ranges", "destinationPortRanges"),
    ("source_address_prefix", "sourceAddressPrefix"),
    ("source_address_prefixes", "sourceAddressPrefixes"),
    ("destination_address_prefix", "destinationAddressPrefix"),
    ("destination_address_prefixes", "destinationAddressPrefixes"),
];

/// Reads the resources of one file into a doc.
pub fn build(file: &str, resources: &[TfResource]) -> IacDoc {
    let mut doc = IacDoc {
        file: file.to_owned(),
        ..IacDoc::default()
    };
    let mut nsgs: Vec<(String, Value)> = Vec::new();
    let mut tables: Vec<(String, Value)> = Vec::new();
    let mut subnets: Vec<(String, Value)> = Vec::new();
    let mut loose_rules: Vec<&TfResource> = Vec::new();
    let mut loose_routes: Vec<&TfResource> = Vec::new();
    let mut joins: Vec<&TfResource> = Vec::new();
    for r in resources {
        match r.kind.as_str() {
            "azurerm_network_security_group" => nsgs.push((r.address.clone(), nsg(r))),
            "azurerm_network_security_rule" => loose_rules.push(r),
            "azurerm_subnet" => subnets.push((r.address.clone(), subnet(r))),
            "azurerm_route_table" => tables.push((r.address.clone(), table(r))),
            "azurerm_route" => loose_routes.push(r),
            "azurerm_subnet_network_security_group_association"
            | "azurerm_subnet_route_table_association" => joins.push(r),
            "azurerm_api_management" => doc.apims.push(apim(r)),
            _ => {}
        }
    }
    for r in loose_rules {
        let rule = rule(r, &r.values, "", r.origin.line);
        attach(
            &mut nsgs,
            r,
            "network_security_group_name",
            "securityRules",
            rule,
            &mut doc,
        );
    }
    for r in loose_routes {
        let route = route(r, &r.values, "");
        attach(
            &mut tables,
            r,
            "route_table_name",
            "routes",
            route,
            &mut doc,
        );
    }
    for j in joins {
        join(j, &mut subnets, &nsgs, &tables, &mut doc);
    }
    for a in &mut doc.apims {
        if let Some(key) = &a.subnet {
            a.subnet = Some(find(&subnets, key).unwrap_or(key.as_str()).to_owned());
        }
    }
    doc.nsgs = nsgs.into_iter().map(|(_, v)| v).collect();
    doc.route_tables = tables.into_iter().map(|(_, v)| v).collect();
    doc.subnets = subnets.into_iter().map(|(_, v)| v).collect();
    doc
}

/// The key of the resource `wanted` names (an address it references, or a literal id or name).
fn find<'a>(list: &'a [(String, Value)], wanted: &str) -> Option<&'a str> {
    let name = wanted.rsplit('/').next().unwrap_or(wanted);
    list.iter()
        .find(|(key, v)| {
            key == wanted
                || key.strip_suffix(".id").is_some_and(|k| k == wanted)
                || v["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|(k, _)| k.as_str())
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

fn origin(o: &Origin, address: &str, line: Option<usize>) -> Value {
    json!({ "file": o.file, "address": address, "line": line })
}

fn nsg(r: &TfResource) -> Value {
    let rules: Vec<Value> = blocks(&r.values, "security_rule")
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let path = format!("security_rule.{i}.");
            let line = r.block_lines.get(&format!("security_rule.{i}")).copied();
            rule(r, b, &path, line.or(r.origin.line))
        })
        .collect();
    json!({
        "name": str_of(&r.values, "name").unwrap_or(&r.address),
        "id": r.address,
        ORIGIN_KEY: origin(&r.origin, &r.address, r.origin.line),
        "properties": { "securityRules": rules },
    })
}

/// One rule (an inline block at `path`, or a standalone resource with `path` empty).
fn rule(r: &TfResource, b: &Value, path: &str, line: Option<usize>) -> Value {
    let mut props = Map::new();
    let mut unknown: Vec<String> = Vec::new();
    for (tf, rest) in RULE_FIELDS {
        if let Some(why) = r.unknown.get(&format!("{path}{tf}")) {
            unknown.push(format!("{tf} ({why})"));
            continue;
        }
        match b.get(*tf) {
            Some(Value::Null) | None => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(v) => {
                props.insert((*rest).to_owned(), v.clone());
            }
        }
    }
    // Application security groups: ids in Terraform, `{ id }` objects in REST.
    for (tf, rest) in [
        (
            "source_application_security_group_ids",
            "sourceApplicationSecurityGroups",
        ),
        (
            "destination_application_security_group_ids",
            "destinationApplicationSecurityGroups",
        ),
    ] {
        if let Some(why) = r.unknown.get(&format!("{path}{tf}")) {
            unknown.push(format!("{tf} ({why})"));
        } else if let Some(ids) = b
            .get(tf)
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        {
            let ids: Vec<Value> = ids.iter().map(|id| json!({ "id": id })).collect();
            props.insert(rest.to_owned(), Value::Array(ids));
        }
    }
    // What the evaluator needs to place the rule at all; the unknown parts make it match
    // nobody knows what (`UNKNOWN_KEY`).
    for (key, placeholder) in [
        ("priority", json!(4096)),
        ("direction", json!("Inbound")),
        ("access", json!("Deny")),
        ("protocol", json!("*")),
    ] {
        props.entry(key).or_insert(placeholder);
    }
    // A side whose addresses are unknown: a placeholder, the match being unknown anyway.
    if !unknown.is_empty() {
        for side in ["source", "destination"] {
            let given = [
                "AddressPrefix",
                "AddressPrefixes",
                "ApplicationSecurityGroups",
            ]
            .iter()
            .any(|k| props.contains_key(&format!("{side}{k}")));
            if !given {
                props.insert(format!("{side}AddressPrefix"), json!("*"));
            }
        }
    }
    let name = str_of(b, "name").unwrap_or("rule").to_owned();
    let address = if path.is_empty() {
        r.address.clone()
    } else {
        format!("{}.{}", r.address, path.trim_end_matches('.'))
    };
    let mut v = json!({
        "name": name,
        ORIGIN_KEY: origin(&r.origin, &address, line),
        "properties": props,
    });
    if !unknown.is_empty() {
        v[UNKNOWN_KEY] = json!(format!("{address}: {}", unknown.join(", ")));
    }
    v
}

fn subnet(r: &TfResource) -> Value {
    let mut prefixes: Vec<Value> = Vec::new();
    for key in ["address_prefixes", "address_prefix"] {
        match r.values.get(key) {
            Some(Value::Array(a)) => prefixes.extend(a.iter().cloned()),
            Some(Value::String(s)) => prefixes.push(json!(s)),
            _ => {}
        }
    }
    let delegations: Vec<Value> = blocks(&r.values, "delegation")
        .iter()
        .flat_map(|d| blocks(d, "service_delegation"))
        .filter_map(|s| str_of(&s, "name").map(|n| json!({ "properties": { "serviceName": n } })))
        .collect();
    let mut v = json!({
        "name": str_of(&r.values, "name").unwrap_or(&r.address),
        "id": r.address,
        ORIGIN_KEY: origin(&r.origin, &r.address, r.origin.line),
        "properties": { "addressPrefixes": prefixes, "delegations": delegations },
    });
    if let Some(why) = r.unknown.get("address_prefixes") {
        v[UNKNOWN_KEY] = json!(format!("{}: address_prefixes ({why})", r.address));
    }
    v
}

fn table(r: &TfResource) -> Value {
    let routes: Vec<Value> = blocks(&r.values, "route")
        .iter()
        .enumerate()
        .map(|(i, b)| route(r, b, &format!("route.{i}.")))
        .collect();
    json!({
        "name": str_of(&r.values, "name").unwrap_or(&r.address),
        "id": r.address,
        ORIGIN_KEY: origin(&r.origin, &r.address, r.origin.line),
        "properties": { "routes": routes },
    })
}

fn route(r: &TfResource, b: &Value, path: &str) -> Value {
    let mut props = Map::new();
    for (tf, rest) in [
        ("address_prefix", "addressPrefix"),
        ("next_hop_type", "nextHopType"),
        ("next_hop_in_ip_address", "nextHopIpAddress"),
    ] {
        if let Some(v) = b
            .get(tf)
            .filter(|v| v.is_string() && !r.unknown.contains_key(&format!("{path}{tf}")))
        {
            props.insert(rest.to_owned(), v.clone());
        }
    }
    json!({ "name": str_of(b, "name").unwrap_or("route"), "properties": props })
}

/// Adds a standalone rule or route to the NSG or route table it names.
fn attach(
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
fn join(
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

fn apim(r: &TfResource) -> ApimResource {
    let subnet = r
        .refs
        .get("virtual_network_configuration.0.subnet_id")
        .and_then(|l| l.first())
        .map(|a| a.trim_end_matches(".id").to_owned())
        .or_else(|| {
            blocks(&r.values, "virtual_network_configuration")
                .first()
                .and_then(|b| str_of(b, "subnet_id").map(str::to_owned))
        });
    ApimResource {
        name: str_of(&r.values, "name").unwrap_or(&r.address).to_owned(),
        sku: str_of(&r.values, "sku_name").map(str::to_owned),
        vnet_type: str_of(&r.values, "virtual_network_type").map(str::to_owned),
        subnet,
        origin: r.origin.clone(),
    }
}

/// The blocks named `key` (a list of objects; one object also counts).
fn blocks(v: &Value, key: &str) -> Vec<Value> {
    match v.get(key) {
        Some(Value::Array(a)) => a.iter().filter(|b| b.is_object()).cloned().collect(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}
