//! Markovian stations, exponential service and Poisson arrivals: M/M/1, the
//! Erlang B and C formulas, M/M/c with its waiting and response-time tails,
//! and the finite-buffer M/M/c/K.

use serde::Serialize;

use super::{StationMetrics, invert_tail, nonneg, positive, quantile_level, station};

// ---------------------------------------------------------------------------
// M/M/1
// ---------------------------------------------------------------------------

/// M/M/1 queue: Poisson arrivals at rate `lambda`, one server with
/// exponential service at rate `mu`, FCFS, infinite buffer.
///
/// With `rho = lambda / mu < 1`: `W = 1 / (mu - lambda)`,
/// `Wq = rho / (mu - lambda)`, `Lq = rho^2 / (1 - rho)`, `L = rho / (1 - rho)`.
/// The mean values also hold for any work-conserving order that ignores
/// service times (e.g. LCFS, random order).
///
/// Returns `None` if `lambda < 0`, `mu <= 0`, either is non-finite, or
/// `rho >= 1`.
pub fn mm1(lambda: f64, mu: f64) -> Option<StationMetrics> {
    if !nonneg(lambda) || !positive(mu) || lambda >= mu {
        return None;
    }
    let rho = lambda / mu;
    Some(station(lambda, 1.0 / mu, 1, rho / (mu - lambda)))
}

/// Quantile of the M/M/1 FCFS response time (sojourn), which is exactly
/// `Exp(mu - lambda)`: `t_q = -ln(1 - q) / (mu - lambda)`.
///
/// Assumes FCFS (the distribution, unlike the mean, depends on the order).
/// Returns `None` for invalid or unstable inputs (see [`mm1`]) or `q`
/// outside `[0, 1)`.
pub fn mm1_response_quantile(lambda: f64, mu: f64, q: f64) -> Option<f64> {
    if !nonneg(lambda) || !positive(mu) || lambda >= mu || !quantile_level(q) {
        return None;
    }
    Some(-(-q).ln_1p() / (mu - lambda))
}

// ---------------------------------------------------------------------------
// Erlang B / C and M/M/c
// ---------------------------------------------------------------------------

/// Erlang B formula: blocking probability of the M/M/c/c loss system (also
/// M/G/c/c, by insensitivity) with `offered = lambda / mu` Erlangs.
///
/// Uses the numerically stable recursion `B(0) = 1`,
/// `B(n) = a B(n-1) / (n + a B(n-1))`, which never forms `a^c / c!`, so it
/// works for thousands of servers. `erlang_b(0, a) = 1`,
/// `erlang_b(c, 0) = 0` for `c > 0`. Returns `NaN` if `offered` is negative
/// or non-finite.
pub fn erlang_b(c: u32, offered: f64) -> f64 {
    if !nonneg(offered) {
        return f64::NAN;
    }
    let mut b = 1.0_f64;
    for n in 1..=c {
        let ab = offered * b;
        b = ab / (f64::from(n) + ab);
    }
    b
}

/// Erlang C formula: probability that an arrival to an M/M/c queue must
/// wait, with `offered = lambda / mu` Erlangs.
///
/// Computed from Erlang B as `C = c B / (c - a (1 - B))`. Requires
/// `0 <= offered < c` (stability); otherwise, or if `c == 0`, returns `None`.
pub fn erlang_c(c: u32, offered: f64) -> Option<f64> {
    let cf = f64::from(c);
    if c == 0 || !nonneg(offered) || offered >= cf {
        return None;
    }
    let b = erlang_b(c, offered);
    Some(cf * b / (cf - offered * (1.0 - b)))
}

/// M/M/c queue: Poisson arrivals at rate `lambda`, `c` identical servers
/// with exponential service at rate `mu` sharing one FCFS queue.
///
/// With `a = lambda / mu < c` and `C` the Erlang C probability:
/// `Wq = C / (c mu - lambda)`, `W = Wq + 1/mu`, `Lq = lambda Wq`,
/// `L = lambda W`, utilisation `a / c`.
///
/// Returns `None` for invalid inputs, `c == 0`, or `lambda >= c mu`.
pub fn mmc(lambda: f64, mu: f64, c: u32) -> Option<StationMetrics> {
    if !nonneg(lambda) || !positive(mu) || c == 0 {
        return None;
    }
    let capacity = f64::from(c) * mu;
    if lambda >= capacity {
        return None;
    }
    let prob_wait = erlang_c(c, lambda / mu)?;
    Some(station(lambda, 1.0 / mu, c, prob_wait / (capacity - lambda)))
}

/// Quantile of the M/M/c FCFS waiting time (before service).
///
/// The wait is 0 with probability `1 - C` and otherwise `Exp(c mu - lambda)`,
/// so `P(Wq > t) = C e^{-(c mu - lambda) t}` and the `q`-quantile is
/// `max(0, ln(C / (1 - q)) / (c mu - lambda))`.
///
/// Returns `None` for invalid or unstable inputs (see [`mmc`]) or `q`
/// outside `[0, 1)`.
pub fn mmc_wait_quantile(lambda: f64, mu: f64, c: u32, q: f64) -> Option<f64> {
    if !quantile_level(q) {
        return None;
    }
    mmc(lambda, mu, c)?;
    let prob_wait = erlang_c(c, lambda / mu)?;
    let p = 1.0 - q;
    if prob_wait <= p {
        return Some(0.0);
    }
    Some((prob_wait / p).ln() / (f64::from(c) * mu - lambda))
}

/// Survival function `P(W > t)` of the M/M/c FCFS response time.
///
/// `W = Wq + S` with `S ~ Exp(mu)` independent of `Wq`. With
/// `theta = c mu - lambda` and `d = theta - mu`, conditioning on whether the
/// job waits gives
/// `P(W > t) = e^{-mu t} (1 + C mu (1 - e^{-d t}) / d)`
/// (the bracket's fraction tends to `t` as `d -> 0`). For `c = 1` this
/// reduces to `e^{-(mu - lambda) t}`.
///
/// Returns `None` for invalid or unstable inputs (see [`mmc`]) or `t < 0`.
pub fn mmc_response_tail(lambda: f64, mu: f64, c: u32, t: f64) -> Option<f64> {
    if !nonneg(t) {
        return None;
    }
    mmc(lambda, mu, c)?;
    let theta = f64::from(c) * mu - lambda;
    let prob_wait = erlang_c(c, lambda / mu)?;
    Some(mmc_tail(prob_wait, mu, theta, t))
}

/// `P(W > t)` for a response that is an exponential service at rate `mu`
/// after a wait that is 0 with probability `1 - prob_wait`, else `Exp(theta)`.
pub(super) fn mmc_tail(prob_wait: f64, mu: f64, theta: f64, t: f64) -> f64 {
    let d = theta - mu;
    let h = if d == 0.0 { t } else { -(-d * t).exp_m1() / d };
    (-mu * t).exp() * (1.0 + prob_wait * mu * h)
}

/// Quantile of the M/M/c FCFS response time, found by bisection on
/// [`mmc_response_tail`] (the convolution of the Erlang C waiting-time
/// distribution with `Exp(mu)` service). For `c = 1` it equals
/// [`mm1_response_quantile`].
///
/// Returns `None` for invalid or unstable inputs (see [`mmc`]) or `q`
/// outside `[0, 1)`.
pub fn mmc_response_quantile(lambda: f64, mu: f64, c: u32, q: f64) -> Option<f64> {
    if !quantile_level(q) {
        return None;
    }
    let m = mmc(lambda, mu, c)?;
    let theta = f64::from(c) * mu - lambda;
    let prob_wait = erlang_c(c, lambda / mu)?;
    invert_tail(|t| mmc_tail(prob_wait, mu, theta, t), 1.0 - q, m.mean_response)
}

// ---------------------------------------------------------------------------
// M/M/c/K
// ---------------------------------------------------------------------------

/// Steady-state metrics of an M/M/c/K loss-and-delay station.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MmckMetrics {
    /// Probability an arrival finds the station full and is lost, `p_K`
    /// (by PASTA, equal to the time-fraction of a full station).
    pub blocking: f64,
    /// Rate of admitted (and completed) jobs, `lambda (1 - p_K)`, computed
    /// as `mu` times the mean number of busy servers.
    pub throughput: f64,
    /// Mean number in the station, `L = sum n p_n`.
    pub mean_in_system: f64,
    /// Mean number waiting, `Lq = sum (n - c)^+ p_n`.
    pub mean_queue_len: f64,
    /// Mean response time of admitted jobs, `W = L / throughput`; the mean
    /// wait of admitted jobs is `W - 1/mu`.
    pub mean_response: f64,
    /// Per-server utilisation, `throughput / (c mu)`.
    pub utilisation: f64,
    /// Probability that an admitted job finds all `c` servers busy and waits,
    /// `sum_{n=c}^{K-1} p_n / (1 - p_K)` (PASTA, conditioned on admission).
    pub prob_wait: f64,
}

/// M/M/c/K queue: Poisson arrivals at rate `lambda`, `c` exponential servers
/// at rate `mu`, room for `k` jobs in total (`c` in service plus `k - c`
/// waiting); arrivals finding `k` jobs are lost.
///
/// Birth–death chain with `p_n ∝ a^n / n!` for `n <= c` and
/// `p_n ∝ a^c / c! (a / c)^{n - c}` for `c < n <= k`, where `a = lambda/mu`.
/// The terms are built by ratios with rescaling, so large `a`, `c` or `k`
/// neither overflow nor lose precision; cost is O(k). The buffer is finite,
/// so the result exists for any load (including `rho >= 1`). With `k = c`
/// the blocking is Erlang B; as `k -> inf` with `rho < 1` it tends to M/M/c.
/// With `lambda = 0` the mean response is `1/mu` (what a lone job would see).
///
/// Returns `None` if `lambda < 0`, `mu <= 0`, an input is non-finite,
/// `c == 0` or `k < c`.
pub fn mmck(lambda: f64, mu: f64, c: u32, k: u32) -> Option<MmckMetrics> {
    if !nonneg(lambda) || !positive(mu) || c == 0 || k < c {
        return None;
    }
    let a = lambda / mu;
    if !a.is_finite() {
        return None;
    }
    // Unnormalised p_n = term; all sums share the same scale.
    let mut term = 1.0_f64;
    let mut total = 1.0_f64;
    let mut in_system = 0.0_f64;
    let mut queued = 0.0_f64;
    let mut busy = 0.0_f64;
    // Mass of the states where an arrival is admitted but waits, c <= n < k.
    let mut waiting = 0.0_f64;
    for n in 1..=k {
        let nf = f64::from(n);
        let serving = n.min(c);
        term *= a / f64::from(serving);
        total += term;
        in_system += nf * term;
        busy += f64::from(serving) * term;
        if n > c {
            queued += f64::from(n - c) * term;
        }
        if n >= c && n < k {
            waiting += term;
        }
        if term > 1e100 {
            let s = 1.0 / term;
            term = 1.0;
            total *= s;
            in_system *= s;
            queued *= s;
            busy *= s;
            waiting *= s;
        }
    }
    let blocking = (term / total).min(1.0);
    let admitted = total - term;
    let prob_wait = if admitted > 0.0 { (waiting / admitted).min(1.0) } else { 1.0 };
    let mean_in_system = in_system / total;
    let mean_queue_len = queued / total;
    let busy = busy / total;
    // Carried load: equal to lambda (1 - p_K), but without the cancellation
    // of `1 - p_K` when the station is heavily overloaded.
    let throughput = mu * busy;
    let mean_response = if throughput > 0.0 { mean_in_system / throughput } else { 1.0 / mu };
    Some(MmckMetrics {
        blocking,
        throughput,
        mean_in_system,
        mean_queue_len,
        mean_response,
        utilisation: busy / f64::from(c),
        prob_wait,
    })
}

/// Quantile of the wait of admitted jobs in M/M/c/K (FCFS): a job admitted
/// when `n >= c` are present waits for `n - c + 1` departures at rate
/// `c mu`, an Erlang time, so
/// `P(Wq > t) = sum_{n=c}^{K-1} p_n / (1 - p_K) * Q(n - c + 1, c mu t)` with
/// `Q` the regularised upper incomplete gamma function.
///
/// Returns `None` as [`mmck`] does, or for `q` outside `[0, 1)`.
pub fn mmck_wait_quantile(lambda: f64, mu: f64, c: u32, k: u32, q: f64) -> Option<f64> {
    if !quantile_level(q) {
        return None;
    }
    let m = mmck(lambda, mu, c, k)?;
    if m.prob_wait <= 1.0 - q || k == c {
        return Some(0.0);
    }
    // p_n / p_c for c <= n < k: geometric with ratio a / c, normalised.
    let ratio = lambda / (f64::from(c) * mu);
    let mut weights: Vec<f64> = Vec::with_capacity((k - c) as usize);
    let mut w = 1.0_f64;
    for _ in c..k {
        weights.push(w);
        w *= ratio;
        if w > 1e250 {
            weights.iter_mut().for_each(|x| *x *= 1e-250);
            w *= 1e-250;
        }
    }
    let sum: f64 = weights.iter().sum();
    let theta = f64::from(c) * mu;
    let tail = |t: f64| -> f64 {
        if t <= 0.0 {
            return m.prob_wait;
        }
        // Q(i + 1, x) = P(Poisson(x) <= i), accumulated with the Poisson
        // terms in logarithms (e^{-x} alone underflows past x = 745).
        let x = theta * t;
        let (ln_x, mut ln_term, mut below) = (x.ln(), -x, 0.0_f64);
        let mut spread = 0.0;
        for (i, w) in weights.iter().enumerate() {
            below += ln_term.exp();
            spread += w * below.min(1.0);
            ln_term += ln_x - (i as f64 + 1.0).ln();
        }
        m.prob_wait * spread / sum
    };
    invert_tail(tail, 1.0 - q, (m.mean_response - 1.0 / mu).max(1.0 / theta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::tests::{close, close_tol, consistent, same};

    #[test]
    fn mm1_textbook() {
        let m = mm1(0.9, 1.0).unwrap();
        close(m.mean_response, 10.0);
        close(m.mean_wait, 9.0);
        close(m.mean_queue_len, 8.1);
        close(m.mean_in_system, 9.0);
        close(m.utilisation, 0.9);
        close(m.throughput, 0.9);
        consistent(&m, 1.0);

        let idle = mm1(0.0, 4.0).unwrap();
        close(idle.mean_response, 0.25);
        close(idle.mean_wait, 0.0);
    }

    #[test]
    fn mm1_rejects_unstable_and_invalid() {
        assert!(mm1(1.0, 1.0).is_none());
        assert!(mm1(2.0, 1.0).is_none());
        assert!(mm1(-0.1, 1.0).is_none());
        assert!(mm1(0.5, 0.0).is_none());
        assert!(mm1(f64::NAN, 1.0).is_none());
        assert!(mm1(0.5, f64::INFINITY).is_none());
    }

    #[test]
    fn mm1_quantiles() {
        close(mm1_response_quantile(0.5, 1.0, 0.5).unwrap(), 2.0 * std::f64::consts::LN_2);
        // 99th percentile of Exp(0.1): ln(100) / 0.1.
        close(mm1_response_quantile(0.9, 1.0, 0.99).unwrap(), 100.0_f64.ln() * 10.0);
        close(mm1_response_quantile(0.5, 1.0, 0.0).unwrap(), 0.0);
        assert!(mm1_response_quantile(0.5, 1.0, 1.0).is_none());
        assert!(mm1_response_quantile(0.5, 1.0, -0.1).is_none());
        assert!(mm1_response_quantile(1.0, 1.0, 0.5).is_none());
    }

    #[test]
    fn erlang_b_values() {
        close(erlang_b(1, 1.0), 0.5);
        // B(2, 1) = (1/2) / (1 + 1 + 1/2).
        close(erlang_b(2, 1.0), 0.2);
        // B(3, 2) = (8/6) / (1 + 2 + 2 + 8/6) = 4/19.
        close(erlang_b(3, 2.0), 4.0 / 19.0);
        close(erlang_b(0, 3.0), 1.0);
        close(erlang_b(5, 0.0), 0.0);
        assert!(erlang_b(2, -1.0).is_nan());
        // Large systems stay finite and in range (a^c / c! would overflow).
        let big = erlang_b(2000, 1900.0);
        assert!(big > 0.0 && big < 1.0, "{big}");
        // Closed form at a moderate size: a^c/c! / sum_{n<=c} a^n/n!.
        let (c, a) = (10u32, 7.5f64);
        let mut term = 1.0;
        let mut sum = 1.0;
        for n in 1..=c {
            term *= a / f64::from(n);
            sum += term;
        }
        close(erlang_b(c, a), term / sum);
    }

    #[test]
    fn erlang_c_values() {
        close(erlang_c(2, 1.0).unwrap(), 1.0 / 3.0);
        // One server: probability of waiting is rho.
        close(erlang_c(1, 0.7).unwrap(), 0.7);
        close(erlang_c(4, 0.0).unwrap(), 0.0);
        assert!(erlang_c(2, 2.0).is_none());
        assert!(erlang_c(0, 0.5).is_none());
        assert!(erlang_c(3, -1.0).is_none());
    }

    #[test]
    fn mmc_textbook() {
        // M/M/2, lambda = mu = 1: C = 1/3, Wq = 1/3, W = 4/3, L = 2 rho / (1 - rho^2).
        let m = mmc(1.0, 1.0, 2).unwrap();
        close(m.mean_wait, 1.0 / 3.0);
        close(m.mean_response, 4.0 / 3.0);
        close(m.mean_queue_len, 1.0 / 3.0);
        close(m.mean_in_system, 4.0 / 3.0);
        close(m.utilisation, 0.5);
        consistent(&m, 1.0);
        assert!(mmc(2.0, 1.0, 2).is_none());
        assert!(mmc(1.0, 1.0, 0).is_none());
    }

    #[test]
    fn mmc_with_one_server_is_mm1() {
        for &(lambda, mu) in &[(0.1, 1.0), (0.9, 1.0), (3.0, 7.0), (99.0, 100.0)] {
            same(&mmc(lambda, mu, 1).unwrap(), &mm1(lambda, mu).unwrap());
        }
    }

    #[test]
    fn mmc_wait_quantile_values() {
        // C = 1/3 and theta = 1 for M/M/2 lambda = mu = 1.
        close(mmc_wait_quantile(1.0, 1.0, 2, 0.5).unwrap(), 0.0);
        close(mmc_wait_quantile(1.0, 1.0, 2, 2.0 / 3.0).unwrap(), 0.0);
        close(mmc_wait_quantile(1.0, 1.0, 2, 0.9).unwrap(), (10.0_f64 / 3.0).ln());
        assert!(mmc_wait_quantile(1.0, 1.0, 2, 1.0).is_none());
        assert!(mmc_wait_quantile(3.0, 1.0, 2, 0.5).is_none());
    }

    #[test]
    fn mmc_response_tail_and_quantile() {
        // c = 1: Exp(mu - lambda).
        for &q in &[0.0, 0.1, 0.5, 0.9, 0.999] {
            close(mmc_response_quantile(0.8, 1.0, 1, q).unwrap(), mm1_response_quantile(0.8, 1.0, q).unwrap());
        }
        close(mmc_response_tail(0.8, 1.0, 1, 3.0).unwrap(), (-0.2_f64 * 3.0).exp());
        // theta == mu exactly (M/M/2, lambda = mu = 1): Erlang-2 branch.
        // P(W > t) = e^{-t} (1 + t / 3).
        let t = 1.7;
        close(mmc_response_tail(1.0, 1.0, 2, t).unwrap(), (-t).exp() * (1.0 + t / 3.0));
        // The quantile inverts the tail.
        let q90 = mmc_response_quantile(1.0, 1.0, 2, 0.9).unwrap();
        close(mmc_response_tail(1.0, 1.0, 2, q90).unwrap(), 0.1);
        // Integral of the tail is the mean (trapezoid check, loose).
        let (lambda, mu, c) = (5.0, 1.0, 7);
        let mean = mmc(lambda, mu, c).unwrap().mean_response;
        let h = 1e-3;
        let mut integral = 0.0;
        let mut prev = 1.0;
        for i in 1..=60_000 {
            let cur = mmc_response_tail(lambda, mu, c, f64::from(i) * h).unwrap();
            integral += 0.5 * (prev + cur) * h;
            prev = cur;
        }
        close_tol(integral, mean, 1e-6);
    }

    #[test]
    fn mmck_textbook() {
        // M/M/1/4 at rho = 1: uniform over 0..=4.
        let m = mmck(1.0, 1.0, 1, 4).unwrap();
        close(m.blocking, 0.2);
        close(m.mean_in_system, 2.0);
        close(m.throughput, 0.8);
        close(m.utilisation, 0.8);
        // Lq = sum (n-1)^+ / 5 = (1 + 2 + 3) / 5.
        close(m.mean_queue_len, 1.2);
        close(m.mean_response, 2.0 / 0.8);

        // M/M/1/K closed form p_n = (1 - rho) rho^n / (1 - rho^{K+1}).
        let (rho, k) = (2.0_f64, 5u32);
        let m = mmck(2.0, 1.0, 1, k).unwrap();
        let norm = (1.0 - rho) / (1.0 - rho.powi(k as i32 + 1));
        close(m.blocking, norm * rho.powi(k as i32));
        let l: f64 = (0..=k).map(|n| f64::from(n) * norm * rho.powi(n as i32)).sum();
        close(m.mean_in_system, l);
    }

    #[test]
    fn mmck_with_k_equal_c_is_erlang_b() {
        for &(c, a) in &[(1u32, 1.0), (2, 1.0), (10, 7.5), (50, 60.0), (500, 480.0)] {
            let m = mmck(a, 1.0, c, c).unwrap();
            close(m.blocking, erlang_b(c, a));
            close(m.mean_queue_len, 0.0);
            close(m.mean_response, 1.0);
            // Carried load = a (1 - B) busy servers.
            close(m.utilisation, a * (1.0 - m.blocking) / f64::from(c));
        }
    }

    #[test]
    fn mmck_waits_of_admitted_jobs() {
        // One server, room for one waiting: an admitted job waits when it
        // finds the server busy, p_1 / (p_0 + p_1) = a / (1 + a), for Exp(mu).
        let m = mmck(1.5, 2.0, 1, 2).unwrap();
        close(m.prob_wait, 0.75 / 1.75);
        close(mmck_wait_quantile(1.5, 2.0, 1, 2, 0.9).unwrap(), (m.prob_wait / 0.1).ln() / 2.0);
        close(mmck_wait_quantile(1.5, 2.0, 1, 2, 0.5).unwrap(), 0.0);
        // No waiting room: nobody admitted waits.
        close(mmck(5.0, 1.0, 4, 4).unwrap().prob_wait, 0.0);
        close(mmck_wait_quantile(5.0, 1.0, 4, 4, 0.99).unwrap(), 0.0);
        // Overloaded with a long queue: nearly every admitted job waits,
        // most of them the whole queue.
        let over = mmck(20.0, 1.0, 2, 40).unwrap();
        assert!(over.prob_wait > 0.999);
        let p50 = mmck_wait_quantile(20.0, 1.0, 2, 40, 0.5).unwrap();
        assert!(p50 > 15.0 && p50 < 20.0, "{p50}");
        // A huge buffer is M/M/c.
        for &(lambda, c) in &[(0.5, 1u32), (7.0, 8), (28.0, 32)] {
            close(mmck(lambda, 1.0, c, c + 3000).unwrap().prob_wait, erlang_c(c, lambda).unwrap());
            for q in [0.9, 0.99] {
                close_tol(
                    mmck_wait_quantile(lambda, 1.0, c, c + 3000, q).unwrap(),
                    mmc_wait_quantile(lambda, 1.0, c, q).unwrap(),
                    1e-8,
                );
            }
        }
        assert!(mmck_wait_quantile(1.0, 1.0, 1, 3, 1.0).is_none());
    }

    #[test]
    fn mmck_with_huge_k_approaches_mmc() {
        for &(lambda, mu, c) in &[(0.5, 1.0, 1u32), (1.0, 1.0, 2), (7.0, 1.0, 10)] {
            let a = mmck(lambda, mu, c, c + 2000).unwrap();
            let b = mmc(lambda, mu, c).unwrap();
            close(a.blocking, 0.0);
            close(a.throughput, b.throughput);
            close(a.mean_in_system, b.mean_in_system);
            close(a.mean_queue_len, b.mean_queue_len);
            close(a.mean_response, b.mean_response);
            close(a.utilisation, b.utilisation);
        }
    }

    #[test]
    fn mmck_little_and_overload() {
        // Valid at any load, and consistent: L = X W, busy = X / mu, L = Lq + busy.
        for &(lambda, mu, c, k) in
            &[(10.0, 1.0, 3u32, 8u32), (0.3, 2.0, 2, 2), (1e6, 1.0, 4, 100), (5.0, 1.0, 1, 10_000)]
        {
            let m = mmck(lambda, mu, c, k).unwrap();
            assert!(m.blocking.is_finite() && m.blocking <= 1.0);
            close(m.mean_in_system, m.throughput * m.mean_response);
            close(m.utilisation, m.throughput / (f64::from(c) * mu));
            close(m.mean_in_system, m.mean_queue_len + m.utilisation * f64::from(c));
        }
        // Extreme overload: all servers busy, station full, no negative rates.
        let m = mmck(1e300, 1.0, 3, 10).unwrap();
        close(m.blocking, 1.0);
        close(m.throughput, 3.0);
        close(m.mean_in_system, 10.0);
        close(m.mean_response, 10.0 / 3.0);
        // Throughput identity lambda (1 - p_K) at ordinary loads.
        let m = mmck(2.5, 1.0, 2, 6).unwrap();
        close(m.throughput, 2.5 * (1.0 - m.blocking));
        let idle = mmck(0.0, 2.0, 2, 5).unwrap();
        close(idle.blocking, 0.0);
        close(idle.mean_response, 0.5);
        assert!(mmck(1.0, 1.0, 3, 2).is_none());
        assert!(mmck(1.0, 1.0, 0, 2).is_none());
    }
}
