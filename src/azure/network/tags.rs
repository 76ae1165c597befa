//! The service-tag file: Microsoft's weekly download (`ServiceTags_Public_YYYYMMDD.json`, and
//! the other clouds') or `az network list-service-tags` output — the same `values[]` with
//! `properties.addressPrefixes`. Each tag's prefixes are parsed and made a set once, here.

use std::collections::HashMap;

use serde_json::Value;

use super::json::{Node, found};
use super::model::{ServiceTag, ServiceTags};
use super::prefix::{RangeSet, parse_prefix};
use crate::azure::InputError;

/// Reads a service-tag file.
pub fn read_service_tags(node: &Node) -> Result<ServiceTags, InputError> {
    let values = node.field("values")?;
    let list = values
        .value()
        .as_array()
        .ok_or_else(|| values.error(format!("expected a list, found {}", found(values.value()))))?;
    let mut tags = Vec::with_capacity(list.len());
    let mut index = HashMap::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let item = values.item(v, i);
        let tag = read_tag(&item)?;
        index
            .entry(tag.name.to_ascii_lowercase())
            .or_insert(tags.len());
        tags.push(tag);
    }
    let cloud = match node.get("cloud") {
        Some(c) => c.str()?.to_owned(),
        None => String::new(),
    };
    let change_number = match node.get("changeNumber") {
        Some(c) => c.u32()?,
        None => 0,
    };
    Ok(ServiceTags {
        cloud,
        change_number,
        tags,
        index,
        file: node.file().display().to_string(),
    })
}

fn read_tag(item: &Node) -> Result<ServiceTag, InputError> {
    let name = item
        .get("name")
        .or_else(|| item.get("id"))
        .ok_or_else(|| item.error("missing field `name`"))?
        .str()?
        .to_owned();
    let props = item.field("properties")?;
    let region = match props.get("region") {
        Some(r) => r.str()?.to_owned(),
        None => String::new(),
    };
    let list_node = props.field("addressPrefixes")?;
    let raw = list_node.value().as_array().ok_or_else(|| {
        list_node.error(format!(
            "expected a list, found {}",
            found(list_node.value())
        ))
    })?;
    let mut prefixes = Vec::with_capacity(raw.len());
    for (j, p) in raw.iter().enumerate() {
        // Paths are built only for the rare bad prefix: a Public file has ~90,000 good ones.
        let net = match p {
            Value::String(s) => parse_prefix(s),
            _ => None,
        };
        prefixes.push(net.ok_or_else(|| {
            list_node
                .item(p, j)
                .error(format!("expected a CIDR prefix, found {}", found(p)))
        })?);
    }
    let set = RangeSet::from_prefixes(&prefixes);
    Ok(ServiceTag {
        name,
        region,
        prefixes,
        set,
    })
}
