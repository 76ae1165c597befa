//! The catalog's vocabulary: what one dependency row says, as typed data.
//!
//! Rows are read from TOML (`probes/*.toml`); every field is validated while it is read so that a
//! mistake is reported at its own line and column (see `catalog::load`).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The id prefix of rows made for `--dependencies` categories the catalog lacks
/// (`apim-<category>`); catalog ids may not use it, so `--only`/`--skip` can name those rows.
pub const SYNTHETIC_ID_PREFIX: &str = "apim-";

/// APIM's compute platform; each has its own table in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// The current platform (virtual machine scale sets).
    Stv2,
    /// The retired platform (cloud services).
    Stv1,
}

/// The VNet injection mode of the APIM instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum VnetMode {
    /// Gateway reachable from the internet.
    External,
    /// Gateway reachable only inside the VNet.
    Internal,
}

/// The Azure cloud, which decides DNS suffixes and some endpoint sets.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Azure public cloud.
    Public,
    /// Azure US Government.
    Usgov,
    /// Azure operated by 21Vianet (China).
    China,
}

/// Which way the traffic of a row flows, seen from the APIM subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the subnet to a dependency: what this tool probes.
    Outbound,
    /// From outside into the subnet: cannot be tested from inside, always skipped.
    Inbound,
    /// Between machines of the subnet: needs a second machine, always skipped.
    Peer,
}

/// The transport protocol of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// What a probe does once it has an address: one variant per file in `src/probe/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// A TCP handshake.
    Tcp,
    /// A DNS query answered by the server (any response code proves reachability).
    Dns,
    /// An SNTP exchange over UDP: offset, round trip, stratum.
    Ntp,
    /// A TLS handshake with SNI: chain recorded, trust and interception judged.
    Tls,
    /// A plain HTTP GET (port 80: OCSP/CRL hosts); a firewall's deny page is told apart.
    Http,
    /// A TDS PRELOGIN exchange (Azure SQL, 1433).
    Tds,
    /// An SMB2 NEGOTIATE exchange (Azure Files, 445).
    Smb,
    /// An AMQP protocol-header exchange in the clear (5672).
    Amqp,
    /// TLS, then the AMQP protocol-header exchange (5671).
    Amqps,
    /// No protocol to speak: a UDP row that cannot be proven, always skipped.
    None,
}

impl Transport {
    /// The lowercase name used in reports and hints.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl CheckKind {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Tcp => "tcp",
            CheckKind::Dns => "dns",
            CheckKind::Ntp => "ntp",
            CheckKind::Tls => "tls",
            CheckKind::Http => "http",
            CheckKind::Tds => "tds",
            CheckKind::Smb => "smb",
            CheckKind::Amqp => "amqp",
            CheckKind::Amqps => "amqps",
            CheckKind::None => "none",
        }
    }
}

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

/// A port, a range of ports, or any port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSpec {
    /// A single port.
    One(u16),
    /// An inclusive range.
    Range(u16, u16),
    /// `*`: any port (only meaningful on rows that are not probed).
    Any,
}

impl PortSpec {
    /// The concrete ports, or `[None]` for any port.
    pub fn expand(self) -> Vec<Option<u16>> {
        match self {
            PortSpec::One(p) => vec![Some(p)],
            PortSpec::Range(a, b) => (a..=b).map(Some).collect(),
            PortSpec::Any => vec![None],
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::One(p) => write!(f, "{p}"),
            PortSpec::Range(a, b) => write!(f, "{a}-{b}"),
            PortSpec::Any => f.write_str("*"),
        }
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(u16::try_from(p).expect("range checked")),
        Ok(p) => Err(format!("port {p} out of range (1-65535)")),
        Err(_) => Err(format!("`{text}` is not a port number")),
    }
}

impl std::str::FromStr for PortSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim() == "*" {
            return Ok(PortSpec::Any);
        }
        match s.split_once('-') {
            None => parse_port(s).map(PortSpec::One),
            Some((a, b)) => {
                let (a, b) = (parse_port(a)?, parse_port(b)?);
                if a > b {
                    return Err(format!("port range `{s}` runs backwards"));
                }
                Ok(PortSpec::Range(a, b))
            }
        }
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PortSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number, a range like \"6381-6383\", or \"*\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortSpec, E> {
                v.to_string().parse().map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortSpec, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

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

impl<'de> Deserialize<'de> for HostEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            name: String,
            wildcard: String,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HostEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a host name, or { name = \"…\", wildcard = \"*.…\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HostEntry, E> {
                check_host_template(v).map_err(E::custom)?;
                Ok(HostEntry {
                    name: v.to_owned(),
                    wildcard: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<HostEntry, A::Error> {
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                check_host_template(&t.name).map_err(de::Error::custom)?;
                if t.name.starts_with('*') || !t.wildcard.starts_with("*.") {
                    return Err(de::Error::custom(
                        "`name` must be a concrete host and `wildcard` a `*.` pattern",
                    ));
                }
                Ok(HostEntry {
                    name: t.name,
                    wildcard: Some(t.wildcard),
                })
            }
        }
        d.deserialize_any(V)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs_parse_and_reject() {
        assert_eq!("443".parse(), Ok(PortSpec::One(443)));
        assert_eq!("6381-6383".parse(), Ok(PortSpec::Range(6381, 6383)));
        assert_eq!("*".parse(), Ok(PortSpec::Any));
        assert!(
            "0".parse::<PortSpec>()
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            "70000"
                .parse::<PortSpec>()
                .unwrap_err()
                .contains("out of range")
        );
        assert!("9-3".parse::<PortSpec>().unwrap_err().contains("backwards"));
        assert_eq!(PortSpec::Range(6381, 6383).expand().len(), 3);
    }

    #[test]
    fn host_templates() {
        let h = HostEntry {
            name: "{a}.x.{b_c}.net".into(),
            wildcard: None,
        };
        assert_eq!(h.placeholders(), ["a", "b_c"]);
        assert!(check_host_template("{sql_server}.database.windows.net").is_ok());
        assert!(check_host_template("*.update.microsoft.com").is_ok());
        assert!(check_host_template("{Bad}.x").is_err());
        assert!(check_host_template("{open.x").is_err());
        assert!(check_host_template("a b").is_err());
    }
}
