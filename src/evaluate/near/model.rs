//! What a near miss is: the flow, the rule as written, what is off by one field, and the rule as
//! it should read.

use serde::Serialize;

use crate::azure::network::model::RuleDirection;
use crate::catalog::model::Cloud;
use crate::evaluate::nsg::RuleRef;

/// How the rule misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NearKind {
    /// A port one keystroke away.
    Port,
    /// The other direction.
    Direction,
    /// Another protocol.
    Protocol,
    /// The tag misspelled or in another case.
    Tag,
    /// Another region's tag.
    Region,
    /// A deny with a smaller priority number decides first.
    Shadowed,
}

names!(NearKind {
    Port => "port",
    Direction => "direction",
    Protocol => "protocol",
    Tag => "tag",
    Region => "region",
    Shadowed => "shadowed",
});

/// A field of a security rule a correction changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `priority`.
    Priority,
    /// `direction`.
    Direction,
    /// `protocol`.
    Protocol,
    /// The source address (prefix or tag).
    Source,
    /// The destination address.
    Destination,
    /// The destination ports.
    Ports,
}

names!(Field {
    Priority => "priority",
    Direction => "direction",
    Protocol => "protocol",
    Source => "source",
    Destination => "destination",
    Ports => "ports",
});

/// A rule as it should read: every field a rule block needs, in NSG terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixedRule {
    /// The NSG.
    pub nsg: String,
    /// The rule's name.
    pub name: String,
    /// Its priority.
    pub priority: u32,
    /// `Inbound` or `Outbound`.
    pub direction: RuleDirection,
    /// `Tcp`, `Udp` or `*`.
    pub protocol: String,
    /// Sources, as written (`VirtualNetwork`, `*`, prefixes).
    pub source: Vec<String>,
    /// Destinations.
    pub destination: Vec<String>,
    /// Source ports (`*` mostly).
    pub source_ports: Vec<String>,
    /// Destination ports.
    pub ports: Vec<String>,
    /// The field the correction changes.
    pub changed: Field,
}

/// The language a correction is written in: the input's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// A `resource "azurerm_network_security_rule"` or `security_rule {}` block.
    Terraform,
    /// A `securityRules` element of an ARM template.
    Arm,
    /// An `az network nsg rule update` command.
    Az,
}

names!(Language {
    Terraform => "terraform",
    Arm => "arm",
    Az => "az",
});

/// The correction, ready to paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// Its language.
    pub language: Language,
    /// The text, several lines for a block.
    pub text: String,
}

/// One near miss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    /// The flow's row id.
    pub flow: String,
    /// Its index in the evaluation's flows.
    pub index: usize,
    /// How the rule misses.
    pub kind: NearKind,
    /// The rule as written (with its origin, when it comes from code).
    pub rule: RuleRef,
    /// "rule AllowManagement (110) allows TCP 3433 — did you mean 3443?"
    pub says: String,
    /// The rule as it should read.
    pub fixed: FixedRule,
    /// The rule as it should read, in the input's language.
    pub suggestion: Suggestion,
}

/// What the search needs besides the rules.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The cloud (regional tag spellings).
    pub cloud: Cloud,
    /// The instance's region, lowercase.
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree_with_serde() {
        crate::names::assert_serde_agrees(NearKind::ALL, |v| v.as_str());
        crate::names::assert_serde_agrees(Field::ALL, |v| v.as_str());
        crate::names::assert_serde_agrees(Language::ALL, |v| v.as_str());
    }
}
