//! Hosts of a catalog row: one list for every cloud or one per cloud, each host a name that may
//! hold `{placeholders}` or stand for a wildcard, checked while they are read.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::vocabulary::Cloud;

/// The hosts of a row: the same for every cloud, or one list per cloud.
#[derive(Debug, Clone)]
pub enum HostSet {
    /// The same hosts in every cloud.
    Every(Vec<HostEntry>),
    /// Per cloud; a cloud that is absent has no known endpoint.
    PerCloud(BTreeMap<Cloud, Vec<HostEntry>>),
}

impl HostSet {
    /// The hosts for one cloud, or `None` when the row names none for it.
    pub fn for_cloud(&self, cloud: Cloud) -> Option<&[HostEntry]> {
        match self {
            HostSet::Every(list) => Some(list),
            HostSet::PerCloud(map) => map.get(&cloud).map(Vec::as_slice),
        }
    }

    /// Every host entry of every cloud.
    pub fn all(&self) -> Vec<&HostEntry> {
        match self {
            HostSet::Every(list) => list.iter().collect(),
            HostSet::PerCloud(map) => map.values().flatten().collect(),
        }
    }
}

impl<'de> Deserialize<'de> for HostSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HostSet;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a list of hosts, or a table of lists keyed by cloud (public, usgov, china)",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<HostSet, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(HostSet::Every)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HostSet, A::Error> {
                BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(HostSet::PerCloud)
            }
        }
        d.deserialize_any(V)
    }
}

/// One host template, e.g. `{sql_server}.database.windows.net` or `login.microsoftonline.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    /// The template to probe; may hold `{placeholder}`s, or be a wildcard (`*.x`) that is skipped.
    pub name: String,
    /// The wildcard of the reference this concrete name stands for, if any.
    pub wildcard: Option<String>,
    /// For `http` rows: the path to ask for (a CRL or CA certificate URL), `/` when absent.
    pub path: Option<String>,
}

impl HostEntry {
    /// The placeholder names used in the template, in order.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = self.name.as_str();
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open..].find('}') else {
                break;
            };
            out.push(&rest[open + 1..open + len]);
            rest = &rest[open + len + 1..];
        }
        out
    }

    /// Whether the template is a wildcard with no concrete name to probe.
    pub fn is_wildcard(&self) -> bool {
        self.name.starts_with("*.")
    }
}

/// Checks a host template's syntax: DNS characters, balanced `{placeholder}`s, `*.` only in front.
fn check_host_template(name: &str) -> Result<(), String> {
    let body = name.strip_prefix("*.").unwrap_or(name);
    if body.is_empty() {
        return Err("empty host".into());
    }
    let mut in_braces = false;
    for c in body.chars() {
        match c {
            '{' if !in_braces => in_braces = true,
            '}' if in_braces => in_braces = false,
            'a'..='z' | '0'..='9' | '_' if in_braces => {}
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '.' | ':' if !in_braces => {}
            _ => {
                return Err(format!(
                    "host `{name}`: unexpected `{c}` (hosts are DNS names; placeholders are {{lowercase_name}})"
                ));
            }
        }
    }
    if in_braces {
        return Err(format!("host `{name}`: unclosed `{{`"));
    }
    Ok(())
}

/// A request path: absolute, printable ASCII without spaces (it goes on the request line as is).
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') || !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "path `{path}`: must start with `/` and hold no spaces or control characters (write a space as %20)"
        ));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for HostEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            name: String,
            wildcard: Option<String>,
            path: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HostEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a host name, or { name = \"…\", wildcard = \"*.…\" } or { name = \"…\", path = \"/…\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HostEntry, E> {
                check_host_template(v).map_err(E::custom)?;
                Ok(HostEntry {
                    name: v.to_owned(),
                    wildcard: None,
                    path: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HostEntry, A::Error> {
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                check_host_template(&t.name).map_err(de::Error::custom)?;
                if t.name.starts_with('*')
                    || t.wildcard.as_ref().is_some_and(|w| !w.starts_with("*."))
                {
                    return Err(de::Error::custom(
                        "`name` must be a concrete host and `wildcard` a `*.` pattern",
                    ));
                }
                if let Some(path) = &t.path {
                    check_path(path).map_err(de::Error::custom)?;
                }
                Ok(HostEntry {
                    name: t.name,
                    wildcard: t.wildcard,
                    path: t.path,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_templates() {
        let h = HostEntry {
            name: "{a}.x.{b_c}.net".into(),
            wildcard: None,
            path: None,
        };
        assert!(check_path("/pki/crl/products/x.crl").is_ok());
        assert!(check_path("/a b").is_err());
        assert!(check_path("x.crl").is_err());
        assert_eq!(h.placeholders(), ["a", "b_c"]);
        assert!(check_host_template("{sql_server}.database.windows.net").is_ok());
        assert!(check_host_template("*.update.microsoft.com").is_ok());
        assert!(check_host_template("{Bad}.x").is_err());
        assert!(check_host_template("{open.x").is_err());
        assert!(check_host_template("a b").is_err());
    }
}
