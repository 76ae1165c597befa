//! Ports of a catalog row: one port, an inclusive range, or any port (`"*"`), as written in
//! `probes/*.toml` and checked while they are read.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

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
}
