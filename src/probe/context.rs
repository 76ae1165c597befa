//! Where a probe goes and what it may use: the same two arguments for every check kind.

use std::sync::Arc;
use std::time::Duration;

use super::resolve::Dns;
use super::trust::Trust;
use crate::catalog::model::Transport;
use crate::pair::Token;

/// Where a probe goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address literal.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport.
    pub transport: Transport,
    /// For `http`: the path to ask for (`/` when `None`).
    pub path: Option<String>,
    /// Whether the host must resolve to an address of the VNet (see `probe::private`).
    pub private_address: bool,
}

/// What every probe may use: the run's resolver and its limits.
#[derive(Clone)]
pub struct Context {
    /// The run's resolver (shared answers per host).
    pub dns: Arc<Dns>,
    /// The per-probe limit, for details ("within 5s").
    pub timeout: Duration,
    /// Trust store and expected issuers for `tls` (and TLS-wrapped) checks.
    pub trust: Arc<Trust>,
    /// Clock offset above which the `ntp` check adds a warning.
    pub max_clock_skew: Duration,
    /// The pair's token, for `peer` checks (`check --peer`); `None` otherwise.
    pub pair_token: Option<Arc<Token>>,
    /// The address ranges that count as the VNet's, for rows whose host must resolve to a
    /// private address (`probe::private`).
    pub vnet_ranges: Arc<Vec<ipnet::IpNet>>,
}
