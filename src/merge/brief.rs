//! The fields of a `check` report that the matrix shows, read straight from the bytes: no
//! facts, evidence or timings are built, and no flattened field makes serde buffer a result
//! (1,000 reports of 90 rows are read in a fraction of what the whole model takes). A report
//! that does not fit is read again by the whole model's reader, whose error names the field.

use serde::Deserialize;

use crate::catalog::model::Transport;
use crate::probe::Status;
use crate::report::model::{Cause, Report, Summary};

/// A report, as the matrix reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Brief {
    /// `apim-probe/report/v1`.
    pub schema: String,
    /// When the run started.
    pub started_at: String,
    /// The options of the run.
    pub settings: BriefSettings,
    /// The edition of the VNet reference it was checked against.
    #[serde(default)]
    pub reference: Option<BriefReference>,
    /// The machine.
    pub host: BriefHost,
    /// Counts.
    pub summary: Summary,
    /// The causes the diagnosis names.
    #[serde(default)]
    pub diagnosis: Vec<Cause>,
    /// One per probe.
    pub results: Vec<BriefResult>,
    /// Whether the run was cut short.
    pub interrupted: bool,
}

/// The options that matter here.
#[derive(Debug, Clone, Deserialize)]
pub struct BriefSettings {
    /// `--region`.
    #[serde(default)]
    pub region: Option<String>,
    /// `--strict`.
    #[serde(default)]
    pub strict: bool,
}

/// The edition a report was checked against.
#[derive(Debug, Clone, Deserialize)]
pub struct BriefReference {
    /// `2025-06`.
    pub edition: String,
}

/// The machine.
#[derive(Debug, Clone, Deserialize)]
pub struct BriefHost {
    /// Its host name.
    #[serde(default)]
    pub hostname: String,
    /// What IMDS said.
    #[serde(default)]
    pub azure: Option<BriefAzure>,
}

/// What IMDS said, the part that names the VM.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BriefAzure {
    /// `compute.name`.
    pub name: String,
    /// `compute.location`.
    pub location: String,
    /// The subnets of its interfaces.
    pub subnets: Vec<String>,
}

/// One result.
#[derive(Debug, Clone, Deserialize)]
pub struct BriefResult {
    /// Dependency id.
    pub id: String,
    /// The host probed.
    #[serde(default)]
    pub host: Option<String>,
    /// The port.
    #[serde(default)]
    pub port: Option<u16>,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// Whether the dependency is required.
    pub required: bool,
    /// The verdict.
    pub status: Status,
    /// The reason.
    pub detail: String,
    /// What to change.
    #[serde(default)]
    pub hint: Option<String>,
}

impl Brief {
    /// Whether the verdict passes: no required failure (with `strict`, no failure).
    pub fn passed(&self) -> bool {
        if self.settings.strict {
            self.summary.failed == 0
        } else {
            self.summary.failed_required == 0
        }
    }
}

impl From<&Report> for Brief {
    fn from(r: &Report) -> Self {
        Self {
            schema: r.schema.clone(),
            started_at: r.started_at.clone(),
            settings: BriefSettings {
                region: r.settings.region.clone(),
                strict: r.settings.strict,
            },
            reference: r.reference.as_ref().map(|x| BriefReference {
                edition: x.edition.clone(),
            }),
            host: BriefHost {
                hostname: r.host.hostname.clone(),
                azure: r.host.azure.as_ref().map(|a| BriefAzure {
                    name: a.name.clone(),
                    location: a.location.clone(),
                    subnets: a.subnets.clone(),
                }),
            },
            summary: r.summary,
            diagnosis: r.diagnosis.clone(),
            results: r
                .results
                .iter()
                .map(|e| BriefResult {
                    id: e.spec.id.clone(),
                    host: e.spec.host.clone(),
                    port: e.spec.port,
                    transport: e.spec.transport,
                    required: e.spec.required,
                    status: e.status,
                    detail: e.detail.clone(),
                    hint: e.hint.clone(),
                })
                .collect(),
            interrupted: r.interrupted,
        }
    }
}

/// `host:port/transport`, `*` for a missing host or port, as `ProbeSpec::target` writes it.
pub fn target(host: Option<&str>, port: Option<u16>, transport: Transport) -> String {
    let host = host.unwrap_or("*");
    let port = port.map_or("*".to_owned(), |p| p.to_string());
    if host.contains(':') {
        format!("[{host}]:{port}/{}", transport.as_str())
    } else {
        format!("{host}:{port}/{}", transport.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::ProbeSpec;

    #[test]
    fn the_target_is_written_as_the_report_writes_it() {
        let sample: Report =
            serde_json::from_str(include_str!("../../tests/fixtures/report-sample.json")).unwrap();
        for e in &sample.results {
            let s: &ProbeSpec = &e.spec;
            assert_eq!(target(s.host.as_deref(), s.port, s.transport), e.target());
        }
        assert_eq!(
            target(Some("2001:db8::1"), Some(53), Transport::Udp),
            "[2001:db8::1]:53/udp"
        );
    }

    #[test]
    fn a_brief_reads_what_the_whole_model_reads() {
        let text = include_str!("../../tests/fixtures/report-sample.json");
        let whole: Report = serde_json::from_str(text).unwrap();
        let brief: Brief = serde_json::from_str(text).unwrap();
        let from = Brief::from(&whole);
        assert_eq!(brief.results.len(), from.results.len());
        assert_eq!(brief.passed(), whole.passed());
        assert_eq!(brief.results[1].status, from.results[1].status);
    }
}
