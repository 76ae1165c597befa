//! `check --peer-log FILE`: the peer's listener log beside our `peer` results. Each of our
//! challenges carries a fresh nonce that the listener logs, so the log says whether *this*
//! challenge arrived — which tells a request dropped on its way there from an answer lost on its
//! way back (an asymmetric path).
//!
//! The file is read once before probing (a bad file stops the command, naming the line) and again
//! after the probes, so a log that the listener is still writing has our challenges in it.

use std::path::Path;

use super::UsageError;
use crate::catalog::vocabulary::CheckKind;
use crate::pair::log::{self, Event, Line, Listened, Sighting};
use crate::probe::Status;
use crate::probe::facts::ListenerLogFacts;
use crate::probe::outcome::{Warning, WarningKind};
use crate::report::model::{Report, ResultEntry};

/// The most bytes of a log read: far more than a listener writes in a day of legitimate probes.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads the log's lines; an error names the file and the line. A last line without its newline
/// (the listener is writing it) is left out; lines that are not JSON objects of the log are errors.
pub fn read(path: &Path) -> Result<Vec<Line>, String> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| format!("--peer-log {shown}: cannot read it: {e}"))?;
    let mut text = String::new();
    file.take(MAX_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("--peer-log {shown}: cannot read it: {e}"))?;
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    let mut lines = Vec::new();
    for (i, raw) in complete.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let mut line: Line = serde_json::from_str(raw).map_err(|e| {
            format!(
                "--peer-log {shown} line {}: not a line of the listener's JSON log ({e}); run `apim-probe listen -o json` and give what it printed",
                i + 1
            )
        })?;
        tame_line(&mut line);
        lines.push(line);
    }
    Ok(lines)
}

/// The text of a log line that reaches details, made harmless: a log file is only as trustworthy
/// as whoever handed it over, and a terminal obeys control characters.
fn tame_line(line: &mut Line) {
    tame(&mut line.time);
    match &mut line.event {
        Event::Probe(r) => tame(&mut r.from),
        Event::BindFailed { error, .. } => tame(error),
        _ => {}
    }
}

/// Printable ASCII only (anything else becomes `?`), at most 120 characters.
fn tame(s: &mut String) {
    *s = s
        .chars()
        .take(120)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
}

/// Checks before probing that the log can be used.
pub fn check(path: &Path) -> Result<(), UsageError> {
    read(path).map(drop).map_err(UsageError::PeerLog)
}

/// Reads the log again (the listener may have written our challenges since) and adds what it says
/// to each `peer` result; a log that has become unreadable is a report warning.
pub fn attach_file(report: &mut Report, path: &Path) {
    match read(path) {
        Ok(lines) => {
            let now = crate::pair::log::stamp(time::OffsetDateTime::now_utc()).1;
            let started = now - i64::try_from(report.duration_ms).unwrap_or(0);
            for r in &mut report.results {
                attach(r, &lines, started);
            }
        }
        Err(e) => report
            .warnings
            .push(Warning::new(WarningKind::Other, format!("{e}; not used"))),
    }
}

/// Adds the log's word on one result: a fact, and a sentence to the detail. `started` is when the
/// run began, in milliseconds since the epoch.
pub fn attach(r: &mut ResultEntry, lines: &[Line], started: i64) {
    let (Some(port), Some(pair)) = (r.spec.port, r.facts.pair.as_mut()) else {
        return;
    };
    if r.spec.check != CheckKind::Peer {
        return;
    }
    let s = log::find(lines, &pair.nonce, port, r.spec.transport);
    let on = format!("{} {port}", r.spec.transport.as_str().to_uppercase());
    let sentence = sentence(&s, &on, r.status, started);
    let request = s.request.as_ref();
    pair.listener_log = Some(ListenerLogFacts {
        arrived: request.is_some(),
        at: request.map(|(t, _)| t.clone()),
        from: request.map(|(_, x)| x.from.clone()),
        handling: request.map(|(_, x)| x.verdict.as_str().to_owned()),
        listening: s.listened == Listened::Yes,
        others: s.others,
    });
    r.detail = format!("{}; {sentence}", r.detail);
}

/// What the log says, as a clause of the detail.
fn sentence(s: &Sighting, on: &str, status: Status, started: i64) -> String {
    if let Some((at, seen)) = &s.request {
        return match (status, seen.verdict) {
            (Status::Ok, _) => format!("the listener logged it at {at} (from {})", seen.from),
            (_, log::Handling::Answered) => format!(
                "the listener logged our challenge at {at} (from {}) and answered it, but the answer never came back: the return path drops it (an asymmetric route through a firewall/NVA, or an NSG or firewall rule that lets the request in but not the answer out)",
                seen.from
            ),
            (_, handling) => format!(
                "the listener logged our challenge at {at} (from {}) as {handling}",
                seen.from
            ),
        };
    }
    if status == Status::Ok {
        return "the listener's log has no line for this challenge: is it the log of the listener that answered?".into();
    }
    match &s.listened {
        Listened::Failed(e) => format!("the listener's log says it could not listen on {on}: {e}"),
        Listened::No => {
            format!("the listener's log shows no socket on {on}: not among its ports")
        }
        Listened::Yes => match s.stopped {
            Some((ref at, ms)) if ms < started => format!(
                "the listener's log ends at {at}, before this run: give the log written during the run"
            ),
            _ => {
                let others = match &s.last_other {
                    Some((at, x)) => format!(
                        " ({} other probe(s) logged on this port, the last from {} at {at})",
                        s.others, x.from
                    ),
                    None => String::new(),
                };
                format!(
                    "the listener's log has no trace of our challenge on {on}: it never arrived (dropped on the way there){others}"
                )
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::vocabulary::Transport;
    use crate::pair::log::{Handling, Received};

    fn line(ms: i64, event: Event) -> Line {
        Line {
            time: format!("t{ms}"),
            unix_ms: ms,
            event,
        }
    }

    fn listening(port: u16) -> Line {
        line(
            0,
            Event::Listening {
                transport: Transport::Tcp,
                address: format!("0.0.0.0:{port}"),
                port,
                ids: vec![],
            },
        )
    }

    fn probe(ms: i64, nonce: &str) -> Line {
        line(
            ms,
            Event::Probe(Received {
                from: "198.18.0.2:40000".into(),
                port: 6383,
                transport: Transport::Tcp,
                authenticated: true,
                verdict: Handling::Answered,
                nonce: Some(nonce.into()),
                why: None,
                first_bytes_hex: None,
            }),
        )
    }

    fn seen(lines: &[Line], nonce: &str) -> Sighting {
        log::find(lines, nonce, 6383, Transport::Tcp)
    }

    #[test]
    fn an_answer_lost_on_its_way_back_is_named() {
        let lines = [listening(6383), probe(50, "aa")];
        let s = sentence(&seen(&lines, "aa"), "TCP 6383", Status::Timeout, 10);
        assert!(s.contains("logged our challenge at t50"), "{s}");
        assert!(s.contains("never came back"), "{s}");
    }

    #[test]
    fn a_request_dropped_on_its_way_there_is_named() {
        let lines = [listening(6383), probe(50, "bb")];
        let s = sentence(&seen(&lines, "aa"), "TCP 6383", Status::Timeout, 10);
        assert!(s.contains("no trace of our challenge on TCP 6383"), "{s}");
        assert!(s.contains("1 other probe(s)"), "{s}");
        let none = sentence(
            &seen(&[listening(6382)], "aa"),
            "TCP 6383",
            Status::Timeout,
            10,
        );
        assert!(none.contains("not among its ports"), "{none}");
    }

    #[test]
    fn a_log_that_ended_before_the_run_says_so() {
        let stop = line(5, Event::Summary(log::Summary::default()));
        let lines = [listening(6383), stop];
        let s = sentence(&seen(&lines, "aa"), "TCP 6383", Status::Timeout, 10);
        assert!(s.contains("ends at t5, before this run"), "{s}");
    }

    #[test]
    fn a_log_is_read_line_by_line_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("listen.jsonl");
        let good = serde_json::to_string(&probe(1, "aa")).unwrap();
        std::fs::write(&file, format!("{good}\n\n{good}\n{{\"time\":")).unwrap();
        assert_eq!(
            read(&file).unwrap().len(),
            2,
            "the unfinished last line is left out"
        );
        std::fs::write(&file, format!("{good}\nlistening on TCP 0.0.0.0:6380\n")).unwrap();
        let e = read(&file).unwrap_err();
        assert!(
            e.contains("line 2: not a line of the listener's JSON log"),
            "{e}"
        );
        let hostile = good.replace("198.18.0.2:40000", "\\u001b[31mred");
        std::fs::write(&file, format!("{hostile}\n")).unwrap();
        let Event::Probe(r) = &read(&file).unwrap()[0].event else {
            panic!("a probe line");
        };
        assert_eq!(
            r.from, "?[31mred",
            "no control character reaches a terminal"
        );
    }
}
