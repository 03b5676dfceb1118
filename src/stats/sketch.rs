//! Percentiles across replications: each replication's latencies as a
//! compact, mergeable [`LatencySketch`], the pooled percentile as the point
//! estimate and Woodruff's interval with replications as clusters.
//!
//! Why not the mean of the replications' percentiles: at high utilisation a
//! replication's tail is biased low (the long excursions that make the tail
//! are rare in one window), and averaging keeps that bias however many
//! replications run, so a Student-t interval around it does not cover the
//! truth. Pooling the replications' latencies (adding their histograms)
//! estimates the distribution itself, whose percentile is consistent.
//!
//! The interval inverts a confidence interval for the distribution function
//! at the pooled percentile `x`: the fraction `F(x)` of latencies at most
//! `x` is a ratio estimator over independent replications (clusters of
//! correlated latencies), whose variance comes from the spread of the
//! replications' own fractions (Woodruff, 1952; the standard survey-sampling
//! interval for quantiles under cluster sampling). With `se` its standard
//! error and `t` Student's 97.5% point, the interval is
//! `[Q(q - t se), Q(q + t se)]` of the pooled quantile function `Q`:
//! asymmetric, as a tail's uncertainty is. Autocorrelation within a
//! replication widens `se` through the replications' spread, so no batch
//! size has to be chosen. `F(1 - F) / se^2` is the effective sample size:
//! how many independent latencies the replications are worth. Where the
//! replications' own percentiles disagree more than that interval allows
//! (a tail of few excursions), it is widened to sectioning's
//! ([`widened_by_sections`]).

use serde::{Deserialize, Serialize};

use super::estimate::{Estimate, student_t_quantile};
use super::tally::LatencyCounts;

/// Fine HdrHistogram buckets merged into one sketch bucket: 2^3 = 8, so a
/// bucket spans 0.4% to 0.8% of its value (128 to 256 per doubling).
pub(super) const MERGE_BITS: u32 = 3;

/// One replication's successful latencies, counted in log-spaced buckets
/// (index, count), ascending. Sketches add exactly, in any order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LatencySketch {
    buckets: Vec<(u32, u64)>,
}

impl LatencySketch {
    /// A sketch from its buckets, ascending by index.
    pub(super) fn from_buckets(buckets: Vec<(u32, u64)>) -> LatencySketch {
        debug_assert!(buckets.is_sorted_by_key(|b| b.0));
        LatencySketch { buckets }
    }

    /// Latencies counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.1).sum()
    }

    /// Latencies in buckets below `index`, plus `fraction` of those in it.
    fn at_most(&self, index: u32, fraction: f64) -> f64 {
        let mut below = 0;
        for &(i, n) in &self.buckets {
            if i < index {
                below += n;
            } else {
                return below as f64 + if i == index { fraction * n as f64 } else { 0.0 };
            }
        }
        below as f64
    }
}

/// The middle of sketch bucket `index` \[s\].
pub(super) fn midpoint(index: u32) -> f64 {
    let low = LatencyCounts::value((index as usize) << MERGE_BITS);
    let high = LatencyCounts::value(((index as usize) + 1) << MERGE_BITS);
    (low + high) as f64 / 2.0 / 1e9
}

/// The sketches of several replications added up.
#[derive(Debug, Clone)]
pub struct Pooled<'a> {
    runs: Vec<&'a LatencySketch>,
    buckets: Vec<(u32, u64)>,
    total: u64,
}

/// A percentile of the pooled latencies with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PooledPercentile {
    /// The estimate and its 95% interval.
    pub estimate: Estimate,
    /// Independent latencies the replications are worth at this percentile
    /// (`F(1 - F) / se^2`); `None` with one replication or no spread.
    pub effective_samples: Option<f64>,
}

impl<'a> Pooled<'a> {
    /// Adds up the replications' sketches.
    pub fn new(runs: Vec<&'a LatencySketch>) -> Pooled<'a> {
        // Added densely (a few thousand buckets at most), then kept sparse.
        let len = runs.iter().filter_map(|s| s.buckets.last()).map(|b| b.0 as usize + 1).max().unwrap_or(0);
        let mut dense = vec![0u64; len];
        for &(i, n) in runs.iter().flat_map(|s| s.buckets.iter()) {
            dense[i as usize] += n;
        }
        let buckets: Vec<(u32, u64)> =
            dense.into_iter().enumerate().filter(|b| b.1 > 0).map(|(i, n)| (i as u32, n)).collect();
        let total = buckets.iter().map(|b| b.1).sum();
        Pooled { runs, buckets, total }
    }

    /// Latencies counted, all replications.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The bucket holding the `q`-quantile and the share of that bucket
    /// below it (HdrHistogram's rank rule: the smallest value with at least
    /// `q n` latencies at or below it, `q n` rounded, at least 1).
    fn locate(&self, q: f64) -> (u32, f64) {
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64 + 0.5) as u64).max(1);
        let mut below = 0;
        for &(i, n) in &self.buckets {
            if below + n >= rank {
                return (i, (rank - below) as f64 / n as f64);
            }
            below += n;
        }
        let &(i, _) = self.buckets.last().expect("locate is called on a non-empty pool");
        (i, 1.0)
    }

    /// The pooled `q`-quantile \[s\] (NaN when nothing was counted).
    pub fn quantile(&self, q: f64) -> f64 {
        if self.total == 0 { f64::NAN } else { midpoint(self.locate(q).0) }
    }

    /// The `q`-quantile with its 95% interval (see the module docs).
    pub fn percentile(&self, q: f64) -> PooledPercentile {
        if self.total == 0 {
            return PooledPercentile { estimate: Estimate::exact(f64::NAN), effective_samples: None };
        }
        let (index, fraction) = self.locate(q);
        let value = midpoint(index);
        let runs: Vec<&&LatencySketch> = self.runs.iter().filter(|s| s.count() > 0).collect();
        if runs.len() < 2 {
            return PooledPercentile { estimate: Estimate::exact(value), effective_samples: None };
        }
        let at_most: Vec<(f64, f64)> = runs.iter().map(|s| (s.at_most(index, fraction), s.count() as f64)).collect();
        let total: f64 = at_most.iter().map(|r| r.1).sum();
        let f = at_most.iter().map(|r| r.0).sum::<f64>() / total;
        // The ratio estimator's variance from the replications' residuals.
        let r = at_most.len() as f64;
        let residuals: f64 = at_most.iter().map(|(c, n)| (c - f * n).powi(2)).sum();
        let variance = residuals * r / ((r - 1.0) * total * total);
        let se = variance.sqrt();
        let t = student_t_quantile(0.975, at_most.len() - 1);
        let low = self.quantile(q - t * se);
        // Past the last latency seen the interval is open: the largest bucket bounds what is known.
        let high = self.quantile(q + t * se);
        let effective = (variance > 0.0).then(|| f * (1.0 - f) / variance);
        PooledPercentile {
            estimate: Estimate::interval(value, low.min(value), high.max(value)),
            effective_samples: effective,
        }
    }
}

/// `estimate`'s interval widened, where it is narrower, to sectioning's:
/// the pooled value plus or minus Student's t times the standard error of
/// the replications' own percentiles (`per_replication`, NaN where one
/// measured nothing). With few independent excursions in the tail, the
/// replications' fractions can agree by chance and Woodruff's interval
/// comes out too narrow; their percentiles then still disagree, and the
/// union of the two intervals keeps its coverage.
pub(super) fn widened_by_sections(estimate: Estimate, per_replication: &[f64]) -> Estimate {
    let seen: Vec<f64> = per_replication.iter().copied().filter(|x| x.is_finite()).collect();
    if !estimate.is_asymmetric() || seen.len() < 2 {
        return estimate;
    }
    let half = Estimate::from_samples(&seen).ci95.unwrap_or(0.0);
    let value = estimate.value;
    Estimate::interval(value, estimate.low().min(value - half).max(0.0), estimate.high().max(value + half))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{LatencyCounts, latency_histogram};

    fn sketch(latencies_ms: impl IntoIterator<Item = u64>) -> LatencySketch {
        let mut counts = LatencyCounts::default();
        for ms in latencies_ms {
            counts.record(ms * 1_000_000);
        }
        counts.sketch()
    }

    #[test]
    fn a_sketch_reads_the_percentiles_of_the_histogram_it_summarises() {
        let mut counts = LatencyCounts::default();
        let mut h = latency_histogram();
        for i in 1..=100_000u64 {
            let ns = i * i % 7_919_993 + 1;
            counts.record(ns);
            h.record(ns).unwrap();
        }
        let pooled_sketch = counts.sketch();
        let pooled = Pooled::new(vec![&pooled_sketch]);
        for q in [0.5, 0.9, 0.99, 0.999] {
            let exact = h.value_at_quantile(q) as f64 / 1e9;
            assert!(
                (pooled.quantile(q) - exact).abs() <= 0.004 * exact,
                "q {q}: {} against {exact}",
                pooled.quantile(q)
            );
        }
    }

    #[test]
    fn buckets_are_fine_and_add_exactly() {
        let a = sketch(1..=1000);
        assert_eq!(a.count(), 1000);
        let pooled = Pooled::new(vec![&a]);
        // The median of 1..=1000 ms is 500 ms, to within the bucket's 0.4%.
        let p50 = pooled.quantile(0.5);
        assert!((p50 - 0.5).abs() <= 0.5 * 0.004, "{p50}");
        let p99 = pooled.quantile(0.99);
        assert!((p99 - 0.99).abs() <= 0.99 * 0.004, "{p99}");
        // Order does not matter, and counts add.
        let b = sketch(500..=2000);
        let ab = Pooled::new(vec![&a, &b]);
        let ba = Pooled::new(vec![&b, &a]);
        assert_eq!(ab.buckets, ba.buckets);
        assert_eq!(ab.count(), 2501);
    }

    #[test]
    fn identical_replications_give_a_point_interval_and_spread_widens_it() {
        let a = sketch(1..=1000);
        let same = Pooled::new(vec![&a, &a, &a]).percentile(0.9);
        assert_eq!(same.estimate.low(), same.estimate.value);
        assert_eq!(same.estimate.high(), same.estimate.value);
        let (slow, fast) = (sketch(1..=1000), sketch((1..=1000).map(|x| x * 2)));
        let mixed = Pooled::new(vec![&slow, &fast, &slow, &fast]).percentile(0.9);
        assert!(mixed.estimate.low() < mixed.estimate.value && mixed.estimate.value < mixed.estimate.high());
        // Replications that disagree this much are worth few independent samples.
        assert!(mixed.effective_samples.unwrap() < 100.0, "{:?}", mixed.effective_samples);
    }
}
