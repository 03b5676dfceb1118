//! Percentiles of the wait and the response time of general-service
//! stations (M/G/1, M/G/c), by a standard two-moment approximation: the
//! probability of waiting is exact for M/G/1 (`rho`) and Erlang C for
//! M/G/c, a wait that happens is exponential with the station's mean wait
//! over that probability, and the service time is a gamma with the service's
//! mean and squared coefficient of variation (a point mass when it is 0).
//! Exact for M/M/c; an approximation otherwise, whose tail is right to
//! first order in heavy traffic (the M/G/1 wait is asymptotically
//! exponential). Callers flag it as such.

use statrs::distribution::{ContinuousCDF, Gamma};

use super::{invert_tail, nonneg, positive, quantile_level};

/// Sub-intervals of the convolution integral: fine enough for three
/// significant digits of a percentile.
const STEPS: usize = 2000;

/// The `q`-quantile of the wait: 0 with probability `1 - prob_wait`, else
/// exponential with mean `mean_wait / prob_wait`.
pub fn wait_quantile_approx(prob_wait: f64, mean_wait: f64, q: f64) -> Option<f64> {
    if !quantile_level(q) || !(0.0..=1.0).contains(&prob_wait) || !nonneg(mean_wait) {
        return None;
    }
    if prob_wait <= 1.0 - q || mean_wait == 0.0 {
        return Some(0.0);
    }
    Some(mean_wait / prob_wait * (prob_wait / (1.0 - q)).ln())
}

/// The `q`-quantile of the response time: that wait plus a gamma service
/// time of mean `mean_service` and squared coefficient of variation `scv`,
/// independent of it.
pub fn response_quantile_approx(prob_wait: f64, mean_wait: f64, mean_service: f64, scv: f64, q: f64) -> Option<f64> {
    if !quantile_level(q) || !(0.0..=1.0).contains(&prob_wait) || !nonneg(mean_wait) || !positive(mean_service) {
        return None;
    }
    if !nonneg(scv) {
        return None;
    }
    // Rate of a wait that happens.
    let theta = if mean_wait > 0.0 { prob_wait / mean_wait } else { f64::INFINITY };
    let tail = |t: f64| -> f64 {
        if scv < 1e-9 {
            // Deterministic service: the wait's tail shifted by the service.
            if t < mean_service { 1.0 } else { prob_wait * (-theta * (t - mean_service)).exp() }
        } else {
            let shape = 1.0 / scv;
            let service = Gamma::new(shape, shape / mean_service).expect("positive shape and rate");
            // P(S > t) + p P(S <= t, S + W > t) = P(S > t) + p E[e^{-theta (t - S)}; S <= t],
            // summed over service-time slices by their probability mass.
            let h = t / STEPS as f64;
            let mut below = 0.0;
            let mut waited = 0.0;
            for i in 1..=STEPS {
                let cdf = service.cdf(i as f64 * h);
                let mid = (i as f64 - 0.5) * h;
                waited += (cdf - below) * (-theta * (t - mid)).exp();
                below = cdf;
            }
            (1.0 - below) + prob_wait * waited
        }
    };
    invert_tail(tail, 1.0 - q, mean_service + mean_wait)
}

#[cfg(test)]
mod tests {
    use super::super::{erlang_c, mmc, mmc_response_quantile, mmc_wait_quantile};
    use super::*;

    #[test]
    fn exponential_service_gives_the_exact_m_m_c_percentiles() {
        // scv = 1 makes the gamma an exponential: M/M/3 at utilisation 0.8.
        let (lambda, mu, c) = (2.4, 1.0, 3);
        let m = mmc(lambda, mu, c).unwrap();
        let p = erlang_c(c, lambda / mu).unwrap();
        for q in [0.5, 0.95, 0.99] {
            let w = wait_quantile_approx(p, m.mean_wait, q).unwrap();
            assert!((w - mmc_wait_quantile(lambda, mu, c, q).unwrap()).abs() < 1e-9, "wait q {q}");
            let r = response_quantile_approx(p, m.mean_wait, 1.0, 1.0, q).unwrap();
            let exact = mmc_response_quantile(lambda, mu, c, q).unwrap();
            assert!((r - exact).abs() < 2e-3 * exact, "response q {q}: {r} against {exact}");
        }
    }

    #[test]
    fn deterministic_service_shifts_the_wait() {
        // M/D/1 at 0.5: P(wait) = 0.5, Wq = 0.5 s; p99 = 1 + ln(50) x 1 s.
        let r = response_quantile_approx(0.5, 0.5, 1.0, 0.0, 0.99).unwrap();
        assert!((r - (1.0 + 50f64.ln())).abs() < 1e-6, "{r}");
        assert_eq!(response_quantile_approx(0.5, 0.5, 1.0, 0.0, 0.3).unwrap(), 1.0);
    }
}
