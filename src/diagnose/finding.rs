//! What a rule is given besides the results, and what it proposes.

/// What a rule may know beyond the results.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The Azure region, lowercase (`westeurope`), for regional service tags.
    pub region: Option<String>,
    /// The cloud, for the spelling of regional tags.
    pub cloud: crate::catalog::model::Cloud,
    /// The DNS servers the run asked (`ip:port`).
    pub dns_servers: Vec<String>,
    /// The NSG rule that blocks each service tag (lowercase), from `--nsg` exports.
    pub blocking: std::collections::BTreeMap<String, String>,
    /// Where the default route sends traffic, from `--routes` exports ("route default-to-fw
    /// sends 0.0.0.0/0 to VirtualAppliance 10.0.0.4").
    pub default_route: Option<String>,
    /// What this machine's kernel says of one address its own stack refused (`ip route get`),
    /// when one was.
    pub local_route: Option<String>,
    /// The requirements checked: advice that only holds for the classic tiers (the control
    /// plane's ApiManagement route) is given only to them.
    pub profile: crate::catalog::profile::Profile,
}

/// A cause a rule proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The kind (`dns_unreachable`, `tag_blocked` …).
    pub cause: &'static str,
    /// One line with the concrete names.
    pub summary: String,
    /// Indices of the results it explains.
    pub explains: Vec<usize>,
    /// The facts it rests on.
    pub evidence: String,
    /// What to change.
    pub fix: String,
    /// Whether it stands with a single result (it names a cause by itself).
    pub decisive: bool,
    /// The changes, with their commands, where the cause has some (an NSG rule, a route).
    pub fixes: Vec<crate::report::fix::Fix>,
}
