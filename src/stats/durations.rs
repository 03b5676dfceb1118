//! Waits and residence times: what the kernel counts per service, pool,
//! class at a service and operation ([`DurationCounts`]), and their per-run
//! statistics ([`DurationMetrics`]).
//!
//! The counts use the buckets of a [`super::LatencySketch`] (0.4% to 0.8%
//! wide) rather than the latency histogram's finer ones: there is one per
//! service, pool, operation and class at a service, and eight times fewer
//! buckets keep them in a few kilobytes, grown only as far as the longest
//! duration seen. The bottom bucket (under 8 ns) reads as zero, so a
//! percentile of waits most jobs do not have is 0.
//!
//! A run keeps the statistics, not the counts (a sweep holds every run's
//! metrics until it ends), so percentiles across replications are the mean
//! of the replications' own with a Student-t interval.

use serde::{Deserialize, Serialize};

use super::serde_nan::nan_as_null;
use super::sketch::{MERGE_BITS, midpoint};
use super::tally::{LatencyCounts, MAX_LATENCY_NS};

/// Durations counted in sketch-sized buckets, densely, from zero.
#[derive(Debug, Clone, Default)]
pub struct DurationCounts {
    counts: Vec<u64>,
}

impl DurationCounts {
    /// Counts one duration \[ns\]; longer than 100 hours counts as 100 hours.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        // `| 1` instead of `max(1)`: below 2048 ns the fine buckets are 1 ns
        // wide and eight of them merge, so the low bit never moves a value
        // to another bucket here.
        let index = LatencyCounts::index(ns | 1) >> MERGE_BITS;
        match self.counts.get_mut(index) {
            Some(n) => *n += 1,
            None => self.grow_and_record(index),
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_and_record(&mut self, index: usize) {
        let index = index.min(LatencyCounts::index(MAX_LATENCY_NS) >> MERGE_BITS);
        if index >= self.counts.len() {
            self.counts.resize((index + 1).next_power_of_two().max(256), 0);
        }
        self.counts[index] += 1;
    }

    /// Adds `other`'s durations to these.
    pub fn add(&mut self, other: &DurationCounts) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Durations counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Durations of at least 8 ns (above the bottom bucket): for waits, the
    /// jobs that waited.
    pub fn positive(&self) -> u64 {
        self.counts.iter().skip(1).sum()
    }

    /// Durations \[s\] at ascending `levels` (HdrHistogram's rank rule: the
    /// smallest bucket with at least `q n` durations at or below it, `q n`
    /// rounded, at least 1), each the middle of its bucket, 0 in the bottom
    /// one; NaN when nothing was counted.
    pub fn quantiles<const N: usize>(&self, levels: [f64; N]) -> [f64; N] {
        let mut out = [f64::NAN; N];
        let total = self.count();
        if total == 0 {
            return out;
        }
        let mut below = 0u64;
        let mut buckets = self.counts.iter().enumerate().filter(|(_, n)| **n > 0);
        let mut current = buckets.next();
        for (o, q) in out.iter_mut().zip(levels) {
            let rank = ((q.clamp(0.0, 1.0) * total as f64 + 0.5) as u64).max(1);
            while let Some((i, &n)) = current {
                if below + n >= rank {
                    *o = if i == 0 { 0.0 } else { midpoint(i as u32) };
                    break;
                }
                below += n;
                current = buckets.next();
            }
        }
        out
    }

    /// The largest duration's bucket middle \[s\]; NaN when nothing was counted.
    pub fn max(&self) -> f64 {
        match self.counts.iter().rposition(|&n| n > 0) {
            Some(0) => 0.0,
            Some(i) => midpoint(i as u32),
            None => f64::NAN,
        }
    }
}

/// One kind of duration in one replication \[s\]; NaN when none was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationMetrics {
    /// Mean (exact, not from the buckets).
    #[serde(with = "nan_as_null")]
    pub mean_s: f64,
    /// Median.
    #[serde(with = "nan_as_null")]
    pub p50_s: f64,
    /// 90th percentile.
    #[serde(with = "nan_as_null")]
    pub p90_s: f64,
    /// 95th percentile.
    #[serde(with = "nan_as_null")]
    pub p95_s: f64,
    /// 99th percentile.
    #[serde(with = "nan_as_null")]
    pub p99_s: f64,
    /// 99.9th percentile.
    #[serde(with = "nan_as_null")]
    pub p999_s: f64,
    /// Largest.
    #[serde(with = "nan_as_null")]
    pub max_s: f64,
    /// Durations measured.
    pub count: u64,
}

impl Default for DurationMetrics {
    fn default() -> Self {
        DurationMetrics::new(&DurationCounts::default(), 0.0)
    }
}

impl DurationMetrics {
    /// The statistics of `counts`, whose exact sum is `sum` \[s\].
    pub fn new(counts: &DurationCounts, sum: f64) -> DurationMetrics {
        let [p50_s, p90_s, p95_s, p99_s, p999_s] = counts.quantiles([0.5, 0.9, 0.95, 0.99, 0.999]);
        let count = counts.count();
        DurationMetrics {
            mean_s: if count == 0 { f64::NAN } else { sum / count as f64 },
            p50_s,
            p90_s,
            p95_s,
            p99_s,
            p999_s,
            max_s: counts.max(),
            count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_the_rank_rule_and_zero_stays_zero() {
        let mut c = DurationCounts::default();
        // 60 zero waits, 40 of 1 ms.
        for _ in 0..60 {
            c.record(0);
        }
        for _ in 0..40 {
            c.record(1_000_000);
        }
        let [p50, p60, p61, p99] = c.quantiles([0.5, 0.6, 0.61, 0.99]);
        assert_eq!((p50, p60), (0.0, 0.0));
        // The bucket holding 1 ms is under 0.8% wide.
        assert!((p61 / 1e-3 - 1.0).abs() < 0.008, "{p61}");
        assert_eq!(p61, p99);
        assert_eq!(c.max(), p99);
        assert_eq!(c.count(), 100);
    }

    #[test]
    fn quantiles_of_a_uniform_spread_are_within_a_bucket() {
        let mut c = DurationCounts::default();
        for i in 1..=10_000u64 {
            c.record(i * 1_000); // 1 µs to 10 ms
        }
        let levels = [0.1, 0.5, 0.9, 0.99, 0.999];
        for (q, v) in levels.iter().zip(c.quantiles(levels)) {
            let exact = q * 10_000.0 * 1e-6;
            assert!((v / exact - 1.0).abs() < 0.008, "q {q}: {v} against {exact}");
        }
    }

    #[test]
    fn nothing_counted_is_nan() {
        let m = DurationMetrics::default();
        assert!(m.mean_s.is_nan() && m.p99_s.is_nan() && m.max_s.is_nan());
        assert_eq!(m.count, 0);
    }

    #[test]
    fn durations_past_100_hours_count_as_100_hours() {
        let mut c = DurationCounts::default();
        c.record(u64::MAX);
        assert!((c.max() / 360_000.0 - 1.0).abs() < 0.008);
    }
}
