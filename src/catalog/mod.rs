//! What APIM needs from the network, as data: loading, validating and expanding the catalog.
//!
//! `probes/*.toml` → [`Catalog`] (validated rows) → [`plan::Plan`] (concrete probes for the
//! user's settings), extended with APIM's own endpoints by [`apim`] when `--dependencies` gives
//! them. Nothing here touches the network or reads the command line.

pub mod apim;
pub mod compare;
pub mod edition_rules;
pub mod edition_view;
pub mod editions;
pub mod embedded;
pub mod hosts;
pub mod load;
pub mod model;
pub mod plan;
pub mod ports;
pub mod profile;
pub mod regions;
pub mod vocabulary;

use std::collections::BTreeMap;

pub use editions::{Edition, Retirement};
pub use load::CatalogError;
pub use model::Dependency;

/// Placeholders every catalog may use without declaring them: `{region}` is filled by
/// `--region`, `{dns_server}` expands to each DNS server in use.
pub const BUILTIN_PLACEHOLDERS: &[&str] = &["region", "dns_server"];

/// A validated catalog: declared placeholders and dependency rows in file order.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Declared placeholders and their help text.
    pub placeholders: BTreeMap<String, String>,
    /// Every row, in the order of the files and of the rows in them.
    pub dependencies: Vec<Dependency>,
    /// The editions of the reference the catalog declares, oldest first.
    pub editions: Vec<Edition>,
    /// Platforms Azure retired.
    pub retired: Vec<Retirement>,
    /// The edition the rows are read as, once `edition_view::select` chose one.
    pub edition: Option<Edition>,
    /// Ids of rows only other editions have, with those editions (`--skip` may name them;
    /// `--only` is told which edition has them).
    pub elsewhere: BTreeMap<String, Vec<String>>,
}
