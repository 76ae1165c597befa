//! Runs a plan: every probe concurrently under a bound, one deadline each, results in plan order.
//!
//! The runner knows nothing of protocols; it hands each entry to `probe::run`. A probe's deadline
//! starts when it gets a slot, so probes waiting for a slot never time out while queued. A probe
//! that overruns its deadline (it should not) is cut at the deadline plus [`SLACK`] and reported as
//! `timeout`; one that panics is reported as `error`. Either way the run goes on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};

use crate::catalog::plan::{Plan, Probe};
use crate::probe::{self, Context, Outcome, Phase, Status, Target};

/// How long past its deadline a probe may run before the runner cuts it.
pub const SLACK: Duration = Duration::from_millis(100);

/// Why a run stopped before every probe finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C or SIGTERM: unfinished probes are listed as `skipped`.
    Interrupted,
    /// The whole-run `--deadline` passed: unfinished probes are `timeout`, saying so.
    Deadline(Duration),
}

/// What a run produced: one outcome per plan entry, in plan order, and whether it was cut short.
#[derive(Debug)]
pub struct RunResult {
    /// One outcome per entry of the plan, in plan order.
    pub outcomes: Vec<Outcome>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<Stop>,
}

/// Runs every entry of `plan` until done or until `stop` completes. Probes still running then
/// are abandoned, and their entries say why.
pub async fn run(
    plan: &Plan,
    ctx: &Context,
    concurrency: usize,
    stop: impl Future<Output = Stop>,
    on_done: &dyn Fn(usize),
) -> RunResult {
    let mut running = spawn_all(plan, ctx, concurrency);
    let stopped = running.collect(stop, on_done).await;
    let outcomes = running
        .results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| unfinished(stopped)))
        .collect();
    RunResult { outcomes, stopped }
}

/// The probes in flight, and the outcomes so far (plan order).
struct Running {
    tasks: JoinSet<Outcome>,
    index_of: HashMap<tokio::task::Id, usize>,
    results: Vec<Option<Outcome>>,
}

/// Spawns one task per runnable entry (each waits for a slot, then gets its own deadline); the
/// entries the plan skips are finished at once.
fn spawn_all(plan: &Plan, ctx: &Context, concurrency: usize) -> Running {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = Running {
        tasks: JoinSet::new(),
        index_of: HashMap::new(),
        results: vec![None; plan.probes.len()],
    };
    for (i, p) in plan.probes.iter().enumerate() {
        let Some(target) = target_of(p) else {
            running.results[i] = Some(Outcome::skipped(
                p.skip.clone().unwrap_or_else(|| "nothing to probe".into()),
            ));
            continue;
        };
        let (ctx, slots, check) = (ctx.clone(), Arc::clone(&slots), p.check);
        let handle = running.tasks.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore never closed");
            let deadline = Instant::now() + ctx.timeout;
            match timeout_at(deadline + SLACK, probe::run(check, &target, &ctx, deadline)).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome::new(
                    Status::Timeout,
                    Phase::Connect,
                    "the probe did not finish by its deadline",
                ),
            }
        });
        running.index_of.insert(handle.id(), i);
    }
    running
}

impl Running {
    /// Gathers outcomes as probes finish, until all have or `stop` completes (then the rest are
    /// aborted); returns why it stopped early, if it did.
    async fn collect(
        &mut self,
        stop: impl Future<Output = Stop>,
        on_done: &dyn Fn(usize),
    ) -> Option<Stop> {
        let mut stopped = None;
        // Counted, not recounted from `results` at each completion: that was O(n²), a sixth of
        // the CPU time of a 10,000-probe run.
        let mut done = self.results.iter().filter(|r| r.is_some()).count();
        tokio::pin!(stop);
        loop {
            let joined = tokio::select! {
                joined = self.tasks.join_next_with_id() => joined,
                why = &mut stop, if stopped.is_none() => {
                    stopped = Some(why);
                    self.tasks.abort_all();
                    continue;
                }
            };
            let Some(joined) = joined else { break };
            done += 1;
            on_done(done);
            match joined {
                Ok((id, outcome)) => self.results[self.index_of[&id]] = Some(outcome),
                Err(e) if e.is_cancelled() => {}
                Err(e) => {
                    let detail = format!("the probe failed inside the tool: {e}");
                    self.results[self.index_of[&e.id()]] =
                        Some(Outcome::new(Status::Error, Phase::Connect, detail));
                }
            }
        }
        stopped
    }
}

/// The outcome of an entry the run did not finish: `timeout` past `--deadline`, else `skipped`.
fn unfinished(why: Option<Stop>) -> Outcome {
    match why {
        Some(Stop::Deadline(d)) => Outcome::new(
            Status::Timeout,
            Phase::Connect,
            format!(
                "not finished when the run's --deadline of {} passed",
                probe::human(d)
            ),
        ),
        _ => Outcome::skipped("not finished: the run was interrupted"),
    }
}

fn target_of(p: &Probe) -> Option<Target> {
    if p.skip.is_some() {
        return None;
    }
    Some(Target {
        host: p.host.clone()?,
        port: p.port?,
        transport: p.transport,
        path: p.path.clone(),
        private_address: p.private_address,
    })
}
