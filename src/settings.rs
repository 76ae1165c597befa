//! Turning raw flags into validated settings, once. Nothing below this module reads argv or the
//! environment. Each `validate_*` function checks one option and names it in its error.

mod pair;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use pair::{ListenPort, MAX_SOCKETS, PairSettings};

use crate::catalog::model::{Platform, VnetMode};
use crate::cli::{CheckArgs, ListArgs, ListFormat, ListenArgs, OutputFormat, PlanFormat};
use crate::pair::Token;

mod scope;
mod watch;

pub use scope::{ScopeSettings, validate_dns_server, validate_reference};
pub use watch::WatchSettings;

/// The default number of probes in flight: every one of 10,000 endpoints at once, so they finish in
/// about one timeout; capped by the open-file limit (see `crate::limits`).
pub const DEFAULT_CONCURRENCY: usize = 16384;

/// An option that cannot be used; the message names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// Validated settings of `check`.
#[derive(Debug, Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent on/off options of the command line"
)]
pub struct CheckSettings {
    /// What to probe.
    pub scope: ScopeSettings,
    /// Limit for each probe.
    pub timeout: Duration,
    /// Probes in flight at once, when given (the open-file limit may lower it).
    pub concurrency: Option<usize>,
    /// Bound on the whole run.
    pub deadline: Option<Duration>,
    /// Output format.
    pub output: OutputFormat,
    /// Where to write the JSON report too.
    pub report_file: Option<PathBuf>,
    /// Whether optional failures count toward the exit code.
    pub strict: bool,
    /// Clock offset above which NTP adds a warning.
    pub max_clock_skew: Duration,
    /// `--expect-ca` files.
    pub expect_ca: Vec<PathBuf>,
    /// `--no-imds`.
    pub no_imds: bool,
    /// `--dependencies` file.
    pub dependencies: Option<PathBuf>,
    /// `--apim-status` file.
    pub apim_status: Option<PathBuf>,
    /// The exported network configuration (`--nsg`, `--routes`, `--service-tags` …).
    pub network: crate::cli::NetworkArgs,
    /// `-q`.
    pub quiet: bool,
    /// `--redact`.
    pub redact: bool,
    /// Pair mode (`--peer` with its token), when asked for.
    pub pair: Option<PairSettings>,
    /// `--vnet-range`: address ranges of the VNet beyond the private ones.
    pub vnet_ranges: Vec<ipnet::IpNet>,
}

/// Validated settings of `listen`.
#[derive(Debug, Clone)]
pub struct ListenSettings {
    /// The pair's token.
    pub token: Token,
    /// The address to listen on.
    pub bind: IpAddr,
    /// How long to listen.
    pub duration: Duration,
    /// `--ports`, or `None` for the catalog's `peer` rows.
    pub ports: Option<Vec<ListenPort>>,
    /// `--reference`: the edition whose `peer` rows give the default ports.
    pub reference: String,
    /// Platform, VNet mode and catalog: which `peer` rows give the default ports.
    pub platform: Platform,
    /// VNet mode.
    pub vnet: VnetMode,
    /// `--catalog`, or the embedded catalog.
    pub catalog: Option<PathBuf>,
    /// Text lines or JSON lines.
    pub output: ListFormat,
}

/// Validated settings of `list`.
#[derive(Debug, Clone)]
pub struct ListSettings {
    /// What would be probed.
    pub scope: ScopeSettings,
    /// Output format.
    pub output: PlanFormat,
    /// `--dependencies` file.
    pub dependencies: Option<PathBuf>,
    /// `--compare`: the edition to compare `--reference` with, instead of listing the plan.
    pub compare: Option<String>,
    /// `--roots`: list the embedded CA certificates instead of the plan.
    pub roots: bool,
}

impl TryFrom<&CheckArgs> for CheckSettings {
    type Error = SettingsError;
    fn try_from(a: &CheckArgs) -> Result<Self, SettingsError> {
        let pair =
            pair::validate_pair(&a.peer, &a.token, a.peer_log.as_deref()).map_err(SettingsError)?;
        let mut scope = ScopeSettings::try_from(&a.scope)?;
        scope.peers = pair.as_ref().map(|p| p.peers.clone()).unwrap_or_default();
        Ok(Self {
            scope,
            timeout: validate_timeout(&a.timeout)?,
            concurrency: validate_concurrency(a.concurrency)?,
            deadline: a
                .deadline
                .as_deref()
                .map(|d| validate_duration("--deadline", d))
                .transpose()?,
            output: a.output,
            report_file: a.report_file.clone(),
            strict: a.strict,
            max_clock_skew: validate_duration("--max-clock-skew", &a.max_clock_skew)?,
            expect_ca: a.expect_ca.clone(),
            no_imds: a.no_imds,
            dependencies: a.dependencies.clone(),
            apim_status: a.apim_status.clone(),
            network: a.network.clone(),
            quiet: a.quiet,
            redact: a.redact,
            pair,
            vnet_ranges: a
                .vnet_range
                .iter()
                .map(|r| validate_vnet_range(r))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl TryFrom<&ListenArgs> for ListenSettings {
    type Error = SettingsError;
    fn try_from(a: &ListenArgs) -> Result<Self, SettingsError> {
        let token = pair::validate_token(&a.token)
            .map_err(SettingsError)?
            .ok_or_else(|| {
                SettingsError(
                    "listen needs the pair's token: --token-file FILE (at least 16 bytes; the same file goes to the machine that runs check --peer)".into(),
                )
            })?;
        let bind = a.bind.trim().trim_start_matches('[').trim_end_matches(']');
        Ok(Self {
            token,
            bind: bind.parse().map_err(|_| {
                SettingsError(format!(
                    "--bind {}: expected an IP address, e.g. 0.0.0.0 or ::",
                    a.bind
                ))
            })?,
            duration: duration_within("--for", &a.duration, 24 * 3600)?,
            ports: a
                .ports
                .as_deref()
                .map(pair::validate_ports)
                .transpose()
                .map_err(SettingsError)?,
            reference: validate_reference(&a.reference.reference)?,
            platform: a.platform,
            vnet: a.vnet,
            catalog: a.catalog.clone(),
            output: a.output,
        })
    }
}

impl TryFrom<&ListArgs> for ListSettings {
    type Error = SettingsError;
    fn try_from(a: &ListArgs) -> Result<Self, SettingsError> {
        Ok(Self {
            scope: ScopeSettings::try_from(&a.scope)?,
            output: a.output,
            dependencies: a.dependencies.clone(),
            compare: a
                .compare
                .as_deref()
                .map(validate_reference)
                .transpose()
                .map_err(|e| SettingsError(e.0.replace("--reference", "--compare")))?,
            roots: a.roots,
        })
    }
}

/// `--vnet-range`: a CIDR prefix (`20.50.0.0/16`, `2001:db8::/48`).
fn validate_vnet_range(text: &str) -> Result<ipnet::IpNet, SettingsError> {
    text.trim()
        .parse::<ipnet::IpNet>()
        .map(|n| n.trunc())
        .map_err(|_| {
            SettingsError(format!(
                "--vnet-range {text}: expected an address prefix such as 10.1.0.0/16"
            ))
        })
}

/// `3s`, `500ms`, `1.5s`, `2m`; a bare number is seconds. Between 1 ms and 10 minutes.
pub fn validate_timeout(text: &str) -> Result<Duration, SettingsError> {
    validate_duration("--timeout", text)
}

/// A duration option, named in its error.
pub fn validate_duration(option: &str, text: &str) -> Result<Duration, SettingsError> {
    duration_within(option, text, 600)
}

/// A duration option between 1 ms and `max_secs`.
fn duration_within(option: &str, text: &str, max_secs: u32) -> Result<Duration, SettingsError> {
    let secs = seconds(option, text)?;
    if !(0.001..=f64::from(max_secs)).contains(&secs) {
        let max = if max_secs.is_multiple_of(3600) {
            format!("{}h", max_secs / 3600)
        } else {
            format!("{}m", max_secs / 60)
        };
        return Err(SettingsError(format!(
            "{option} {text}: must be between 1ms and {max}"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The number of seconds a duration option says (`500ms`, `5s`, `2m`, `1h`; bare: seconds).
fn seconds(option: &str, text: &str) -> Result<f64, SettingsError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || {
        SettingsError(format!(
            "{option} {text}: expected a duration like 5s, 500ms or 1m"
        ))
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    match unit.trim() {
        "ms" => Ok(n / 1000.0),
        "" | "s" => Ok(n),
        "m" | "min" => Ok(n * 60.0),
        "h" => Ok(n * 3600.0),
        _ => Err(bad()),
    }
}

fn validate_concurrency(n: Option<usize>) -> Result<Option<usize>, SettingsError> {
    match n {
        Some(0) => Err(SettingsError(
            "--concurrency 0: at least one probe must run".into(),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    #[test_case("5s", 5000; "seconds")]
    #[test_case("500ms", 500; "millis")]
    #[test_case("1.5s", 1500; "fraction")]
    #[test_case("2", 2000; "bare number")]
    #[test_case("1m", 60000; "minutes")]
    fn timeouts(text: &str, ms: u128) {
        assert_eq!(validate_timeout(text).unwrap().as_millis(), ms);
    }

    #[test_case("5x", "expected a duration"; "unit")]
    #[test_case("0s", "between 1ms and 10m"; "zero")]
    #[test_case("ms", "expected a duration"; "no number")]
    fn bad_timeouts(text: &str, msg: &str) {
        assert!(validate_timeout(text).unwrap_err().0.contains(msg));
    }
}
