//! Running an experiment's runs in parallel: rayon over the run list,
//! results collected in run order (so output never depends on the thread
//! count), a progress bar on terminals, and a stop flag for Ctrl-C that
//! lets finished runs be kept.

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ParallelProgressIterator, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::experiment::spec::{Experiment, RunId};
use crate::kernel;
use crate::rng;
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

/// Runs `runs` of `exp` in parallel and returns the finished ones in run order.
/// Runs not yet started when `stop` is set are skipped.
pub fn execute(exp: &Experiment, runs: &[RunId], show_progress: bool, stop: &AtomicBool) -> Vec<RunRecord> {
    let bar = if show_progress {
        ProgressBar::with_draw_target(Some(runs.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} runs · {elapsed} elapsed · ETA {eta}")
            .expect("static template"),
    );
    let records: Vec<Option<RunRecord>> = runs
        .par_iter()
        .progress_with(bar.clone())
        .map(|run| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let net = &exp.networks[run.design][run.point];
            let stats = kernel::simulate(net, run.replication);
            Some(RunRecord {
                index: run.index,
                design: run.design,
                point: run.point,
                replication: run.replication,
                seed: rng::replication_seed(exp.seed, run.replication),
                metrics: RunMetrics::new(net, &stats),
            })
        })
        .collect();
    bar.finish_and_clear();
    records.into_iter().flatten().collect()
}
