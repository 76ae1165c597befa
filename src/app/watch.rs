//! `apim-probe watch`: `check`'s steps (`Inputs::load`, `run_until`, `finish`, `save`) on a
//! schedule, the last report published to the HTTP surface (`serve`), and what changed between
//! two runs (`report::transitions`) written to the log. Ctrl-C or SIGTERM ends it with exit 0.

mod log;
mod schedule;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch as channel;

use self::log::EventLog;
use self::schedule::{Schedule, offset};
use super::UsageError;
use super::check::{Inputs, discover, finish, run_until, save};
use super::signals::stop_signal;
use crate::azure::AzureContext;
use crate::cli::WatchArgs;
use crate::exit;
use crate::report::model::Report;
use crate::report::transitions::{self, Event, EventKind};
use crate::runner::Stop;
use crate::serve::{self, Limits, Server, Snapshot};
use crate::settings::WatchSettings;

/// `apim-probe watch`: runs until a signal; exit 0 then, 2 when the options, the inputs, the
/// listening address or the first run's plan are unusable.
pub fn watch(args: &WatchArgs) -> Result<u8, UsageError> {
    let mut w = WatchSettings::try_from(args)?;
    let inputs = Inputs::load(&mut w.check)?;
    let log = EventLog::open(w.log.as_deref(), w.check.quiet).map_err(|e| {
        let path = w
            .log
            .as_deref()
            .unwrap_or_else(|| std::path::Path::new(""))
            .display();
        UsageError::Watch(format!("--log {path}: {e}"))
    })?;
    let listener = w
        .listen
        .map(|addr| {
            serve::bind(addr).map_err(|e| UsageError::Watch(format!("--listen {addr}: {e}")))
        })
        .transpose()?;
    // One thread for the probes, as `check`; the HTTP server has its own (see `serve`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(UsageError::Runtime)?;
    let azure = if w.check.no_imds {
        None
    } else {
        runtime.block_on(discover(&mut w.check))
    };
    let (publish, snapshots) = channel::channel(Arc::new(Snapshot::starting()));
    let server = listener
        .map(|l| Server::spawn(l, snapshots, Limits::default()))
        .transpose()
        .map_err(UsageError::Runtime)?;
    let mut agent = Agent {
        last: baseline(&w),
        w: &w,
        inputs: &inputs,
        azure,
        publish,
        log,
    };
    let ended = runtime.block_on(agent.rounds(server.as_ref().map(Server::addr)));
    drop(agent); // Drops the sender: the server stops.
    if let Some(server) = server {
        server.join();
    }
    ended.map(|()| exit::OK)
}

/// The state kept from one run to the next.
struct Agent<'a> {
    w: &'a WatchSettings,
    inputs: &'a Inputs,
    azure: Option<AzureContext>,
    publish: channel::Sender<Arc<Snapshot>>,
    log: EventLog,
    /// The last completed report: what the next one is compared with.
    last: Option<Report>,
}

impl Agent<'_> {
    /// Runs until a signal; `Err` only when the first run cannot be made.
    async fn rounds(&mut self, listening: Option<std::net::SocketAddr>) -> Result<(), UsageError> {
        let (stop_tx, stopped) = channel::channel(false);
        tokio::spawn(async move {
            stop_signal().await;
            let _ = stop_tx.send(true);
        });
        let every = self.w.every;
        self.log.write(&[Event::agent(
            &crate::timestamp::now(),
            EventKind::Start,
            start_detail(self.w, listening),
        )]);
        let first = Instant::now() + offset(every, self.w.jitter);
        let mut schedule = Schedule::new(first, every);
        let mut next = first;
        let mut runs = 0u64;
        loop {
            if wait_until(next, stopped.clone()).await {
                break;
            }
            let started = Instant::now();
            let stop = stop_or_deadline(stopped.clone(), self.w.check.deadline);
            match run_until(&self.w.check, self.inputs, stop).await {
                Ok(report) if report.interrupted => break,
                Ok(report) => self.completed(report),
                Err(e) if runs == 0 => return Err(e),
                Err(e) => self.failed(&e.to_string()),
            }
            runs += 1;
            let (at, late) = schedule.next(Instant::now(), offset(every, self.w.jitter));
            if let Some(late) = late {
                let took = started.elapsed();
                self.log.write(&[Event::agent(
                    &crate::timestamp::now(),
                    EventKind::Overrun,
                    format!(
                        "the run took {}, longer than --every {}: the next one starts now, {} late",
                        human(took),
                        human(every),
                        human(late)
                    ),
                )]);
            }
            next = at;
        }
        self.log.write(&[Event::agent(
            &crate::timestamp::now(),
            EventKind::Stop,
            format!("stopped by a signal after {runs} runs"),
        )]);
        Ok(())
    }

    /// A run completed: finish the report as `check` does, publish it, log what changed, save it.
    fn completed(&mut self, mut report: Report) {
        report.host.azure.clone_from(&self.azure);
        finish(&mut report, &self.w.check, self.inputs);
        let at = crate::timestamp::now();
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.publish
            .send_replace(Arc::new(Snapshot::completed(&report, unix, &at)));
        self.log
            .write(&transitions::between(self.last.as_ref(), &report, &at));
        save(&report, &self.w.check);
        self.last = Some(report);
    }

    /// A run could not be made: the last report stays served, `/healthz` says so.
    fn failed(&mut self, why: &str) {
        let at = crate::timestamp::now();
        let snap = self.publish.borrow().failed(&at, why);
        self.publish.send_replace(Arc::new(snap));
        self.log
            .write(&[Event::agent(&at, EventKind::RunFailed, why.to_owned())]);
    }
}

/// The report of the previous process (`--report-file`, when it holds one): so that a restart
/// logs only what changed while it was away, not every row again.
fn baseline(w: &WatchSettings) -> Option<Report> {
    let path = w.check.report_file.as_deref()?;
    if !path.exists() {
        return None;
    }
    match super::read_report(path) {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("apim-probe: the previous report is not used: {e}");
            None
        }
    }
}

/// Sleeps until `at`; true when a signal came first.
async fn wait_until(at: Instant, mut stopped: channel::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep_until(at.into()) => {}
        _ = stopped.wait_for(|s| *s) => return true,
    }
    *stopped.borrow()
}

/// What stops one run early: a signal (kept across runs), or `--deadline`.
async fn stop_or_deadline(
    mut stopped: channel::Receiver<bool>,
    deadline: Option<Duration>,
) -> Stop {
    let signal = async move {
        if stopped.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match deadline {
        None => {
            signal.await;
            Stop::Interrupted
        }
        Some(d) => tokio::select! {
            () = signal => Stop::Interrupted,
            () = tokio::time::sleep(d) => Stop::Deadline(d),
        },
    }
}

fn start_detail(w: &WatchSettings, listening: Option<std::net::SocketAddr>) -> String {
    let mut s = format!("every {}", human(w.every));
    if w.jitter {
        let _ = write!(s, " (each run moved by up to {})", human(w.every / 10));
    }
    if let Some(addr) = listening {
        let _ = write!(s, "; metrics on http://{addr}/metrics");
    }
    if let Some(path) = &w.check.report_file {
        let _ = write!(s, "; report in {}", path.display());
    }
    s
}

/// A duration as people write it: `5m`, `1h30m`, `42s`, `1.5s`.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() != 0 && secs < 60 {
        return format!("{:.1}s", d.as_secs_f64());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            let _ = write!(out, "{n}{unit}");
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_people() {
        assert_eq!(human(Duration::from_secs(300)), "5m");
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human(Duration::ZERO), "0s");
    }
}
