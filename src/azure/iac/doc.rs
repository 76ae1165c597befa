//! What one piece of code declares, normalised (see the module above for the shapes).

use serde_json::{Map, Value, json};

use crate::azure::network::rule::UNKNOWN_KEY;

use crate::azure::network::apim::ApimResource;

/// What one piece of code declares, normalised.
#[derive(Debug, Clone, Default)]
pub struct IacDoc {
    /// The file, as given (errors and origins name it).
    pub file: String,
    /// NSGs, REST-shaped (`{ name, id, properties: { securityRules: […] } }`).
    pub nsgs: Vec<Value>,
    /// Subnets, REST-shaped (`{ name, id, properties: { addressPrefixes, networkSecurityGroup:
    /// { id }, routeTable: { id }, delegations: [{ properties: { serviceName } }] } }`).
    pub subnets: Vec<Value>,
    /// Route tables, REST-shaped (`{ name, id, properties: { routes: […] } }`).
    pub route_tables: Vec<Value>,
    /// The API Management instances declared.
    pub apims: Vec<ApimResource>,
    /// What the reader could not evaluate or link, in words.
    pub warnings: Vec<String>,
}

/// Completes a rule's properties with what the evaluator needs to place it at all, where the
/// code leaves them unknown (`unknown`: some of its values are): the unknown parts
/// (`UNKNOWN_KEY`) then make the rule match nobody knows what, rather than be dropped.
pub fn place_rule(props: &mut Map<String, Value>, unknown: bool) {
    for (key, placeholder) in [
        ("priority", json!(4096)),
        ("direction", json!("Inbound")),
        ("access", json!("Deny")),
        ("protocol", json!("*")),
    ] {
        props.entry(key).or_insert(placeholder);
    }
    // A side whose addresses are unknown: a placeholder, the match being unknown anyway.
    if unknown {
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
}

/// Leaves out the routes whose prefix or next hop the code leaves unknown, each named in a
/// warning: a route cannot be placed without them, and a guess would decide verdicts.
pub fn drop_unplaceable_routes(doc: &mut IacDoc) {
    for table in &mut doc.route_tables {
        let name = table["name"].as_str().unwrap_or("?").to_owned();
        let Some(routes) = table["properties"]["routes"].as_array_mut() else {
            continue;
        };
        routes.retain(|r| {
            let p = &r["properties"];
            let missing: Vec<&str> = ["addressPrefix", "nextHopType"]
                .into_iter()
                .filter(|k| !p[*k].is_string())
                .collect();
            if missing.is_empty() {
                return true;
            }
            let why = p[UNKNOWN_KEY].as_str().unwrap_or("not given");
            doc.warnings.push(format!(
                "route {} of route table {name}: {} not known before deployment ({why}): not evaluated, its effect unknown",
                r["name"].as_str().unwrap_or("?"),
                missing.join(" and ")
            ));
            false
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_without_prefix_or_next_hop_is_left_out_and_named() {
        let mut doc = IacDoc {
            route_tables: vec![json!({"name": "rt", "properties": {"routes": [
                {"name": "a", "properties": {"nextHopType": "Internet", UNKNOWN_KEY: "address_prefix (known after apply)"}},
                {"name": "b", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", UNKNOWN_KEY: "next_hop_in_ip_address (known after apply)"}},
            ]}})],
            ..IacDoc::default()
        };
        drop_unplaceable_routes(&mut doc);
        let routes = doc.route_tables[0]["properties"]["routes"]
            .as_array()
            .unwrap();
        assert_eq!(
            routes.len(),
            1,
            "the default route stays, its appliance unnamed"
        );
        assert_eq!(
            doc.warnings,
            [
                "route a of route table rt: addressPrefix not known before deployment (address_prefix (known after apply)): not evaluated, its effect unknown"
            ]
        );
    }
}
