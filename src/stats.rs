//! Statistics: what one replication measures ([`RunStats`]) and how
//! replications combine into estimates with 95% confidence intervals
//! ([`Estimate`], Student t across replications).

use hdrhistogram::Histogram;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCause {
    /// A full queue turned it away (HTTP 503).
    Rejected,
    /// `max_in_flight` was reached: the model is saturated.
    InFlightCap,
}

impl ErrorCause {
    /// Every cause, in report order.
    pub const ALL: [ErrorCause; 2] = [ErrorCause::Rejected, ErrorCause::InFlightCap];
    /// Number of causes.
    pub const COUNT: usize = Self::ALL.len();

    /// Name used in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::Rejected => "rejected",
            ErrorCause::InFlightCap => "in_flight_cap",
        }
    }
}

/// Largest latency recorded exactly [ns]: 100 hours. Longer ones saturate.
const MAX_LATENCY_NS: u64 = 360_000_000_000_000;

/// A latency histogram in nanoseconds, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3).expect("static bounds are valid")
}

/// One request class in one replication.
#[derive(Debug, Clone)]
pub struct ClassRun {
    /// Requests that arrived in the observation window.
    pub arrivals: u64,
    /// Requests that completed successfully in the window.
    pub completed: u64,
    /// Requests that failed in the window, by cause.
    pub errors: [u64; ErrorCause::COUNT],
    /// Latencies of successful requests [ns].
    pub latency: Histogram<u64>,
    /// Sum of successful latencies [s] (exact mean, unlike the histogram).
    pub latency_sum: f64,
    /// Sum of time in system of all finished requests, failed ones included [s].
    pub sojourn_sum: f64,
    /// Time-average number of this class's requests in the system.
    pub mean_in_system: f64,
}

/// One service in one replication, summed over its instances.
#[derive(Debug, Clone, Default)]
pub struct ServiceRun {
    /// Jobs that reached the service.
    pub arrivals: u64,
    /// Jobs turned away by a full queue.
    pub rejected: u64,
    /// Operation executions finished.
    pub completed: u64,
    /// Jobs that got a thread.
    pub started: u64,
    /// Their total wait for a thread [s].
    pub wait_sum: f64,
    /// Time-average threads held.
    pub mean_busy_threads: f64,
    /// Time-average busy cores.
    pub mean_busy_cores: f64,
    /// Time-average waiting jobs.
    pub mean_queue_len: f64,
}

/// Everything one replication measured.
#[derive(Debug, Clone)]
pub struct RunStats {
    /// Length of the observation window [s].
    pub observed: f64,
    /// Model events processed (arrivals and service completions, warm-up included).
    pub events: u64,
    /// Per class, in model order.
    pub classes: Vec<ClassRun>,
    /// Per service, in model order.
    pub services: Vec<ServiceRun>,
    /// When `max_in_flight` was first reached [s of simulated time], if it was.
    pub cap_hit_at: Option<f64>,
}

/// A point estimate with the half-width of its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Mean over replications.
    pub value: f64,
    /// Half-width of the 95% Student-t interval; `None` with one replication.
    pub ci95: Option<f64>,
}

impl Estimate {
    /// Mean and 95% interval of per-replication values.
    pub fn from_samples(samples: &[f64]) -> Estimate {
        let n = samples.len();
        if n == 0 {
            return Estimate { value: f64::NAN, ci95: None };
        }
        // Summed in replication order: the same bits for any thread count.
        let mean = samples.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate { value: mean, ci95: None };
        }
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = student_t_quantile(0.975, n - 1);
        Estimate { value: mean, ci95: Some(t * (var / n as f64).sqrt()) }
    }

    /// Lower end of the interval (the value itself without one).
    pub fn low(&self) -> f64 {
        self.value - self.ci95.unwrap_or(0.0)
    }

    /// Upper end of the interval.
    pub fn high(&self) -> f64 {
        self.value + self.ci95.unwrap_or(0.0)
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
