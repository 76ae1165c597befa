//! The exit codes of the contract, in one place.

/// Every required dependency probed is reachable (optional failures are warnings).
pub const OK: u8 = 0;
/// At least one required dependency failed (with `--strict`: any failure).
pub const FAILED: u8 = 1;
/// Usage, catalog or configuration error: nothing was probed.
pub const USAGE: u8 = 2;
/// Interrupted; a partial report was printed.
pub const INTERRUPTED: u8 = 130;
