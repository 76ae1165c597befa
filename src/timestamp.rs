//! Times as the reports write them: RFC 3339, UTC, whole seconds. One formatter for the run's
//! start, certificate validity and anything else a report dates.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the epoch as RFC 3339 (`1970-01-01T00:00:00Z`); `@N` when out of range.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

/// Now, as RFC 3339 (whole seconds, UTC).
pub fn now() -> String {
    rfc3339(OffsetDateTime::now_utc().unix_timestamp())
}

/// Now, in seconds since the epoch.
pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_609_459_200), "2021-01-01T00:00:00Z");
        assert!(now().ends_with('Z'));
    }
}
