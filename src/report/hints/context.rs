//! What a hint may know beyond its result, and the shape of a line of the table.

use crate::catalog::model::Cloud;
use crate::report::fix::Fix;
use crate::report::model::ResultEntry;

/// What a hint may know beyond the result.
#[derive(Debug, Clone, Default)]
pub struct HintContext {
    /// The cloud, for the spelling of regional tags.
    pub cloud: Cloud,
    /// The region, lowercase, when known.
    pub region: Option<String>,
    /// The NSG rule an export computed for a row (`id port transport` → the fix), with its NSG,
    /// resource group and a free priority.
    pub nsg_fixes: std::collections::BTreeMap<String, Fix>,
}

impl HintContext {
    /// The key of a row in [`HintContext::nsg_fixes`].
    pub fn key(r: &ResultEntry) -> String {
        format!(
            "{} {} {}",
            r.spec.id,
            r.spec.port.map_or("*".to_owned(), |p| p.to_string()),
            r.spec.transport
        )
    }
}

/// One line of the table: when it applies, and what it says and fixes.
pub struct Line {
    /// A short name, for tests and for reading the table.
    pub name: &'static str,
    /// Whether the line applies to a result.
    pub applies: fn(&ResultEntry) -> bool,
    /// The hint and the fix.
    pub says: fn(&ResultEntry, &HintContext) -> (String, Option<Fix>),
}
