//! What changed from one run of `watch` to the next, as the lines of its log: a pure function of
//! two reports.
//!
//! Rows are matched as `diff` matches them (`(id, host, port, transport)`, [`super::diff::key`]);
//! a row makes a line when its **status** changed (a failure for another reason with the same
//! status is not a transition), when it is new (`from` is null: also every row of the first run,
//! which has nothing before it) or gone (`to` is null). A cause of the diagnosis is known by its
//! `cause` and `summary` (the labels of `apim_probe_cause`, so the log and the metrics agree): one
//! that appears makes a line with `from` null, one that is resolved a line with `to` null.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::diff::{Key, key};
use super::model::{Cause, Report, ResultEntry};
use crate::catalog::model::Transport;
use crate::probe::outcome::Status;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When it was seen (RFC 3339, UTC): the end of the run that saw it.
    pub time: String,
    /// What the line is about.
    pub event: EventKind,
    /// The row whose status changed (`event: row`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<Row>,
    /// Before: the status, or the cause; null when there was none.
    pub from: Option<String>,
    /// Now: the status, or the cause; null when there is none.
    pub to: Option<String>,
    /// The row's detail now (or before, when it is gone), the cause's summary, or what happened.
    pub detail: String,
}

/// What a line of the log is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A row's status changed.
    Row,
    /// A cause of the diagnosis appeared or was resolved.
    Cause,
    /// The agent started (`detail` says how it watches).
    Start,
    /// A run took longer than the interval, so the next one starts late.
    Overrun,
    /// A run could not be made (`detail` says why); the last report stays.
    RunFailed,
    /// The agent stopped (a signal).
    Stop,
}

names!(EventKind {
    Row => "row",
    Cause => "cause",
    Start => "start",
    Overrun => "overrun",
    RunFailed => "run_failed",
    Stop => "stop",
});

/// The row of a transition: the probe's identity, and whether it is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Dependency id.
    pub id: String,
    /// The host probed.
    pub host: Option<String>,
    /// The port.
    pub port: Option<u16>,
    /// `tcp` or `udp`.
    pub transport: Transport,
    /// Whether the dependency is required.
    pub required: bool,
}

impl Event {
    /// A line about the agent itself (start, overrun, a failed run, stop).
    pub fn agent(time: &str, event: EventKind, detail: String) -> Self {
        Self {
            time: time.to_owned(),
            event,
            row: None,
            from: None,
            to: None,
            detail,
        }
    }
}

/// The transitions from `old` (none before the first run) to `new`, seen at `time`: rows in the
/// new report's order, then the rows that are gone, then the causes resolved, then the new ones.
pub fn between(old: Option<&Report>, new: &Report, time: &str) -> Vec<Event> {
    let mut out = rows(old.map_or(&[][..], |o| &o.results), &new.results, time);
    out.extend(causes(
        old.map_or(&[][..], |o| &o.diagnosis),
        &new.diagnosis,
        time,
    ));
    out
}

fn rows(old: &[ResultEntry], new: &[ResultEntry], time: &str) -> Vec<Event> {
    let mut by_key: HashMap<Key<'_>, Vec<usize>> = HashMap::new();
    for (i, r) in old.iter().enumerate().rev() {
        by_key.entry(key(r)).or_default().push(i);
    }
    let mut matched = vec![false; old.len()];
    let mut out = Vec::new();
    for n in new {
        let before = by_key.get_mut(&key(n)).and_then(Vec::pop);
        if let Some(i) = before {
            matched[i] = true;
        }
        let from = before.map(|i| old[i].status);
        if from != Some(n.status) {
            out.push(row_event(
                n,
                from.map(Status::as_str),
                Some(n.status.as_str()),
                time,
            ));
        }
    }
    for (o, _) in old.iter().zip(&matched).filter(|(_, m)| !**m) {
        out.push(row_event(o, Some(o.status.as_str()), None, time));
    }
    out
}

fn row_event(r: &ResultEntry, from: Option<&str>, to: Option<&str>, time: &str) -> Event {
    let s = &r.spec;
    Event {
        time: time.to_owned(),
        event: EventKind::Row,
        row: Some(Row {
            id: s.id.clone(),
            host: s.host.clone(),
            port: s.port,
            transport: s.transport,
            required: s.required,
        }),
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
        detail: if to.is_some() {
            r.detail.clone()
        } else {
            "no longer in the plan".to_owned()
        },
    }
}

fn causes(old: &[Cause], new: &[Cause], time: &str) -> Vec<Event> {
    let id = |c: &Cause| (c.cause.clone(), c.summary.clone());
    let before: HashSet<_> = old.iter().map(id).collect();
    let now: HashSet<_> = new.iter().map(id).collect();
    let event = |c: &Cause, from: Option<String>, to: Option<String>| Event {
        time: time.to_owned(),
        event: EventKind::Cause,
        row: None,
        from,
        to,
        detail: c.summary.clone(),
    };
    let mut out = Vec::new();
    let mut said = HashSet::new();
    for c in old.iter().filter(|c| !now.contains(&id(c))) {
        if said.insert(id(c)) {
            out.push(event(c, Some(c.cause.clone()), None));
        }
    }
    for c in new.iter().filter(|c| !before.contains(&id(c))) {
        if said.insert(id(c)) {
            out.push(event(c, None, Some(c.cause.clone())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        serde_json::from_str(include_str!("../../tests/fixtures/report-sample.json")).unwrap()
    }

    fn cause(c: &str, s: &str) -> Cause {
        Cause {
            cause: c.into(),
            summary: s.into(),
            explains: Vec::new(),
            evidence: String::new(),
            fix: String::new(),
            fixes: Vec::new(),
        }
    }

    #[test]
    fn the_first_run_announces_every_row() {
        let r = sample();
        let events = between(None, &r, "T");
        assert_eq!(events.len(), r.results.len());
        assert!(events.iter().all(|e| e.from.is_none() && e.to.is_some()));
    }

    #[test]
    fn the_same_report_twice_changes_nothing() {
        let r = sample();
        assert_eq!(between(Some(&r), &r, "T"), []);
    }

    #[test]
    fn exactly_the_rows_whose_status_changed() {
        let old = sample();
        let mut new = old.clone();
        new.results[0].status = Status::Timeout;
        new.results[0].detail = "no answer".into();
        new.results[1].detail = "another detail, same status".into();
        new.results[2].status = Status::Ok;
        let events = between(Some(&old), &new, "2026-01-01T00:00:00Z");
        let changed: Vec<_> = events
            .iter()
            .map(|e| {
                let row = e.row.as_ref().unwrap();
                (row.id.as_str(), e.from.as_deref(), e.to.as_deref())
            })
            .collect();
        assert_eq!(
            changed,
            [
                ("azure-storage", Some("ok"), Some("timeout")),
                ("key-vault", Some("dns_failed"), Some("ok")),
            ]
        );
        let line = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(line["event"], "row");
        assert_eq!(line["time"], "2026-01-01T00:00:00Z");
        assert_eq!(line["detail"], "no answer");
        assert_eq!(line["row"]["host"], "apimstv2weu.blob.core.windows.net");
        assert_eq!(line["row"]["port"], 443);
        assert_eq!(line["row"]["transport"], "tcp");
    }

    #[test]
    fn rows_that_come_and_go() {
        let old = sample();
        let mut new = old.clone();
        let gone = new.results.remove(1);
        let mut added = new.results[0].clone();
        added.spec.id = "brand-new".into();
        new.results.push(added);
        let events = between(Some(&old), &new, "T");
        assert_eq!(events.len(), 2, "{events:#?}");
        assert_eq!(events[0].row.as_ref().unwrap().id, "brand-new");
        assert_eq!(events[0].from, None);
        assert_eq!(events[1].row.as_ref().unwrap().id, gone.spec.id);
        assert_eq!(events[1].to, None);
        assert_eq!(events[1].detail, "no longer in the plan");
    }

    #[test]
    fn causes_new_and_resolved() {
        let mut old = sample();
        old.diagnosis = vec![
            cause("dns_unreachable", "10.0.0.4 silent"),
            cause("a", "kept"),
        ];
        let mut new = old.clone();
        new.diagnosis = vec![cause("a", "kept"), cause("tag_blocked", "Sql blocked")];
        let events = between(Some(&old), &new, "T");
        let got: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    e.event,
                    e.from.as_deref(),
                    e.to.as_deref(),
                    e.detail.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    EventKind::Cause,
                    Some("dns_unreachable"),
                    None,
                    "10.0.0.4 silent"
                ),
                (EventKind::Cause, None, Some("tag_blocked"), "Sql blocked"),
            ]
        );
    }

    #[test]
    fn names_agree_with_serde() {
        crate::names::assert_serde_agrees(
            &[
                EventKind::Row,
                EventKind::Cause,
                EventKind::Start,
                EventKind::Overrun,
                EventKind::RunFailed,
                EventKind::Stop,
            ],
            |v| v.as_str(),
        );
    }
}
