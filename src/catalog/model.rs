//! The catalog's vocabulary: what one dependency row says, as typed data.
//!
//! Rows are read from TOML (`probes/*.toml`); every field is validated while it is read so that a
//! mistake is reported at its own line and column (see `catalog::load`).

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, SeqAccess, Visitor};
use toml::Spanned;

pub use super::hosts::{HostEntry, HostSet};
pub use super::ports::PortSpec;
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
