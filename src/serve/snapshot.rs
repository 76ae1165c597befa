//! What the HTTP surface serves, rendered once per run by the probing loop.

use bytes::Bytes;

use crate::report::json;
use crate::report::metrics::{self, Round};
use crate::report::model::Report;

/// Whether the agent has a report to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// No run has completed yet (the first one is under way).
    Starting,
    /// The last run completed at this time (RFC 3339).
    Completed {
        /// When it finished.
        at: String,
    },
    /// The last run could not be made (the report served is an earlier one, if any).
    Failed {
        /// When it failed.
        at: String,
        /// Why.
        why: String,
    },
}

/// The bodies the server answers with, ready to send.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The Prometheus exposition.
    pub metrics: Bytes,
    /// The last completed run's JSON report.
    pub report: Option<Bytes>,
    /// Whether the last run completed.
    pub health: Health,
}

impl Snapshot {
    /// Before the first run: the build info only.
    pub fn starting() -> Self {
        Self {
            metrics: Bytes::from(metrics::render(None)),
            report: None,
            health: Health::Starting,
        }
    }

    /// After a completed run that finished at `finished_unix` (seconds) / `at` (RFC 3339).
    pub fn completed(report: &Report, finished_unix: f64, at: &str) -> Self {
        let mut json_bytes = Vec::new();
        json::write(report, &mut json_bytes).expect("writing to memory");
        Self {
            metrics: Bytes::from(metrics::render(Some(Round {
                report,
                finished_unix,
            }))),
            report: Some(Bytes::from(json_bytes)),
            health: Health::Completed { at: at.to_owned() },
        }
    }

    /// The same bodies, with the health of a run that failed.
    #[must_use]
    pub fn failed(&self, at: &str, why: &str) -> Self {
        Self {
            health: Health::Failed {
                at: at.to_owned(),
                why: why.to_owned(),
            },
            ..self.clone()
        }
    }
}
