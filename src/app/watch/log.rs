//! Where `watch` says what changed: one JSON line per event in `--log` (appended), and on stdout
//! — JSON lines when stdout is a pipe or the journal, one readable line when it is a terminal,
//! nothing with `-q`.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::report::transitions::{Event, EventKind};

/// The sinks of the events.
#[derive(Debug)]
pub struct EventLog {
    file: Option<File>,
    stdout: Stdout,
}

/// What stdout gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stdout {
    Nothing,
    Json,
    Readable,
}

impl EventLog {
    /// Opens `--log` for appending (created 0600 on Unix; a symlink there is refused, as for the
    /// report file) and decides what stdout gets.
    pub fn open(path: Option<&Path>, quiet: bool) -> io::Result<Self> {
        let file = path
            .map(|p| append_only(&mut OpenOptions::new()).open(p))
            .transpose()?;
        let stdout = if quiet {
            Stdout::Nothing
        } else if io::stdout().is_terminal() {
            Stdout::Readable
        } else {
            Stdout::Json
        };
        Ok(Self { file, stdout })
    }

    /// Writes each event, one line each, flushed at once (a reader tails the file).
    pub fn write(&mut self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let mut json = String::new();
        for e in events {
            json.push_str(&serde_json::to_string(e).expect("events serialise"));
            json.push('\n');
        }
        if let Some(f) = &mut self.file
            && let Err(e) = f.write_all(json.as_bytes())
        {
            eprintln!("apim-probe: cannot write the --log file: {e}");
        }
        let text = match self.stdout {
            Stdout::Nothing => return,
            Stdout::Json => json,
            Stdout::Readable => events.iter().map(|e| readable(e) + "\n").collect(),
        };
        let mut out = io::stdout().lock();
        crate::app::ignore_broken_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()));
    }
}

/// One event for a person: time, what, from → to, detail.
pub fn readable(e: &Event) -> String {
    let state = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
    match (&e.row, e.event) {
        (Some(row), _) => {
            let host = row.host.as_deref().unwrap_or("*");
            let port = row.port.map_or("*".to_owned(), |p| p.to_string());
            format!(
                "{} {} {host}:{port}/{}{} {} → {}: {}",
                e.time,
                row.id,
                row.transport.as_str(),
                if row.required { " (required)" } else { "" },
                state(&e.from),
                state(&e.to),
                e.detail
            )
        }
        (None, EventKind::Cause) => {
            let (sign, cause) = match (&e.from, &e.to) {
                (None, Some(c)) => ("new cause", c),
                (Some(c), _) => ("resolved", c),
                (None, None) => ("cause", &String::new()),
            };
            format!("{} {sign} {cause}: {}", e.time, e.detail)
        }
        (None, kind) => format!("{} {kind}: {}", e.time, e.detail),
    }
}

#[cfg(unix)]
fn append_only(o: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    o.append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
}

#[cfg(not(unix))]
fn append_only(o: &mut OpenOptions) -> &mut OpenOptions {
    o.append(true).create(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::Transport;
    use crate::report::transitions::Row;

    #[test]
    fn readable_lines() {
        let e = Event {
            time: "T".into(),
            event: EventKind::Row,
            row: Some(Row {
                id: "sql".into(),
                host: Some("db.example".into()),
                port: Some(1433),
                transport: Transport::Tcp,
                required: true,
            }),
            from: Some("ok".into()),
            to: Some("timeout".into()),
            detail: "no answer".into(),
        };
        assert_eq!(
            readable(&e),
            "T sql db.example:1433/tcp (required) ok → timeout: no answer"
        );
        let c = Event {
            row: None,
            event: EventKind::Cause,
            from: None,
            to: Some("tag_blocked".into()),
            detail: "Sql".into(),
            ..e.clone()
        };
        assert_eq!(readable(&c), "T new cause tag_blocked: Sql");
        let o = Event::agent("T", EventKind::Overrun, "late".into());
        assert_eq!(readable(&o), "T overrun: late");
    }

    #[test]
    #[cfg(unix)]
    fn appends_privately_and_refuses_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.jsonl");
        for n in 0..2 {
            let mut log = EventLog::open(Some(&path), true).unwrap();
            log.write(&[Event::agent("T", EventKind::Start, format!("run {n}"))]);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(EventLog::open(Some(&link), true).is_err());
    }
}
