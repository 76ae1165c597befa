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
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut results: Vec<Option<Outcome>> = vec![None; plan.probes.len()];
    let mut tasks = JoinSet::new();
    let mut index_of = HashMap::new();
    for (i, p) in plan.probes.iter().enumerate() {
        let Some(target) = target_of(p) else {
            results[i] = Some(Outcome::skipped(
                p.skip.clone().unwrap_or_else(|| "nothing to probe".into()),
            ));
            continue;
        };
        let (ctx, slots, check) = (ctx.clone(), Arc::clone(&slots), p.check);
        let handle = tasks.spawn(async move {
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
        index_of.insert(handle.id(), i);
    }
    let mut stopped = None;
    // Counted, not recounted from `results` at each completion: that was O(n²), a sixth of the
    // CPU time of a 10,000-probe run.
    let mut done = results.iter().filter(|r| r.is_some()).count();
    tokio::pin!(stop);
    loop {
        let joined = tokio::select! {
            joined = tasks.join_next_with_id() => joined,
            why = &mut stop, if stopped.is_none() => {
                stopped = Some(why);
                tasks.abort_all();
                continue;
            }
        };
        let Some(joined) = joined else { break };
        done += 1;
        on_done(done);
        match joined {
            Ok((id, outcome)) => results[index_of[&id]] = Some(outcome),
            Err(e) if e.is_cancelled() => {}
            Err(e) => {
                let detail = format!("the probe failed inside the tool: {e}");
                results[index_of[&e.id()]] =
                    Some(Outcome::new(Status::Error, Phase::Connect, detail));
            }
        }
    }
    let unfinished = |why: Option<Stop>| match why {
        Some(Stop::Deadline(d)) => Outcome::new(
            Status::Timeout,
            Phase::Connect,
            format!(
                "not finished when the run's --deadline of {} passed",
                probe::human(d)
            ),
        ),
        _ => Outcome::skipped("not finished: the run was interrupted"),
    };
    let outcomes = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| unfinished(stopped)))
        .collect();
    RunResult { outcomes, stopped }
}

fn target_of(p: &Probe) -> Option<Target> {
    if p.skip.is_some() {
        return None;
    }
    Some(Target {
        host: p.host.clone()?,
        port: p.port?,
        transport: p.transport,
    })
}
