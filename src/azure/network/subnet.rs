//! The subnet: `az network vnet subnet show` (flat), REST/ARM/portal (under `properties`) or
//! PowerShell's `Get-AzVirtualNetworkSubnetConfig` (where `AddressPrefix` is a list).

use super::json::{Node, id_name};
use super::model::Subnet;
use super::prefix::parse_prefix;
use super::rule::UNKNOWN_KEY;
use crate::azure::InputError;

/// The `id` of each item of a list of references (`ipConfigurations: [{ "id": … }]`); an item
/// without one counts as itself, so that something there is never missed.
fn ids(p: &Node, key: &str) -> Result<Vec<String>, InputError> {
    let Some(list) = p.get(key) else {
        return Ok(Vec::new());
    };
    list.items()?
        .iter()
        .map(|i| match i.get("id") {
            Some(id) => id.str().map(str::to_owned),
            None => Ok(format!("{key}[?]")),
        })
        .collect()
}

/// Reads a subnet.
pub fn read_subnet(node: &Node) -> Result<Subnet, InputError> {
    let p = node.props();
    let id = node
        .get("id")
        .map(|n| n.str().map(str::to_owned))
        .transpose()?;
    let name = match node.get("name") {
        Some(n) => n.str()?.to_owned(),
        None => id.as_deref().map_or("subnet", id_name).to_owned(),
    };
    let mut prefixes = Vec::new();
    for key in ["addressPrefix", "addressPrefixes"] {
        if let Some(n) = p.get(key) {
            for (pn, text) in n.strings()? {
                let net = parse_prefix(text)
                    .ok_or_else(|| pn.error(format!("{text:?} is not a CIDR prefix")))?;
                if !prefixes.contains(&net) {
                    prefixes.push(net);
                }
            }
        }
    }
    // Code may leave the addresses to a value given at deployment (`var.prefix` without a
    // default): the subnet is still read, its addresses unknown, never guessed.
    if prefixes.is_empty() && node.get(UNKNOWN_KEY).is_none() {
        return Err(p.error("missing field `addressPrefix` (or `addressPrefixes`)"));
    }
    let list = |key: &str, field: &str| -> Result<Vec<String>, InputError> {
        match p.get(key) {
            None => Ok(Vec::new()),
            Some(l) => l
                .items()?
                .iter()
                .map(|i| {
                    i.props()
                        .field(field)
                        .and_then(|s| s.str().map(str::to_owned))
                })
                .collect(),
        }
    };
    Ok(Subnet {
        name,
        id,
        prefixes,
        nsg_id: p.id_of("networkSecurityGroup")?,
        route_table_id: p.id_of("routeTable")?,
        service_endpoints: list("serviceEndpoints", "service")?,
        delegations: list("delegations", "serviceName")?,
        nat_gateway_id: p.id_of("natGateway")?,
        ip_configurations: ids(&p, "ipConfigurations")?,
        private_endpoints: ids(&p, "privateEndpoints")?,
        service_links: list("serviceAssociationLinks", "linkedResourceType")?,
        file: node.file().display().to_string(),
        origin: super::model::Origin::of(node)?,
    })
}
