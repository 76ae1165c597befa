//! `apim-probe listen`: settings → the sockets to open (`--ports`, or the catalog's `peer` rows)
//! → the listener (`crate::pair::listener`) until `--for` passes or a signal → its summary.
//! Every event is one line on stdout, as text or as JSON (what `check --peer-log` reads).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

use super::signals::stop_signal;
use super::{UsageError, ignore_broken_pipe};
use crate::catalog::model::Direction;
use crate::cli::{ListFormat, ListenArgs};
use crate::exit;
use crate::pair::listener::{self, Emit, Socket};
use crate::pair::log::{Event, Handling, Line, Received, Summary};
use crate::probe::human;
use crate::settings::{ListenSettings, MAX_SOCKETS};

/// `apim-probe listen`.
pub fn listen(args: &ListenArgs) -> Result<u8, UsageError> {
    let s = ListenSettings::try_from(args)?;
    let sockets = sockets(&s)?;
    // One thread: a handful of sockets, each answered in microseconds; the thread count stays
    // what it is whatever peers send.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(UsageError::Runtime)?;
    if s.output == ListFormat::Table {
        let until = crate::timestamp::rfc3339(
            crate::timestamp::now_unix() + i64::try_from(s.duration.as_secs()).unwrap_or(0),
        );
        say(&format!(
            "apim-probe listen: answering challenges keyed by the {}-byte token until {until} ({}), or Ctrl-C",
            s.token.len(),
            human(s.duration)
        ));
    }
    let emit: Emit = match s.output {
        ListFormat::Json => Arc::new(|line: &Line| {
            say(&serde_json::to_string(line).expect("a log line is JSON"));
        }),
        ListFormat::Table => Arc::new(|line: &Line| say(&text(line))),
    };
    let duration = s.duration;
    let stop = async move {
        tokio::select! {
            () = stop_signal() => "signal",
            () = tokio::time::sleep(duration) => "time",
        }
    };
    let served = runtime.block_on(listener::serve(s.token, s.bind, &sockets, emit, stop));
    if served.is_none() {
        eprintln!("apim-probe: error: could not listen on any of the ports (see above)");
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}

/// One line on stdout, flushed, so `tee` and a log file see each event as it happens.
fn say(line: &str) {
    let mut out = io::stdout().lock();
    ignore_broken_pipe(writeln!(out, "{line}").and_then(|()| out.flush()));
}

/// The sockets to open: `--ports`, or every port of the catalog's `peer` rows in scope.
fn sockets(s: &ListenSettings) -> Result<Vec<Socket>, UsageError> {
    if let Some(ports) = &s.ports {
        return Ok(ports
            .iter()
            .map(|p| Socket {
                port: p.port,
                transport: p.transport,
                ids: Vec::new(),
            })
            .collect());
    }
    // The peer rows are the classic tiers' (the v2 pages name no machine-to-machine ports).
    let catalog = super::catalog_for(
        s.catalog.as_deref(),
        &s.reference,
        s.platform,
        crate::catalog::profile::Profile::Classic,
    )?;
    let mut out: Vec<Socket> = Vec::new();
    let rows = catalog.dependencies.iter().filter(|d| {
        d.direction == Direction::Peer
            && d.skip.is_none()
            && d.platforms.contains(&s.platform)
            && d.vnet.contains(&s.vnet)
    });
    for d in rows {
        for &transport in &d.transport {
            for port in d.ports.iter().flat_map(|p| p.expand()).flatten() {
                let id = d.id.get_ref().clone();
                match out
                    .iter_mut()
                    .find(|s| (s.port, s.transport) == (port, transport))
                {
                    Some(s) if !s.ids.contains(&id) => s.ids.push(id),
                    Some(_) => {}
                    None => out.push(Socket {
                        port,
                        transport,
                        ids: vec![id],
                    }),
                }
            }
        }
    }
    if out.is_empty() || out.len() > MAX_SOCKETS {
        return Err(UsageError::Settings(crate::settings::SettingsError(
            format!(
                "the catalog's peer rows give {} sockets to open: give --ports (at most {MAX_SOCKETS})",
                out.len()
            ),
        )));
    }
    Ok(out)
}

/// One event as a line for people.
fn text(line: &Line) -> String {
    let clock = line.time.get(11..).unwrap_or(&line.time);
    match &line.event {
        Event::Listening {
            transport,
            address,
            ids,
            ..
        } => {
            let rows = if ids.is_empty() {
                String::new()
            } else {
                format!(" ({})", ids.join(", "))
            };
            format!("listening on {} {address}{rows}", upper(*transport))
        }
        Event::BindFailed {
            transport,
            address,
            error,
            ..
        } => format!(
            "cannot listen on {} {address}: {error} (the other ports still listen)",
            upper(*transport)
        ),
        Event::Probe(r) => format!(
            "{clock}  {} {} from {}  {}",
            upper(r.transport),
            r.port,
            r.from,
            handling(r)
        ),
        Event::Summary(s) => summary(s),
        Event::Other => String::new(),
    }
}

fn upper(t: crate::catalog::vocabulary::Transport) -> String {
    t.as_str().to_uppercase()
}

/// What the listener did, in words.
fn handling(r: &Received) -> String {
    let why = r.why.as_deref().unwrap_or("");
    match r.verdict {
        Handling::Answered => "authenticated: proof sent".into(),
        Handling::Replay => {
            "authenticated, but a replay of an answered challenge: not answered".into()
        }
        Handling::RateLimited => "authenticated, over the answer rate: not answered".into(),
        Handling::BadMac if r.transport == crate::catalog::vocabulary::Transport::Tcp => {
            "NOT authenticated: another token (told \"bad MAC\")".into()
        }
        Handling::BadMac => "NOT authenticated: another token (UDP: not answered)".into(),
        Handling::Malformed => format!(
            "NOT authenticated: not a challenge ({why}); first bytes {}",
            r.first_bytes_hex.as_deref().unwrap_or("")
        ),
        Handling::Empty => "NOT authenticated: connected, sent nothing".into(),
        Handling::Busy => "NOT served: too many connections at once".into(),
    }
}

/// The last line: counts per port.
fn summary(s: &Summary) -> String {
    let ended = if s.ended == "time" {
        "--for passed"
    } else {
        "signal"
    };
    let ports: Vec<String> = s
        .ports
        .iter()
        .map(|p| {
            format!(
                "{} {}: {} authenticated, {} other",
                upper(p.transport),
                p.port,
                p.authenticated,
                p.unauthenticated
            )
        })
        .collect();
    let mut out = format!(
        "stopped ({ended}): {} probe(s), {} authenticated; {}",
        s.probes,
        s.authenticated,
        ports.join("; ")
    );
    if s.not_logged > 0 {
        let _ = write!(
            out,
            "; {} unauthenticated probe(s) not logged (rate limit)",
            s.not_logged
        );
    }
    out
}
