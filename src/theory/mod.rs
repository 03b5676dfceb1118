//! Analytic queueing theory: the exact (or standard approximate) answers the
//! simulator is checked against.
//!
//! This module owns closed-form and small numerical results from classical
//! queueing theory: single stations (M/M/1, M/M/c, M/M/c/K, M/G/1, processor
//! sharing, non-preemptive and preemptive priorities, the GI/M/c queue seen
//! by each instance behind a round-robin balancer), the Erlang B and C
//! formulas, the Kingman and Allen–Cunneen approximations, exact Mean Value
//! Analysis of closed networks and open Jackson networks, and the hit ratio
//! of a TTL cache. The test suite uses it to validate simulated results and
//! reports show it beside simulated numbers for teaching. Nothing here simulates, samples or allocates beyond small
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
//!
//! Where each result lives, one file per kind of system:
//!
//! | file | results |
//! |---|---|
//! | `mod.rs` | [`StationMetrics`]; the shared checks, `station` (Little's law) and `invert_tail` |
//! | `stations.rs` | Markovian stations: [`mm1`], [`mm1_response_quantile`], [`erlang_b`], [`erlang_c`], [`mmc`], [`mmc_wait_quantile`], [`mmc_response_tail`], [`mmc_response_quantile`], [`mmck`], [`mmck_wait_quantile`] |
//! | `general.rs` | general service or arrivals: [`mg1`] (Pollaczek–Khinchine), [`gg1_kingman`], [`ggc_allen_cunneen`], [`mgc_approx`], [`ps_response`], [`mg1_nonpreemptive_priority`] (Cobham), [`mg1_preemptive_priority`] |
//! | `gimc.rs` | renewal arrivals at exponential servers, exactly: [`gimc`] (P(wait), the wait's tail, the share of time all servers are busy), [`gimc_sigma`], [`erlang_lst`] |
//! | `balancing.rs` | `k` queues behind a balancer: [`round_robin_sigma`], [`round_robin_mm1`], [`round_robin_gimc`] (E_k/M/c), [`random_split_mm1`] |
//! | `tails.rs` | percentiles of general-service stations, approximately: [`wait_quantile_approx`], [`response_quantile_approx`] |
//! | `caches.rs` | the steady-state hit ratio of a keyed TTL cache under Zipf popularity and writes: [`ttl_hit_ratio`], [`ttl_miss_ratio`] |
//! | `networks.rs` | closed networks ([`mva`], [`utilisation_law_max_throughput`], [`asymptotic_bounds`]) and open Jackson networks ([`jackson_open`]) with their linear solver |
//!
//! A new formula goes in the file of its kind, checks its inputs with the
//! helpers here, builds its result with `station` where it can, and is
//! re-exported below.

use serde::Serialize;

mod balancing;
mod caches;
mod general;
mod gimc;
mod networks;
mod stations;
mod tails;

pub use balancing::{random_split_mm1, round_robin_gimc, round_robin_mm1, round_robin_sigma};
pub use caches::{ttl_hit_ratio, ttl_miss_ratio};
pub use general::{
    gg1_kingman, ggc_allen_cunneen, mg1, mg1_nonpreemptive_priority, mg1_preemptive_priority, mgc_approx, ps_response,
};
pub use gimc::{Gimc, erlang_lst, gimc, gimc_sigma};
pub(crate) use networks::solve_augmented;
pub use networks::{
    AsymptoticBounds, JacksonResult, JacksonStation, MvaResult, asymptotic_bounds, jackson_open, mva,
    utilisation_law_max_throughput,
};
pub use stations::{
    MmckMetrics, erlang_b, erlang_c, mm1, mm1_response_quantile, mmc, mmc_response_quantile, mmc_response_tail,
    mmc_wait_quantile, mmck, mmck_wait_quantile,
};
pub use tails::{response_quantile_approx, wait_quantile_approx};

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

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const TOL: f64 = 1e-9;

    #[track_caller]
    pub(super) fn close(actual: f64, expected: f64) {
        let scale = expected.abs().max(1.0);
        assert!((actual - expected).abs() <= TOL * scale, "expected {expected}, got {actual}");
    }

    #[track_caller]
    pub(super) fn close_tol(actual: f64, expected: f64, tol: f64) {
        let scale = expected.abs().max(1.0);
        assert!((actual - expected).abs() <= tol * scale, "expected {expected}, got {actual} (tol {tol})");
    }

    #[track_caller]
    pub(super) fn same(a: &StationMetrics, b: &StationMetrics) {
        close(a.utilisation, b.utilisation);
        close(a.mean_wait, b.mean_wait);
        close(a.mean_response, b.mean_response);
        close(a.mean_queue_len, b.mean_queue_len);
        close(a.mean_in_system, b.mean_in_system);
        close(a.throughput, b.throughput);
    }

    /// Little's law and `W = Wq + E[S]` inside one result.
    #[track_caller]
    pub(super) fn consistent(m: &StationMetrics, mean_service: f64) {
        close(m.mean_in_system, m.throughput * m.mean_response);
        close(m.mean_queue_len, m.throughput * m.mean_wait);
        close(m.mean_response, m.mean_wait + mean_service);
    }

    #[test]
    fn results_serialise() {
        fn is_serialize<T: Serialize>(_: &T) {}
        is_serialize(&mm1(0.5, 1.0).unwrap());
        is_serialize(&mmck(0.5, 1.0, 1, 3).unwrap());
        is_serialize(&mva(3, 1.0, &[0.1]));
    }
}
