//! Automatic warm-up (`simulation.warmup = "auto"`): MSER-5 on the response
//! times of a pilot run.
//!
//! A pilot simulates the observed duration from an empty system, keeping the
//! means of consecutive batches of 5 successful responses (in completion
//! order; larger batches for long runs, so memory stays bounded). MSER
//! (White, 1997) truncates the first `d` batches where the squared standard
//! error of the remaining mean, `sum((x_i - mean)^2) / (n - d)^2`, is
//! smallest, searching the first half of the series only. The run proper
//! then discards that much simulated time and observes the full duration
//! after it. Pilots use random streams of their own (independent of the
//! replications'), so the choice does not select on the data it truncates. A minimum past the first half means the series never settled:
//! the run looks non-stationary, and the summary says so.

use serde::{Deserialize, Serialize};

use crate::kernel::{self, NS, Observer, Time};
use crate::model::Network;
use crate::stats::ErrorCause;

/// Responses per batch to begin with (MSER-5).
const BATCH: u64 = 5;
/// Batches kept at most; beyond, neighbours merge and the batch doubles.
const MAX_BATCHES: usize = 1 << 16;

/// What the automatic warm-up chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmupChoice {
    /// "MSER-5".
    pub method: String,
    /// The truncation: simulated time discarded \[s\].
    pub truncation_s: f64,
    /// Batches truncated, of the batches in the pilot (averaged over replications).
    pub truncated_batches: usize,
    /// Batches in the pilot.
    pub batches: usize,
    /// Responses per batch.
    pub batch_size: u64,
    /// The smallest standard error lay in the second half of the pilot: the
    /// response times never settled (a saturated service or a growing queue).
    pub unsettled: bool,
}

impl WarmupChoice {
    /// The replications' choices as one: truncations and truncated batches
    /// averaged, the pilots' batches at their fewest, unsettled if any
    /// replication's was. `None` when no replication chose.
    pub fn combine(choices: &[WarmupChoice]) -> Option<WarmupChoice> {
        let first = choices.first()?;
        let n = choices.len();
        Some(WarmupChoice {
            method: first.method.clone(),
            truncation_s: choices.iter().map(|c| c.truncation_s).sum::<f64>() / n as f64,
            truncated_batches: (choices.iter().map(|c| c.truncated_batches).sum::<usize>() as f64 / n as f64).round()
                as usize,
            batches: choices.iter().map(|c| c.batches).min().unwrap_or(0),
            batch_size: first.batch_size,
            unsettled: choices.iter().any(|c| c.unsettled),
        })
    }
}

/// Batch means of successful response times, in completion order.
#[derive(Debug, Default)]
pub struct BatchMeans {
    size: u64,
    sum: f64,
    count: u64,
    /// (end of the batch \[s\], mean response \[s\]).
    batches: Vec<(f64, f64)>,
}

impl Observer for BatchMeans {
    fn done(&mut self, now: Time, _job: u32, latency: Time, failure: Option<ErrorCause>) {
        if failure.is_some() {
            return;
        }
        if self.size == 0 {
            self.size = BATCH;
        }
        self.sum += latency as f64 / NS;
        self.count += 1;
        if self.count == self.size {
            self.batches.push((now as f64 / NS, self.sum / self.size as f64));
            self.sum = 0.0;
            self.count = 0;
            if self.batches.len() == MAX_BATCHES {
                // Halve the resolution: pairs become one batch of twice the size.
                self.batches = self.batches.chunks(2).map(|p| (p[1].0, (p[0].1 + p[1].1) / 2.0)).collect();
                self.size *= 2;
            }
        }
    }
}

/// MSER: the truncation `d` (in batches) minimising the squared standard
/// error of the mean of `x[d..]`, over all `d` leaving at least 5 batches;
/// also whether that minimum lies past the first half.
pub fn mser(x: &[f64]) -> (usize, bool) {
    let n = x.len();
    if n < 10 {
        return (0, false);
    }
    // Suffix sums of x and x^2.
    let mut best = (f64::INFINITY, 0);
    let (mut s1, mut s2) = (0.0, 0.0);
    let mut stats = vec![0.0; n];
    for d in (0..n).rev() {
        s1 += x[d];
        s2 += x[d] * x[d];
        let m = (n - d) as f64;
        let sse = (s2 - s1 * s1 / m).max(0.0);
        stats[d] = sse / (m * m);
    }
    for (d, &v) in stats.iter().enumerate().take(n - 5) {
        if v < best.0 {
            best = (v, d);
        }
    }
    let unsettled = best.1 > n / 2;
    if unsettled {
        // Truncate within the first half all the same, at its best point.
        let d = (0..=n / 2).min_by(|&a, &b| stats[a].total_cmp(&stats[b])).unwrap_or(0);
        return (d, true);
    }
    (best.1, false)
}

/// Chooses the warm-up of `net` from pilots of `replications` (run in
/// parallel; the series are averaged batch by batch, as Welch's method does).
pub fn choose(net: &Network, replications: &[u32]) -> WarmupChoice {
    use rayon::prelude::*;
    let mut pilot = net.clone();
    pilot.settings.warmup = 0.0;
    pilot.settings.warmup_auto = false;
    // Pilots draw their own streams (replication numbers counted down from
    // the top): a truncation chosen on the very data it truncates would cut
    // where that data happened to run high, and bias the mean low.
    let series: Vec<BatchMeans> = replications
        .par_iter()
        .map(|&r| kernel::simulate_observed(&pilot, u32::MAX - r, BatchMeans::default()).1)
        .collect();
    // Batches of one size throughout: coarsen the finer series to the coarsest.
    let size = series.iter().map(|s| s.size.max(BATCH)).max().unwrap_or(BATCH);
    let coarse: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            let k = (size / s.size.max(BATCH)) as usize;
            s.batches.chunks_exact(k).map(|c| (c[k - 1].0, c.iter().map(|b| b.1).sum::<f64>() / k as f64)).collect()
        })
        .collect();
    let n = coarse.iter().map(Vec::len).min().unwrap_or(0);
    let mean: Vec<f64> = (0..n).map(|i| coarse.iter().map(|s| s[i].1).sum::<f64>() / coarse.len() as f64).collect();
    let (d, unsettled) = mser(&mean);
    // The end of the last truncated batch, averaged over replications.
    let truncation_s = if d == 0 { 0.0 } else { coarse.iter().map(|s| s[d - 1].0).sum::<f64>() / coarse.len() as f64 };
    WarmupChoice {
        method: format!("MSER-{size}"),
        truncation_s,
        truncated_batches: d,
        batches: n,
        batch_size: size,
        unsettled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mser_cuts_an_initial_transient_and_keeps_a_flat_series() {
        // A ramp of 20 low values, then noise around 10.
        let noise = |i: usize| ((i * 7919) % 13) as f64 / 13.0 - 0.5;
        let ramp: Vec<f64> = (0..200).map(|i| if i < 20 { i as f64 / 2.0 } else { 10.0 + noise(i) }).collect();
        let (d, unsettled) = mser(&ramp);
        assert!((15..=25).contains(&d), "truncation {d}");
        assert!(!unsettled);
        let flat: Vec<f64> = (0..200).map(|i| 10.0 + noise(i)).collect();
        assert!(mser(&flat).0 < 20, "{:?}", mser(&flat));
        // Still growing at the end: unsettled.
        let growing: Vec<f64> = (0..200).map(|i| i as f64).collect();
        assert!(mser(&growing).1);
    }
}
