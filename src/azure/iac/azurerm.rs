//! The `azurerm` Terraform provider's network resources, as a plan or `.tf` file declares them,
//! normalised to the REST shape (`IacDoc`): NSGs with inline `security_rule` blocks, standalone
//! `azurerm_network_security_rule`, subnets with their delegation, the association resources
//! that join a subnet to its NSG and route table, route tables with inline `route` blocks and
//! standalone `azurerm_route`, and `azurerm_api_management`.
//!
//! Attributes follow the provider's schema (registry.terraform.io/providers/hashicorp/azurerm):
//! blocks are lists of objects. References (`azurerm_subnet.apim.id`) link resources whose ids
//! exist only after apply; a literal id links by its last segment, the name.

use serde_json::{Map, Value, json};

use super::azurerm_link::{attach, find, join};
use super::doc::{IacDoc, drop_unplaceable_routes, place_rule};
pub use super::tf_resource::TfResource;
use crate::azure::network::apim::ApimResource;
use crate::azure::network::json::ORIGIN_KEY;
use crate::azure::network::model::Origin;
use crate::azure::network::rule::UNKNOWN_KEY;

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
            "azurerm_network_security_group" => nsgs.push((r.origin.address.clone(), nsg(r))),
            "azurerm_network_security_rule" => loose_rules.push(r),
            "azurerm_subnet" => {
                let v = subnet(r);
                if let Some(why) = v[UNKNOWN_KEY].as_str() {
                    doc.warnings.push(format!(
                        "{why}: the subnet's addresses are not known, so rules naming addresses on its side cannot be told"
                    ));
                }
                subnets.push((r.origin.address.clone(), v));
            }
            "azurerm_route_table" => tables.push((r.origin.address.clone(), table(r))),
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
    drop_unplaceable_routes(&mut doc);
    doc
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
        "name": str_of(&r.values, "name").unwrap_or(&r.origin.address),
        "id": r.origin.address,
        ORIGIN_KEY: origin(&r.origin, &r.origin.address, r.origin.line),
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
    place_rule(&mut props, !unknown.is_empty());
    let name = str_of(b, "name").unwrap_or("rule").to_owned();
    let address = if path.is_empty() {
        r.origin.address.clone()
    } else {
        format!("{}.{}", r.origin.address, path.trim_end_matches('.'))
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
        "name": str_of(&r.values, "name").unwrap_or(&r.origin.address),
        "id": r.origin.address,
        ORIGIN_KEY: origin(&r.origin, &r.origin.address, r.origin.line),
        "properties": { "addressPrefixes": prefixes, "delegations": delegations },
    });
    if let Some(why) = r.unknown.get("address_prefixes") {
        v[UNKNOWN_KEY] = json!(format!("{}: address_prefixes ({why})", r.origin.address));
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
        "name": str_of(&r.values, "name").unwrap_or(&r.origin.address),
        "id": r.origin.address,
        ORIGIN_KEY: origin(&r.origin, &r.origin.address, r.origin.line),
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
    let unknown: Vec<String> = r
        .unknown
        .iter()
        .filter_map(|(k, why)| k.strip_prefix(path).map(|f| format!("{f} ({why})")))
        .collect();
    if !unknown.is_empty() {
        // Inside the properties, where the route reader looks for what is not known.
        props.insert(UNKNOWN_KEY.to_owned(), json!(unknown.join(", ")));
    }
    json!({ "name": str_of(b, "name").unwrap_or("route"), "properties": props })
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
        name: str_of(&r.values, "name")
            .unwrap_or(&r.origin.address)
            .to_owned(),
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
