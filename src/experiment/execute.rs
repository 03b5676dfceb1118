//! Running an experiment's runs in parallel: rayon over the run list,
//! results collected in run order (so output never depends on the thread
//! count), a callback as each run ends (for a progress bar), and a stop flag
//! for Ctrl-C that lets finished runs be kept.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::experiment::spec::{Experiment, RunId};
use crate::rng;
use crate::run;
use crate::stats::RunMetrics;

/// One finished run: where it sits in the experiment and what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Position in the run list.
    pub index: usize,
    /// Design index.
    pub design: usize,
    /// Point index.
    pub point: usize,
    /// Replication.
    pub replication: u32,
    /// The replication's seed (derived from the experiment seed and the replication).
    pub seed: u64,
    /// What it measured.
    pub metrics: RunMetrics,
}

/// A deterministic slice of the run list: runs with `index % count == index_of_shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let hint = "write the shard as I/N with 0 <= I < N, e.g. --shard 0/4 (Slurm: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)";
        let (i, n) = s.split_once('/').ok_or(hint)?;
        let (index, count) =
            (i.trim().parse::<usize>().map_err(|_| hint)?, n.trim().parse::<usize>().map_err(|_| hint)?);
        if count == 0 || index >= count {
            return Err(format!("shard {s} does not exist: {hint}"));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the run at `index` belongs to this shard. Round robin spreads
    /// the expensive high-load points over all shards.
    pub fn contains(&self, index: usize) -> bool {
        index % self.count == self.index
    }
}

/// A run that did not finish: it panicked, or stopped at a limit
/// (`simulation.max_events`, `max_wall`). results.json lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFailure {
    /// Position in the run list.
    pub index: usize,
    /// Design, point and replication, in words.
    pub run: String,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "run {} ({}) failed: {}", self.index, self.run, self.message)
    }
}

/// What `execute` did: the finished runs and the failed ones, each in run order.
#[derive(Debug, Default)]
pub struct Executed {
    /// Finished runs.
    pub records: Vec<RunRecord>,
    /// Failed runs.
    pub failures: Vec<RunFailure>,
}

impl FromIterator<Result<RunRecord, RunFailure>> for Executed {
    /// Sorts outcomes, in run order, into finished and failed runs.
    fn from_iter<I: IntoIterator<Item = Result<RunRecord, RunFailure>>>(outcomes: I) -> Self {
        let mut done = Executed::default();
        for outcome in outcomes {
            match outcome {
                Ok(record) => done.records.push(record),
                Err(failure) => done.failures.push(failure),
            }
        }
        done
    }
}

/// "design `d`, point path = value, replication r".
pub fn describe(exp: &Experiment, run: &RunId) -> String {
    let point: Vec<String> = exp
        .axes
        .iter()
        .zip(&exp.points[run.point])
        .map(|(axis, &v)| format!("{} = {}", axis.path, axis.values[v]))
        .collect();
    let point = if point.is_empty() { String::new() } else { format!(", point {}", point.join(", ")) };
    format!("design `{}`{point}, replication {}", exp.designs[run.design].name, run.replication)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!("the simulation panicked ({text}); this is a bug in capsim, please report it with the model")
}

/// Runs `runs` of `exp` in parallel and returns the finished and the failed
/// ones in run order. A failure does not stop the others unless `fail_fast`
/// (which sets `stop`). Runs not yet started when `stop` is set are skipped.
/// `progress` is called as each run ends (the command line's progress bar).
pub fn execute(
    exp: &Experiment,
    runs: &[RunId],
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    fail_fast: bool,
) -> Executed {
    let outcomes = simulate_all(
        runs,
        |run| measure(&exp.networks[run.design][run.point], run.replication),
        progress,
        stop,
        fail_fast,
    );
    let record = |run: &RunId, outcome: Result<RunMetrics, String>| match outcome {
        Ok(metrics) => Ok(RunRecord {
            index: run.index,
            design: run.design,
            point: run.point,
            replication: run.replication,
            seed: rng::replication_seed(exp.seed, run.replication),
            metrics,
        }),
        Err(message) => Err(RunFailure { index: run.index, run: describe(exp, run), message }),
    };
    runs.iter().zip(outcomes).filter_map(|(run, outcome)| outcome.map(|o| record(run, o))).collect()
}

/// Replication `replication` of `net` reduced to its metrics, or why it
/// stopped early. With `simulation.recovery` the metrics keep the
/// replication's recovery answer, read off its series (timed from its own
/// warm-up, chosen by its pilot when automatic) before the series is dropped.
fn measure(net: &crate::model::Network, replication: u32) -> Result<RunMetrics, String> {
    let (stats, choice) = run::simulate_choosing(net, replication);
    if let Some(reason) = stats.stopped {
        return Err(reason);
    }
    let mut metrics = RunMetrics::new(net, &stats);
    let warmup_s = choice.map_or(net.settings.warmup, |c| c.truncation_s);
    metrics.recovery = crate::stats::run_recovery(net, warmup_s, &stats);
    Ok(metrics)
}

/// The executor every simulation of an experiment goes through: `simulate`
/// on each item in parallel, outcomes in item order (so nothing depends on
/// the thread count). A panic becomes an error naming it a bug; an error
/// sets `stop` when `fail_fast`; items not started once `stop` is set are
/// `None`.
pub(crate) fn simulate_all<T: Sync, R: Send>(
    items: &[T],
    simulate: impl Fn(&T) -> Result<R, String> + Sync,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    fail_fast: bool,
) -> Vec<Option<Result<R, String>>> {
    items
        .par_iter()
        .map(|item| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| simulate(item)))
                .unwrap_or_else(|payload| Err(panic_message(payload.as_ref())));
            if outcome.is_err() && fail_fast {
                stop.store(true, Ordering::Relaxed);
            }
            progress();
            Some(outcome)
        })
        .collect()
}

/// Why [`simulate_networks`] did not finish every run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unfinished {
    /// Stopped (Ctrl-C): so many of so many runs finished.
    #[error("interrupted: {done} of {total} runs finished")]
    Interrupted {
        /// Runs finished.
        done: usize,
        /// Runs in all.
        total: usize,
    },
    /// A run failed (a limit, or a bug); the message names the network and replication.
    #[error("{0}")]
    Failed(String),
}

/// Every replication of every network of `nets` through `simulate_all`
/// (one queue for all, failing fast), each network's runs in replication
/// order. Replication `r` of every network uses the same seed (each
/// network's own `simulation.seed`): when the seeds agree, the networks
/// see common random numbers. `name` says which network a failure was in.
pub fn simulate_networks(
    nets: &[crate::model::Network],
    name: &(dyn Fn(usize) -> String + Sync),
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<Vec<Vec<RunMetrics>>, Unfinished> {
    let items: Vec<(usize, u32)> =
        nets.iter().enumerate().flat_map(|(i, n)| (0..n.settings.replications).map(move |r| (i, r))).collect();
    let outcomes = simulate_all(&items, |&(i, r)| measure(&nets[i], r), progress, stop, true);
    if let Some((&(i, r), reason)) =
        items.iter().zip(&outcomes).find_map(|(item, o)| o.as_ref().and_then(|o| o.as_ref().err()).map(|e| (item, e)))
    {
        return Err(Unfinished::Failed(format!("the run of {}, replication {r}, failed: {reason}", name(i))));
    }
    let done = outcomes.iter().filter(|o| o.is_some()).count();
    if done < items.len() {
        return Err(Unfinished::Interrupted { done, total: items.len() });
    }
    let mut per_net: Vec<Vec<RunMetrics>> = vec![Vec::new(); nets.len()];
    for (&(i, _), outcome) in items.iter().zip(outcomes) {
        if let Some(Ok(m)) = outcome {
            per_net[i].push(m);
        }
    }
    Ok(per_net)
}
