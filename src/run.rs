//! Running a model: replications in parallel (rayon), collected in
//! replication order, and combined into a [`Summary`] (the schema, in
//! [`crate::stats`]) whose every mean and percentile carries a 95%
//! confidence interval.

use hdrhistogram::Histogram;
use rayon::prelude::*;

use crate::kernel;
use crate::model::Network;
use crate::stats::{RunMetrics, Series, Summary, latency_histogram, summarise};

/// Results of all replications of one model.
pub struct Outcome {
    /// What the reports show.
    pub summary: Summary,
    /// Each replication's metrics, in replication order.
    pub runs: Vec<RunMetrics>,
    /// Per class, successful latencies of all replications merged \[ns\].
    pub latency: Vec<Histogram<u64>>,
}

impl Outcome {
    /// Model events processed over all replications.
    pub fn events(&self) -> u64 {
        self.runs.iter().map(|r| r.events).sum()
    }
}

/// Simulates every replication of `net` (in parallel) and summarises them.
pub fn run(net: &Network) -> Outcome {
    // An automatic warm-up is chosen by each replication from a pilot of its
    // own, as a sweep's runs choose it, so `run` and `sweep` agree.
    // Each replication is reduced to its metrics, its series and its share of
    // the merged latency histograms as soon as it ends, so memory does not
    // grow with the replications (a histogram is about 330 kB). Rayon's
    // reduce keeps the replications' order; histogram counts add exactly.
    // Histograms are allocated by the first replication an accumulator
    // folds, not by rayon's identity: it makes one per split, and on a busy
    // machine splits can number hundreds (a peak of 170 MB was seen).
    let empty = || Merged { runs: Vec::new(), series: Vec::new(), latency: Vec::new(), choices: Vec::new() };
    // At most a few splits per thread: each split that folds allocates its
    // own histograms.
    let splits = 4 * rayon::current_num_threads();
    let merged = (0..net.settings.replications)
        .into_par_iter()
        .with_min_len((net.settings.replications as usize / splits).max(1))
        .fold(empty, |mut acc, r| {
            let (stats, choice) = simulate_choosing(net, r);
            acc.choices.extend(choice);
            acc.runs.push(RunMetrics::new(net, &stats));
            if acc.latency.is_empty() {
                acc.latency = vec![latency_histogram(); net.classes.len()];
            }
            for (merged, class) in acc.latency.iter_mut().zip(&stats.classes) {
                merged.add(&class.latency).expect("same bounds");
            }
            acc.series.extend(stats.series);
            acc
        })
        .reduce(empty, |mut a, b| {
            a.runs.extend(b.runs);
            a.series.extend(b.series);
            a.choices.extend(b.choices);
            if a.latency.is_empty() {
                a.latency = b.latency;
            } else {
                for (x, y) in a.latency.iter_mut().zip(&b.latency) {
                    x.add(y).expect("same bounds");
                }
            }
            a
        });
    let Merged { runs, series, mut latency, choices } = merged;
    if latency.is_empty() {
        latency = vec![latency_histogram(); net.classes.len()];
    }
    let mut summary = summarise(net, &runs);
    if let Some(choice) = crate::warmup::WarmupChoice::combine(&choices) {
        summary.warmup_s = choice.truncation_s;
        if choice.unsettled {
            summary.warnings.push(format!(
                "the automatic warm-up found no point where the response times settle ({} found its smallest standard error in the second half of the pilot run): the run looks non-stationary, so its means depend on its length. Check the utilisation column, or run longer",
                choice.method
            ));
        }
        summary.warmup_auto = Some(choice);
    }
    summary.series = Series::mean(&series.iter().collect::<Vec<_>>());
    if let Some(r) = &net.settings.recovery {
        let answer = crate::stats::summarise_recovery(r, summary.warmup_s, &series);
        if answer.recovered < answer.replications {
            summary.warnings.push(format!(
                "{} of {} replications stayed degraded after the trigger ended at {} s: the {} never held within {}% of its pre-trigger level for {} s (a metastable failure if the load that keeps it there is the system's own: retries, timeouts)",
                answer.replications - answer.recovered,
                answer.replications,
                r.end,
                answer.metric,
                r.within * 100.0,
                r.hold
            ));
        }
        summary.recovery = Some(answer);
    }
    Outcome { summary, runs, latency }
}

/// Replications reduced so far: metrics and series in replication order,
/// successful latencies per class merged.
struct Merged {
    runs: Vec<RunMetrics>,
    series: Vec<Series>,
    latency: Vec<Histogram<u64>>,
    choices: Vec<crate::warmup::WarmupChoice>,
}

/// Simulates replication `replication` of `net`; with `simulation.warmup =
/// "auto"`, after choosing its warm-up from a pilot of its own, returned
/// too. `run` and `sweep` both go through here, so the same model and seed
/// give the same numbers through either.
pub fn simulate_choosing(
    net: &Network,
    replication: u32,
) -> (crate::stats::RunStats, Option<crate::warmup::WarmupChoice>) {
    if !net.settings.warmup_auto {
        return (kernel::simulate(net, replication), None);
    }
    let choice = crate::warmup::choose(net, &[replication]);
    let mut n = net.clone();
    n.settings.warmup = choice.truncation_s;
    n.settings.warmup_auto = false;
    (kernel::simulate(&n, replication), Some(choice))
}
