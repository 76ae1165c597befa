//! The exported network configuration (`az` JSON) that `evaluate` judges offline and `check` puts
//! beside its probes.

use std::path::PathBuf;

use clap::Args;

/// Exported subnet, NSGs, routes and service tags.
#[derive(Debug, Clone, Default, Args)]
pub struct NetworkArgs {
    /// The APIM subnet (`az network vnet subnet show`).
    #[arg(long, value_name = "FILE")]
    pub subnet: Option<PathBuf>,
    /// An NSG (`az network nsg show`, REST, the portal's JSON view, an ARM template); repeatable.
    #[arg(long, value_name = "FILE")]
    pub nsg: Vec<PathBuf>,
    /// Effective rules (`az network nic list-effective-nsg`, PowerShell, or Network Watcher's
    /// `show-security-group-view`); repeatable.
    #[arg(long, value_name = "FILE")]
    pub effective_nsg: Vec<PathBuf>,
    /// The subnet's route table (`az network route-table show`).
    #[arg(long, value_name = "FILE")]
    pub routes: Vec<PathBuf>,
    /// Effective routes (`az network nic show-effective-route-table`).
    #[arg(long, value_name = "FILE")]
    pub effective_routes: Option<PathBuf>,
    /// The service-tag file (the download, or `az network list-service-tags`): CIDR rules and
    /// routes are compared with the tags' real prefixes.
    #[arg(long, value_name = "FILE")]
    pub service_tags: Option<PathBuf>,
}

impl NetworkArgs {
    /// Whether no file was given.
    pub fn is_empty(&self) -> bool {
        self.subnet.is_none()
            && self.nsg.is_empty()
            && self.effective_nsg.is_empty()
            && self.routes.is_empty()
            && self.effective_routes.is_none()
            && self.service_tags.is_none()
    }
}
