//! A template's evaluated resources, normalised to the REST shape the network readers read
//! (`IacDoc`). ARM resources already have that shape; what is done here is linking and naming:
//! each NSG, subnet and route table gets as `id` the key `Namespace/type/name[/type/name]`, and
//! every id a template writes (`resourceId(…)`, a literal id, a parameter's value) is reduced to
//! the same key, so that a subnet finds its NSG without knowing the subscription. Values not
//! known before deployment are left out and named (`UNKNOWN_KEY`).

use serde_json::{Map, Value, json};

use super::val::Val;
use super::walk::ArmResource;
use crate::azure::iac::doc::{IacDoc, drop_unplaceable_routes, place_rule};
use crate::azure::iac::lines::Lines;
use crate::azure::network::apim::ApimResource;
use crate::azure::network::json::ORIGIN_KEY;
use crate::azure::network::model::Origin;
use crate::azure::network::rule::UNKNOWN_KEY;

const NSG: &str = "Microsoft.Network/networkSecurityGroups";
const RULE: &str = "Microsoft.Network/networkSecurityGroups/securityRules";
const VNET: &str = "Microsoft.Network/virtualNetworks";
const SUBNET: &str = "Microsoft.Network/virtualNetworks/subnets";
const TABLE: &str = "Microsoft.Network/routeTables";
const ROUTE: &str = "Microsoft.Network/routeTables/routes";
const APIM: &str = "Microsoft.ApiManagement/service";

/// The doc of `file` from its resources; `lines` places each.
pub fn build(file: &str, resources: &[ArmResource], lines: &Lines) -> IacDoc {
    let mut doc = IacDoc {
        file: file.to_owned(),
        ..IacDoc::default()
    };
    let at = |r: &ArmResource, sub: &str| lines.line(&format!("{}{sub}", r.ptr));
    let origin = |address: &str, line: Option<usize>| Origin {
        file: file.to_owned(),
        address: address.to_owned(),
        line,
    };
    let is = |r: &ArmResource, kind: &str| r.kind.eq_ignore_ascii_case(kind);
    for r in resources {
        let address = key(&r.kind, &r.name);
        let o = origin(&address, at(r, ""));
        if is(r, NSG) {
            let rules: Vec<Value> = items(&r.properties, "securityRules")
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let line = at(r, &format!("/properties/securityRules/{i}")).or(o.line);
                    let name = x.get("name").and_then(Val::text).unwrap_or_default();
                    rule(x, &origin(&format!("{address}/securityRules/{name}"), line))
                })
                .collect();
            doc.nsgs
                .push(shaped(r, &o, &json!({ "securityRules": rules })));
        } else if is(r, TABLE) {
            let routes: Vec<Value> = items(&r.properties, "routes").iter().map(route).collect();
            doc.route_tables
                .push(shaped(r, &o, &json!({ "routes": routes })));
        } else if is(r, VNET) {
            for (i, s) in items(&r.properties, "subnets").iter().enumerate() {
                let name = s.get("name").and_then(Val::text).unwrap_or_default();
                let kind = SUBNET;
                let full = format!("{}/{name}", r.name);
                let line = at(r, &format!("/properties/subnets/{i}")).or(o.line);
                let so = origin(&key(kind, &full), line);
                let props = s.get("properties").cloned().unwrap_or(Val::Null);
                doc.subnets.push(subnet(kind, &full, &props, &so));
            }
        } else if is(r, SUBNET) {
            doc.subnets.push(subnet(SUBNET, &r.name, &r.properties, &o));
        } else if is(r, APIM) {
            doc.apims.push(apim(r, o, &mut doc.warnings));
        }
    }
    // Children declared on their own (`nsg/rule`, `table/route`) join their parent.
    for r in resources {
        if is(r, RULE) {
            let item = rule(&element(r), &origin(&key(&r.kind, &r.name), at(r, "")));
            attach(&mut doc, NSG, r, "securityRules", item);
        } else if is(r, ROUTE) {
            attach(&mut doc, TABLE, r, "routes", route(&element(r)));
        }
    }
    drop_unplaceable_routes(&mut doc);
    doc
}

/// A child resource as the element of its parent's list it stands for: `{ name, properties }`.
fn element(r: &ArmResource) -> Val {
    Val::Obj(vec![
        ("name".into(), Val::Str(last(&r.name).into())),
        ("properties".into(), r.properties.clone()),
    ])
}

/// One route, its unknown parts left out and named.
fn route(x: &Val) -> Value {
    let mut unknown = Vec::new();
    let mut v = known(x, "", &mut unknown);
    if !unknown.is_empty() {
        // Inside the properties, where the route reader looks for what is not known.
        v["properties"][UNKNOWN_KEY] = json!(unknown.join(", "));
    }
    v
}

/// The key every id of a resource reduces to: `Namespace/type/name[/type/name…]`.
pub fn key(kind: &str, name: &str) -> String {
    let mut parts = kind.split('/');
    let mut out = parts.next().unwrap_or_default().to_owned();
    let names: Vec<&str> = name.split('/').collect();
    for (i, t) in parts.enumerate() {
        out.push('/');
        out.push_str(t);
        out.push('/');
        out.push_str(names.get(i).copied().unwrap_or("?"));
    }
    out
}

/// An id as a template writes it, reduced to its key: what follows the last `/providers/`.
pub fn key_of_id(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    match lower.rfind("/providers/") {
        Some(at) => id[at + "/providers/".len()..].to_owned(),
        None => id.to_owned(),
    }
}

fn last(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// A list member of `properties` (evaluated), or nothing.
fn items(props: &Val, member: &str) -> Vec<Val> {
    match props.get(member) {
        Some(Val::Arr(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// An NSG or route table: name, key, origin and the members given.
fn shaped(r: &ArmResource, o: &Origin, properties: &Value) -> Value {
    json!({
        "name": last(&r.name),
        "id": key(&r.kind, &r.name),
        ORIGIN_KEY: origin_json(o),
        "properties": properties,
    })
}

fn origin_json(o: &Origin) -> Value {
    json!({ "file": o.file, "address": o.address, "line": o.line })
}

/// A value as JSON, the parts not known left out and named in `unknown` (`member (why)`);
/// `at` is the value's own name there.
fn known(v: &Val, at: &str, unknown: &mut Vec<String>) -> Value {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Val::Obj(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                match x.unknown() {
                    Some(u) if !matches!(x, Val::Obj(_) | Val::Arr(_)) => {
                        unknown.push(format!("{} ({})", join(k), u.why));
                    }
                    _ => {
                        out.insert(k.clone(), known(x, &join(k), unknown));
                    }
                }
            }
            Value::Object(out)
        }
        Val::Arr(a) => {
            let mut out = Vec::new();
            for (i, x) in a.iter().enumerate() {
                match x.unknown() {
                    // A list with an element not known: the rest is still what it says.
                    Some(u) if !matches!(x, Val::Obj(_)) => {
                        unknown.push(format!("{at}[{i}] ({})", u.why));
                    }
                    _ => out.push(known(x, &format!("{at}[{i}]"), unknown)),
                }
            }
            Value::Array(out)
        }
        other => other.to_json().unwrap_or(Value::Null),
    }
}

/// One rule: its known properties, placed, with its unknown ones named.
fn rule(x: &Val, o: &Origin) -> Value {
    let name = x
        .get("name")
        .and_then(Val::text)
        .unwrap_or_else(|| "rule".into());
    let mut unknown = Vec::new();
    let mut props = match x.get("properties").map(|p| known(p, "", &mut unknown)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    place_rule(&mut props, !unknown.is_empty());
    let mut v = json!({ "name": name, ORIGIN_KEY: origin_json(o), "properties": props });
    if !unknown.is_empty() {
        v[UNKNOWN_KEY] = json!(format!("{}: {}", o.address, unknown.join(", ")));
    }
    v
}

/// A subnet (inline in its VNet, or a child resource), its NSG and route table ids as keys.
fn subnet(kind: &str, name: &str, props: &Val, o: &Origin) -> Value {
    let mut unknown = Vec::new();
    let mut p = match known(props, "", &mut unknown) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for member in ["networkSecurityGroup", "routeTable"] {
        let id = props
            .get(member)
            .and_then(|m| m.get("id"))
            .and_then(Val::text);
        if let Some(id) = id {
            p.insert(member.into(), json!({ "id": key_of_id(&id) }));
        }
    }
    let mut v = json!({
        "name": last(name),
        "id": key(kind, name),
        ORIGIN_KEY: origin_json(o),
        "properties": p,
    });
    if !unknown.is_empty() {
        v[UNKNOWN_KEY] = json!(format!("{}: {}", o.address, unknown.join(", ")));
    }
    v
}

fn apim(r: &ArmResource, origin: Origin, warnings: &mut Vec<String>) -> ApimResource {
    let string = |v: Option<&Val>, what: &str, warnings: &mut Vec<String>| match v {
        Some(Val::Str(s)) => Some(s.clone()),
        Some(Val::Unknown(u)) => {
            warnings.push(format!(
                "{}: {what} is not known ({})",
                origin.address, u.why
            ));
            None
        }
        _ => None,
    };
    let props = &r.properties;
    let subnet = props
        .get("virtualNetworkConfiguration")
        .and_then(|c| c.get("subnetResourceId"))
        .and_then(Val::text)
        .map(|id| key_of_id(&id));
    ApimResource {
        name: last(&r.name).to_owned(),
        sku: string(r.sku.get("name"), "sku.name", warnings),
        vnet_type: string(
            props.get("virtualNetworkType"),
            "virtualNetworkType",
            warnings,
        ),
        subnet,
        origin,
    }
}

/// Adds a child rule or route to the parent it names (`parent/child`).
fn attach(doc: &mut IacDoc, parent_kind: &str, r: &ArmResource, member: &str, item: Value) {
    let parent = r.name.rsplit_once('/').map_or("", |(p, _)| p);
    let wanted = key(parent_kind, parent);
    let list = if member == "routes" {
        &mut doc.route_tables
    } else {
        &mut doc.nsgs
    };
    let found = list.iter_mut().find(|v| {
        v["id"]
            .as_str()
            .is_some_and(|id| id.eq_ignore_ascii_case(&wanted))
    });
    match found.and_then(|v| v["properties"][member].as_array_mut()) {
        Some(items) => items.push(item),
        None => doc.warnings.push(format!(
            "{}/{}: its parent {parent} is not declared in the template given: not evaluated",
            r.kind, r.name
        )),
    }
}
