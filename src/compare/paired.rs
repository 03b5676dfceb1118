//! The statistics of a paired comparison. Replication r of the baseline
//! and of a variant draw the same random numbers (common random numbers),
//! so their difference cancels most of the noise both share: the interval
//! of the difference comes from the per-replication differences (Student
//! t with n - 1 degrees of freedom), not from two independent intervals.

use serde::{Deserialize, Serialize};

use crate::stats::{Estimate, student_t_quantile};

/// Power of the "replications needed" answer: the chance that a true
/// difference of the asked size comes out significant.
pub const POWER: f64 = 0.8;

/// Replications needed beyond this are reported as not worth running.
const MOST_REPLICATIONS: u32 = 10_000_000;

/// A variant against the baseline on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// The baseline's mean over replications, with its interval.
    pub baseline: Estimate,
    /// The variant's.
    pub variant: Estimate,
    /// Variant minus baseline: the mean of the per-replication differences
    /// and its 95% interval.
    pub difference: Estimate,
    /// The difference over the baseline's mean (NaN when that is 0).
    #[serde(with = "crate::stats::nan_as_null")]
    pub relative: f64,
    /// The difference's interval over the baseline's mean.
    #[serde(with = "crate::stats::nan_as_null")]
    pub relative_low: f64,
    /// Upper end of it.
    #[serde(with = "crate::stats::nan_as_null")]
    pub relative_high: f64,
    /// Whether the 95% interval of the difference excludes zero.
    pub significant: bool,
    /// The difference the user asked to detect, in the metric's unit.
    #[serde(with = "crate::stats::nan_as_null")]
    pub detect: f64,
    /// Replications (pairs) that would find a true difference of `detect`
    /// significant with probability [`POWER`]; `None` without a spread to
    /// go by (one pair, or every pair differing by the same amount).
    pub replications_needed: Option<u32>,
    /// Replications where both measured the metric.
    pub pairs: usize,
}

/// The size of difference to detect: a share of the baseline's value or an
/// amount in the metric's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detect {
    /// A fraction of the baseline's mean (0.05: 5%).
    Relative(f64),
    /// An amount in the metric's unit (seconds, per second, fraction, dollars).
    Absolute(f64),
}

impl Detect {
    /// The amount for a baseline whose mean is `baseline`.
    pub fn amount(self, baseline: f64) -> f64 {
        match self {
            Detect::Relative(f) => f * baseline.abs(),
            Detect::Absolute(a) => a.abs(),
        }
    }
}

/// Compares `variant` with `baseline`, replication by replication (pairs
/// where either is NaN are left out).
pub fn paired(baseline: &[f64], variant: &[f64], detect: Detect) -> Paired {
    let pairs: Vec<(f64, f64)> =
        baseline.iter().zip(variant).map(|(&b, &v)| (b, v)).filter(|(b, v)| b.is_finite() && v.is_finite()).collect();
    let base: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let var: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let diffs: Vec<f64> = pairs.iter().map(|(b, v)| v - b).collect();
    let b = Estimate::from_samples(&base);
    let difference = Estimate::from_samples(&diffs);
    let scale = if b.value != 0.0 { b.value.abs() } else { f64::NAN };
    let half = difference.ci95;
    let significant = half.is_some_and(|h| difference.value.abs() > h);
    let amount = detect.amount(b.value);
    Paired {
        baseline: b,
        variant: Estimate::from_samples(&var),
        difference,
        relative: difference.value / scale,
        relative_low: half.map_or(f64::NAN, |h| (difference.value - h) / scale),
        relative_high: half.map_or(f64::NAN, |h| (difference.value + h) / scale),
        significant,
        detect: amount,
        replications_needed: replications_needed(&diffs, amount),
        pairs: diffs.len(),
    }
}

/// The sample standard deviation of `x` (`None` below two values).
fn sd(x: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    Some((x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt())
}

/// The fewest pairs n >= 2 such that a true difference `delta` lies beyond
/// the 95% interval's half-width with probability [`POWER`], given the
/// spread of the differences seen: `t(0.975, n-1) + t(POWER, n-1) <= delta
/// sqrt(n) / s` (the usual sample-size rule for a paired t test).
pub fn replications_needed(diffs: &[f64], delta: f64) -> Option<u32> {
    let s = sd(diffs)?;
    if s.is_nan() || s <= 0.0 || delta.is_nan() || delta <= 0.0 || !delta.is_finite() {
        return None;
    }
    let fits = |n: u32| {
        let dof = (n - 1) as usize;
        student_t_quantile(0.975, dof) + student_t_quantile(POWER, dof) <= delta * f64::from(n).sqrt() / s
    };
    // The normal approximation is a lower bound; t's heavier tails ask a few more.
    let z = 1.959_963_984_540_054 + 0.841_621_233_572_914_3;
    let start = ((z * s / delta).powi(2)).floor();
    if start >= f64::from(MOST_REPLICATIONS) {
        return Some(MOST_REPLICATIONS);
    }
    let mut n = (start as u32).max(2);
    while !fits(n) {
        n += 1;
        if n >= MOST_REPLICATIONS {
            return Some(MOST_REPLICATIONS);
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_shift_is_significant_with_no_spread() {
        let p = paired(&[1.0, 2.0, 3.0], &[1.5, 2.5, 3.5], Detect::Relative(0.05));
        assert_eq!(p.difference.value, 0.5);
        assert_eq!(p.difference.ci95, Some(0.0));
        assert!(p.significant);
        assert_eq!(p.replications_needed, None);
        assert!((p.relative - 0.25).abs() < 1e-12);
    }

    #[test]
    fn the_interval_comes_from_the_differences() {
        let p = paired(&[10.0, 20.0, 30.0, 40.0], &[11.0, 20.0, 31.0, 40.0], Detect::Absolute(0.5));
        let expected = Estimate::from_samples(&[1.0, 0.0, 1.0, 0.0]);
        assert_eq!(p.difference, expected);
        assert!(p.significant == (expected.value > expected.ci95.unwrap()));
        assert_eq!(p.pairs, 4);
    }

    #[test]
    fn replications_needed_meets_its_own_rule() {
        let diffs = [1.0, -1.0, 2.0, 0.0, 0.5];
        let n = replications_needed(&diffs, 0.5).unwrap();
        let s = sd(&diffs).unwrap();
        let lhs = |n: u32| student_t_quantile(0.975, (n - 1) as usize) + student_t_quantile(POWER, (n - 1) as usize);
        assert!(lhs(n) <= 0.5 * f64::from(n).sqrt() / s);
        assert!(lhs(n - 1) > 0.5 * f64::from(n - 1).sqrt() / s);
    }

    #[test]
    fn nan_pairs_are_left_out() {
        let p = paired(&[1.0, f64::NAN, 3.0], &[2.0, 5.0, 4.0], Detect::Relative(0.05));
        assert_eq!(p.pairs, 2);
        assert_eq!(p.difference.value, 1.0);
    }
}
