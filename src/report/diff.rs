//! `apim-probe diff`: what changed between two JSON reports, as a model and its two writers
//! (table, JSON). Pure functions over [`Report`]s; reading the files is the command's job.
//!
//! Results are matched by their probe: `(id, host, port, transport)`. A result is *failing* when
//! its status is neither `ok` nor `skipped`. Each probe lands in exactly one class:
//!
//! | class | old | new |
//! |---|---|---|
//! | `regressed` | `ok`, `skipped` or absent | failing |
//! | `regressed` | `ok` | `skipped` (no longer probed: coverage lost) |
//! | `fixed` | failing | `ok` |
//! | `changed_reason` | failing | failing for another reason, or `skipped` |
//! | `new` | absent | `ok` or `skipped` |
//! | `gone` | present | absent |
//! | unchanged (counted only) | anything else | |
//!
//! The `detail` text carries timings and addresses, so it is never read at all: two failures
//! differ in reason when their status differs; with the same status, when the phase that decided
//! it differs, when the sender of an ICMP error differs (`facts.icmp.from`), or when the issuer of
//! the presented certificate differs (`facts.tls.issuer`, TLS statuses). Otherwise they are the
//! same.
//!
//! A partial run never passes: the diff fails (exit 1) when a required probe regressed (also
//! from `ok` to `skipped`), when a required probe of the old report is gone from the new one,
//! or when the new report was interrupted.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::model::{Report, ResultEntry};
use crate::catalog::model::Transport;
use crate::probe::outcome::{Evidence, Status};

/// The schema name of the JSON diff.
pub const SCHEMA: &str = "apim-probe/diff/v1";

/// What changed between two reports.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The two reports compared.
    pub reports: Sources,
    /// Was `ok`, `skipped` or absent; now failing.
    pub regressed: Vec<Change>,
    /// Was failing; now `ok`.
    pub fixed: Vec<Change>,
    /// Failing before; failing for another reason now (or no longer probed).
    pub changed_reason: Vec<Change>,
    /// Probes only the new report has, and that do not fail.
    pub new: Vec<Change>,
    /// Probes only the old report has.
    pub gone: Vec<Change>,
    /// Whether the new report was cut short (Ctrl-C): a partial run, never a pass.
    pub new_interrupted: bool,
    /// Counts per class.
    pub counts: Counts,
}

/// Where the two reports come from.
#[derive(Debug, Clone, Serialize)]
pub struct Sources {
    /// The earlier report.
    pub old: Source,
    /// The later report.
    pub new: Source,
}

/// One report compared.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The file, as given.
    pub file: String,
    /// When its run started.
    pub started_at: String,
    /// The edition of the VNet reference it was checked against (none in older reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// One probe whose result changed class.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Dependency id.
    pub id: String,
    /// The host probed.
    pub host: Option<String>,
    /// The port.
    pub port: Option<u16>,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// Whether the dependency is required (in the newer report that has it).
    pub required: bool,
    /// The earlier result, when the old report has this probe.
    pub old: Option<Side>,
    /// The later result, when the new report has this probe.
    pub new: Option<Side>,
    /// Why two failures differ (`changed_reason` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the reports were checked against different editions of the reference and this
    /// probe differs only because of that: which edition has it (`only in 2025-06`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
}

/// One side of a change.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The status.
    pub status: Status,
    /// The detail, as reported.
    pub detail: String,
}

/// How many probes fell in each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Regressed.
    pub regressed: usize,
    /// Regressed and required: these fail the diff (exit 1).
    pub regressed_required: usize,
    /// Fixed.
    pub fixed: usize,
    /// Failing for another reason.
    pub changed_reason: usize,
    /// Only in the new report.
    pub new: usize,
    /// Only in the old report.
    pub gone: usize,
    /// Only in the old report, and required: these fail the diff (exit 1).
    pub gone_required: usize,
    /// In both, same class.
    pub unchanged: usize,
}

/// The probe a result belongs to: `(id, host, port, transport)` (also how `watch` matches rows).
pub type Key<'a> = (&'a str, Option<&'a str>, Option<u16>, Transport);

/// The probe `r` belongs to.
pub fn key(r: &ResultEntry) -> Key<'_> {
    let f = &r.spec;
    (f.id.as_str(), f.host.as_deref(), f.port, f.transport)
}

fn failing(s: Status) -> bool {
    !matches!(s, Status::Ok | Status::Skipped)
}

impl Diff {
    /// Compares `old` (read from `old_file`) with `new`, in the new report's order, then the
    /// probes that are gone in the old report's order.
    pub fn of(old: &Report, old_file: &str, new: &Report, new_file: &str) -> Self {
        let mut by_key: HashMap<Key<'_>, Vec<usize>> = HashMap::new();
        for (i, r) in old.results.iter().enumerate().rev() {
            by_key.entry(key(r)).or_default().push(i);
        }
        let mut matched = vec![false; old.results.len()];
        let mut d = Diff {
            schema: SCHEMA,
            reports: Sources {
                old: Source {
                    file: old_file.to_owned(),
                    started_at: old.started_at.clone(),
                    reference: old.reference.as_ref().map(|x| x.edition.clone()),
                },
                new: Source {
                    file: new_file.to_owned(),
                    started_at: new.started_at.clone(),
                    reference: new.reference.as_ref().map(|x| x.edition.clone()),
                },
            },
            regressed: Vec::new(),
            fixed: Vec::new(),
            changed_reason: Vec::new(),
            new: Vec::new(),
            gone: Vec::new(),
            new_interrupted: new.interrupted,
            counts: Counts::default(),
        };
        for n in &new.results {
            let i = by_key.get_mut(&key(n)).and_then(Vec::pop);
            if let Some(i) = i {
                matched[i] = true;
            }
            d.classify(i.map(|i| &old.results[i]), n);
        }
        for (o, _) in old.results.iter().zip(&matched).filter(|(_, m)| !**m) {
            d.gone.push(change(Some(o), None, o.spec.required, None));
        }
        d.count();
        d
    }

    fn classify(&mut self, old: Option<&ResultEntry>, new: &ResultEntry) {
        let required = new.spec.required;
        let c = |reason| change(old, Some(new), required, reason);
        match old {
            None if failing(new.status) => self.regressed.push(c(None)),
            None => self.new.push(c(None)),
            Some(o) if !failing(o.status) && failing(new.status) => self.regressed.push(c(None)),
            Some(o) if failing(o.status) && new.status == Status::Ok => self.fixed.push(c(None)),
            Some(o) if o.status == Status::Ok && new.status == Status::Skipped => {
                self.regressed.push(c(Some("no longer probed".to_owned())));
            }
            Some(o) if failing(o.status) && new.status == Status::Skipped => {
                self.changed_reason
                    .push(c(Some("no longer probed".to_owned())));
            }
            Some(o) if failing(o.status) => match reason_change(o, new) {
                Some(why) => self.changed_reason.push(c(Some(why))),
                None => self.counts.unchanged += 1,
            },
            Some(_) => self.counts.unchanged += 1,
        }
    }

    /// Counts the classes again (after `diff_editions` marked the changes an edition explains).
    pub fn count(&mut self) {
        self.counts.regressed = self.regressed.len();
        self.counts.regressed_required = self.regressed.iter().filter(|c| c.required).count();
        self.counts.fixed = self.fixed.len();
        self.counts.changed_reason = self.changed_reason.len();
        self.counts.new = self.new.len();
        self.counts.gone = self.gone.len();
        // A required probe that only the old edition had is not a loss of this network.
        self.counts.gone_required = self
            .gone
            .iter()
            .filter(|c| c.required && c.edition.is_none())
            .count();
    }

    /// Whether nothing changed class.
    pub fn is_empty(&self) -> bool {
        let c = self.counts;
        c.regressed + c.fixed + c.changed_reason + c.new + c.gone == 0
    }

    /// The diff's verdict (exit 1): a required probe regressed or is gone, or the new run was
    /// interrupted.
    pub fn failed(&self) -> bool {
        self.counts.regressed_required > 0 || self.counts.gone_required > 0 || self.new_interrupted
    }
}

fn change(
    old: Option<&ResultEntry>,
    new: Option<&ResultEntry>,
    required: bool,
    reason: Option<String>,
) -> Change {
    let r = new.or(old).expect("a change has a side");
    let side = |r: &ResultEntry| Side {
        status: r.status,
        detail: r.detail.clone(),
    };
    Change {
        id: r.spec.id.clone(),
        host: r.spec.host.clone(),
        port: r.spec.port,
        transport: r.spec.transport,
        required,
        old: old.map(side),
        new: new.map(side),
        reason,
        edition: None,
    }
}

/// Why two failures differ, or `None` when they fail the same way (see the module doc).
fn reason_change(old: &ResultEntry, new: &ResultEntry) -> Option<String> {
    if old.status != new.status {
        return Some("status changed".to_owned());
    }
    let phase = |r: &ResultEntry| r.phase.as_str().to_owned();
    let differs = |what: &str, a: Option<String>, b: Option<String>| {
        (a != b).then(|| {
            let show = |s: Option<String>| s.unwrap_or_else(|| "none".to_owned());
            format!("same status; {what} {} → {}", show(a), show(b))
        })
    };
    differs("phase", Some(phase(old)), Some(phase(new)))
        .or_else(|| differs("ICMP from", icmp_sender(old), icmp_sender(new)))
        .or_else(|| differs("issuer", issuer(old), issuer(new)))
}

/// The sender of the ICMP error, from the result's facts.
fn icmp_sender(r: &ResultEntry) -> Option<String> {
    r.facts.icmp.as_ref()?.from.clone()
}

/// The issuer of the presented leaf certificate, for TLS statuses: its whole DN from the recorded
/// chain (reports of every version have it), else the TLS facts' short name.
fn issuer(r: &ResultEntry) -> Option<String> {
    if !matches!(r.status, Status::TlsUntrusted | Status::TlsIntercepted) {
        return None;
    }
    match &r.evidence {
        Some(Evidence::Tls(t)) => t.chain.first().map(|c| c.issuer.clone()),
        _ => r.facts.tls.as_ref().map(|t| t.issuer.clone()),
    }
}

/// Writes the diff as pretty JSON followed by a newline.
pub fn write_json(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    writeln!(out)
}

/// Writes the diff as sections (Regressed, Fixed, Changed, New, Gone; empty ones left out),
/// one line per probe, and a summary line last.
pub fn write_table(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let sections = [
        ("Regressed", &d.regressed),
        ("Fixed", &d.fixed),
        ("Changed", &d.changed_reason),
        ("New", &d.new),
        ("Gone", &d.gone),
    ];
    for (title, changes) in sections.into_iter().filter(|(_, c)| !c.is_empty()) {
        writeln!(out, "{title}")?;
        for c in changes {
            writeln!(out, "  {}", line(c))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(d))
}

/// `id host:port/transport old → new`, then `(required)` and the reason.
pub fn line(c: &Change) -> String {
    let status = |s: &Option<Side>| s.as_ref().map_or("absent", |s| s.status.as_str());
    let host = c.host.as_deref().unwrap_or("*");
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let port = c.port.map_or("*".to_owned(), |p| p.to_string());
    let mut s = format!(
        "{} {host}:{port}/{} {} → {}",
        c.id,
        c.transport.as_str(),
        status(&c.old),
        status(&c.new)
    );
    if c.required {
        s.push_str(" (required)");
    }
    if let Some(why) = &c.reason {
        s.push_str(" — ");
        s.push_str(why);
    }
    if let Some(edition) = &c.edition {
        let _ = write!(s, " [edition: {edition}]");
    }
    s
}

/// The last line: counts, or `no change`; a partial new report says so first.
pub fn summary(d: &Diff) -> String {
    let c = d.counts;
    let mut partial = if d.new_interrupted {
        "the new report is partial (its run was interrupted): ".to_owned()
    } else {
        String::new()
    };
    let (a, b) = (&d.reports.old.reference, &d.reports.new.reference);
    if a != b {
        let name = |x: &Option<String>| x.clone().unwrap_or_else(|| "unnamed".to_owned());
        let marked = [&d.regressed, &d.new, &d.gone]
            .iter()
            .flat_map(|l| l.iter())
            .filter(|c| c.edition.is_some())
            .count();
        let _ = write!(
            partial,
            "checked against different editions of the VNet reference ({} → {}; {marked} marked [edition] differ only because of that): ",
            name(a),
            name(b)
        );
    }
    if d.is_empty() {
        return format!("{partial}no change ({} unchanged)", c.unchanged);
    }
    let gone = if c.gone_required > 0 {
        format!("{} gone ({} required)", c.gone, c.gone_required)
    } else {
        format!("{} gone", c.gone)
    };
    format!(
        "{partial}{} regressed ({} required), {} fixed, {} changed, {} new, {gone}, {} unchanged",
        c.regressed, c.regressed_required, c.fixed, c.changed_reason, c.new, c.unchanged
    )
}
