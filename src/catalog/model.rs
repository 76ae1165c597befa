//! The catalog's vocabulary: what one dependency row says, as typed data.
//!
//! Rows are read from TOML (`probes/*.toml`); every field is validated while it is read so that a
//! mistake is reported at its own line and column (see `catalog::load`).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, SeqAccess, Visitor};
use toml::Spanned;

pub use super::editions::{EditionDef, Retirement};
pub use super::hosts::{HostEntry, HostSet};
pub use super::ports::PortSpec;
pub use super::profile::Profile;
pub use super::vocabulary::{CheckKind, Cloud, Direction, Platform, Transport, VnetMode};

/// The id prefix of rows made for `--dependencies` categories the catalog lacks
/// (`apim-<category>`); catalog ids may not use it, so `--only`/`--skip` can name those rows.
pub const SYNTHETIC_ID_PREFIX: &str = "apim-";

/// One catalog file: placeholder declarations and dependency rows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Instance-specific names that hosts may use as `{name}`.
    #[serde(default)]
    pub placeholder: Vec<PlaceholderDef>,
    /// The dependency rows.
    #[serde(default)]
    pub dependency: Vec<Dependency>,
    /// Editions of the reference the rows belong to (see `catalog::editions`).
    #[serde(default)]
    pub edition: Vec<EditionDef>,
    /// Platforms Azure retired, for the message of an edition without their table.
    #[serde(default)]
    pub platform: Vec<Retirement>,
}

/// A placeholder a host template may use, filled by `--set NAME=VALUE` (or `--region`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceholderDef {
    /// The name used between braces.
    pub name: Spanned<String>,
    /// What value to give, shown when a probe is skipped for lack of it.
    pub help: String,
}

/// One dependency row of the reference, as data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Stable identifier, used by `--only`/`--skip` and in reports.
    pub id: Spanned<String>,
    /// What APIM needs it for (the reference's "Purpose").
    pub purpose: String,
    /// Which way the traffic flows.
    pub direction: Direction,
    /// Source service tag.
    pub source: String,
    /// Destination service tag.
    pub destination: String,
    /// Bold rows of the reference: needed for deployment and operation.
    pub required: bool,
    /// Platforms the row applies to.
    #[serde(deserialize_with = "one_or_many")]
    pub platforms: Vec<Platform>,
    /// VNet modes the row applies to.
    #[serde(deserialize_with = "one_or_many")]
    pub vnet: Vec<VnetMode>,
    /// Transports (usually one; DNS uses both).
    #[serde(deserialize_with = "one_or_many")]
    pub transport: Vec<Transport>,
    /// Ports and ranges (`443`, `"6381-6383"`, `"*"` for any).
    pub ports: Vec<PortSpec>,
    /// What to do once connected.
    pub check: CheckKind,
    /// Hosts to probe: one list for every cloud, or a table per cloud.
    #[serde(default)]
    pub hosts: Option<Spanned<HostSet>>,
    /// When set, the row is always listed as skipped with this reason.
    #[serde(default)]
    pub skip: Option<String>,
    /// Where in the reference the row comes from.
    pub reference: String,
    /// Anything a reader of the report should know about the row.
    #[serde(default)]
    pub note: Option<String>,
    /// The editions of the reference the row belongs to; required when the catalog declares
    /// editions, absent when it declares none.
    #[serde(default)]
    pub editions: Option<Vec<Spanned<String>>>,
    /// What an edition changed in the row, from that edition on (keyed by edition id).
    #[serde(default)]
    pub changed: BTreeMap<String, Spanned<RowChange>>,
    /// Only for these profiles of its editions' pages (all of them when absent), e.g. a
    /// workspace page's inbound rows that apply to injection, not integration.
    #[serde(default)]
    pub profiles: Option<Vec<Profile>>,
    /// The host must resolve to an address of the VNet (a private DNS zone), not a public one.
    #[serde(default)]
    pub private_address: bool,
}

/// What an edition changed in a row: each field given replaces the row's own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowChange {
    /// A new purpose.
    pub purpose: Option<String>,
    /// A new destination tag.
    pub destination: Option<String>,
    /// Required or optional now.
    pub required: Option<bool>,
    /// Other VNet modes.
    #[serde(default, deserialize_with = "some_one_or_many")]
    pub vnet: Option<Vec<VnetMode>>,
    /// Other ports.
    pub ports: Option<Vec<PortSpec>>,
    /// Other hosts.
    pub hosts: Option<Spanned<HostSet>>,
    /// Now listed as skipped, with this reason.
    pub skip: Option<String>,
    /// Where in this edition the row comes from.
    pub reference: Option<String>,
    /// A new note.
    pub note: Option<String>,
}

impl RowChange {
    /// Applies the change to a row.
    pub fn apply(&self, row: &mut Dependency) {
        fn set<T: Clone>(field: &mut T, new: Option<&T>) {
            if let Some(v) = new {
                field.clone_from(v);
            }
        }
        set(&mut row.purpose, self.purpose.as_ref());
        set(&mut row.destination, self.destination.as_ref());
        set(&mut row.required, self.required.as_ref());
        set(&mut row.vnet, self.vnet.as_ref());
        set(&mut row.ports, self.ports.as_ref());
        set(&mut row.reference, self.reference.as_ref());
        if self.hosts.is_some() {
            row.hosts.clone_from(&self.hosts);
        }
        if self.skip.is_some() {
            row.skip.clone_from(&self.skip);
        }
        if self.note.is_some() {
            row.note.clone_from(&self.note);
        }
    }
}

fn some_one_or_many<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    one_or_many(d).map(Some)
}

/// Reads either one value or a list of values into a `Vec`, keeping the element's own errors
/// (e.g. "unknown variant `sctp`, expected `tcp` or `udp`").
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a value or a list of values")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<T>, A::Error> {
            let list = Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            if list.is_empty() {
                return Err(de::Error::custom("the list is empty"));
            }
            Ok(list)
        }
    }
    d.deserialize_any(V(PhantomData))
}
