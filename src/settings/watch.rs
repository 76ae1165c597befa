//! `watch`'s own options, validated: the schedule, where to listen, where to log.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{CheckSettings, SettingsError, seconds};
use crate::cli::WatchArgs;

/// Validated settings of `watch`.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// What each run probes, and how.
    pub check: CheckSettings,
    /// From the start of one run to the start of the next.
    pub every: Duration,
    /// Where to serve `/metrics`, `/report` and `/healthz`.
    pub listen: Option<SocketAddr>,
    /// The JSON-lines log of transitions.
    pub log: Option<PathBuf>,
    /// Whether to move each run by a random tenth of `every`.
    pub jitter: bool,
}

impl TryFrom<&WatchArgs> for WatchSettings {
    type Error = SettingsError;
    fn try_from(a: &WatchArgs) -> Result<Self, SettingsError> {
        Ok(Self {
            check: CheckSettings::try_from(&a.check)?,
            every: validate_every(&a.every)?,
            listen: a.listen.as_deref().map(validate_listen).transpose()?,
            log: a.log.clone(),
            jitter: a.jitter,
        })
    }
}

/// `--every`: between 1 second and a day.
fn validate_every(text: &str) -> Result<Duration, SettingsError> {
    let secs = seconds("--every", text)?;
    if !(1.0..=86_400.0).contains(&secs) {
        return Err(SettingsError(format!(
            "--every {text}: must be between 1s and 24h"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `--listen ADDR:PORT` (`[::1]:9469` for IPv6).
fn validate_listen(text: &str) -> Result<SocketAddr, SettingsError> {
    text.trim().parse().map_err(|_| {
        SettingsError(format!(
            "--listen {text}: expected an address and port, e.g. 127.0.0.1:9469 or [::1]:9469"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    #[test_case("5m", Ok(300); "minutes")]
    #[test_case("1h", Ok(3600); "hours")]
    #[test_case("2", Ok(2); "bare seconds")]
    #[test_case("500ms", Err("between 1s and 24h"); "too short")]
    #[test_case("25h", Err("between 1s and 24h"); "too long")]
    #[test_case("soon", Err("expected a duration"); "words")]
    fn every(text: &str, want: Result<u64, &str>) {
        match (validate_every(text), want) {
            (Ok(d), Ok(secs)) => assert_eq!(d.as_secs(), secs),
            (Err(e), Err(msg)) => assert!(e.0.contains(msg), "{e}"),
            (got, want) => panic!("{text}: {got:?}, wanted {want:?}"),
        }
    }

    #[test]
    fn listen() {
        assert_eq!(validate_listen("127.0.0.1:9469").unwrap().port(), 9469);
        assert!(validate_listen("[::1]:9469").unwrap().is_ipv6());
        assert!(
            validate_listen("localhost")
                .unwrap_err()
                .0
                .contains("127.0.0.1:9469")
        );
    }
}
