//! Estimates across replications: a value with its 95% confidence interval,
//! symmetric (a mean's Student-t interval) or not (a percentile's, see
//! `sketch`).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::serde_nan::nan_as_null;

/// A point estimate with the half-width of its 95% confidence interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Mean over replications (NaN, written as `null`, when nothing was measured).
    #[serde(with = "nan_as_null")]
    pub value: f64,
    /// Half-width of the 95% interval; `None` with one replication. For an
    /// asymmetric interval, the larger of its two sides.
    pub ci95: Option<f64>,
    /// Lower end of an asymmetric interval (percentiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci95_low: Option<f64>,
    /// Upper end of an asymmetric interval (percentiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci95_high: Option<f64>,
}

impl Estimate {
    /// A value known without sampling error, or measured once.
    pub fn exact(value: f64) -> Estimate {
        Estimate { value, ..Estimate::default() }
    }

    /// A value with the asymmetric interval `[low, high]` around it.
    pub fn interval(value: f64, low: f64, high: f64) -> Estimate {
        Estimate { value, ci95: Some((value - low).max(high - value)), ci95_low: Some(low), ci95_high: Some(high) }
    }

    /// Mean and 95% interval of per-replication values.
    pub fn from_samples(samples: &[f64]) -> Estimate {
        let n = samples.len();
        if n == 0 {
            return Estimate::exact(f64::NAN);
        }
        // Summed in replication order: the same bits for any thread count.
        let mean = samples.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate::exact(mean);
        }
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = student_t_quantile(0.975, n - 1);
        Estimate { value: mean, ci95: Some(t * (var / n as f64).sqrt()), ..Estimate::default() }
    }

    /// Lower end of the interval (the value itself without one).
    pub fn low(&self) -> f64 {
        self.ci95_low.unwrap_or(self.value - self.ci95.unwrap_or(0.0))
    }

    /// Upper end of the interval.
    pub fn high(&self) -> f64 {
        self.ci95_high.unwrap_or(self.value + self.ci95.unwrap_or(0.0))
    }

    /// Whether the interval is asymmetric (a percentile's).
    pub fn is_asymmetric(&self) -> bool {
        self.ci95_low.is_some()
    }
}

/// Quantile `p` of Student's t with `dof` degrees of freedom.
pub fn student_t_quantile(p: f64, dof: usize) -> f64 {
    StudentsT::new(0.0, 1.0, dof as f64).expect("dof >= 1 is valid").inverse_cdf(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval_uses_student_t() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0]);
        assert_eq!(e.value, 2.0);
        // s = 1, n = 3, t(0.975, 2) = 4.302653
        assert!((e.ci95.unwrap() - 4.302_652_729_749_464 / 3f64.sqrt()).abs() < 1e-9);
        assert_eq!(Estimate::from_samples(&[5.0]).ci95, None);
    }
}
