//! Analytic queueing theory: the exact (or standard approximate) answers the
//! simulator is checked against.
//!
//! This module owns closed-form and small numerical results from classical
//! queueing theory: single stations (M/M/1, M/M/c, M/M/c/K, M/G/1, processor
//! sharing, non-preemptive and preemptive priorities, the GI/M/1 queue seen
//! by each server of a round-robin balancer), the Erlang B and C formulas,
//! the Kingman and Allen–Cunneen approximations, exact Mean Value Analysis of
//! closed networks and open Jackson networks. The test suite uses it to
//! validate simulated results and reports show it beside simulated numbers
//! for teaching. Nothing here simulates, samples or allocates beyond small
//! `Vec`s sized by the input.
//!
//! Conventions:
//! * times are in seconds and rates are per second, as everywhere in capsim;
//! * `utilisation` is always per server (`lambda * E[S] / c`);
//! * queue lengths and throughputs describe the whole station (all servers),
//!   so Little's law `L = throughput * W` and `Lq = throughput * Wq` hold
//!   inside every result;
//! * invalid inputs (negative or non-finite rates, zero servers, ...) and
//!   unstable systems (`rho >= 1` where the model has no steady state)
//!   return `None`; nothing here panics on bad numbers.

use serde::{Deserialize, Serialize};

/// Steady-state metrics of one station.
///
/// `utilisation` is per server; the other fields describe the whole station.
/// Every constructor in this module guarantees
/// `mean_response = mean_wait + E[S]`, `mean_queue_len = throughput * mean_wait`
/// and `mean_in_system = throughput * mean_response` (Little's law).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StationMetrics {
    /// Long-run fraction of time each server is busy, `lambda E[S] / c`.
    pub utilisation: f64,
    /// Mean time spent waiting before service starts, `Wq`.
    pub mean_wait: f64,
    /// Mean time in the station, `W = Wq + E[S]`.
    pub mean_response: f64,
    /// Mean number of jobs waiting (not in service), `Lq`.
    pub mean_queue_len: f64,
    /// Mean number of jobs in the station, `L`.
    pub mean_in_system: f64,
    /// Departure rate, equal to the arrival rate in steady state.
    pub throughput: f64,
}

/// `x` is a finite number `>= 0`.
fn nonneg(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// `x` is a finite number `> 0`.
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// `q` is a usable quantile level, `0 <= q < 1`.
fn quantile_level(q: f64) -> bool {
    (0.0..1.0).contains(&q)
}

/// Builds [`StationMetrics`] from the mean wait `wq` using `W = Wq + E[S]`
/// and Little's law.
fn station(lambda: f64, mean_service: f64, servers: u32, wq: f64) -> StationMetrics {
    let w = wq + mean_service;
    StationMetrics {
        utilisation: lambda * mean_service / f64::from(servers),
        mean_wait: wq,
        mean_response: w,
        mean_queue_len: lambda * wq,
        mean_in_system: lambda * w,
        throughput: lambda,
    }
}

/// Solves `tail(t) = p` for `t >= 0` by bisection, where `tail` is a
/// continuous non-increasing survival function with `tail(0) >= p`.
///
/// `scale` is a rough size of the answer used to start the bracket.
fn invert_tail(tail: impl Fn(f64) -> f64, p: f64, scale: f64) -> Option<f64> {
    if tail(0.0) <= p {
        return Some(0.0);
    }
    let mut lo = 0.0_f64;
    let mut hi = scale.max(f64::MIN_POSITIVE);
    while tail(hi) > p {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return None;
        }
    }
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if tail(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

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

fn mmc_tail(prob_wait: f64, mu: f64, theta: f64, t: f64) -> f64 {
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
        if term > 1e100 {
            let s = 1.0 / term;
            term = 1.0;
            total *= s;
            in_system *= s;
            queued *= s;
            busy *= s;
        }
    }
    let blocking = (term / total).min(1.0);
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
    })
}

// ---------------------------------------------------------------------------
// M/G/1, approximations, processor sharing
// ---------------------------------------------------------------------------

/// M/G/1 FCFS queue by the Pollaczek–Khinchine mean-value formula.
///
/// Poisson arrivals at rate `lambda`; i.i.d. service with mean
/// `mean_service` and squared coefficient of variation `scv = Var[S]/E[S]^2`
/// (0 deterministic, 1 exponential). With `rho = lambda E[S] < 1`:
/// `Wq = lambda E[S^2] / (2 (1 - rho)) = rho E[S] (1 + scv) / (2 (1 - rho))`.
/// Exact; `scv = 1` gives M/M/1 and `scv = 0` (M/D/1) halves its wait.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`, or
/// `rho >= 1`.
pub fn mg1(lambda: f64, mean_service: f64, scv: f64) -> Option<StationMetrics> {
    if !nonneg(lambda) || !positive(mean_service) || !nonneg(scv) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    let wq = rho * mean_service * (1.0 + scv) / (2.0 * (1.0 - rho));
    Some(station(lambda, mean_service, 1, wq))
}

/// Kingman's G/G/1 approximation (heavy-traffic formula).
///
/// Renewal arrivals at rate `lambda` with interarrival squared coefficient of
/// variation `scv_arrival`, service mean `mean_service` with SCV
/// `scv_service`: `Wq ≈ rho / (1 - rho) * (ca^2 + cs^2) / 2 * E[S]`.
/// Exact for M/G/1 (`ca^2 = 1`); an approximation otherwise, accurate as
/// `rho -> 1`.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`, or
/// `rho >= 1`.
pub fn gg1_kingman(lambda: f64, scv_arrival: f64, mean_service: f64, scv_service: f64) -> Option<StationMetrics> {
    if !nonneg(lambda) || !nonneg(scv_arrival) || !positive(mean_service) || !nonneg(scv_service) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    let wq = rho / (1.0 - rho) * (scv_arrival + scv_service) / 2.0 * mean_service;
    Some(station(lambda, mean_service, 1, wq))
}

/// Allen–Cunneen G/G/c approximation:
/// `Wq ≈ Wq(M/M/c) * (ca^2 + cs^2) / 2`, with `Wq(M/M/c)` from [`mmc`] at the
/// same `lambda`, `mu = 1 / mean_service` and `c`.
///
/// Exact for M/M/c (`ca^2 = cs^2 = 1`) and for M/G/1 (`c = 1`, `ca^2 = 1`);
/// otherwise typically within ~10% for moderate SCVs.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`,
/// `c == 0`, or `rho >= 1`.
pub fn ggc_allen_cunneen(
    lambda: f64,
    scv_arrival: f64,
    mean_service: f64,
    scv_service: f64,
    c: u32,
) -> Option<StationMetrics> {
    if !nonneg(scv_arrival) || !nonneg(scv_service) || !positive(mean_service) {
        return None;
    }
    let base = mmc(lambda, 1.0 / mean_service, c)?;
    let wq = base.mean_wait * (scv_arrival + scv_service) / 2.0;
    Some(station(lambda, mean_service, c, wq))
}

/// M/G/c approximation (Allen–Cunneen / Lee–Longton with Poisson arrivals):
/// `Wq ≈ Wq(M/M/c) * (1 + scv_service) / 2`.
///
/// Exact for M/M/c and for M/G/1; an approximation for `c > 1` with
/// non-exponential service. Returns `None` as [`ggc_allen_cunneen`].
pub fn mgc_approx(lambda: f64, mean_service: f64, scv_service: f64, c: u32) -> Option<StationMetrics> {
    ggc_allen_cunneen(lambda, 1.0, mean_service, scv_service, c)
}

/// M/G/1 processor sharing: mean response of a job of size `job_size`
/// (seconds of work), `E[T(x)] = x / (1 - rho)` with
/// `rho = lambda * mean_service`.
///
/// Insensitive: depends on the service distribution only through its mean.
/// Passing `job_size = mean_service` gives the overall mean response
/// `E[S] / (1 - rho)`, the same as M/M/1.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`, or
/// `rho >= 1`.
pub fn ps_response(lambda: f64, mean_service: f64, job_size: f64) -> Option<f64> {
    if !nonneg(lambda) || !positive(mean_service) || !nonneg(job_size) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    Some(job_size / (1.0 - rho))
}

// ---------------------------------------------------------------------------
// Priorities
// ---------------------------------------------------------------------------

/// Checks `(lambda, E[S], E[S^2])` triples and returns total load.
fn priority_load(classes: &[(f64, f64, f64)]) -> Option<f64> {
    let mut rho = 0.0;
    for &(lambda, mean, second) in classes {
        // E[S^2] >= E[S]^2 (variance is non-negative), with rounding slack.
        if !nonneg(lambda) || !positive(mean) || !nonneg(second) {
            return None;
        }
        if second < mean * mean * (1.0 - 1e-12) {
            return None;
        }
        rho += lambda * mean;
    }
    (rho < 1.0).then_some(rho)
}

/// M/G/1 with non-preemptive (head-of-line) priorities, Cobham's formula.
///
/// `classes[k] = (lambda_k, E[S_k], E[S_k^2])`, index 0 the highest
/// priority; Poisson arrivals per class, FCFS within a class. With
/// `sigma_k = sum_{i<=k} rho_i` and mean residual work
/// `W0 = sum_i lambda_i E[S_i^2] / 2`, the mean wait (before service) of
/// class `k` is `W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k))`. Add `E[S_k]`
/// for the response. One class reduces to Pollaczek–Khinchine ([`mg1`]).
///
/// Returns `None` if any triple is invalid (negative rate, non-positive mean,
/// `E[S^2] < E[S]^2`) or the total load is `>= 1`. An empty slice gives an
/// empty vector.
pub fn mg1_nonpreemptive_priority(classes: &[(f64, f64, f64)]) -> Option<Vec<f64>> {
    priority_load(classes)?;
    let w0: f64 = classes.iter().map(|&(l, _, s2)| l * s2 / 2.0).sum();
    let mut above = 0.0;
    let mut waits = Vec::with_capacity(classes.len());
    for &(lambda, mean, _) in classes {
        let upto = above + lambda * mean;
        waits.push(w0 / ((1.0 - above) * (1.0 - upto)));
        above = upto;
    }
    Some(waits)
}

/// M/G/1 with preemptive-resume priorities: mean response time per class.
///
/// Same input as [`mg1_nonpreemptive_priority`]. A class only sees higher
/// classes and itself, so with `R_k = sum_{i<=k} lambda_i E[S_i^2] / 2`:
/// `T_k = E[S_k] / (1 - sigma_{k-1}) + R_k / ((1 - sigma_{k-1}) (1 - sigma_k))`.
/// The top class behaves as an M/G/1 queue on its own.
///
/// Returns `None` as [`mg1_nonpreemptive_priority`].
pub fn mg1_preemptive_priority(classes: &[(f64, f64, f64)]) -> Option<Vec<f64>> {
    priority_load(classes)?;
    let mut above = 0.0;
    let mut residual = 0.0;
    let mut responses = Vec::with_capacity(classes.len());
    for &(lambda, mean, second) in classes {
        let upto = above + lambda * mean;
        residual += lambda * second / 2.0;
        responses.push(mean / (1.0 - above) + residual / ((1.0 - above) * (1.0 - upto)));
        above = upto;
    }
    Some(responses)
}

// ---------------------------------------------------------------------------
// Load balancing across k single-server queues
// ---------------------------------------------------------------------------

/// The GI/M/1 root `sigma` for Erlang-`k` interarrivals (mean
/// `k / lambda_total`) and exponential service at rate `mu`: the unique
/// solution in `(0, 1)` of `sigma = A*(mu (1 - sigma))` with
/// `A*(s) = (lambda_total / (lambda_total + s))^k`.
///
/// `sigma` is the probability an arrival finds its server busy. Found by
/// bisection (the function `A*(mu(1 - x)) - x` is convex, positive at 0 and
/// negative between the root and 1). `k = 1` gives `sigma = rho`.
///
/// Returns `None` for invalid inputs, `k == 0`, or
/// `rho = lambda_total / (k mu) >= 1`.
pub fn round_robin_sigma(lambda_total: f64, k: u32, mu: f64) -> Option<f64> {
    if !positive(lambda_total) || !positive(mu) || k == 0 {
        return None;
    }
    let kf = f64::from(k);
    if lambda_total >= kf * mu {
        return None;
    }
    let f = |x: f64| (lambda_total / (lambda_total + mu * (1.0 - x))).powf(kf) - x;
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

/// Round-robin dispatch to `k` identical single-server FCFS queues with
/// exponential service at rate `mu`, fed by one Poisson(`lambda_total`)
/// stream.
///
/// Each server receives every `k`-th arrival, so its interarrival times are
/// Erlang-`k` with mean `k / lambda_total`: an E_k/M/1 (GI/M/1) queue. With
/// `sigma` from [`round_robin_sigma`]: `W = 1 / (mu (1 - sigma))`,
/// `Wq = sigma / (mu (1 - sigma))`. Since `sigma < rho` for `k > 1`, this
/// beats random splitting ([`random_split_mm1`]) but not one shared queue
/// ([`mmc`]).
///
/// The result describes all `k` servers together, like [`mmc`]:
/// `throughput = lambda_total`, `L` and `Lq` are totals over the `k` queues,
/// `utilisation = lambda_total / (k mu)` per server.
///
/// Returns `None` for invalid inputs, `k == 0`, or `rho >= 1`.
/// `lambda_total = 0` gives an idle system (`Wq = 0`).
pub fn round_robin_mm1(lambda_total: f64, k: u32, mu: f64) -> Option<StationMetrics> {
    if lambda_total == 0.0 && positive(mu) && k > 0 {
        return Some(station(0.0, 1.0 / mu, k, 0.0));
    }
    let sigma = round_robin_sigma(lambda_total, k, mu)?;
    let wq = sigma / (mu * (1.0 - sigma));
    Some(station(lambda_total, 1.0 / mu, k, wq))
}

/// Random (Bernoulli) dispatch of a Poisson(`lambda_total`) stream to `k`
/// identical M/M/1 queues: each is M/M/1 with rate `lambda_total / k`, so
/// `W = 1 / (mu - lambda_total / k)`.
///
/// Aggregated over the `k` queues like [`round_robin_mm1`]. Returns `None`
/// for invalid inputs, `k == 0`, or `rho >= 1`.
pub fn random_split_mm1(lambda_total: f64, k: u32, mu: f64) -> Option<StationMetrics> {
    if k == 0 {
        return None;
    }
    let one = mm1(lambda_total / f64::from(k), mu)?;
    Some(station(lambda_total, 1.0 / mu, k, one.mean_wait))
}

// ---------------------------------------------------------------------------
// Closed networks: MVA
// ---------------------------------------------------------------------------

/// Result of exact Mean Value Analysis at the requested population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MvaResult {
    /// System throughput `X(N)` (completions per second at the reference
    /// point, i.e. cycles through the think station).
    pub throughput: f64,
    /// Mean response time `R(N) = sum_i R_i`, excluding think time.
    pub response: f64,
    /// Residence time per station `R_i = D_i (1 + Q_i(N - 1))` (all visits).
    pub residence: Vec<f64>,
    /// Mean number of jobs at each station, `Q_i = X R_i`.
    pub queue_len: Vec<f64>,
    /// Utilisation of each station, `U_i = X D_i`.
    pub utilisation: Vec<f64>,
}

/// Exact Mean Value Analysis (Reiser–Lavenberg) of a closed, single-class
/// product-form network.
///
/// `users` jobs cycle between a delay (think) station with mean think time
/// `think` and single-server queueing stations with service demands
/// `demands[i] = V_i * S_i` (visits × mean service), each FCFS with
/// exponential service or processor sharing with any distribution.
/// Recursion from `n = 1` to `users`:
/// `R_i(n) = D_i (1 + Q_i(n-1))`, `X(n) = n / (Z + sum R_i(n))`,
/// `Q_i(n) = X(n) R_i(n)`. Interactive response time law `N = X (Z + R)`
/// holds exactly. With one user `X = 1 / (Z + D)`; as `users` grows,
/// `X -> 1 / max D_i`.
///
/// Cost O(users × stations). Inputs are assumed non-negative with
/// `think + sum(demands) > 0`; other inputs give meaningless (NaN/inf)
/// numbers rather than a panic. With `users = 0` the throughput and queues
/// are zero and `residence = demands` (what a first job would see).
pub fn mva(users: u32, think: f64, demands: &[f64]) -> MvaResult {
    let mut queue_len = vec![0.0; demands.len()];
    let mut residence = demands.to_vec();
    let mut throughput = 0.0;
    for n in 1..=users {
        for ((r, &d), &q) in residence.iter_mut().zip(demands).zip(&queue_len) {
            *r = d * (1.0 + q);
        }
        let response: f64 = residence.iter().sum();
        throughput = f64::from(n) / (think + response);
        for (q, &r) in queue_len.iter_mut().zip(&residence) {
            *q = throughput * r;
        }
    }
    MvaResult {
        throughput,
        response: residence.iter().sum(),
        utilisation: demands.iter().map(|&d| throughput * d).collect(),
        residence,
        queue_len,
    }
}

/// Utilisation law bound: a network's throughput can never exceed
/// `1 / max_i D_i` (the bottleneck saturates first).
///
/// Returns `None` if `demands` is empty, or any demand is negative or
/// non-finite, or all are zero (no bound).
pub fn utilisation_law_max_throughput(demands: &[f64]) -> Option<f64> {
    if demands.is_empty() || !demands.iter().all(|&d| nonneg(d)) {
        return None;
    }
    let d_max = demands.iter().copied().fold(0.0, f64::max);
    positive(d_max).then(|| 1.0 / d_max)
}

/// Asymptotic (operational) bounds for a closed interactive network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AsymptoticBounds {
    /// `X(N) <= min(N / (D + Z), 1 / D_max)`.
    pub max_throughput: f64,
    /// `R(N) >= max(D, N D_max - Z)`.
    pub min_response: f64,
    /// Population where the two throughput asymptotes cross,
    /// `N* = (D + Z) / D_max`.
    pub knee_users: f64,
}

/// Asymptotic bounds analysis (Denning–Buzen operational laws) for `users`
/// jobs with think time `think` and service demands `demands`; holds for any
/// service distributions and disciplines. [`mva`] lies within them.
///
/// Returns `None` if the demands are empty, invalid or all zero, or `think`
/// is negative or non-finite.
pub fn asymptotic_bounds(users: u32, think: f64, demands: &[f64]) -> Option<AsymptoticBounds> {
    if !nonneg(think) {
        return None;
    }
    let x_max = utilisation_law_max_throughput(demands)?;
    let d_max = 1.0 / x_max;
    let d: f64 = demands.iter().sum();
    let n = f64::from(users);
    Some(AsymptoticBounds {
        max_throughput: (n / (d + think)).min(x_max),
        min_response: d.max(n * d_max - think),
        knee_users: (d + think) / d_max,
    })
}

// ---------------------------------------------------------------------------
// Open Jackson networks
// ---------------------------------------------------------------------------

/// One station of an open Jackson network: `servers` identical exponential
/// servers with mean service time `mean_service`, one FCFS queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JacksonStation {
    /// Number of identical servers `c` (at least 1).
    pub servers: u32,
    /// Mean service time per visit `E[S] = 1 / mu`, in seconds.
    pub mean_service: f64,
}

/// Solution of an open Jackson network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JacksonResult {
    /// Total arrival rate `lambda_i` at each station (external + routed).
    pub arrival_rates: Vec<f64>,
    /// M/M/c metrics of each station at its total arrival rate.
    pub stations: Vec<StationMetrics>,
    /// Mean network sojourn time `sum_i L_i / sum_i lambda0_i` (Little's law
    /// over the whole network).
    pub mean_response: f64,
}

/// Open Jackson network: Poisson external arrivals `external[i]` to station
/// `i`, Markovian routing `routing[i][j]` (probability a job leaving `i` goes
/// to `j`; it leaves the network with probability `1 - sum_j p_ij`), and
/// M/M/c stations.
///
/// Solves the traffic equations `lambda_j = lambda0_j + sum_i lambda_i p_ij`
/// by Gaussian elimination with partial pivoting, then (Jackson's theorem:
/// product form) evaluates each station as an independent M/M/c queue with
/// [`mmc`]. Mean sojourn is `sum L_i / sum lambda0_i`.
///
/// Returns `None` if the dimensions disagree, a rate or probability is
/// negative or non-finite, a row of `routing` sums above 1, the traffic
/// equations are singular (jobs can never leave), the total external rate is
/// zero, or any station is unstable.
pub fn jackson_open(external: &[f64], routing: &[Vec<f64>], stations: &[JacksonStation]) -> Option<JacksonResult> {
    let n = stations.len();
    if external.len() != n || routing.len() != n {
        return None;
    }
    if !external.iter().all(|&x| nonneg(x)) {
        return None;
    }
    let total_external: f64 = external.iter().sum();
    if !positive(total_external) {
        return None;
    }
    for row in routing {
        if row.len() != n || !row.iter().all(|&p| nonneg(p) && p <= 1.0) {
            return None;
        }
        if row.iter().sum::<f64>() > 1.0 + 1e-9 {
            return None;
        }
    }
    // Augmented system (I - P^T) lambda = lambda0, row j: lambda_j - sum_i p_ij lambda_i.
    let width = n + 1;
    let mut a = vec![0.0; n * width];
    for j in 0..n {
        for (i, row) in routing.iter().enumerate() {
            a[j * width + i] = -row[j];
        }
        a[j * width + j] += 1.0;
        a[j * width + n] = external[j];
    }
    let arrival_rates = solve_augmented(&mut a, n)?;
    let mut metrics = Vec::with_capacity(n);
    for (&lambda, st) in arrival_rates.iter().zip(stations) {
        if !positive(st.mean_service) {
            return None;
        }
        metrics.push(mmc(lambda, 1.0 / st.mean_service, st.servers)?);
    }
    let in_system: f64 = metrics.iter().map(|m| m.mean_in_system).sum();
    Some(JacksonResult { arrival_rates, stations: metrics, mean_response: in_system / total_external })
}

/// Gaussian elimination with partial pivoting on an `n × (n+1)` row-major
/// augmented matrix. Returns the solution, clamping rounding-level negatives
/// to zero, or `None` if singular or a clearly negative rate results.
pub(crate) fn solve_augmented(a: &mut [f64], n: usize) -> Option<Vec<f64>> {
    let width = n + 1;
    for col in 0..n {
        let pivot = (col..n).max_by(|&r, &s| a[r * width + col].abs().total_cmp(&a[s * width + col].abs()))?;
        if a[pivot * width + col].abs() < 1e-12 {
            return None;
        }
        if pivot != col {
            for k in 0..width {
                a.swap(pivot * width + k, col * width + k);
            }
        }
        let p = a[col * width + col];
        for r in 0..n {
            if r == col {
                continue;
            }
            let factor = a[r * width + col] / p;
            if factor != 0.0 {
                for k in col..width {
                    a[r * width + k] -= factor * a[col * width + k];
                }
            }
        }
    }
    let mut x = Vec::with_capacity(n);
    for i in 0..n {
        let v = a[i * width + n] / a[i * width + i];
        if !v.is_finite() || v < -1e-9 {
            return None;
        }
        x.push(v.max(0.0));
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-9;

    #[track_caller]
    fn close(actual: f64, expected: f64) {
        let scale = expected.abs().max(1.0);
        assert!((actual - expected).abs() <= TOL * scale, "expected {expected}, got {actual}");
    }

    #[track_caller]
    fn close_tol(actual: f64, expected: f64, tol: f64) {
        let scale = expected.abs().max(1.0);
        assert!((actual - expected).abs() <= tol * scale, "expected {expected}, got {actual} (tol {tol})");
    }

    #[track_caller]
    fn same(a: &StationMetrics, b: &StationMetrics) {
        close(a.utilisation, b.utilisation);
        close(a.mean_wait, b.mean_wait);
        close(a.mean_response, b.mean_response);
        close(a.mean_queue_len, b.mean_queue_len);
        close(a.mean_in_system, b.mean_in_system);
        close(a.throughput, b.throughput);
    }

    /// Little's law and `W = Wq + E[S]` inside one result.
    #[track_caller]
    fn consistent(m: &StationMetrics, mean_service: f64) {
        close(m.mean_in_system, m.throughput * m.mean_response);
        close(m.mean_queue_len, m.throughput * m.mean_wait);
        close(m.mean_response, m.mean_wait + mean_service);
    }

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

    #[test]
    fn mg1_pollaczek_khinchine() {
        same(&mg1(0.9, 1.0, 1.0).unwrap(), &mm1(0.9, 1.0).unwrap());
        same(&mg1(3.0, 0.25, 1.0).unwrap(), &mm1(3.0, 4.0).unwrap());
        let md1 = mg1(0.9, 1.0, 0.0).unwrap();
        close(md1.mean_wait, 0.5 * mm1(0.9, 1.0).unwrap().mean_wait);
        consistent(&md1, 1.0);
        // scv = 4 (e.g. hyperexponential): (1 + 4) / 2 = 2.5 times the M/M/1 wait of 1.
        close(mg1(0.5, 1.0, 4.0).unwrap().mean_wait, 2.5);
        assert!(mg1(1.0, 1.0, 1.0).is_none());
        assert!(mg1(0.5, 1.0, -1.0).is_none());
    }

    #[test]
    fn approximations_are_exact_where_they_should_be() {
        // Kingman with Poisson arrivals is P-K.
        same(&gg1_kingman(0.7, 1.0, 1.0, 0.3).unwrap(), &mg1(0.7, 1.0, 0.3).unwrap());
        // Allen-Cunneen with exponential everything is M/M/c.
        same(&ggc_allen_cunneen(7.0, 1.0, 1.0, 1.0, 10).unwrap(), &mmc(7.0, 1.0, 10).unwrap());
        same(&mgc_approx(7.0, 0.5, 1.0, 4).unwrap(), &mmc(7.0, 2.0, 4).unwrap());
        // c = 1 is P-K.
        same(&mgc_approx(0.6, 1.0, 0.0, 1).unwrap(), &mg1(0.6, 1.0, 0.0).unwrap());
        // M/D/c: half the M/M/c wait.
        let mdc = mgc_approx(7.0, 1.0, 0.0, 10).unwrap();
        close(mdc.mean_wait, 0.5 * mmc(7.0, 1.0, 10).unwrap().mean_wait);
        consistent(&mdc, 1.0);
        // D/D/1 never waits.
        close(gg1_kingman(0.9, 0.0, 1.0, 0.0).unwrap().mean_wait, 0.0);
        assert!(gg1_kingman(1.0, 1.0, 1.0, 1.0).is_none());
        assert!(mgc_approx(10.0, 1.0, 1.0, 10).is_none());
    }

    #[test]
    fn processor_sharing() {
        close(ps_response(0.5, 1.0, 3.0).unwrap(), 6.0);
        close(ps_response(0.9, 1.0, 1.0).unwrap(), mm1(0.9, 1.0).unwrap().mean_response);
        close(ps_response(0.5, 1.0, 0.0).unwrap(), 0.0);
        assert!(ps_response(1.0, 1.0, 1.0).is_none());
    }

    #[test]
    fn cobham_priorities() {
        // One class equals M/G/1 (here deterministic service, E[S^2] = E[S]^2).
        let w = mg1_nonpreemptive_priority(&[(0.8, 1.0, 1.0)]).unwrap();
        assert_eq!(w.len(), 1);
        close(w[0], mg1(0.8, 1.0, 0.0).unwrap().mean_wait);
        // Exponential service: E[S^2] = 2 E[S]^2.
        let w = mg1_nonpreemptive_priority(&[(0.5, 0.5, 0.5)]).unwrap();
        close(w[0], mm1(0.5, 2.0).unwrap().mean_wait);

        // Hand-computed two classes: W0 = (0.2*2 + 0.3*2)/2 = 0.5,
        // sigma = 0.2, 0.5: W1 = 0.5/0.8, W2 = 0.5/(0.8*0.5).
        let classes = [(0.2, 1.0, 2.0), (0.3, 1.0, 2.0)];
        let w = mg1_nonpreemptive_priority(&classes).unwrap();
        close(w[0], 0.625);
        close(w[1], 1.25);
        // Kleinrock's conservation law: sum rho_k W_k = rho W0 / (1 - rho),
        // i.e. the FCFS M/G/1 wait weighted by rho.
        let fcfs = mg1(0.5, 1.0, 1.0).unwrap().mean_wait;
        close(0.2 * w[0] + 0.3 * w[1], 0.5 * fcfs);

        assert_eq!(mg1_nonpreemptive_priority(&[]), Some(vec![]));
        assert!(mg1_nonpreemptive_priority(&[(0.6, 1.0, 2.0), (0.4, 1.0, 2.0)]).is_none());
        // E[S^2] < E[S]^2 is impossible.
        assert!(mg1_nonpreemptive_priority(&[(0.1, 1.0, 0.5)]).is_none());
    }

    #[test]
    fn preemptive_priorities() {
        let classes = [(0.2, 1.0, 2.0), (0.3, 1.0, 2.0)];
        let t = mg1_preemptive_priority(&classes).unwrap();
        // Top class is M/M/1 on its own.
        close(t[0], mm1(0.2, 1.0).unwrap().mean_response);
        // T2 = 1/0.8 + (0.2 + 0.3)/(0.8 * 0.5).
        close(t[1], 1.25 + 1.25);
        // Single class: M/G/1.
        let t = mg1_preemptive_priority(&[(0.6, 1.0, 1.5)]).unwrap();
        close(t[0], mg1(0.6, 1.0, 0.5).unwrap().mean_response);
    }

    #[test]
    fn round_robin_erlang_arrivals() {
        // k = 1 is M/M/1.
        close(round_robin_sigma(0.7, 1, 1.0).unwrap(), 0.7);
        same(&round_robin_mm1(0.7, 1, 1.0).unwrap(), &mm1(0.7, 1.0).unwrap());
        // k = 2, lambda = mu = 1 (rho = 1/2): sigma (2 - sigma)^2 = 1, so
        // sigma^2 - 3 sigma + 1 = 0 and sigma = (3 - sqrt 5) / 2.
        let sigma = round_robin_sigma(1.0, 2, 1.0).unwrap();
        close(sigma, (3.0 - 5.0_f64.sqrt()) / 2.0);
        assert!(sigma < 0.5);
        let m = round_robin_mm1(1.0, 2, 1.0).unwrap();
        close(m.mean_response, 1.0 / (1.0 - sigma));
        close(m.mean_wait, sigma / (1.0 - sigma));
        close(m.utilisation, 0.5);
        close(m.throughput, 1.0);
        consistent(&m, 1.0);
        // Ordering: shared queue < round robin < random split.
        for &(lambda, k) in &[(1.6, 2u32), (7.0, 8), (3.9, 4)] {
            let rr = round_robin_mm1(lambda, k, 1.0).unwrap();
            let pooled = mmc(lambda, 1.0, k).unwrap();
            let random = random_split_mm1(lambda, k, 1.0).unwrap();
            assert!(pooled.mean_response < rr.mean_response);
            assert!(rr.mean_response < random.mean_response);
            consistent(&rr, 1.0);
            consistent(&random, 1.0);
            let s = round_robin_sigma(lambda, k, 1.0).unwrap();
            close(s, (lambda / (lambda + 1.0 - s)).powi(k as i32));
            assert!(s < lambda / f64::from(k));
        }
        close(round_robin_mm1(0.0, 3, 2.0).unwrap().mean_response, 0.5);
        assert!(round_robin_mm1(2.0, 2, 1.0).is_none());
        assert!(round_robin_mm1(1.0, 0, 1.0).is_none());
    }

    #[test]
    fn random_split_is_mm1_per_queue() {
        let m = random_split_mm1(1.5, 3, 1.0).unwrap();
        let one = mm1(0.5, 1.0).unwrap();
        close(m.mean_response, one.mean_response);
        close(m.mean_in_system, 3.0 * one.mean_in_system);
        close(m.utilisation, 0.5);
    }

    #[test]
    fn mva_single_user() {
        let demands = [0.1, 0.25, 0.05];
        let d: f64 = demands.iter().sum();
        let r = mva(1, 2.0, &demands);
        close(r.throughput, 1.0 / (2.0 + d));
        close(r.response, d);
        for (i, &di) in demands.iter().enumerate() {
            close(r.residence[i], di);
            close(r.utilisation[i], di / (2.0 + d));
            close(r.queue_len[i], r.throughput * r.residence[i]);
        }
    }

    #[test]
    fn mva_hand_computed_and_laws() {
        // Two balanced stations, no think: X(2) = 2/3, R = 3, Q = 1 each.
        let r = mva(2, 0.0, &[1.0, 1.0]);
        close(r.throughput, 2.0 / 3.0);
        close(r.response, 3.0);
        close(r.queue_len[0], 1.0);
        close(r.queue_len[1], 1.0);

        let demands = [0.04, 0.1, 0.02];
        let think = 1.5;
        for users in [0u32, 1, 5, 17, 60] {
            let r = mva(users, think, &demands);
            // Interactive response time law N = X (Z + R); Little per station.
            close(f64::from(users), r.throughput * (think + r.response));
            let q_total: f64 = r.queue_len.iter().sum();
            close(q_total, r.throughput * r.response);
            let b = asymptotic_bounds(users, think, &demands).unwrap();
            assert!(r.throughput <= b.max_throughput * (1.0 + TOL));
            if users > 0 {
                assert!(r.response >= b.min_response * (1.0 - TOL));
            }
        }
        let r0 = mva(0, think, &demands);
        close(r0.throughput, 0.0);
        close(r0.response, 0.16);
    }

    #[test]
    fn mva_large_population_hits_bottleneck() {
        let demands = [0.1, 0.05, 0.02];
        let r = mva(2000, 1.0, &demands);
        close(r.throughput, 10.0);
        close(r.utilisation[0], 1.0);
        close(utilisation_law_max_throughput(&demands).unwrap(), 10.0);
        assert!(utilisation_law_max_throughput(&[]).is_none());
        assert!(utilisation_law_max_throughput(&[0.0]).is_none());
        let b = asymptotic_bounds(10, 1.0, &demands).unwrap();
        close(b.knee_users, 1.17 / 0.1);
        close(b.max_throughput, 10.0 / 1.17);
        close(b.min_response, 0.17);
    }

    #[test]
    fn jackson_tandem_is_sum_of_mm1() {
        let stations =
            [JacksonStation { servers: 1, mean_service: 0.5 }, JacksonStation { servers: 1, mean_service: 0.25 }];
        let routing = vec![vec![0.0, 1.0], vec![0.0, 0.0]];
        let r = jackson_open(&[1.0, 0.0], &routing, &stations).unwrap();
        close(r.arrival_rates[0], 1.0);
        close(r.arrival_rates[1], 1.0);
        same(&r.stations[0], &mm1(1.0, 2.0).unwrap());
        same(&r.stations[1], &mm1(1.0, 4.0).unwrap());
        close(r.mean_response, 1.0 + 1.0 / 3.0);
    }

    #[test]
    fn jackson_feedback_loop() {
        // 10% of jobs return: lambda = lambda0 / 0.9.
        let stations = [JacksonStation { servers: 1, mean_service: 0.5 }];
        let r = jackson_open(&[1.0], &[vec![0.1]], &stations).unwrap();
        close(r.arrival_rates[0], 1.0 / 0.9);
        let m = mm1(1.0 / 0.9, 2.0).unwrap();
        same(&r.stations[0], &m);
        // Sojourn = visits * W per visit = (1/0.9) * 1/(2 - 1/0.9) = 1.25.
        close(r.mean_response, 1.25);
        consistent(&r.stations[0], 0.5);
    }

    #[test]
    fn jackson_general_network() {
        // Web -> {app 70%, exit 30%}; app -> {db 50%, web 20%, exit 30%};
        // db -> app 100%. Hand-solved traffic equations with lambda0 = (2, 0, 0):
        // w = 2 + 0.2 a, a = 0.7 w + d, d = 0.5 a  =>  a = 0.7 w / 0.5 = 1.4 w,
        // w = 2 + 0.28 w  =>  w = 2 / 0.72.
        let stations = [
            JacksonStation { servers: 2, mean_service: 0.2 },
            JacksonStation { servers: 4, mean_service: 0.5 },
            JacksonStation { servers: 1, mean_service: 0.3 },
        ];
        let routing = vec![vec![0.0, 0.7, 0.0], vec![0.2, 0.0, 0.5], vec![0.0, 1.0, 0.0]];
        let r = jackson_open(&[2.0, 0.0, 0.0], &routing, &stations).unwrap();
        let w = 2.0 / 0.72;
        close(r.arrival_rates[0], w);
        close(r.arrival_rates[1], 1.4 * w);
        close(r.arrival_rates[2], 0.7 * w);
        for (i, st) in stations.iter().enumerate() {
            let expect = mmc(r.arrival_rates[i], 1.0 / st.mean_service, st.servers).unwrap();
            same(&r.stations[i], &expect);
            consistent(&r.stations[i], st.mean_service);
        }
        let l: f64 = r.stations.iter().map(|m| m.mean_in_system).sum();
        close(r.mean_response, l / 2.0);
    }

    #[test]
    fn jackson_rejects_bad_networks() {
        let one = [JacksonStation { servers: 1, mean_service: 0.5 }];
        // No exit: singular.
        assert!(jackson_open(&[1.0], &[vec![1.0]], &one).is_none());
        // Row sums above one.
        let two = [one[0], one[0]];
        assert!(jackson_open(&[1.0, 0.0], &[vec![0.6, 0.6], vec![0.0, 0.0]], &two).is_none());
        // Overloaded by feedback: lambda = 1/0.5 = 2 >= mu = 2.
        assert!(jackson_open(&[1.0], &[vec![0.5]], &one).is_none());
        // Dimension mismatch and no traffic.
        assert!(jackson_open(&[1.0, 0.0], &[vec![0.0]], &one).is_none());
        assert!(jackson_open(&[0.0], &[vec![0.0]], &one).is_none());
    }

    #[test]
    fn results_serialise() {
        fn is_serialize<T: Serialize>(_: &T) {}
        is_serialize(&mm1(0.5, 1.0).unwrap());
        is_serialize(&mmck(0.5, 1.0, 1, 3).unwrap());
        is_serialize(&mva(3, 1.0, &[0.1]));
    }
}
