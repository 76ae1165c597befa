//! What one piece of code declares, normalised (see the module above for the shapes).

use serde_json::{Map, Value, json};

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
