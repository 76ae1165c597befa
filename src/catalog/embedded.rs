//! The catalog compiled into the binary.

/// The catalog compiled into the binary: every file of `probes/`, in name order (the order in
/// which `--catalog probes/` reads them, so both give the same plan).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "probes/00-placeholders.toml",
        include_str!("../../probes/00-placeholders.toml"),
    ),
    (
        "probes/05-editions.toml",
        include_str!("../../probes/05-editions.toml"),
    ),
    (
        "probes/10-core.toml",
        include_str!("../../probes/10-core.toml"),
    ),
    (
        "probes/20-monitoring.toml",
        include_str!("../../probes/20-monitoring.toml"),
    ),
    (
        "probes/30-infrastructure.toml",
        include_str!("../../probes/30-infrastructure.toml"),
    ),
    (
        "probes/40-features.toml",
        include_str!("../../probes/40-features.toml"),
    ),
    (
        "probes/50-optional.toml",
        include_str!("../../probes/50-optional.toml"),
    ),
    (
        "probes/60-v2-and-workspaces.toml",
        include_str!("../../probes/60-v2-and-workspaces.toml"),
    ),
    (
        "probes/90-inbound-and-peer.toml",
        include_str!("../../probes/90-inbound-and-peer.toml"),
    ),
];
