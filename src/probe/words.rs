//! How probes write durations in their details: limits (`5s`, `500ms`), the part of a limit a
//! phase really had, and spans for people (`10m 3s`).

use std::time::Duration;

/// A phase that had this much less than the whole limit is said to have had its own share.
const NOTICEABLE: Duration = Duration::from_millis(100);

/// "5s", "500ms": how a limit is written in details.
pub fn human(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// How long a phase waited, honestly: the whole `limit` ("5s") when the phases before it took
/// next to nothing, else what was left ("3.2s, the rest of the 5s timeout").
pub fn within(limit: Duration, budget: Duration) -> String {
    if limit.saturating_sub(budget) < NOTICEABLE {
        human(limit)
    } else {
        format!("{}, the rest of the {} timeout", span(budget), human(limit))
    }
}

/// "10m 3s", "4.2s", "0.3ms": a duration for humans.
pub fn span(d: Duration) -> String {
    // Whole seconds, rounded, above a minute: 599.9995 s is "10m 0s".
    let s = (d + Duration::from_millis(500)).as_secs();
    if s >= 3600 {
        format!("{}h {}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m {}s", s / 60, s % 60)
    } else if d.as_secs() >= 1 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{:.1}ms", d.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_spans() {
        assert_eq!(human(Duration::from_secs(5)), "5s");
        assert_eq!(human(Duration::from_millis(500)), "500ms");
        assert_eq!(span(Duration::from_secs(603)), "10m 3s");
        assert_eq!(span(Duration::from_secs(7260)), "2h 1m");
        assert_eq!(span(Duration::from_millis(4200)), "4.2s");
        assert_eq!(span(Duration::from_micros(300)), "0.3ms");
    }

    #[test]
    fn a_phase_that_had_less_than_the_limit_says_so() {
        let limit = Duration::from_secs(5);
        assert_eq!(within(limit, Duration::from_millis(4950)), "5s");
        assert_eq!(
            within(limit, Duration::from_millis(3200)),
            "3.2s, the rest of the 5s timeout"
        );
    }
}
