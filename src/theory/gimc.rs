//! Renewal arrivals at `c` exponential servers: the GI/M/c queue, solved
//! exactly at arrival epochs. Round robin makes each instance of a fleet one
//! of these (every `k`-th arrival of a Poisson stream: Erlang-`k` gaps), so
//! its waits are shorter than Poisson splitting predicts.
//!
//! The derivation is the textbook one (Takács, *Introduction to the Theory of
//! Queues*, 1962, ch. 5; Kleinrock, *Queueing Systems* vol. I, 1975, ch. 6
//! "The queue G/M/m"; Gross, Shortle, Thompson & Harris, *Fundamentals of
//! Queueing Theory*, 4th ed., 2008, the GI/M/c section of ch. 6). Look at
//! the number in system just before arrivals, an embedded Markov chain.
//! While all `c` servers are busy they finish at rate `c mu` whatever the
//! state, so above `c - 1` the chain is skip-free to the right and its
//! arrival-epoch distribution is geometric, `q_n = K sigma^(n - c)` for
//! `n >= c - 1`, where `sigma` is the root in `(0, 1)` of
//! `sigma = A*(c mu (1 - sigma))` and `A*` is the Laplace–Stieltjes
//! transform of the interarrival time. An arrival then waits with
//! probability `sum_{n >= c} q_n = K / (1 - sigma)`, and a wait that happens
//! is exponential with rate `c mu (1 - sigma)` (it ends after `n - c + 1`
//! departures at rate `c mu`, a geometric number of exponential phases).
//! The constant `K` comes from the boundary states `n < c - 1`, where fewer
//! servers are busy; solving them with binomial moments gives
//!
//! `1 / K = 1 / (1 - sigma) + sum_{j=1}^{c} binom(c, j) / (C_j (1 - beta_j))
//!          * (c (1 - beta_j) - j) / (c (1 - sigma) - j)`
//!
//! with `beta_j = A*(j mu)` and `C_j = prod_{i=1}^{j} beta_i / (1 - beta_i)`.
//! Every term of the sum is positive (numerator and denominator change sign
//! together at `j = c (1 - sigma)`, where the ratio has a removable
//! singularity), so the sum is computed in logarithms without cancellation.
//! For Poisson arrivals `sigma = rho`, the ratio is `1 - beta_j`, and `K`
//! gives Erlang C; for `c = 1` it gives `P(wait) = sigma`. The unit tests
//! check both and compare E_k/M/c with a direct solution of its
//! continuous-time Markov chain.

use super::{StationMetrics, invert_tail, nonneg, positive, quantile_level, station, stations::mmc_tail};

/// Steady state of a GI/M/c queue (FCFS), see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Gimc {
    /// The root `sigma` of `sigma = A*(c mu (1 - sigma))`.
    pub sigma: f64,
    /// Probability that an arrival finds all `c` servers busy (and waits).
    pub prob_wait: f64,
    /// Long-run share of time all `c` servers are busy, `rho P(wait) / sigma`;
    /// it equals `prob_wait` only for Poisson arrivals (PASTA).
    pub all_busy: f64,
    /// Rate of a wait that happens, `c mu (1 - sigma)`.
    pub wait_rate: f64,
    /// Service rate of one server.
    pub mu: f64,
    /// Mean values (Little's law holds inside).
    pub metrics: StationMetrics,
}

impl Gimc {
    /// `P(Wq > t)`.
    pub fn wait_tail(&self, t: f64) -> f64 {
        self.prob_wait * (-self.wait_rate * t.max(0.0)).exp()
    }

    /// The `q`-quantile of the wait: `max(0, ln(P(wait) / (1 - q)) / (c mu (1 - sigma)))`.
    pub fn wait_quantile(&self, q: f64) -> Option<f64> {
        if !quantile_level(q) {
            return None;
        }
        let p = 1.0 - q;
        Some(if self.prob_wait <= p { 0.0 } else { (self.prob_wait / p).ln() / self.wait_rate })
    }

    /// The `q`-quantile of the response (the wait plus an independent `Exp(mu)` service).
    pub fn response_quantile(&self, q: f64) -> Option<f64> {
        if !quantile_level(q) {
            return None;
        }
        let tail = |t: f64| mmc_tail(self.prob_wait, self.mu, self.wait_rate, t);
        invert_tail(tail, 1.0 - q, self.metrics.mean_response)
    }
}

/// The GI/M/c root `sigma` in `(0, 1)` of `sigma = A*(c mu (1 - sigma))`, by
/// bisection (`x -> A*(c mu (1 - x)) - x` is convex, positive at 0 and
/// negative between the root and 1). `lambda` (the arrival rate, `1 / E[T]`)
/// only checks stability: the root exists when `lambda < c mu`.
pub fn gimc_sigma(lambda: f64, lst: impl Fn(f64) -> f64, c: u32, mu: f64) -> Option<f64> {
    if !positive(lambda) || !positive(mu) || c == 0 || lambda >= f64::from(c) * mu {
        return None;
    }
    let cmu = f64::from(c) * mu;
    let f = |x: f64| lst(cmu * (1.0 - x)) - x;
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The GI/M/c queue: renewal arrivals at rate `lambda` whose interarrival
/// time has Laplace–Stieltjes transform `lst` (`lst(s) = E[e^{-s T}]`, with
/// mean `1 / lambda`), `c` servers with exponential service at rate `mu`,
/// FCFS, unlimited queue. Exact (see the module documentation).
///
/// Returns `None` for invalid inputs, `c == 0`, or `lambda >= c mu`;
/// `lambda = 0` gives an idle station.
pub fn gimc(lambda: f64, lst: impl Fn(f64) -> f64, c: u32, mu: f64) -> Option<Gimc> {
    if lambda == 0.0 && positive(mu) && c > 0 {
        let wait_rate = f64::from(c) * mu;
        let metrics = station(0.0, 1.0 / mu, c, 0.0);
        return Some(Gimc { sigma: 0.0, prob_wait: 0.0, all_busy: 0.0, wait_rate, mu, metrics });
    }
    let sigma = gimc_sigma(lambda, &lst, c, mu)?;
    let cf = f64::from(c);
    // ln of each term of the sum, built up with ln C_j and ln binom(c, j).
    let numerator = |x: f64| cf * (1.0 - lst(x * mu)) - x;
    let mut ln_terms = Vec::with_capacity(c as usize);
    let (mut ln_cj, mut ln_binom) = (0.0_f64, 0.0_f64);
    for j in 1..=c {
        let x = f64::from(j);
        let beta = lst(x * mu);
        if !(beta > 0.0 && beta < 1.0) {
            // Underflow: arrivals so regular that the term, and the chance of waiting, vanish.
            if beta <= 0.0 {
                ln_terms.push(f64::INFINITY);
                break;
            }
            return None;
        }
        ln_cj += beta.ln() - (-beta).ln_1p();
        ln_binom += (cf - x + 1.0).ln() - x.ln();
        let gap = cf * (1.0 - sigma) - x;
        let ratio = if gap.abs() > 1e-6 * cf {
            numerator(x) / gap
        } else {
            // The removable singularity: the slope of the numerator over that of the gap (-1).
            let h = 1e-4 * x;
            (numerator(x - h) - numerator(x + h)) / (2.0 * h)
        };
        if ratio.is_nan() || ratio <= 0.0 {
            return None;
        }
        ln_terms.push(ln_binom - ln_cj - (-beta).ln_1p() + ratio.ln());
    }
    let top = ln_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ln_sum = if top.is_finite() { top + ln_terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln() } else { top };
    // P(wait) = K / (1 - sigma) = 1 / (1 + (1 - sigma) sum).
    let ln_rest = (1.0 - sigma).ln() + ln_sum;
    let prob_wait = if ln_rest > 700.0 { (-ln_rest).exp() } else { 1.0 / (1.0 + ln_rest.exp()) };
    let wait_rate = cf * mu * (1.0 - sigma);
    let rho = lambda / (cf * mu);
    let all_busy = if sigma > 0.0 { (rho * prob_wait / sigma).min(1.0) } else { 0.0 };
    let metrics = station(lambda, 1.0 / mu, c, prob_wait / wait_rate);
    nonneg(prob_wait).then_some(Gimc { sigma, prob_wait, all_busy, wait_rate, mu, metrics })
}

/// The Laplace–Stieltjes transform of an Erlang-`k` interarrival time
/// made of `k` phases at rate `rate`: `(rate / (rate + s))^k`.
pub fn erlang_lst(k: u32, rate: f64) -> impl Fn(f64) -> f64 {
    move |s: f64| (rate / (rate + s)).powf(f64::from(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::tests::{close, close_tol, consistent};
    use crate::theory::{erlang_c, mmc, mmc_response_quantile, mmc_wait_quantile, solve_augmented};

    #[test]
    fn poisson_arrivals_give_erlang_c() {
        for &(lambda, mu, c) in &[(0.7, 1.0, 1u32), (1.6, 1.0, 2), (7.2, 1.0, 8), (28.8, 1.0, 32), (90.0, 12.5, 8)] {
            let g = gimc(lambda, |s| lambda / (lambda + s), c, mu).unwrap();
            close(g.sigma, lambda / (f64::from(c) * mu));
            close(g.prob_wait, erlang_c(c, lambda / mu).unwrap());
            // PASTA: the time share equals the arrivals' view.
            close(g.all_busy, g.prob_wait);
            let m = mmc(lambda, mu, c).unwrap();
            close(g.metrics.mean_wait, m.mean_wait);
            consistent(&g.metrics, 1.0 / mu);
            for q in [0.5, 0.9, 0.99] {
                close(g.wait_quantile(q).unwrap(), mmc_wait_quantile(lambda, mu, c, q).unwrap());
                close_tol(g.response_quantile(q).unwrap(), mmc_response_quantile(lambda, mu, c, q).unwrap(), 1e-7);
            }
        }
    }

    #[test]
    fn one_server_waits_with_probability_sigma() {
        let lst = erlang_lst(4, 3.2);
        let g = gimc(0.8, &lst, 1, 1.0).unwrap();
        close(g.prob_wait, g.sigma);
        close(g.sigma, crate::theory::round_robin_sigma(3.2, 4, 1.0).unwrap());
        // The server is busy rho of the time, whatever the arrivals.
        close(g.all_busy, 0.8);
        assert!(g.sigma < 0.8);
    }

    /// E_k/M/c solved directly: the continuous-time chain of (number in
    /// system, arrival phase), truncated far in the tail. An arrival happens
    /// when the last phase ends, at the same rate in every state, so it sees
    /// the distribution of the number in system conditional on that phase.
    fn ekmc_by_ctmc(k: usize, phase_rate: f64, c: usize, mu: f64, levels: usize) -> (f64, f64) {
        let n = levels * k;
        let at = |level: usize, phase: usize| level * k + phase;
        let width = n + 1;
        // Balance equations Q^T p = 0, with the last replaced by sum p = 1.
        let mut a = vec![0.0; n * width];
        for level in 0..levels {
            for phase in 0..k {
                let from = at(level, phase);
                let mut out = 0.0;
                let next = if phase + 1 < k {
                    Some(at(level, phase + 1))
                } else {
                    (level + 1 < levels).then(|| at(level + 1, 0))
                };
                if let Some(to) = next {
                    a[to * width + from] += phase_rate;
                    out += phase_rate;
                }
                if level > 0 {
                    let rate = level.min(c) as f64 * mu;
                    a[at(level - 1, phase) * width + from] += rate;
                    out += rate;
                }
                a[from * width + from] -= out;
            }
        }
        for col in 0..n {
            a[(n - 1) * width + col] = 1.0;
        }
        a[(n - 1) * width + n] = 1.0;
        let p = solve_augmented(&mut a, n).unwrap();
        let last: f64 = (0..levels).map(|l| p[at(l, k - 1)]).sum();
        let waits: f64 = (c..levels).map(|l| p[at(l, k - 1)]).sum::<f64>() / last;
        let busy: f64 = (c..levels).flat_map(|l| (0..k).map(move |ph| (l, ph))).map(|(l, ph)| p[at(l, ph)]).sum();
        (waits, busy)
    }

    #[test]
    fn erlang_arrivals_match_the_markov_chain() {
        for &(k, c, rho) in &[(2u32, 2u32, 0.7), (3, 3, 0.8), (4, 2, 0.9), (2, 5, 0.6)] {
            let mu = 1.0;
            let lambda = rho * f64::from(c) * mu;
            let phase_rate = lambda * f64::from(k);
            let g = gimc(lambda, erlang_lst(k, phase_rate), c, mu).unwrap();
            let (waits, busy) = ekmc_by_ctmc(k as usize, phase_rate, c as usize, mu, 250);
            close_tol(g.prob_wait, waits, 1e-8);
            close_tol(g.all_busy, busy, 1e-8);
            // Fewer waits than Poisson arrivals at the same load.
            assert!(g.prob_wait < erlang_c(c, lambda / mu).unwrap());
        }
    }

    #[test]
    fn the_removable_singularity_is_smooth() {
        // Choose the load so that c (1 - sigma) is (nearly) an integer: the
        // answer must be continuous across it.
        let (c, k) = (4u32, 3u32);
        let p = |lambda: f64| gimc(lambda, erlang_lst(k, lambda * f64::from(k)), c, 1.0).unwrap().prob_wait;
        let mut lambda = 2.0;
        // c (1 - sigma) = 1 at the root of this bisection.
        let (mut lo, mut hi) = (2.0, 3.999);
        for _ in 0..200 {
            lambda = 0.5 * (lo + hi);
            let s = gimc_sigma(lambda, erlang_lst(k, lambda * f64::from(k)), c, 1.0).unwrap();
            if 4.0 * (1.0 - s) > 1.0 { lo = lambda } else { hi = lambda }
        }
        let (below, at, above) = (p(lambda - 1e-3), p(lambda), p(lambda + 1e-3));
        assert!(below < at && at < above, "{below} {at} {above}");
        close_tol(at, 0.5 * (below + above), 1e-4);
    }

    #[test]
    fn invalid_and_idle() {
        assert!(gimc(2.0, erlang_lst(2, 4.0), 2, 1.0).is_none());
        assert!(gimc(1.0, erlang_lst(2, 2.0), 0, 1.0).is_none());
        assert!(gimc(-1.0, erlang_lst(2, 2.0), 2, 1.0).is_none());
        let idle = gimc(0.0, erlang_lst(2, 0.0), 2, 1.0).unwrap();
        close(idle.prob_wait, 0.0);
        close(idle.metrics.mean_response, 1.0);
        assert_eq!(idle.wait_quantile(0.99), Some(0.0));
    }
}
