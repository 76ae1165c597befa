//! `--reference`, shared by every command that reads the catalog.

use clap::Args;

/// `--reference`: which edition of Microsoft's VNet reference (shared by every catalog command).
#[derive(Debug, Args)]
pub struct ReferenceArg {
    /// The edition of Microsoft's VNet reference to check against: `latest` (the newest this
    /// tool knows) or an edition such as `2025-06`, `2023-11` (`list --compare` shows the changes).
    #[arg(
        long,
        default_value = "latest",
        value_name = "EDITION",
        env = "APIM_PROBE_REFERENCE"
    )]
    pub reference: String,
}
