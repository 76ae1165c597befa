//! A Terraform resource as the plan and `.tf` readers find it, before the `azurerm`
//! normaliser shapes it: its address, type, attributes, unknown values, references and lines.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::azure::network::model::Origin;

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
